"""Review decisions stored in the lake change the next resolution; dbt docs generate works offline."""

import json
import os
import subprocess
import sys
from pathlib import Path

from entity_resolution.lake import record_decision, resolve_in_lake


def _map(con) -> dict[str, str]:
    return dict(con.execute("SELECT mention_id, enterprise_id FROM lake.resolution.enterprise_mention_map").fetchall())


def test_review_queue_decision_is_applied_and_ids_are_stable(on_workspace):
    from sdc_settings import load_settings
    from warehouse.lake import lake_connection

    with lake_connection(load_settings(os.environ)) as con:
        before = _map(con)
        pair = con.execute(
            "SELECT mention_id_l, mention_id_r FROM lake.resolution.enterprise_review_queue "
            "WHERE enterprise_id_l <> enterprise_id_r AND reason IN ('uncertain', 'ambiguous') "
            "ORDER BY match_probability DESC, pair_id LIMIT 1"
        ).fetchone()
        assert pair, "the review queue is empty"
        try:
            record_decision(con, pair[0], pair[1], "must_link", decided_by="test")
            resolve_in_lake(con)
            after = _map(con)
            assert after[pair[0]] == after[pair[1]]
            unrelated = [m for m in before if before[m] not in (before[pair[0]], before[pair[1]])]
            assert all(after[m] == before[m] for m in unrelated)  # nobody else's id moved
        finally:
            con.execute("DELETE FROM lake.resolution.enterprise_review_decisions WHERE decided_by = 'test'")
            resolve_in_lake(con)
        assert _map(con) == before


def test_dbt_docs_generate_offline(on_workspace, tmp_path):
    from pipelines.defs.dbt.project import DBT_PROJECT_DIR, dbt_docs_args, dbt_environment
    from sdc_settings import load_settings

    env = {**dbt_environment(load_settings(os.environ)), "DBT_TARGET_PATH": str(tmp_path)}
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run([str(dbt), *dbt_docs_args()], cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    catalog = json.loads((tmp_path / "catalog.json").read_text(encoding="utf-8"))
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert "model.taicang_sdc.enterprise_profile" in catalog["nodes"]
    for name in ("enterprise_profile", "cross_department_alerts", "duplicate_reporting", "enterprise_xref",
                 "vehicle_xref", "equipment_xref"):  # fmt: skip
        node = manifest["nodes"][f"model.taicang_sdc.{name}"]
        assert node["description"]
        assert all(c["description"] and "/" in c["description"] for c in node["columns"].values()), name
    assert os.path.getsize(tmp_path / "index.html") > 0


def test_review_cli_lists_pairs_and_records_verdicts(on_workspace):
    from typer.testing import CliRunner

    from sdc.cli import app
    from sdc_settings import load_settings
    from warehouse.lake import lake_connection

    listed = CliRunner().invoke(app, ["review", "list", "--reason", "uncertain", "--limit", "3"])
    assert listed.exit_code == 0, listed.output
    lines = [line.split() for line in listed.output.splitlines() if line.startswith("  ")]
    assert len(lines) == 6 and all(line[0].count("|") == 2 for line in lines)  # two mentions a pair: dataset|id|role
    left, right = lines[0][0], lines[1][0]

    unknown = CliRunner().invoke(app, ["review", "decide", left, "no-such-mention", "--different", "--by", "t"])
    assert unknown.exit_code == 2 and "no enterprise mention no-such-mention" in unknown.output

    try:
        done = CliRunner().invoke(app, ["review", "decide", left, right, "--different", "--by", "cli-test"])
        assert done.exit_code == 0 and "cannot_link" in done.output, done.output
        with lake_connection(load_settings(os.environ), read_only=True) as con:
            stored = con.execute(
                "SELECT mention_id_l, mention_id_r, decision FROM lake.resolution.enterprise_review_decisions "
                "WHERE decided_by = 'cli-test'"
            ).fetchall()
        assert stored == [(left, right, "cannot_link")]
    finally:
        with lake_connection(load_settings(os.environ)) as con:
            con.execute("DELETE FROM lake.resolution.enterprise_review_decisions WHERE decided_by = 'cli-test'")
