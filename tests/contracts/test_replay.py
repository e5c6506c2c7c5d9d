"""`sdc quarantine replay`: after a contract fix the quarantined rows that now pass move to the validated table
exactly once; after a corrected delivery the rows of the replaced file are superseded. Reconciliation holds."""

import os
import shutil

import pytest
import yaml
from deliveries import days, drop_qyxx, row
from typer.testing import CliRunner

from connectors.hazchem import ENTERPRISE
from connectors.landing import ingest_feed
from data_contracts import contract as contract_module
from data_contracts.contract import load_contract
from data_contracts.validation import validate_batch
from sdc.cli import app
from sdc_settings import load_settings
from warehouse import validated as layer
from warehouse.lake import lake_connection

DATASET = "hazchem.enterprise"


def _load_and_validate(settings) -> None:
    contract = load_contract(DATASET)
    with lake_connection(settings) as con:
        ingest_feed(con, ENTERPRISE, settings.landing_dir, archive_dir=settings.archive_dir)
        layer.ensure_tables(con, contract)
        load_ids = layer.pending_load_ids(con, contract)
        layer.write_outcome(con, contract, load_ids, validate_batch(layer.raw_rows(con, contract, load_ids), contract))


@pytest.fixture
def fixed_contracts(tmp_path, monkeypatch):
    """A copy of the contracts in which 企业编号 may be written in lower case (the contract fix), used by `sdc`."""
    folder = tmp_path / "contracts"
    shutil.copytree(contract_module.CONTRACTS_DIR, folder)
    path = folder / f"{DATASET}.odcs.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    key = next(p for p in doc["schema"][0]["properties"] if p["name"] == "enterprise_code")
    key["quality"][0]["arguments"]["pattern"] = r"^[Hh][Cc]\d{6}$"
    doc["version"] = "1.0.1"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def use_fixed():
        monkeypatch.setattr(contract_module, "CONTRACTS_DIR", folder)
        contract_module.load_contract.cache_clear()

    yield use_fixed
    contract_module.load_contract.cache_clear()


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, ["quarantine", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _counts(settings) -> dict[str, int]:
    with lake_connection(settings) as con:
        return layer.reconciliation(con, load_contract(DATASET))


def test_replay_moves_fixed_rows_exactly_once(workspace, fixed_contracts):
    settings = load_settings(os.environ)
    d = days(2)
    # A key in lower case breaks key_format (until the fix); a row without key stays quarantined. A damaged
    # optional value (营业中 is no 经营状态, 新湖镇 no Taicang town) is only a warning.
    drop_qyxx(settings.landing_dir, d[0], [row(n, code=f"hc{n:06d}" if n < 4 else None) for n in range(20)]
              + [row(20, code="", status="营业中", town="新湖镇")])  # fmt: skip
    _load_and_validate(settings)
    before = _counts(settings)
    assert (before["accepted"], before["quarantined"]) == (16, 5)
    listing = _cli("list")
    assert "key_format" in listing and "required_missing" in listing

    assert "0 released" in _cli("replay", "--dataset", DATASET)  # nothing changed: nothing moves
    fixed_contracts()
    out = _cli("replay", "--dataset", DATASET)
    assert "5 open rows re-validated, 4 released" in out and "1 still quarantined" in out
    after = _counts(settings)
    assert (after["accepted"], after["quarantined"]) == (20, 1)
    assert after["received"] == after["accepted"] + after["quarantined"] + after["reader_rejected"]

    assert "1 open rows re-validated, 0 released" in _cli("replay", "--dataset", DATASET)  # idempotent
    assert _counts(settings) == after
    with lake_connection(settings) as con:
        moved = con.execute(
            "SELECT enterprise_code, business_status, _contract_version, _source_file, _record_number "
            "FROM lake.validated.hazchem__enterprise WHERE enterprise_code LIKE 'hc%' ORDER BY 1"
        ).fetchall()
        ids = con.execute("SELECT count(DISTINCT _row_id), count(*) FROM lake.validated.hazchem__enterprise").fetchone()
        released = con.execute(
            "SELECT count(*), min(released_contract_version) FROM lake.quarantine.rows WHERE released_at IS NOT NULL"
        ).fetchone()
    assert [m[0] for m in moved] == ["hc000000", "hc000001", "hc000002", "hc000003"]
    assert {m[2] for m in moved} == {"1.0.1"} and moved[0][3].endswith(f"QYXX_{d[0]:%Y%m%d}.csv")
    assert ids == (20, 20) and released == (4, "1.0.1")
    assert "required_missing" in _cli("list") and "key_format" not in _cli("list")


def test_corrected_delivery_supersedes_the_quarantined_rows(workspace):
    settings = load_settings(os.environ)
    (day,) = days(1)
    drop_qyxx(settings.landing_dir, day, [row(n, code="HC0000" if n == 0 else None) for n in range(10)])
    _load_and_validate(settings)
    drop_qyxx(settings.landing_dir, day, [row(n) for n in range(10)])  # same name, corrected bytes
    _load_and_validate(settings)
    out = _cli("replay", "--dataset", DATASET)
    assert "1 superseded by a corrected delivery" in out and "0 still quarantined" in out
    assert "0 superseded" in _cli("replay", "--dataset", DATASET)
    counts = _counts(settings)
    assert counts["received"] == counts["accepted"] + counts["quarantined"] + counts["reader_rejected"] == 20
