"""Named points where a test can freeze a real process to kill it there (crash tests).

Inert unless `SDC_FAILPOINT` names the point: the process then writes `SDC_FAILPOINT_MARKER` and waits
to be killed. Nothing is faked: the test kills a real `sdc run` at a known place (e.g. inside the
publish transaction) and checks what readers and the next run see.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def reach(name: str) -> None:
    if os.environ.get("SDC_FAILPOINT") != name:
        return
    marker = os.environ.get("SDC_FAILPOINT_MARKER")
    if marker:
        Path(marker).write_text(f"{os.getpid()}\n", encoding="utf-8")
    while True:  # until killed
        time.sleep(1)
