"""The Great Expectations suite generated from a contract, and running it over a prepared batch.

Imported lazily (GX takes seconds to import); never at code-location load time.
"""

from __future__ import annotations

import os
from functools import cache

import pandas as pd

from data_contracts.contract import Contract, Rule
from data_contracts.frame import ROW_ID, derived_column

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx
import great_expectations.expectations as gxe


def _column_of(rule: Rule) -> str:
    return derived_column(rule) if rule.kind == "custom" else rule.column


def expectation_for(rule: Rule) -> gxe.Expectation:

    meta = {"rule": rule.name, "column": rule.column, "severity": rule.severity}
    if rule.kind == "required":
        return gxe.ExpectColumnValuesToNotBeNull(column=rule.column, meta=meta)
    if rule.kind == "pattern":
        return gxe.ExpectColumnValuesToMatchRegex(column=rule.column, regex=rule.argument, meta=meta)
    if rule.kind == "valid_values":
        return gxe.ExpectColumnValuesToBeInSet(column=rule.column, value_set=list(rule.argument), meta=meta)
    # Domain rule: the validator computed it into a derived True/False/None column.
    return gxe.ExpectColumnValuesToBeInSet(column=derived_column(rule), value_set=[True], meta=meta)


def build_suite(contract: Contract) -> gx.ExpectationSuite:
    _context()  # GX suites need an active (ephemeral) data context
    suite = gx.ExpectationSuite(name=f"{contract.dataset}@{contract.version}")
    for rule in contract.rules:
        suite.add_expectation(expectation_for(rule))
    return suite


def suite_json(contract: Contract) -> dict:
    """The suite as GX serialises it: what `sdc contracts generate` writes for review."""
    suite = build_suite(contract)
    data = suite.to_json_dict()
    data.pop("id", None)
    data["meta"] = {"contract": contract.dataset, "contract_version": contract.version}
    for exp in data["expectations"]:
        exp.pop("id", None)
    return data


@cache
def _context():  # one ephemeral GX context per process
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("sdc")
    return context, source


def run_suite(frame: pd.DataFrame, contract: Contract) -> dict[object, list[Rule]]:
    """Validate; return row index -> rules that row failed."""
    _, source = _context()
    # GX fingerprints the whole frame: hand it only what the suite reads, derived checks as nullable booleans.
    columns = list(dict.fromkeys(_column_of(rule) for rule in contract.rules))
    frame = pd.DataFrame(
        {c: frame[c].astype("boolean") if c.startswith("__") else frame[c] for c in columns}, index=frame.index
    )
    name = f"{contract.dataset}-{id(frame)}"
    asset = source.add_dataframe_asset(name)
    try:
        batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame})
        suite = build_suite(contract)
        by_key = {(r.name, r.column): r for r in contract.rules}
        result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    finally:
        source.delete_asset(name)
    failures: dict[object, list[Rule]] = {}
    for res in result.results:
        if res.success:
            continue
        meta = res.expectation_config.meta
        rule = by_key[(meta["rule"], meta["column"])]
        if res.exception_info and res.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"{contract.dataset}: rule {rule.name} on {rule.column} failed to run: "
                f"{res.exception_info.get('exception_message')}"
            )
        for entry in res.result.get("unexpected_index_list") or []:
            # pandas batches report {index name: value} per unexpected row
            idx = entry[ROW_ID] if isinstance(entry, dict) else entry
            failures.setdefault(idx, []).append(rule)
    return failures
