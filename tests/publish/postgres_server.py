"""A throw-away PostgreSQL server for tests: initdb in a temporary folder, a free port on 127.0.0.1.

Binaries come from PATH or /usr/lib/postgresql/<version>/bin (Debian's `postgresql` package, which
`.ci/run` installs when they are missing). PostgreSQL refuses to run as root, so as root the server
runs as the `postgres` system user (or `nobody`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def server_binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None when PostgreSQL is not installed."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
            return user
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and neither a postgres nor a nobody user exists")


class PostgresServer:
    def __init__(self, database: str = "sdc") -> None:
        self.bin = server_binaries()
        if self.bin is None:
            raise PostgresUnavailable("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="sdc-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.database = database

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        return ["runuser", "-u", self.user, "--", *cmd] if self.user else cmd

    def start(self) -> PostgresServer:
        if self.user:
            info = pwd.getpwnam(self.user)
            os.chown(self.root, info.pw_uid, info.pw_gid)
        run = {"check": True, "capture_output": True, "text": True}
        subprocess.run(self._cmd("initdb", "-D", str(self.data), "-A", "trust", "-U", "sdc", "-E", "UTF8"), **run)
        opts = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} -c fsync=off"
        subprocess.run(
            self._cmd("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", opts, "-w", "start"),
            **run,
        )
        deadline = time.monotonic() + 30
        while True:
            probe = subprocess.run(
                [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "sdc", "-d", "postgres",
                 "-c", f"CREATE DATABASE {self.database}"],
                capture_output=True, text=True,
            )  # fmt: skip
            if probe.returncode == 0:
                return self
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"PostgreSQL did not come up: {probe.stderr}")
            time.sleep(0.2)

    @property
    def dsn(self) -> str:
        return self.dsn_for(self.database)

    def dsn_for(self, database: str) -> str:
        return f"dbname={database} host=127.0.0.1 port={self.port} user=sdc"

    def sqlalchemy_url(self, database: str | None = None) -> str:
        return f"postgresql+psycopg2://sdc@127.0.0.1:{self.port}/{database or self.database}"

    def create_database(self, name: str) -> None:
        subprocess.run(
            [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "sdc", "-d", "postgres",
             "-c", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip

    def stop(self) -> None:
        subprocess.run(self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"), capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
