"""Data contracts (ODCS v3 YAML, one per delivered dataset) and the view of them the pipeline uses."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from open_data_contract_standard.model import OpenDataContractStandard

CONTRACTS_DIR = Path(__file__).parent / "contracts"

# ODCS logical type -> DuckDB type of the validated (typed) table.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


@dataclass(frozen=True)
class Rule:
    name: str
    """Rule id reported as a quarantine reason or warning flag (e.g. uscc_format)."""
    column: str
    severity: str  # error | warning
    kind: str  # required | pattern | valid_values | custom
    argument: Any = None
    description: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass(frozen=True)
class Column:
    name: str
    source_name: str
    logical_type: str
    required: bool
    primary_key: bool
    classification: str
    description: str | None

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.logical_type]

    @property
    def sensitive(self) -> bool:
        return self.classification.startswith("pii")


@dataclass(frozen=True)
class Contract:
    dataset: str
    version: str
    title: str
    description: str
    owner: str
    source_system: str
    table: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...]
    reject_ratio_threshold: float
    freshness_hours: float | None

    @property
    def system(self) -> str:
        return self.dataset.split(".", 1)[0]

    @property
    def primary_key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.primary_key)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _custom(props: list[Any] | None) -> dict[str, Any]:
    return {p.property: p.value for p in props or []}


def _rules_for(prop: Any) -> list[Rule]:
    rules: list[Rule] = []
    if prop.required:
        rules.append(Rule("required_missing", prop.name, "error", "required"))
    for q in prop.quality or []:
        args = q.arguments or {}
        if q.type == "custom":
            kind, argument = "custom", q.implementation
        elif "validValues" in args:
            kind, argument = "valid_values", list(args["validValues"])
        elif "pattern" in args:
            kind, argument = "pattern", args["pattern"]
        else:
            raise ValueError(f"{prop.name}: unsupported quality rule {q.name!r}")
        rules.append(Rule(q.name, prop.name, q.severity or "error", kind, argument, q.description))
    return rules


def parse_contract(path: Path) -> Contract:
    doc = OpenDataContractStandard.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    custom = _custom(doc.customProperties)
    (obj,) = doc.schema_
    columns, rules = [], []
    for prop in obj.properties:
        columns.append(
            Column(
                name=prop.name,
                source_name=prop.physicalName or prop.name,
                logical_type=prop.logicalType or "string",
                required=bool(prop.required),
                primary_key=bool(prop.primaryKey),
                classification=prop.classification or "public",
                description=prop.description or prop.businessName,
            )
        )
        rules.extend(_rules_for(prop))
    latency = next((s for s in doc.slaProperties or [] if s.property == "latency"), None)
    return Contract(
        dataset=doc.id,
        version=doc.version,
        title=doc.name or doc.id,
        description=(doc.description.purpose if doc.description else "") or "",
        owner=str(custom.get("ownerDepartment", "")),
        source_system=str(custom.get("sourceSystem", "")),
        table=obj.physicalName or obj.name,
        columns=tuple(columns),
        rules=tuple(rules),
        reject_ratio_threshold=float(custom.get("rejectRatioThreshold", 0.05)),
        freshness_hours=float(latency.value) if latency is not None else None,
    )


def contract_exists(dataset: str) -> bool:
    return (CONTRACTS_DIR / f"{dataset}.odcs.yaml").exists()


@cache
def load_contract(dataset: str) -> Contract:
    path = CONTRACTS_DIR / f"{dataset}.odcs.yaml"
    if not path.exists():
        raise KeyError(f"no data contract for dataset {dataset!r} in {CONTRACTS_DIR}")
    return parse_contract(path)


def all_contracts() -> list[Contract]:
    return [load_contract(p.name.removesuffix(".odcs.yaml")) for p in sorted(CONTRACTS_DIR.glob("*.odcs.yaml"))]
