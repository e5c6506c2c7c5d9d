"""Resolution accuracy from the *_xref marts against the simulator's ground truth (issue 6 targets).

Runs on the shared workspace (realistic profile, scale 1, two days; SDC_MODEL_TEST_SCALE overrides the
scale); bench/bench_resolution.py measures other scales and the runtime.
"""

from entity_resolution import evaluation


def test_enterprise_resolution_precision_and_recall(built, lake):
    score = evaluation.score(lake, built.truth, "enterprise")
    print("enterprise", score)
    assert score.mentions > 1000
    assert score.precision >= 0.99, score
    assert score.recall >= 0.97, score


def test_no_branch_is_merged_with_its_head_office(built, lake):
    assert evaluation.branches_merged_with_head_office(lake, built.truth) == 0


def test_vehicle_resolution_precision_and_recall(built, lake):
    score = evaluation.score(lake, built.truth, "vehicle")
    print("vehicle", score)
    assert score.mentions > 1000
    assert score.precision >= 0.99, score
    assert score.recall >= 0.99, score


def test_crane_resolution_precision_and_recall(built, lake):
    cranes = evaluation.crane_score(lake, built.truth)
    linkable = evaluation.crane_score(lake, built.truth, linkable_only=True)
    everything = evaluation.score(lake, built.truth, "equipment")
    print("cranes", cranes, "linkable from accepted rows", linkable, "all equipment", everything)
    assert linkable.precision >= 0.999 and linkable.recall >= 0.999, linkable
    assert cranes.mentions > 100
    assert cranes.precision >= 0.99, cranes
    assert cranes.recall >= 0.99, cranes
    assert everything.precision >= 0.99 and everything.recall >= 0.99, everything


def test_every_mention_in_an_xref_has_one_entity(lake):
    for table, column in (
        ("enterprise_xref", "enterprise_id"),
        ("vehicle_xref", "vehicle_id"),
        ("equipment_xref", "equipment_id"),
    ):
        rows, ids, nulls = lake.execute(
            f"SELECT count(*), count(DISTINCT mention_id), count(*) - count({column}) FROM lake.marts.{table}"
        ).fetchone()
        assert rows == ids and nulls == 0, table
