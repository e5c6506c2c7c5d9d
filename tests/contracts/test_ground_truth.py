"""On the simulator's realistic profile, validation quarantines exactly the rows the ground truth says must be
quarantined, for the stated reasons, and flags exactly the stated warnings.

The simulator's truth lists the quirks it applied. In four situations the delivered values say something
else (reported to the simulator's owner); `delivered_truth` adjusts the truth for exactly these, by
looking at the delivered values with the scalar parsers (the specification), never at the validator:
1. `reg_code_format` on a row whose 注册代码 was then blanked (`required_missing` overwrote the damage);
2. `date_in_future` on a version whose shifted date is still before delivery (old versions pre-dating the
   window), which the delivered value does not show;
3. a date moved into the future that now lies after the row's end date: the delivered row also breaks
   `end_before_start`;
4. `end_before_start` where one side was then written as a date only on the same day: the delivered values
   no longer show the end before the start.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from delivered import API_DATASETS, raw_frame

from data_contracts.contract import load_contract
from data_contracts.parsing import clean_text, parse_date, parse_datetime
from data_contracts.validation import validate_batch
from simulator import DATASETS, simulate

API_KEYS = {"transport.vehicle": "clid", "transport.alarm": "bjid", "credit.dishonest_entry": "id"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim")
    summary = simulate(root / "landing", root / "world", days=2, scale=0.25, seed=11, profile="realistic")
    truth = pd.read_parquet(summary.truth_files["rows"])
    return root / "landing", root / "world", truth


def _instant(text: str | None, column) -> datetime | None:
    """The delivered value as a UTC instant (scalar parsers), or None."""
    text = clean_text(text)
    if text is None:
        return None
    if column.logical_type == "date":
        d = parse_date(text)
        return None if d is None else datetime(d.year, d.month, d.day, tzinfo=UTC) - timedelta(hours=8)
    t = parse_datetime(text)
    if t is None or t.tzinfo:
        return t
    return t.replace(tzinfo=UTC) - (timedelta(0) if column.timezone == "UTC" else timedelta(hours=8))


def delivered_truth(
    dataset: str, reasons: tuple[str, ...], warnings: tuple[str, ...], row: dict, now: datetime
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The truth's (reasons, warnings) adjusted to what the delivered values show; an adjusted rule stays
    on the side (quarantine reason or warning) the truth put its quirk."""
    contract = load_contract(dataset)
    flags = {"reasons": set(reasons), "warnings": set(warnings)}
    value = {c.name: row.get(c.source_name) for c in contract.columns}
    if "reg_code_format" in flags["reasons"] and clean_text(value.get("reg_code")) is None:
        flags["reasons"].discard("reg_code_format")  # 1
    futures = [r.column for r in contract.rules if r.argument == "not_in_future"]
    shifted = [_instant(value[c], contract.column(c)) for c in futures]
    for side in flags.values():
        if "date_in_future" in side and not any(t is not None and t > now for t in shifted):
            side.discard("date_in_future")  # 2
    for rule in (r for r in contract.rules if r.argument == "end_not_before_start"):
        start_col, end_col = rule.args["start"], rule.column
        start, end = (
            _instant(value[start_col], contract.column(start_col)),
            _instant(value[end_col], contract.column(end_col)),
        )
        if start is None or end is None:
            continue
        precise = all(
            contract.column(c).logical_type == "timestamp" and ":" in (clean_text(value[c]) or "")
            for c in (start_col, end_col)
        )
        beijing = timedelta(hours=8)
        shows_end_before_start = end < start if precise else (end + beijing).date() < (start + beijing).date()
        for side in flags.values():
            if "date_in_future" in side and start_col in futures and shows_end_before_start:
                side.add("end_before_start")  # 3
            if "end_before_start" in side and not shows_end_before_start:
                side.discard("end_before_start")  # 4
    return tuple(sorted(flags["reasons"])), tuple(sorted(flags["warnings"]))


@pytest.mark.parametrize("dataset", DATASETS)
def test_quarantine_matches_ground_truth(world, dataset):
    landing, world_dir, truth = world
    raw = raw_frame(landing, world_dir, dataset)
    now = datetime.now(UTC)
    result = validate_batch(raw, load_contract(dataset), now=now)
    truth = truth[(truth.dataset == dataset) & truth.effective & (truth.expected != "reader_reject")]
    assert len(raw) == len(truth), "every record the truth lists reaches validation"
    assert len(result.accepted) + len(result.quarantined) == len(raw)

    rows = {(r["_source_file"], r["_record_number"]): r for r in raw.to_dict("records")}
    got: Counter = Counter()
    q = result.quarantined
    for file, number, reasons, warnings in zip(
        q["_source_file"], q["_record_number"], q["reasons"], q["warnings"], strict=True
    ):
        got[_key(dataset, rows[(file, number)]), tuple(reasons), _rule_ids(warnings)] += 1
    a = result.accepted
    for file, number, warnings in zip(a["_source_file"], a["_record_number"], a["_warnings"], strict=True):
        got[_key(dataset, rows[(file, number)]), (), _rule_ids(warnings)] += 1

    by_api_key = {_key(dataset, r): r for r in rows.values()}
    expected: Counter = Counter()
    corrected = 0
    for t in truth.itertuples():
        # API records have no record number: (id, gxsj) as delivered
        api = dataset in API_DATASETS
        row = by_api_key[(t.record_key or "", t.gxsj)] if api else rows[(t.delivery, t.record_number)]
        stated = tuple(sorted(t.reasons)), tuple(sorted(t.warnings))
        adjusted = delivered_truth(dataset, *stated, row, now)
        corrected += adjusted != stated
        expected[_key(dataset, row), *adjusted] += 1
    assert got == expected
    assert corrected <= max(3, 0.01 * len(truth)), "the truth adjustments stay rare"
    if dataset in ("hazchem.enterprise", "hazchem.waybill", "transport.alarm", "special_equipment.equipment"):
        assert len(result.quarantined) > 0, "the realistic profile quarantines some rows of this dataset"


def _rule_ids(flags) -> tuple[str, ...]:
    """`_warnings` name rule and field (`uscc_check:carrier_uscc`); the truth names the rule."""
    return tuple(sorted(flag.split(":", 1)[0] for flag in flags))


def _key(dataset: str, row: dict) -> tuple:
    if dataset in API_DATASETS:
        return (row.get(API_KEYS[dataset]) or "", row.get("gxsj"))
    return (row["_source_file"], row["_record_number"])
