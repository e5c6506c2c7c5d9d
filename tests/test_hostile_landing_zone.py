"""Issue 17, end to end: three days of normal deliveries of all five systems, and beside them in the landing
zone the hostile entries a department account can create — a symlink to a file outside the zone named like
a waybill file, a hard link to it, a register whose header is someone's password file, a FIFO named like an
hourly alarm file, a directory named like a waybill file, a workbook that inflates a thousand-fold, random
bytes and a UTF-16 file. One `sdc run`: each hostile entry is one rejected ledger row with its reason and a
line in `sdc status`; nothing of the outside file reaches the lake or the archive; no raw schema gains a
column; every mart is published; the departments' good files load as on any day."""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner
from workspace_env import point_at

from sdc.cli import app
from sdc.demo import simulated_apis
from sdc.runner import RunOutcome, run_assets
from sdc_settings import Settings, load_settings
from simulator import simulate
from warehouse.lake import lake_connection

pytestmark = pytest.mark.integration  # runs the pipeline (tests/conftest.py: the two tiers)

SECRET = "s3cr3t-of-the-service-user"
NEVER_OPENED = ("outside_landing_zone", "not_a_regular_file")  # no checksum, no archived copy
FEEDS_OF = {"special_equipment": ("special_equipment.equipment", "special_equipment.inspection")}


@dataclass
class Workspace:
    settings: Settings
    outcome: RunOutcome
    hostile: dict[str, str]  # landing-relative path -> the reason its rejection must give
    raw_columns: dict[str, list[str]]


def _zip_bomb() -> bytes:
    """A workbook whose sheet inflates a thousand-fold (64 MiB of zeros in a few hundred KB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (64 * 2**20))
    return out.getvalue()


def _raw_columns(settings: Settings) -> dict[str, list[str]]:
    with lake_connection(settings, read_only=True) as con:
        rows = con.execute(
            "SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
            "WHERE database_name = 'lake' AND schema_name = 'raw' GROUP BY table_name"
        ).fetchall()
    return dict(rows)


def _plant(landing: Path, outside: Path, day: date) -> dict[str, str]:
    """The hostile entries, named like deliveries of `day` (a day with no real delivery yet)."""
    d = f"{day:%Y%m%d}"
    hazchem = landing / "hazchem" / d
    hazchem.mkdir(parents=True)
    entries: dict[str, str] = {}

    link = hazchem / f"DZYD_{d}.csv"
    link.symlink_to(outside)
    (hazchem / f"DZYD_{d}.csv.ok").write_bytes(b"")
    entries[f"hazchem/{d}/DZYD_{d}.csv"] = "outside_landing_zone"

    # a copy of a password file, dropped by the department itself: read (it is in the zone), refused whole
    (hazchem / f"QYXX_{d}.csv").write_text("root:x:0:0:root:/root:/bin/bash\n" * 22, encoding="utf-8")
    (hazchem / f"QYXX_{d}.csv.ok").write_bytes(b"")
    entries[f"hazchem/{d}/QYXX_{d}.csv"] = "header_mismatch"

    later = f"{day + timedelta(days=1):%Y%m%d}"
    (landing / "hazchem" / later).mkdir()
    os.link(outside, landing / "hazchem" / later / f"DZYD_{later}.csv")  # a hard link to the outside file
    (landing / "hazchem" / later / f"DZYD_{later}.csv.ok").write_bytes(b"")
    entries[f"hazchem/{later}/DZYD_{later}.csv"] = "outside_landing_zone"

    fifo = landing / "construction" / f"alarms_{d}08.jsonl"
    os.mkfifo(fifo)  # opening it for reading would block the run forever
    entries[f"construction/alarms_{d}08.jsonl"] = "not_a_regular_file"

    (landing / "construction" / f"devices_{d}08.jsonl").mkdir()
    entries[f"construction/devices_{d}08.jsonl"] = "not_a_regular_file"

    (landing / "construction" / f"projects_{d}08.jsonl").write_bytes(os.urandom(4096))
    entries[f"construction/projects_{d}08.jsonl"] = "encoding"

    (landing / "special_equipment" / f"特种设备台账_{d}.xlsx").write_bytes(_zip_bomb())
    entries[f"special_equipment/特种设备台账_{d}.xlsx"] = "too_large"

    utf16 = landing / "hazchem" / later / f"QYXX_{later}.csv"
    utf16.write_bytes("企业编号,企业名称\r\nHC1,某公司\r\n".encode("utf-16"))
    (landing / "hazchem" / later / f"QYXX_{later}.csv.ok").write_bytes(b"")
    entries[f"hazchem/{later}/QYXX_{later}.csv"] = "encoding"
    return entries


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    root = tmp_path_factory.mktemp("hostile_zone")
    home = root / "sdc_home"
    outside = root / "outside" / "passwd"  # stands for /etc/passwd: readable by the service user
    outside.parent.mkdir()
    outside.write_text(f"root:x:0:0:{SECRET}:/root:/bin/bash\n" * 22, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        point_at(mp, home)
        settings = load_settings(os.environ)
        start = date.today() - timedelta(days=5)
        world = root / "world"
        simulate(settings.landing_dir, world, days=3, scale=0.05, seed=7, profile="clean", start=start)
        hostile = _plant(settings.landing_dir, outside, start + timedelta(days=3))
        with simulated_apis(settings, world, faults=False) as api_settings:
            outcome = run_assets(api_settings, log_level="WARNING")
            # a second run over the same zone: the hostile entries stay refused and change nothing
            again = run_assets(api_settings, log_level="WARNING")
        assert again.success, again
        yield Workspace(api_settings, outcome, hostile, _raw_columns(api_settings))


def _ledger(settings: Settings) -> dict[str, list[tuple[str, str | None, str | None, str | None]]]:
    with lake_connection(settings, read_only=True) as con:
        rows = con.execute(
            "SELECT source_file, status, reason, sha256, archive_path FROM lake.meta.file_ledger ORDER BY received_at"
        ).fetchall()
    out: dict[str, list] = {}
    for source, *rest in rows:
        out.setdefault(source, []).append(tuple(rest))
    return out


def test_every_mart_is_published_with_the_hostile_entries_present(workspace):
    outcome = workspace.outcome
    assert outcome.success and not outcome.failed_steps and not outcome.failed_checks, outcome
    from pipelines.definitions import build_definitions

    graph = build_definitions(workspace.settings).resolve_asset_graph()
    marts = [k.to_user_string() for k in graph.get_all_asset_keys()]
    marts = [k for k in marts if k.startswith("marts/")]
    assert marts and set(marts) <= set(outcome.materialized) and "published/marts" in outcome.materialized
    # no breaker tripped on a department's good deliveries because of the stray files
    assert not [c for c in outcome.warned_checks if not c.endswith(":freshness")], outcome.warned_checks


def test_each_hostile_entry_is_one_rejected_ledger_row_with_its_reason(workspace):
    ledger = _ledger(workspace.settings)
    for path, reason in workspace.hostile.items():
        entries = ledger.get(path)
        assert entries is not None, f"{path} has no ledger row"
        statuses = {e[0] for e in entries}
        assert statuses == {"rejected"}, (path, entries)
        assert all(e[1] and e[1].startswith(reason) for e in entries), (path, entries)
        if reason in NEVER_OPENED:
            assert all(e[2] is None and e[3] is None for e in entries), f"{path} was read or archived: {entries}"
        # refused once per feed that reads it (the workbook feeds the register and the inspections), not at
        # every run
        assert len(entries) == len(FEEDS_OF.get(path.split("/")[0], (None,))), f"{path}: {entries}"


def test_nothing_of_the_outside_file_reaches_the_lake_or_the_archive(workspace):
    settings = workspace.settings
    with lake_connection(settings, read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'lake'"
        ).fetchall()
        for schema, table in tables:
            text = str(con.execute(f'SELECT * FROM lake."{schema}"."{table}"').fetchall())
            assert SECRET not in text, f"lake.{schema}.{table}"
    for path in settings.archive_dir.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_no_raw_table_gained_a_column_from_a_foreign_header(workspace):
    for table, columns in workspace.raw_columns.items():
        assert not [c for c in columns if "root" in c or ":" in c], (table, columns)


def test_the_good_deliveries_loaded_as_on_any_day(workspace):
    with lake_connection(workspace.settings, read_only=True) as con:
        loaded = dict(
            con.execute(
                "SELECT dataset, count(*) FROM lake.meta.file_ledger WHERE status = 'loaded' GROUP BY dataset"
            ).fetchall()
        )
    # three days of each daily file feed (the register comes as often as its department sends it)
    assert loaded.get("hazchem.waybill", 0) >= 2 and loaded.get("hazchem.enterprise", 0) == 3, loaded
    assert loaded.get("special_equipment.equipment", 0) >= 1, loaded
    assert loaded.get("construction.alarm", 0) >= 24, loaded


def test_sdc_status_has_one_line_per_rejected_entry(workspace):
    result = CliRunner().invoke(app, ["status"], env={"SDC_HOME": str(workspace.settings.home), "SDC_ENV": "ci"})
    for path, reason in workspace.hostile.items():
        lines = [line for line in result.output.splitlines() if path in line and "rejected" in line]
        expected = len(FEEDS_OF.get(path.split("/")[0], (None,)))
        assert len(lines) == expected and all(reason in line for line in lines), (path, result.output)
