"""Ground-truth recorder (rows, mentions, deliveries, quirk statistics) and the
quirk drawer that keeps the statistics honest."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .profile import Profile, outcome_of


class Drawer:
    """Draws quirks for one dataset and records eligibility / application counts."""

    def __init__(self, profile: Profile, stats: dict, dataset: str):
        self.profile = profile
        self.stats = stats
        self.dataset = dataset

    def hit(self, r: random.Random, qid: str, out: list[str] | None = None, eligible: bool = True) -> bool:
        u = r.random()  # always consume: the stream does not depend on eligibility or rates
        if not eligible:
            return False
        rate = self.profile.rate(qid, self.dataset)
        st = self.stats[(self.dataset, qid)]
        st[0] += 1
        if u < rate:
            st[1] += 1
            if out is not None:
                out.append(qid)
            return True
        return False

    def pick(self, r: random.Random, qids: list[str], out: list[str] | None = None) -> str | None:
        """Mutually exclusive quirks: one uniform draw partitioned by the rates, so each
        quirk's observed rate equals its configured rate (given sum(rates) <= 1)."""
        u = r.random()
        acc = 0.0
        chosen = None
        for qid in qids:
            rate = self.profile.rate(qid, self.dataset)
            st = self.stats[(self.dataset, qid)]
            st[0] += 1
            if chosen is None and acc <= u < acc + rate:
                chosen = qid
                st[1] += 1
            acc += rate
        if chosen is not None and out is not None:
            out.append(chosen)
        return chosen


ROW_COLS = [
    "dataset",
    "delivery",
    "delivery_id",
    "record_number",
    "record_key",
    "gxsj",
    "expected",
    "reasons",
    "warnings",
    "quirks",
    "effective",
]
MENTION_COLS = [
    "dataset",
    "delivery",
    "delivery_id",
    "record_number",
    "record_key",
    "gxsj",
    "role",
    "entity_type",
    "entity_id",
    "quirks",
]
DELIVERY_COLS = [
    "delivery_id",
    "channel",
    "path",
    "dataset_group",
    "data_date",
    "delivered_at",
    "kind",
    "complete",
    "sha256",
    "bytes",
    "encoding",
    "supersedes",
    "stored_copy",
]


class Truth:
    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.mentions: list[tuple] = []
        self.deliveries: list[dict] = []
        self.stats: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        self._spans: dict[int, tuple[int, int, int, int]] = {}
        self._open: dict[int, tuple[int, int]] = {}

    # ---- deliveries -------------------------------------------------------------------------
    def new_delivery(self, **kw) -> int:
        did = len(self.deliveries) + 1
        d = {c: None for c in DELIVERY_COLS}
        d.update(kw)
        d["delivery_id"] = did
        self.deliveries.append(d)
        self._open[did] = (len(self.rows), len(self.mentions))
        return did

    def close_delivery(self, did: int) -> None:
        r0, m0 = self._open.pop(did)
        self._spans[did] = (r0, len(self.rows), m0, len(self.mentions))

    def clone_delivery(self, src: int, dst: int, extra_quirk: str, effective: bool) -> None:
        """Copy the rows/mentions of delivery src as rows of delivery dst (a re-drop)."""
        r0, r1, m0, m1 = self._spans[src]
        path = self.deliveries[dst - 1]["path"]
        self._open[dst] = (len(self.rows), len(self.mentions))
        for row in self.rows[r0:r1]:
            row = list(row)
            row[1], row[2] = path, dst
            row[9] = (*row[9], extra_quirk)
            row[10] = effective
            self.rows.append(tuple(row))
        for m in self.mentions[m0:m1]:
            m = list(m)
            m[1], m[2] = path, dst
            self.mentions.append(tuple(m))
        self.close_delivery(dst)

    def mark_delivery(self, did: int, quirk: str, effective: bool) -> None:
        r0, r1, _, _ = self._spans[did]
        for i in range(r0, r1):
            row = list(self.rows[i])
            row[9] = (*row[9], quirk)
            row[10] = effective
            self.rows[i] = tuple(row)

    # ---- records --------------------------------------------------------------------------------
    def add(
        self,
        dataset: str,
        delivery: str,
        delivery_id: int | None,
        record_number: int | None,
        record_key: str | None,
        gxsj: str | None,
        quirks: list[str],
        mentions: list[tuple[str, str, str, list[str]]],
    ) -> None:
        allq = list(quirks)
        for m in mentions:
            allq.extend(m[3])
        expected, reasons, warnings = outcome_of(allq)
        self.rows.append(
            (
                dataset,
                delivery,
                delivery_id,
                record_number,
                record_key,
                gxsj,
                expected,
                tuple(reasons),
                tuple(warnings),
                tuple(allq),
                True,
            )
        )
        for role, etype, eid, mq in mentions:
            self.mentions.append(
                (dataset, delivery, delivery_id, record_number, record_key, gxsj, role, etype, eid, tuple(mq))
            )

    # ---- output -----------------------------------------------------------------------------------
    def write(self, truth_dir: Path) -> dict[str, Path]:
        truth_dir.mkdir(parents=True, exist_ok=True)
        out: dict[str, Path] = {}

        def table(rows: list[tuple], cols: list[str], types: dict[str, pa.DataType]) -> pa.Table:
            arrays = []
            columns = list(zip(*rows, strict=True)) if rows else [() for _ in cols]
            for c, vals in zip(cols, columns, strict=True):
                arrays.append(pa.array(list(vals), type=types.get(c, pa.string())))
            return pa.table(arrays, names=cols)

        lst = pa.list_(pa.string())
        row_types = {
            "delivery_id": pa.int64(),
            "record_number": pa.int64(),
            "reasons": lst,
            "warnings": lst,
            "quirks": lst,
            "effective": pa.bool_(),
        }
        p = truth_dir / "rows.parquet"
        pq.write_table(table(self.rows, ROW_COLS, row_types), p)
        out["rows"] = p
        p = truth_dir / "mentions.parquet"
        pq.write_table(
            table(
                self.mentions,
                MENTION_COLS,
                {"delivery_id": pa.int64(), "record_number": pa.int64(), "quirks": lst},
            ),
            p,
        )
        out["mentions"] = p
        drows = [tuple(d[c] for c in DELIVERY_COLS) for d in self.deliveries]
        p = truth_dir / "deliveries.parquet"
        pq.write_table(
            table(
                drows,
                DELIVERY_COLS,
                {
                    "delivery_id": pa.int64(),
                    "delivered_at": pa.timestamp("s"),
                    "complete": pa.bool_(),
                    "bytes": pa.int64(),
                    "supersedes": pa.int64(),
                },
            ),
            p,
        )
        out["deliveries"] = p
        srows = sorted((k[0], k[1], v[0], v[1]) for k, v in self.stats.items())
        p = truth_dir / "quirk_stats.parquet"
        pq.write_table(
            pa.table(
                {
                    "dataset": [s[0] for s in srows],
                    "quirk": [s[1] for s in srows],
                    "eligible": pa.array([s[2] for s in srows], pa.int64()),
                    "applied": pa.array([s[3] for s in srows], pa.int64()),
                }
            ),
            p,
        )
        out["quirk_stats"] = p
        return out


def fmt_dt(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")
