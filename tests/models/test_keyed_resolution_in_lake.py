"""entity_resolution.lake.resolve_keyed_in_lake on a real DuckLake against the rule it implements
(`ids.carry_over`, `ids.id_changes`): the same ids and the same recorded changes, run after run, for any
mentions, keys and history; and the map written as a change, not rewritten."""

from __future__ import annotations

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from entity_resolution import ids
from entity_resolution.lake import KEYED_ENTITIES, resolve_keyed_in_lake
from sdc_settings import load_settings
from warehouse.lake import current_snapshot, lake_connection, table_exists

MODEL, KEY, PREFIX = KEYED_ENTITIES["vehicle"]
MAP = "lake.resolution.vehicle_mention_map"

# a run's mentions: mention -> key, from a few mentions and keys so that keys merge, split and move
runs = st.lists(
    st.dictionaries(
        st.sampled_from([f"m{i}" for i in range(12)]), st.sampled_from(["苏E1/2", "苏E1/?", "K2", "K3", "K4"])
    ),
    min_size=1,
    max_size=4,
)


def _model(con, keys: dict[str, str]) -> None:
    mentions = pd.DataFrame({"mention_id": list(keys), KEY: list(keys.values())}, dtype="string")  # noqa: F841
    con.execute(f"CREATE OR REPLACE TABLE {MODEL} AS SELECT * FROM mentions")


def _mapped(con) -> dict[str, str]:
    return dict(con.execute(f"SELECT mention_id, vehicle_id FROM {MAP}").fetchall())


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    with lake_connection(
        load_settings({"SDC_HOME": str(tmp_path_factory.mktemp("keyed") / "ws"), "SDC_ENV": "ci"})
    ) as con:
        yield con


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=runs)
def test_the_lake_gives_the_ids_and_changes_the_rule_gives(lake, history):
    if table_exists(lake, "resolution", "vehicle_mention_map"):  # a fresh history: no ids from another example
        lake.execute(f"DELETE FROM {MAP}")
    expected: dict[str, str] = {}
    for keys in history:
        _model(lake, keys)
        previous, expected = expected, ids.carry_over(keys, expected, PREFIX)
        stats = resolve_keyed_in_lake(lake, "vehicle")
        assert _mapped(lake) == expected
        assert dict(lake.execute(f"SELECT mention_id, {KEY} FROM {MAP}").fetchall()) == keys
        assert stats["mentions"] == len(keys) and stats["vehicles"] == len(set(expected.values()))
        if changes := ids.id_changes(previous, expected):
            newest = (
                "SELECT old_id, new_id, reason, mention_count FROM lake.resolution.id_changes "
                "WHERE changed_at = (SELECT max(changed_at) FROM lake.resolution.id_changes) ORDER BY ALL"
            )
            assert [ids.IdChange(*r) for r in lake.execute(newest).fetchall()] == changes


def test_a_run_with_nothing_new_writes_nothing_and_a_moved_key_rewrites_only_its_mentions(tmp_path):
    with lake_connection(load_settings({"SDC_HOME": str(tmp_path / "ws"), "SDC_ENV": "ci"})) as con:
        _model(con, {"w1": "苏E1/?", "a1": "苏E9/1", "a2": "苏E9/1"})
        resolve_keyed_in_lake(con, "vehicle")
        first = dict(con.execute(f"SELECT mention_id, resolved_at FROM {MAP}").fetchall())
        before = current_snapshot(con)
        resolve_keyed_in_lake(con, "vehicle")  # nothing new: no lake write at all
        assert current_snapshot(con) == before
        assert dict(con.execute(f"SELECT mention_id, resolved_at FROM {MAP}").fetchall()) == first
        _model(con, {"w1": "苏E1/2", "v1": "苏E1/2", "a1": "苏E9/1", "a2": "苏E9/1"})  # w1's colour learnt
        resolve_keyed_in_lake(con, "vehicle")
        later = dict(con.execute(f"SELECT mention_id, resolved_at FROM {MAP}").fetchall())
        assert later["a1"] == first["a1"] and later["a2"] == first["a2"]  # untouched rows keep their time
        assert later["w1"] > first["w1"]
        ids_now = _mapped(con)
        assert ids_now["w1"] == ids_now["v1"] != ids_now["a1"]
