"""Landing-zone writer: files, markers, re-deliveries, late files, mtimes.

Each file is produced by a *render* callback ``render(corrected: bool) -> (bytes, rows)``
where ``rows`` is a list of ``(dataset, record_number, record_key, quirks, mentions)``.
``corrected=True`` renders the same records with every quarantine / reader_reject quirk
removed (a department's corrected re-delivery).

The landing tree holds the *final* state. Every delivery event (including identical
re-drops and the superseded bytes of corrected files) is listed in
``truth/deliveries.parquet``; superseded bytes are kept under ``world/superseded/`` so
``replay()`` can rebuild the landing zone as it looked at any moment.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

from .profile import QUARANTINE, QUIRKS, READER_REJECT, Profile
from .truth import Drawer, Truth

Rows = list[tuple[str, int | None, str | None, list[str], list]]
Render = Callable[[bool], tuple[bytes, Rows]]

ERROR_QUIRKS = {q.id for q in QUIRKS.values() if q.outcome in (QUARANTINE, READER_REJECT)}


def strip_errors(quirks: list[str]) -> list[str]:
    return [q for q in quirks if q not in ERROR_QUIRKS]


def _epoch(t: dt.datetime) -> int:
    """Beijing wall time -> POSIX seconds."""
    return calendar.timegm((t - dt.timedelta(hours=8)).timetuple())


class Landing:
    def __init__(
        self, landing_dir: Path, world_dir: Path, truth: Truth, profile: Profile, rng: random.Random
    ):
        self.root = landing_dir
        self.world = world_dir
        self.truth = truth
        self.profile = profile
        self.rng = rng
        self.files: list[Path] = []
        self._final: dict[str, tuple[bytes, dt.datetime]] = {}

    def _write(self, rel: str, data: bytes, when: dt.datetime) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.utime(p, (_epoch(when), _epoch(when)))
        if p not in self.files:
            self.files.append(p)
        return p

    def _record(self, did: int, rel: str, rows: Rows) -> None:
        for dataset, recno, key, quirks, mentions in rows:
            self.truth.add(dataset, rel, did, recno, key, None, quirks, mentions)

    def deliver(
        self,
        rel: str,
        render: Render,
        *,
        channel: str,
        group: str,
        data_date: dt.date,
        delivered_at: dt.datetime,
        last_possible: dt.datetime,
        marker: bool = False,
        marker_pending: bool = False,
        encoding: str | None = None,
        complete: bool = True,
        allow_redelivery: bool = True,
        file_quirks: list[str] | None = None,
    ) -> None:
        dr = Drawer(self.profile, self.truth.stats, group)
        r = self.rng
        fq: list[str] = list(file_quirks or [])
        late = corrected = identical = False
        if allow_redelivery and complete:
            # a late file only if a later delivery slot exists inside the window
            late = dr.hit(r, "late_file", fq, eligible=delivered_at + dt.timedelta(days=1) <= last_possible)
            corrected = dr.hit(r, "corrected_file", fq)
            identical = dr.hit(r, "redelivery_identical", fq) and not corrected
            if not identical:
                r.random()
        else:
            for _ in range(4):
                r.random()
        when = delivered_at
        if late:
            when = delivered_at + dt.timedelta(days=r.randint(1, 2), minutes=r.randint(0, 300))
            when = min(when, last_possible)
        data, rows = render(False)
        extra = ["late_file"] if late else []
        rows = [(ds, n, k, q + extra, m) for ds, n, k, q, m in rows]
        did = self.truth.new_delivery(
            channel=channel,
            path=rel,
            dataset_group=group,
            data_date=data_date.isoformat(),
            delivered_at=when,
            kind="late" if late else "new",
            complete=complete and not marker_pending,
            sha256=hashlib.sha256(data).hexdigest(),
            bytes=len(data),
            encoding=encoding,
        )
        self._record(did, rel, rows)
        self.truth.close_delivery(did)
        final_data, final_when = data, when
        if marker and not marker_pending:
            self._marker(rel, group, data_date, when + dt.timedelta(minutes=1))
        if corrected:
            when2 = when + dt.timedelta(hours=r.randint(3, 40))
            data2, rows2 = render(True)
            rows2 = [(ds, n, k, strip_errors(q) + extra, m) for ds, n, k, q, m in rows2]
            # keep the superseded bytes for replay()
            keep = self.world / "superseded" / str(did) / rel
            keep.parent.mkdir(parents=True, exist_ok=True)
            keep.write_bytes(data)
            self.truth.deliveries[did - 1]["stored_copy"] = str(keep.relative_to(self.world))
            did2 = self.truth.new_delivery(
                channel=channel,
                path=rel,
                dataset_group=group,
                data_date=data_date.isoformat(),
                delivered_at=when2,
                kind="corrected",
                complete=True,
                sha256=hashlib.sha256(data2).hexdigest(),
                bytes=len(data2),
                encoding=encoding,
                supersedes=did,
            )
            self._record(did2, rel, rows2)
            self.truth.close_delivery(did2)
            self.truth.mark_delivery(did, "superseded", effective=False)
            final_data, final_when = data2, when2
            if marker:
                self._marker(rel, group, data_date, when2 + dt.timedelta(minutes=1))
        if identical:
            when3 = when + dt.timedelta(days=r.randint(1, 3), hours=r.randint(0, 6))
            did3 = self.truth.new_delivery(
                channel=channel,
                path=rel,
                dataset_group=group,
                data_date=data_date.isoformat(),
                delivered_at=when3,
                kind="redelivery_identical",
                complete=True,
                sha256=hashlib.sha256(data).hexdigest(),
                bytes=len(data),
                encoding=encoding,
                supersedes=None,
            )
            self.truth.clone_delivery(did, did3, "redelivery_identical", effective=False)
            final_when = max(final_when, when3)
            if marker:
                self._marker(rel, group, data_date, when3 + dt.timedelta(minutes=1))
        self._write(rel, final_data, final_when)

    def _marker(self, rel: str, group: str, data_date: dt.date, when: dt.datetime) -> None:
        mrel = rel + ".ok"
        self.truth.new_delivery(
            channel="marker",
            path=mrel,
            dataset_group=group,
            data_date=data_date.isoformat(),
            delivered_at=when,
            kind="marker",
            complete=True,
            sha256=hashlib.sha256(b"").hexdigest(),
            bytes=0,
        )
        self.truth.close_delivery(len(self.truth.deliveries))
        self._write(mrel, b"", when)

    def extra_file(
        self, rel: str, data: bytes, *, group: str, data_date: dt.date, when: dt.datetime, kind: str
    ):
        """A file that is not a record carrier (Office lock file)."""
        self.truth.new_delivery(
            channel="file",
            path=rel,
            dataset_group=group,
            data_date=data_date.isoformat(),
            delivered_at=when,
            kind=kind,
            complete=True,
            sha256=hashlib.sha256(data).hexdigest(),
            bytes=len(data),
        )
        self.truth.close_delivery(len(self.truth.deliveries))
        self._write(rel, data, when)


def replay(landing_dir: Path, world_dir: Path, target: Path, until: dt.datetime) -> list[str]:
    """Materialise the landing zone as it looked at ``until`` (Beijing time) into
    ``target``, using truth/deliveries.parquet. Returns the relative paths present.

    Incomplete deliveries (a growing C file, a CSV without its .ok) are copied as
    they are in the final landing tree."""
    import pyarrow.parquet as pq

    deliveries = pq.read_table(Path(world_dir) / "truth" / "deliveries.parquet").to_pylist()
    deliveries.sort(key=lambda d: (d["delivered_at"], d["delivery_id"]))
    present: dict[str, dict] = {}
    for d in deliveries:
        if d["delivered_at"] <= until:
            present[d["path"]] = d
    for rel, d in present.items():
        src = (Path(world_dir) / d["stored_copy"]) if d["stored_copy"] else Path(landing_dir) / rel
        # the final landing file holds the newest version; older versions were stored aside
        dst = Path(target) / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        os.utime(dst, (_epoch(d["delivered_at"]), _epoch(d["delivered_at"])))
    return sorted(present)
