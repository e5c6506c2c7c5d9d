"""Data contracts (ODCS v3 YAML, one per delivered dataset) and the view of them the pipeline uses.

Conventions on top of ODCS (see data_contracts/README.md):
- property `name` is the canonical column, `physicalName` the raw column (Chinese header, `level1/level2`
  for a two-level XLSX header, dot-flattened JSON key);
- `required: true` is the rule `required_missing`, severity error unless the property's customProperty
  `requiredSeverity` says warning (`requiredRationale` says why); `quality[]` rules are named by their rule id
  (the quarantine reason / warning flag) and carry `severity` error (quarantine the row) or warning (keep, flag);
- every rule states why it has its severity (customProperty `rationale`, the severity policy of issue 10:
  quarantine only what cannot be used); a warning rule states what becomes of the typed value when it fails
  (customProperty `onFailure`: `null` the value is unusable, `keep` it is kept as typed, `swap` the
  coordinate pair is swapped back);
- library rules: `metric: invalidValues` with `arguments.validValues` (code list) or `arguments.pattern`;
- custom rules: `type: custom, engine: sdc, implementation: <check>` with optional `arguments`
  (columns the check also reads, e.g. `start:` for end_before_start; `onlyWhen:` to limit the rows it applies to);
- property `customProperties`: `normalise` (code | un | plate | plate_colour | town | se_category, the
  functions of data_contracts.normalise and checks) for the typed value, `colourOfPlate` on a plate colour column
  (left empty, it takes the colour glued onto that plate column); `logicalTypeOptions.timezone`
  (UTC: the typed value is an instant, TIMESTAMPTZ; default Asia/Shanghai wall-clock time, TIMESTAMP);
- contract `customProperties`: sourceSystem, ownerDepartment, deliveryChannel, localPlateProvince (the province
  character of a plate delivered without one, only for a source whose vehicles are all registered locally),
  rejectRatioThreshold and the
  row-count circuit breaker (rowCountMinRatio, rowCountMaxRatio, rowCountHistory, rowCountSlot,
  rowCountWindow);
  `slaProperties` latency is the freshness SLA.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import open_data_contract_standard
import yaml
from open_data_contract_standard.model import OpenDataContractStandard

CONTRACTS_DIR = Path(__file__).parent / "contracts"
BEIJING = "Asia/Shanghai"

# ODCS logical type -> DuckDB type of the validated (typed) table.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
# Arguments of custom rules that name another column of the same row.
COLUMN_ARGUMENTS = ("longitude", "start", "other", "name", "other_name", "kind")
SEVERITIES = ("error", "warning")
ON_FAILURE = ("null", "keep", "swap")


@dataclass(frozen=True)
class Rule:
    name: str
    """Rule id reported as a quarantine reason or warning flag (e.g. uscc_format)."""
    column: str
    severity: str  # error | warning
    kind: str  # required | pattern | valid_values | custom
    argument: Any = None
    """The pattern, the list of valid values, or the name of the custom check."""
    args: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """Arguments of a custom check (other columns it reads, `onlyWhen`)."""
    description: str | None = None
    rationale: str = field(default="", compare=False)
    """Why the rule has its severity (the contract states it for every rule)."""
    on_failure: str | None = None
    """Warning rules: what becomes of the typed value where the rule fails (null | keep | swap)."""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def flag(self) -> str:
        """How a row's `_warnings` names the rule: rule id and field (`uscc_format:property_unit_uscc`)."""
        return f"{self.name}:{self.column}"


@dataclass(frozen=True)
class Column:
    name: str
    source_name: str
    logical_type: str
    required: bool
    primary_key: bool
    classification: str
    description: str | None
    unique: bool = False
    timezone: str = BEIJING
    normalise: str | None = None
    colour_of_plate: str | None = None

    @property
    def duckdb_type(self) -> str:
        if self.logical_type == "timestamp" and self.timezone == "UTC":
            return "TIMESTAMPTZ"
        return DUCKDB_TYPES[self.logical_type]


@dataclass(frozen=True)
class RowCountBand:
    """Circuit breaker: a load's row count against the median of the previous `history` loads — of the
    same slot when `slot` is set: a regex whose group, taken from the load's source name, says which loads
    are comparable (the hour of day of an hourly feed, whose night hours are a fraction of its day hours)."""

    min_ratio: float
    max_ratio: float
    history: int
    slot: str | None = None
    window: str | None = None
    """A regex whose groups `start` and `end` take a time window from the source name (an API pull of
    `[start, end)`): loads are then compared by rows per hour of the time they add, because a pull's last
    window ends at the time of the pull and so is as long as the time since the one before, not a fixed period."""

    def slot_of(self, source: str) -> str | None:
        if self.slot is None:
            return None
        found = re.search(self.slot, source)
        return found.group(1) if found else None

    def window_of(self, source: str) -> tuple[datetime, datetime] | None:
        """The load's time window, if the contract names one and the source name carries it."""
        found = re.search(self.window, source) if self.window else None
        try:
            return datetime.fromisoformat(found.group("start")), datetime.fromisoformat(found.group("end"))
        except (AttributeError, IndexError, ValueError):
            return None


@dataclass(frozen=True)
class Contract:
    dataset: str
    version: str
    title: str
    description: str
    owner: str
    source_system: str
    delivery_channel: str
    table: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...]
    reject_ratio_threshold: float
    freshness_hours: float | None
    row_count: RowCountBand
    local_plate_province: str | None = None
    """Province character of a plate delivered without one (dictionary §2.5.5), only for a Suzhou-local source."""

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


def _checked_severity(where: str, severity: str | None, rationale: str | None, on_failure: str | None) -> None:
    if severity not in SEVERITIES:
        raise ValueError(f"{where}: needs severity error or warning, not {severity!r}")
    if not rationale:
        raise ValueError(f"{where}: needs a rationale (customProperty rationale) for its severity")
    if severity == "warning" and on_failure not in ON_FAILURE:
        raise ValueError(f"{where}: a warning needs onFailure {' | '.join(ON_FAILURE)}, not {on_failure!r}")
    if severity == "error" and on_failure is not None:
        raise ValueError(f"{where}: an error quarantines the row; onFailure applies to warnings only")


def _rules_for(prop: Any, names: set[str], dataset: str) -> list[Rule]:
    rules: list[Rule] = []
    pcustom = _custom(prop.customProperties)
    if prop.required:
        severity, rationale = pcustom.get("requiredSeverity", "error"), pcustom.get("requiredRationale")
        on_failure = "null" if severity == "warning" else None  # a missing value is NULL already
        _checked_severity(f"{dataset}.{prop.name}: required", severity, rationale, on_failure)
        rules.append(
            Rule("required_missing", prop.name, severity, "required", rationale=rationale, on_failure=on_failure)
        )
    for q in prop.quality or []:
        args = dict(q.arguments or {})
        described = _custom(q.customProperties)
        rationale, on_failure = described.pop("rationale", None), described.pop("onFailure", None)
        _checked_severity(f"{dataset}.{prop.name}: rule {q.name!r}", q.severity, rationale, on_failure)
        if q.type == "custom":
            kind, argument = "custom", q.implementation
            args = described
        elif "validValues" in args:
            kind, argument = "valid_values", [str(v) for v in args.pop("validValues")]
        elif "pattern" in args:
            kind, argument = "pattern", args.pop("pattern")
        else:
            raise ValueError(f"{dataset}.{prop.name}: unsupported quality rule {q.name!r}")
        referenced = [v for k, v in args.items() if k in COLUMN_ARGUMENTS] + [args.get("onlyWhen", {}).get("column")]
        for other in (r for r in referenced if r is not None):
            if other not in names:
                raise ValueError(f"{dataset}.{prop.name}: rule {q.name!r} names unknown column {other!r}")
        rules.append(Rule(q.name, prop.name, q.severity, kind, argument, args, q.description, rationale, on_failure))
    return rules


@cache
def _odcs_validator():
    import jsonschema  # the JSON schema shipped with open-data-contract-standard

    schema = json.loads((Path(open_data_contract_standard.__file__).parent / "schema.json").read_text("utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def parse_contract(path: Path) -> Contract:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = sorted(_odcs_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path)
        raise ValueError(f"{path.name}: not a valid ODCS v3 contract at {where}: {errors[0].message}")
    doc = OpenDataContractStandard.model_validate(data)
    custom = _custom(doc.customProperties)
    (obj,) = doc.schema_
    names = {p.name for p in obj.properties}
    columns, rules = [], []
    for prop in obj.properties:
        options = prop.logicalTypeOptions or {}
        pcustom = _custom(prop.customProperties)
        aware = bool(options.get("timezone"))  # ODCS: the values carry a time zone (instants)
        columns.append(
            Column(
                name=prop.name,
                source_name=prop.physicalName or prop.name,
                logical_type=prop.logicalType or "string",
                required=bool(prop.required),
                primary_key=bool(prop.primaryKey),
                classification=prop.classification or "public",
                description=prop.description or prop.businessName,
                unique=bool(prop.unique),
                timezone="UTC" if aware else options.get("defaultTimezone", BEIJING),
                normalise=pcustom.get("normalise"),
                colour_of_plate=pcustom.get("colourOfPlate"),
            )
        )
        rules.extend(_rules_for(prop, names, doc.id))
    plates = {c.name for c in columns if c.normalise == "plate"}
    for c in columns:
        if c.colour_of_plate and (c.normalise != "plate_colour" or c.colour_of_plate not in plates):
            raise ValueError(f"{doc.id}: {c.name} needs normalise plate_colour and colourOfPlate naming a plate column")
    latency = next((s for s in doc.slaProperties or [] if s.property == "latency"), None)
    if latency is not None and latency.unit not in ("h", "hours", "d", "days"):
        raise ValueError(f"{doc.id}: latency unit must be h or d, not {latency.unit!r}")
    freshness = None
    if latency is not None:
        freshness = float(latency.value) * (24 if latency.unit in ("d", "days") else 1)
    return Contract(
        dataset=doc.id,
        version=doc.version,
        title=doc.name or doc.id,
        description=(doc.description.purpose if doc.description else "") or "",
        owner=str(custom.get("ownerDepartment", "")),
        source_system=str(custom.get("sourceSystem", "")),
        delivery_channel=str(custom.get("deliveryChannel", "")),
        table=obj.physicalName or obj.name,
        columns=tuple(columns),
        rules=tuple(rules),
        reject_ratio_threshold=float(custom.get("rejectRatioThreshold", 0.05)),
        freshness_hours=freshness,
        row_count=RowCountBand(
            min_ratio=float(custom.get("rowCountMinRatio", 0.5)),
            max_ratio=float(custom.get("rowCountMaxRatio", 2.0)),
            history=int(custom.get("rowCountHistory", 7)),
            slot=custom.get("rowCountSlot"),
            window=custom.get("rowCountWindow"),
        ),
        local_plate_province=custom.get("localPlateProvince"),
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
