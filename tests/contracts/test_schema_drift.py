"""Schema drift of a load (data_contracts.validation.schema_drift): a required column empty in every row of a
load is a changed export only when the load is large enough that so many empty values cannot be chance (the
reject-ratio tolerance); a one-record hourly file whose record left the value out is that record's problem."""

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from data_contracts.contract import load_contract
from data_contracts.tolerance import reject_ratio_trips
from data_contracts.validation import schema_drift

CONTRACT = load_contract("construction.project")
REQUIRED = next(c.source_name for c in CONTRACT.columns if c.required and not c.primary_key)


def load_of(rows: int, empty: str | None = None, load_id: str = "L1") -> pd.DataFrame:
    data = {c.source_name: ["x"] * rows for c in CONTRACT.columns}
    if empty:
        data[empty] = [None] * rows
    return pd.DataFrame({**data, "_load_id": [load_id] * rows})


@given(rows=st.integers(1, 200))
def test_a_required_column_empty_in_every_row_is_drift_only_beyond_chance(rows):
    missing = schema_drift(load_of(rows, empty=REQUIRED), CONTRACT)["L1"]["missing"]
    assert (REQUIRED in missing) == reject_ratio_trips(rows, rows, CONTRACT.reject_ratio_threshold)


def test_one_record_without_its_name_is_not_a_changed_export_but_forty_are():
    assert schema_drift(load_of(1, empty=REQUIRED), CONTRACT)["L1"]["missing"] == []
    assert schema_drift(load_of(40, empty=REQUIRED), CONTRACT)["L1"]["missing"] == [REQUIRED]


def test_a_column_absent_from_the_delivery_is_drift_at_any_size():
    raw = load_of(1).drop(columns=[REQUIRED])
    assert schema_drift(raw, CONTRACT)["L1"]["missing"] == [REQUIRED]


def test_each_load_is_judged_on_its_own_rows():
    raw = pd.concat([load_of(1, empty=REQUIRED, load_id="small"), load_of(50, empty=REQUIRED, load_id="big")])
    drift = schema_drift(raw, CONTRACT)
    assert drift["small"]["missing"] == [] and drift["big"]["missing"] == [REQUIRED]
