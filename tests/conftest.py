import os
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SDC_HOME for one test; everything else from the defaults."""
    home = tmp_path / "sdc_home"
    monkeypatch.setenv("SDC_HOME", str(home))
    monkeypatch.delenv("SDC_LANDING_DIR", raising=False)
    monkeypatch.delenv("SDC_LAKE_CATALOG", raising=False)
    monkeypatch.setenv("SDC_ENV", "ci")
    # Simulated deliveries are complete when written: no need to wait out system C's quiet period.
    monkeypatch.setenv("SDC_LANDING_QUIET_SECONDS", "0")
    for name in ("SDC_TRANSPORT_API_URL", "SDC_TRANSPORT_API_TOKEN", "SDC_CREDIT_API_URL", "SDC_CREDIT_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return home


# Two tiers: `integration` tests run the pipeline (a file's pytestmark, or the session workspace `built` of
# tests/models); `make test-fast` runs the rest.
PIPELINE_FIXTURES = {"built"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if PIPELINE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
