"""The entity_resolution package on small hand-made inputs: normalisation, cannot-link clustering,
review decisions, stable ids, and the trained Splink model (no workspace needed)."""

import hashlib

import duckdb
import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import given, settings

from data_contracts.normalise import clean_identifier
from entity_resolution import enterprises, normalise
from entity_resolution.clustering import ConstrainedClusters
from entity_resolution.ids import IdChange, assign_claimed_ids, carry_over, id_changes, mint
from entity_resolution.metrics import pairwise


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("太仓市恒泰化工有限公司", "恒泰化工有限公司"),
        ("太仓恒泰化工有限责任公司", "恒泰化工有限公司"),
        ("江苏省太仓市恒泰化工有限公司\u3000", "恒泰化工有限公司"),
        ("太倉市恆泰化工有限公司", "恒泰化工有限公司"),
        ("涛祥(太仓)危险品运输有限公司", "涛祥（太仓）危险品运输有限公司"),
        ("太仓市恒泰化工有限公司储运分公司", "恒泰化工有限公司储运分公司"),
    ],
)
def test_name_key(name, key):
    assert normalise.name_key(name) == key


def test_branch_keeps_its_key_and_flag():
    assert normalise.is_branch_name("太仓市恒泰化工有限公司储运分公司")
    assert not normalise.is_branch_name("太仓市恒泰化工有限公司")
    assert normalise.name_key("恒泰化工有限公司储运分公司") != normalise.name_key("恒泰化工有限公司")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("91350100M000100Y43", "uscc"),
        ("91320585138294750m", "uscc"),
        ("９１３２０５８５１３８２９４７５０Ｍ", "uscc"),
        ("91350203M0001QAY9B", "uscc_invalid"),
        ("13829475-0", "org_code"),
        ("320585000123453", "reg_no15"),
        ("320585000123454", "unknown"),
        ("", None),
    ],
)
def test_identifier_kind(value, kind):
    assert normalise.identifier_kind(clean_identifier(value)) == kind


def test_org_code_inside_a_uscc():
    assert normalise.org_code_of("91320585138294750M") == normalise.org_code_of("138294750") == "138294750"


def test_cannot_link_refuses_two_usccs_and_branch_with_head_office():
    clusters = ConstrainedClusters(["a", "b", "c", "d"], usccs={"a": "U1", "b": "U2"}, branch={"d": True, "a": False})
    assert clusters.union("c", "a") is None
    assert clusters.union("c", "b") == "different_uscc"
    assert clusters.union("d", "c") == "branch_and_head_office"
    clusters.add_cannot_link("b", "d")
    assert clusters.union("b", "d") == "review_cannot_link"


def test_ids_survive_growth_and_unrelated_data():
    first = assign_claimed_ids(["x", "y"], {"x": "U1", "y": "m3"}, [], "ENT-")
    # x's two mentions and y's one, with the ids they carried, are now in clusters p and q; r is new
    claims = [("p", first["x"], 2), ("q", first["y"], 1)]
    later = assign_claimed_ids(["p", "q", "r"], {"p": "U1", "q": "m3", "r": "m7"}, claims, "ENT-")
    assert later["p"] == first["x"] and later["q"] == first["y"]
    assert later["r"] not in {first["x"], first["y"]}


def test_the_biggest_claimant_keeps_an_id_two_clusters_claim():
    claims = [("small", "ENT-A", 1), ("big", "ENT-A", 3), ("small", "ENT-B", 1)]
    assert assign_claimed_ids(["small", "big"], {"small": "s", "big": "b"}, claims, "ENT-") == {
        "big": "ENT-A",
        "small": "ENT-B",
    }


def test_a_vehicle_keeps_its_id_when_its_key_moves_and_when_unrelated_vehicles_arrive():
    # day 1: a waybill's tractor without a plate colour; day 2: the platform lists the plate (colour 2), so the
    # waybill's key moves to the platform's, and an unrelated vehicle appears
    first = carry_over({"w1": "苏E1/?", "a1": "苏E9/1"}, {}, "VEH-")
    assert first == {"w1": mint("VEH-", "苏E1/?"), "a1": mint("VEH-", "苏E9/1")}  # a fresh build mints from the key
    later = carry_over({"w1": "苏E1/2", "v1": "苏E1/2", "a1": "苏E9/1", "v2": "苏E7/2"}, first, "VEH-")
    assert later["w1"] == later["v1"] == first["w1"] and later["a1"] == first["a1"]
    assert later["v2"] not in first.values()
    assert id_changes(first, later) == []


def test_merges_and_splits_move_ids_and_are_recorded():
    previous = {"m1": "EQ-A", "m2": "EQ-A", "m3": "EQ-B", "m4": "EQ-C", "m5": "EQ-C", "m6": "EQ-C"}
    # m1-m3 now share a machine key (merge: the bigger claimant keeps its id); m6 leaves m4, m5 (split)
    current = carry_over({"m1": "EC:1", "m2": "EC:1", "m3": "EC:1", "m4": "EC:2", "m5": "EC:2", "m6": "SN:6"},
                         previous, "EQ-")  # fmt: skip
    assert current["m1"] == current["m3"] == "EQ-A" and current["m4"] == "EQ-C"
    assert current["m6"] == mint("EQ-", "SN:6")
    assert id_changes(previous, current) == [
        IdChange("EQ-B", "EQ-A", "merged", 1),
        IdChange("EQ-C", current["m6"], "split", 1),
    ]
    assert id_changes(previous, {"m1": "EQ-A"}) == []  # mentions gone with their records move nothing


def _mention(mid, name, identifier=None, town=None):
    identifier = clean_identifier(identifier)  # as validation stores it
    kind = normalise.identifier_kind(identifier)
    return {
        "mention_id": mid, "dataset": "d", "record_id": mid, "role": "r", "name": name,
        "identifier": identifier, "identifier_kind": kind,
        "uscc": identifier if kind == "uscc" else None,
        "org_code": normalise.org_code_of(identifier), "reg_no15": identifier if kind == "reg_no15" else None,
        "name_key": normalise.name_key(name), "name_core": normalise.name_core(name),
        "is_branch": normalise.is_branch_name(name), "town": town,
    }  # fmt: skip


MENTIONS = pd.DataFrame(
    [
        _mention("a1", "太仓市恒泰化工有限公司", "91320585138294750M"),
        _mention("a2", "恒泰化工有限公司", None),  # name only: joins the one enterprise with that key
        _mention("a3", "太仓市恒泰化工有限公司", "13829475-0"),  # organisation code inside the USCC
        _mention("a4", "太仓市恒泰精细化工有限公司", "91320585138294750M"),  # renamed, same USCC
        _mention("b1", "太仓市恒泰化工有限公司储运分公司", "91320585MA1Q2R3T3E"),  # branch: never the head office
        _mention("c1", "太仓市创辉物业管理有限公司", "913205852475010854", "高新区"),
        _mention("c2", "太仓市创辉物业管理有限责任公司", "91320585MAFADQER5J", "浮桥镇"),  # different company, same key
        _mention("c3", "创辉物业管理有限公司", None),  # ambiguous between c1 and c2: review, not merged
        _mention("c4", "太仓市创辉物业管理有限公司", None, "浮桥镇"),  # name key + town: c2
    ]
)
TRUTH = {"a1": "A", "a2": "A", "a3": "A", "a4": "A", "b1": "B", "c1": "C1", "c2": "C2", "c3": "?", "c4": "C2"}


# Texts no delivery of the simulator holds: empty next to missing, astral-plane and combining characters, the
# profile key's own separator inside a value.
_TEXT = st.one_of(st.none(), st.just(""), st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT, _TEXT), min_size=1, max_size=6))
def test_a_profile_is_its_name_key_identifier_and_town_with_the_id_it_always_had(keys):
    """Ladder step 1 (domain_dictionary §8.1; docs/entity_resolution.md): mentions with identical name key,
    identifier and town are one profile. Built in DuckDB, its id must stay the one every earlier run computed in
    Python (the first 16 hex digits of the SHA-1 of the three joined by U+001F, a missing one as ""), or every
    mention map row would be rewritten."""
    mentions = pd.DataFrame(
        [{**_mention(f"m{i}", "x"), "name_key": n, "identifier": d, "town": t} for i, (n, d, t) in enumerate(keys)]
    )
    with duckdb.connect() as con:
        con.register("mentions", mentions)
        profiles = enterprises.build_profiles(con, "mentions")
        profile_of = dict(con.execute("SELECT mention_id, profile_id FROM mention_profiles").fetchall())

    def python_id(*values):
        key = "\x1f".join("" if v is None else v for v in values)
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]

    assert profile_of == {f"m{i}": python_id(*k) for i, k in enumerate(keys)}
    assert sorted(profiles["profile_id"]) == sorted({python_id(*k) for k in keys})
    assert profiles["mention_count"].sum() == len(keys)


def test_enterprise_ladder_on_the_dictionary_examples():
    resolved, result = enterprises.resolve(MENTIONS)
    ids = dict(zip(resolved["mention_id"], resolved["enterprise_id"], strict=True))
    assert ids["a1"] == ids["a2"] == ids["a3"] == ids["a4"]
    assert ids["b1"] != ids["a1"]
    assert ids["c1"] != ids["c2"] and ids["c4"] == ids["c2"]
    assert ids["c3"] not in (ids["c1"], ids["c2"])
    queued = set(result.review_queue["mention_id_l"]) | set(result.review_queue["mention_id_r"])
    assert "c3" in queued
    score = pairwise((ids[m], TRUTH[m]) for m in TRUTH if TRUTH[m] != "?")
    assert score.precision == 1.0 and score.recall == 1.0


def test_review_decisions_are_applied_on_the_next_run():
    first, _ = enterprises.resolve(MENTIONS)
    decisions = pd.DataFrame(
        [{"mention_id_l": "c3", "mention_id_r": "c1", "decision": "must_link"},
         {"mention_id_l": "a2", "mention_id_r": "a1", "decision": "cannot_link"}]
    )  # fmt: skip
    previous = first[["mention_id", "enterprise_id"]]
    second, _ = enterprises.resolve(MENTIONS, decisions=decisions, previous_ids=previous)
    ids = dict(zip(second["mention_id"], second["enterprise_id"], strict=True))
    before = dict(zip(first["mention_id"], first["enterprise_id"], strict=True))
    assert ids["c3"] == ids["c1"]
    assert ids["a2"] != ids["a1"]
    assert ids["a1"] == before["a1"] and ids["c2"] == before["c2"]  # untouched entities keep their ids
