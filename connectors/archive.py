"""Content-addressed archive of everything received (files and API responses), so any load can be replayed.

`<archive>/<sha256[:2]>/<sha256>`: written once (temporary name, then an atomic rename), read-only after.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class ArchiveCorrupt(RuntimeError):
    pass


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_path(archive_dir: Path, sha256: str) -> Path:
    return archive_dir / sha256[:2] / sha256


def store(archive_dir: Path, data: bytes, sha256: str | None = None) -> Path:
    sha256 = sha256 or sha256_bytes(data)
    path = archive_path(archive_dir, sha256)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{sha256}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o444)
    os.replace(tmp, path)
    return path


def fetch(archive_dir: Path, sha256: str) -> bytes:
    data = archive_path(archive_dir, sha256).read_bytes()
    if sha256_bytes(data) != sha256:
        raise ArchiveCorrupt(f"archived copy of {sha256} does not match its hash")
    return data
