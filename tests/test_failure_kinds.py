"""Which failures are transient (retried with backoff) and which are not (pipelines/failures.py)."""

import duckdb
import pytest

from connectors.api_client import ApiAuthError, ApiError, ApiUnavailable
from pipelines.failures import backoff_seconds, is_transient, next_step


@pytest.mark.parametrize(
    "exc",
    [
        ApiUnavailable("transport API (system B): giving up on GET /api/v2/alarms after 6 attempts (last: HTTP 503)"),
        duckdb.IOException("database is locked"),
        duckdb.TransactionException("Transaction conflict: could not commit"),
    ],
)
def test_transient(exc):
    assert is_transient(exc)


@pytest.mark.parametrize(
    ("exc", "advice"),
    [
        (ApiAuthError("transport API (system B) refused our credentials: HTTP 401"), "rotate them"),
        (ApiError("transport API (system B): records of /api/v2/vehicles have the wrong shape"), "INTERFACES.md"),
        (duckdb.CatalogException("Table with name x does not exist"), "a defect"),
        (KeyError("enterprise_id"), "a defect"),
    ],
)
def test_deterministic_with_what_to_do_next(exc, advice):
    assert not is_transient(exc) and advice in next_step(exc)


def test_backoff_doubles_with_jitter():
    waits = [backoff_seconds(10, n) for n in range(3)]
    assert 7.5 <= waits[0] <= 12.5 and 15 <= waits[1] <= 25 and 30 <= waits[2] <= 50
