"""What a long run (`sdc run`, `sdc demo`) shows while it works: step n of m and the asset being built, not the
full log of Dagster and dbt — that goes to a file in the workspace, named at the end."""

from __future__ import annotations

import ast
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

import dagster as dg
from dagster._core.log_manager import get_log_record_metadata, has_log_record_metadata

from sdc_settings import Settings


def run_log_path(settings: Settings, run_id: str) -> Path:
    return settings.home / "logs" / f"run-{run_id}.log"


def step_labels(assets_defs: list[dg.AssetsDefinition], keys: set[dg.AssetKey]) -> dict[str, str]:
    """{step key: what it builds}: the asset, or for a multi-asset (a dbt part) its name and asset count."""
    labels = {}
    for assets_def in assets_defs:
        mine = sorted(k.to_user_string() for k in assets_def.keys if k in keys)
        if mine:
            name = assets_def.node_def.name
            labels[name] = mine[0] if len(mine) == 1 else f"{name} ({len(mine)} assets)"
    return labels


class RunProgress(logging.Handler):
    """A handler of the run's Dagster log records: one line per step started (`[n/m] what`), on a terminal the
    line follows the assets a multi-asset step materializes; failed steps are named."""

    def __init__(self, out: TextIO, labels: Mapping[str, str]) -> None:
        super().__init__(logging.DEBUG)
        self.out = out
        self.labels = labels
        self.total = len(labels)
        self.started = 0
        self.terminal = out.isatty()
        self._line = ""

    def emit(self, record: logging.LogRecord) -> None:
        event = get_log_record_metadata(record).get("dagster_event") if has_log_record_metadata(record) else None
        if event is None:
            return
        kind = event.event_type_value
        if kind == "ENGINE_EVENT" and "step_keys" in event.event_specific_data.metadata:
            # the plan's steps, known once execution starts (a selection may leave some out)
            self.total = len(ast.literal_eval(event.event_specific_data.metadata["step_keys"].value))
        elif kind == "STEP_START":
            self.started += 1
            self._show(f"[{self.started}/{self.total}] {self.labels.get(event.step_key, event.step_key)}", done=True)
        elif kind == "ASSET_MATERIALIZATION" and self.terminal:
            label = self.labels.get(event.step_key, "")
            if label.endswith(" assets)"):
                self._show(f"[{self.started}/{self.total}] {label}: {event.asset_key.to_user_string()}", done=False)
        elif kind == "STEP_FAILURE":
            self._show(f"    step {event.step_key} FAILED: {failure_reason(event.event_specific_data)}", done=True)

    def _show(self, text: str, *, done: bool) -> None:
        """`done`: a line of its own (a step); otherwise it rewrites the current line (terminal only)."""
        if not self.terminal:
            self.out.write(text + "\n")
        elif done:
            self.out.write(("\n" if self._line else "") + text)
        else:
            self.out.write(f"\r{text}{' ' * max(0, len(self._line) - len(text))}")
        self._line = text
        self.out.flush()

    def finish(self) -> None:
        if self.terminal and self._line:
            self.out.write("\n")
            self.out.flush()


def failure_reason(failure) -> str:
    """What a failed step says, without its traceback: a `dg.Failure`'s description (it names the next step),
    else the message of the error the step's code raised (Dagster wraps it)."""
    user = getattr(failure, "user_failure_data", None)
    if user is not None and user.description:
        return user.description
    error = failure.error
    if error is None:
        return "see the full log"
    return (error.cause or error).message.strip()


def progress_logger(progress: RunProgress) -> dg.LoggerDefinition:
    @dg.logger
    def _progress(_init_context) -> logging.Logger:
        log = logging.Logger("sdc.progress", level=logging.DEBUG)
        log.addHandler(progress)
        return log

    return _progress
