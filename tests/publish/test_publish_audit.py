"""Write–audit–publish on a real DuckLake: the audit refuses unclassified columns and anything the masked
view would leak, readers stay on the last good publish, and retention expires old publishes."""

import os

import pytest

from sdc_settings import load_settings
from warehouse.lake import lake_connection
from warehouse.masking import UnclassifiedColumns, find_leaks
from warehouse.publish import MaskingLeak, expire_publishes, publish, publish_history
from warehouse.reader import PublishNotFound, open_published

PEOPLE = {
    "waybill_no": "public", "driver_name": "pii.person_name", "driver_id_no": "pii.id_number",
    "driver_phone": "pii.phone", "listed_id_no": "pii.id_number_masked", "note": "public",
}  # fmt: skip


def classifier(tables):
    plans = {"people": PEOPLE, "towns": {"town": "public", "n": "public"}}
    missing = [f"{t}.{c}" for t, cols in tables.items() for c in cols if c not in plans.get(t, {})]
    if missing:
        raise UnclassifiedColumns(", ".join(missing))
    return {t: {c: plans[t][c] for c in cols} for t, cols in tables.items()}


def build_marts(con, drivers: int) -> None:
    con.execute(
        "CREATE OR REPLACE TABLE lake.marts.people AS SELECT 'WB' || i AS waybill_no, '王小' || i AS driver_name, "
        "'320585198503071233' AS driver_id_no, '138' || lpad(i::VARCHAR, 8, '0') AS driver_phone, "
        "'320585********1233' AS listed_id_no, '押运员另行登记' AS note FROM range(?) r(i)",
        [drivers],
    )
    con.execute("CREATE OR REPLACE TABLE lake.marts.towns AS SELECT '城厢镇' AS town, ? AS n", [drivers])


def scan_every_published_table(session) -> list:
    leaks = []
    for view in session.views:
        cols = [r[0] for r in session.execute(f'DESCRIBE "{view}"').fetchall()]
        leaks += find_leaks(session.connection, view, f'SELECT * FROM main."{view}"', cols)
    return leaks


@pytest.fixture
def settings(workspace):
    return load_settings(os.environ)


def test_masked_view_shows_no_id_or_phone_number_while_the_full_view_does(settings):
    with lake_connection(settings) as con:
        build_marts(con, 5)
        entry = publish(con, classifier)
    assert entry.row_counts == {"people": 5, "towns": 1}
    with open_published(settings) as masked:
        assert scan_every_published_table(masked) == []
        row = masked.execute("SELECT driver_name, driver_id_no, driver_phone, listed_id_no FROM people").fetchone()
        assert row == ("王**", "320585********1233", "138****0000", "320585********1233")
    with open_published(settings, audience="full") as full:
        kinds = {(x.column, x.kind) for x in scan_every_published_table(full)}
        assert kinds == {("driver_id_no", "id_number"), ("driver_phone", "phone")}


def test_a_publish_that_would_leak_is_refused_and_readers_keep_the_last_good_one(settings):
    with lake_connection(settings) as con:
        build_marts(con, 3)
        publish(con, classifier)
        build_marts(con, 8)
        con.execute("UPDATE lake.marts.people SET note = '司机身份证 320585198503071233' WHERE waybill_no = 'WB1'")
        with pytest.raises(MaskingLeak, match=r"people\.note: unmasked id_number"):
            publish(con, classifier)
        con.execute("ALTER TABLE lake.marts.towns ADD COLUMN mayor VARCHAR")
        with pytest.raises(UnclassifiedColumns, match=r"towns\.mayor"):
            publish(con, classifier)
    assert [e.publish_id for e in publish_history(settings)] == [1]
    with open_published(settings) as session:
        assert session.execute("SELECT count(*) FROM people").fetchone()[0] == 3
        assert session.execute("SELECT n FROM towns").fetchone()[0] == 3


def test_the_audit_reads_what_no_audit_under_the_same_rules_read(settings, monkeypatch):
    """An appended mart (an incremental model) is scanned for the rows written since its last audit; a mart
    rebuilt, reclassified, or audited under other masking rules, whole."""
    from warehouse import publish as publishing

    scanned: dict[str, int] = {}

    def counting(con, table, relation_sql, columns):
        scanned[table] = con.execute(f"SELECT count(*) FROM ({relation_sql})").fetchone()[0]
        return find_leaks(con, table, relation_sql, columns)

    monkeypatch.setattr(publishing, "find_leaks", counting)
    appended = (
        "INSERT INTO lake.marts.people SELECT 'WB' || i, '王小' || i, '320585198503071233', "
        "'138' || lpad(i::VARCHAR, 8, '0'), '320585********1233', ? FROM range(100, 100 + ?) r(i)"
    )
    with lake_connection(settings) as con:
        build_marts(con, 5)
        publish(con, classifier)
        assert scanned == {"people": 5, "towns": 1}
        con.execute(appended, ["押运员另行登记", 2])
        con.execute("CREATE OR REPLACE TABLE lake.marts.towns AS SELECT '城厢镇' AS town, 7 AS n")
        publish(con, classifier)
        assert scanned == {"people": 2, "towns": 1}
        con.execute(appended, ["司机身份证 320585198503071233", 1])
        with pytest.raises(MaskingLeak, match=r"people\.note: unmasked id_number"):
            publish(con, classifier)
        con.execute("DELETE FROM lake.marts.people WHERE note LIKE '司机%'")
        publish(con, classifier)
        assert scanned["people"] == 0
        monkeypatch.setattr(publishing, "MASKING_RULES", "changed")
        publish(con, classifier)
        assert scanned["people"] == 7
        publish(con, lambda tables: {**classifier(tables), "people": {**PEOPLE, "note": "internal"}})
        assert scanned["people"] == 7


def test_retention_keeps_the_newest_publishes_queryable_and_expires_the_rest(settings):
    with lake_connection(settings) as con:
        for drivers in (1, 2, 3, 4):
            build_marts(con, drivers)
            publish(con, classifier)
        result = expire_publishes(con, keep=2)
        assert result.publishes == [1, 2]
        snapshots = {r[0] for r in con.execute("SELECT snapshot_id FROM lake.snapshots()").fetchall()}
    history = publish_history(settings)
    assert [(e.publish_id, e.expired) for e in history] == [(1, True), (2, True), (3, False), (4, False)]
    assert set(result.snapshots).isdisjoint(snapshots)
    assert {e.snapshot_id for e in history[2:]} <= snapshots
    for publish_id, drivers in ((3, 3), (4, 4)):
        with open_published(settings, publish_id) as session:
            assert session.execute("SELECT count(*) FROM people").fetchone()[0] == drivers
    with pytest.raises(PublishNotFound, match="expired"):
        open_published(settings, 1)
