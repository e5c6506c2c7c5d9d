"""Reader sessions skip DuckDB's per-load signature check only on an extension directory nobody else can write;
a writer process checks at its first connection."""

import duckdb

from sdc_settings import load_settings
from warehouse import extensions
from warehouse.extensions import connection_config, installed_path
from warehouse.lake import lake_connection


def fake_extension_dir(tmp_path):
    path = installed_path(tmp_path / "ext", "ducklake")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    for p in (tmp_path / "ext", path.parent.parent, path.parent):
        p.chmod(0o755)
    path.chmod(0o644)
    return tmp_path / "ext", path


def test_readers_trust_an_owner_only_extension_directory(tmp_path):
    ext, _ = fake_extension_dir(tmp_path)
    assert connection_config(ext, trust_installed=True)["allow_unsigned_extensions"] is True
    assert "allow_unsigned_extensions" not in connection_config(ext)  # a writer's first connection verifies


def test_a_writer_process_verifies_at_its_first_connection_and_trusts_from_then_on(tmp_path, monkeypatch):
    settings = load_settings({"SDC_HOME": str(tmp_path / "home")})
    monkeypatch.setattr(extensions, "_VERIFIED", set())
    assert "allow_unsigned_extensions" not in connection_config(settings.extension_dir)
    with lake_connection(settings) as con:  # the real extensions, loaded with their signatures checked
        assert con.execute("SELECT current_setting('allow_unsigned_extensions')").fetchone()[0] is False
    if extensions._owner_only(settings.extension_dir):
        assert connection_config(settings.extension_dir)["allow_unsigned_extensions"] is True
        with lake_connection(settings) as con:
            assert con.execute("SELECT current_setting('allow_unsigned_extensions')").fetchone()[0] is True


def test_a_group_or_world_writable_extension_file_or_folder_is_verified_on_every_load(tmp_path):
    ext, path = fake_extension_dir(tmp_path)
    path.chmod(0o666)
    assert "allow_unsigned_extensions" not in connection_config(ext, trust_installed=True)
    path.chmod(0o644)
    path.parent.chmod(0o775)
    assert "allow_unsigned_extensions" not in connection_config(ext, trust_installed=True)


def test_trusted_config_is_accepted_by_duckdb(tmp_path):
    ext, _ = fake_extension_dir(tmp_path)
    con = duckdb.connect(config=connection_config(ext, trust_installed=True))
    assert con.execute("SELECT current_setting('allow_unsigned_extensions')").fetchone()[0] is True
