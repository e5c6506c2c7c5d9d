"""Fixtures of the publishing tests: a throw-away PostgreSQL server for the multi-user catalog (the workspace
helpers are in workspace.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from postgres_server import PostgresServer, PostgresUnavailable
from workspace import first_publish_template


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the session; skipped only where PostgreSQL cannot run (never in CI)."""
    try:
        server = PostgresServer().start()
    except (PostgresUnavailable, subprocess.CalledProcessError, OSError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL cannot be started here: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_catalog(postgres, request) -> str:
    """A fresh database on the session's server for one test: `postgres:<dsn>` for SDC_LAKE_CATALOG."""
    name = "lake_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    postgres.create_database(name)
    return f"postgres:{postgres.dsn_for(name)}"


@pytest.fixture(scope="session")
def publish_template(tmp_path_factory) -> Path:
    """The workspace one publish in (day-2 deliveries, SQLite catalog) that most publishing tests start from, as
    a template to copy (workspace.copy_workspace): built once for the session, across pytest-xdist's workers."""
    base = tmp_path_factory.getbasetemp()
    return first_publish_template(base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)
