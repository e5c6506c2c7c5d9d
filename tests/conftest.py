import os
from pathlib import Path

import pytest
from workspace_env import point_at

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SDC_HOME for one test; everything else from the defaults."""
    home = tmp_path / "sdc_home"
    point_at(monkeypatch, home)
    return home


# Two tiers: `integration` tests run the pipeline (a file's pytestmark, or the session workspace `built` of
# tests/models); `make test-fast` runs the rest.
PIPELINE_FIXTURES = {"built"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tiers, and the pipeline runs first: under pytest-xdist (`make test`) workers take whole workspaces in
    collection order, so the long ones start at once and the short tests fill the gaps at the end."""
    for item in items:
        if PIPELINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
    items.sort(key=_schedule_rank)


# The longest (scale-1 workspaces, a load killed under readers, three runs of the breakers) start first, so that
# no worker is left alone with one at the end.
LONGEST = (
    "tests/models/",
    "tests/test_pipeline_on_spec_profile.py",
    "tests/publish/test_concurrency.py",
    "tests/contracts/test_circuit_breakers.py",
    "tests/publish/test_automation.py",
)
# Modules whose tests share no module-scoped workspace: each of their tests may go to its own worker.
PER_TEST = ("tests/publish/test_concurrency.py",)


def _schedule_rank(item: pytest.Item) -> int:
    if item.get_closest_marker("integration") is None:
        return 2
    return 0 if item.nodeid.startswith(LONGEST) else 1


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """One worker per workspace: a test module (its module-scoped workspace is built once), every module of
    tests/models together (they share the session workspace `built`), and each test of a PER_TEST module."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkspace(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            if module in PER_TEST:
                return nodeid
            return "tests/models" if module.startswith("tests/models/") else module

    return ByWorkspace(config, log)
