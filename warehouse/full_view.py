"""Who may open the restricted (unmasked) view, and the record of every use.

Access is configured (`SDC_FULL_VIEW_OPERATORS`, login names), never implied by being able to run `sdc`; the
login name is the operating system's for the process's user id, not an environment variable. Every use —
refusals included — is appended to the workspace's audit log (`Settings.full_view_audit_log`), one JSON
line per event, before the statement runs. This is the CLI's policy, not the data's protection: whoever can
read the lake's files can read them unmasked (docs/deployment.md §2).
"""

from __future__ import annotations

import json
import os
import pwd
from datetime import datetime

from sdc_settings import Settings
from warehouse.beijing import BEIJING


class FullViewRefused(PermissionError):
    """The user is not an authorised operator of the restricted view."""


def login_name() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def authorise(settings: Settings, user: str) -> None:
    """Refuse (and record the refusal) unless `user` is a configured operator of the restricted view."""
    if user in settings.full_view_operators:
        return
    record(settings, user, "refused")
    raise FullViewRefused(
        f"--full (the restricted, unmasked view) is for authorised operators only, and {user!r} is not one: "
        "operators are named in SDC_FULL_VIEW_OPERATORS by the data centre's administrator. Without --full you "
        "get the masked view."
    )


def record(settings: Settings, user: str, event: str, **details: object) -> None:
    """Append one event to the audit log (refusals only where the workspace exists: a read-only command
    creates nothing on a mistyped SDC_HOME)."""
    log = settings.full_view_audit_log
    if event == "refused" and not settings.home.is_dir():
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    line = {"at": datetime.now(BEIJING).isoformat(timespec="seconds"), "user": user, "event": event, **details}
    with log.open("a", encoding="utf-8") as f:  # one write per line: concurrent sessions append whole lines
        f.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
