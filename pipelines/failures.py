"""Transient or deterministic: what a failed step does next.

Transient — the platform's API unavailable after the client's own retries (5xx, 429, timeouts, connections cut),
the lake catalog busy or locked — the step runs again, after `retry_delay_seconds` doubled on each retry with
jitter, up to `MAX_RETRIES` times. Deterministic — credentials refused, a response that breaks the interface
(INTERFACES.md), anything else — the step fails at once (`Failure(allow_retries=False)`), and its description
says what to do next; the run failure sensor reports it once (pipelines/defs/notifications.py).

A delivery a breaker trips on, or rows that break their contract, fail nothing: the delivery is held back or
the rows quarantined (pipelines/defs/validation.py) and the checks report it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from connectors.api_client import ApiAuthError, ApiError, ApiUnavailable

MAX_RETRIES = 3


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, ApiUnavailable):
        return True
    if isinstance(exc, duckdb.Error) and not isinstance(exc, duckdb.CatalogException | duckdb.BinderException):
        text = str(exc).lower()
        return any(word in text for word in ("database is locked", "busy", "could not serialize", "conflict"))
    return False


def next_step(exc: BaseException) -> str:
    """What an operator does about a deterministic failure."""
    if isinstance(exc, ApiAuthError):
        return "the API refused the credentials: rotate them (docs/operations.md, 'Rotating API credentials')"
    if isinstance(exc, ApiUnavailable):
        return "the API stayed unavailable through every retry: the next scheduled pull tries again"
    if isinstance(exc, ApiError):
        return ("the API's answer breaks its interface (INTERFACES.md): send the request and error to the "
                "department; the pull resumes from its cursor once they fix it")  # fmt: skip
    return "a defect, not bad data: see the step's log in the run, fix, then re-run (docs/operations.md)"


def backoff_seconds(first: float, retry_number: int) -> float:
    """`first`, doubled per retry, ±25 % jitter (runs retrying together do not come back together)."""
    return first * 2**retry_number * random.uniform(0.75, 1.25)


@contextmanager
def failure_policy(context: dg.AssetExecutionContext, retry_delay_seconds: float) -> Iterator[None]:
    """Around a step's work: a transient error asks Dagster to run the step again; any other error fails it
    once, with what to do next."""
    try:
        yield
    except (dg.Failure, dg.RetryRequested):
        raise
    except Exception as exc:
        retry = context.retry_number
        if is_transient(exc) and retry < MAX_RETRIES:
            wait = backoff_seconds(retry_delay_seconds, retry)
            context.log.warning(f"transient: {exc} — retry {retry + 1} of {MAX_RETRIES} in {wait:.1f} s")
            raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=wait) from exc
        raise dg.Failure(
            description=f"{type(exc).__name__}: {exc}",
            metadata={"next_step": next_step(exc), "transient": is_transient(exc), "retries": retry},
            allow_retries=False,
        ) from exc
