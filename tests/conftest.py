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
    for item in items:
        if PIPELINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
