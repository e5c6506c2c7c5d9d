"""DuckDB extensions come from PyPI wheels (`duckdb-extension-*`), never from DuckDB's download site.

`INSTALL '<file>'` copies a wheel's extension into our extension directory once; after that every
process (ours and dbt's, which gets the same `extension_directory`) can `LOAD` it offline.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

# Extension name as DuckDB knows it -> the importable package of its PyPI wheel.
WHEEL_PACKAGES = {
    "ducklake": "duckdb_extension_ducklake",
    "sqlite_scanner": "duckdb_extension_sqlite",  # DuckLake catalog on one machine
    "postgres_scanner": "duckdb_extension_postgres",  # DuckLake catalog shared by several machines (prod)
    "iceberg": "duckdb_extension_iceberg",  # reading the Iceberg export back (a second engine)
    "avro": "duckdb_extension_avro",  # Iceberg manifests are Avro files
    "httpfs": "duckdb_extension_httpfs",  # lake data on S3-compatible storage (prod)
}


# Extension directories whose lake extensions this process has loaded with DuckDB's signature check.
_VERIFIED: set[Path] = set()


def connection_config(extension_dir: Path, *, trust_installed: bool = False) -> dict[str, object]:
    """DuckDB settings that keep every connection offline and on our extension directory.

    `trust_installed` (reader sessions): skip DuckDB's signature check on every LOAD — about 95% of
    opening a reader session (hashing ~70 MB of extension files; measured in docs/deployment.md §4).
    The files were checked once when `ensure_extensions` installed them from hash-pinned wheels; the
    check is skipped only while nobody but their owner can write the directory and the files. A writer
    process checks at its first connection (`mark_verified`) and trusts the files from then on: a run
    opens the lake once per step, 0.45 s of hashing each time.
    """
    config: dict[str, object] = {
        "extension_directory": str(extension_dir),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
    }
    if (trust_installed or extension_dir in _VERIFIED) and _owner_only(extension_dir):
        config["allow_unsigned_extensions"] = True
    return config


def mark_verified(extension_dir: Path) -> None:
    """This process has just loaded the lake's extensions from `extension_dir` with their signatures checked."""
    _VERIFIED.add(extension_dir)


def _owner_only(extension_dir: Path) -> bool:
    folder = installed_path(extension_dir, "ducklake").parent
    try:
        paths = [extension_dir, folder.parent, folder, *folder.glob("*.duckdb_extension")]
        return all(p.stat().st_mode & 0o022 == 0 for p in paths)
    except OSError:
        return False


def wheel_extension_file(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {package} is not installed: run `uv sync --locked`")
    root = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(root.glob(f"extensions/v{duckdb.__version__}/*.duckdb_extension"))
    if not files:
        raise RuntimeError(f"{package} carries no extension for duckdb {duckdb.__version__} under {root}")
    return files[0]


def installed_path(extension_dir: Path, name: str) -> Path:
    platform = duckdb.execute("PRAGMA platform").fetchone()[0]
    return extension_dir / f"v{duckdb.__version__}" / platform / f"{name}.duckdb_extension"


def ensure_extensions(extension_dir: Path) -> list[str]:
    """Install every extension the project uses from its wheel; returns the names installed now."""
    missing = [n for n in WHEEL_PACKAGES if not installed_path(extension_dir, n).exists()]
    if not missing:
        return []
    extension_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config=connection_config(extension_dir))
    try:
        for name in missing:
            con.execute(f"INSTALL '{wheel_extension_file(WHEEL_PACKAGES[name])}'")
        for name in missing:
            con.execute(f"LOAD {name}")  # verifies DuckDB's signature of the installed file
    finally:
        con.close()
    return missing
