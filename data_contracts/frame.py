"""Column names of the frame that validation builds and the GX suite checks: shared by both, owned by neither."""

from __future__ import annotations

from data_contracts.contract import Rule

ROW_ID = "_row_id"
"""The index of a batch: GX reports failing rows by it."""


def derived_column(rule: Rule) -> str:
    """The boolean column a custom (Python) check writes for GX to expect True."""
    return f"__{rule.name}__{rule.column}"
