"""What a delivered file must look like to be loaded: bounds on its size and lines, and a header that
matches its feed's layout. A file outside these is rejected whole, with the rule id first:

- `file_too_large`  bigger than the feed's bound (checked before reading, so it never fills memory);
- `line_too_long`   a line (CSV, JSON Lines) longer than the feed's bound;
- `header_mismatch` the header is not this feed's (see `HeaderLayout.check`), or names a column the raw
                    table cannot have (empty, a lineage column, two names that differ only in case).
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors import raw_layer
from connectors.records import RejectedFile

MiB = 1024 * 1024


def _size(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n} bytes"


@dataclass(frozen=True)
class Limits:
    """Size and shape bounds of one feed's files (data, per feed)."""

    max_file_bytes: int = 128 * MiB
    """A day of system A at ten times Taicang's size is about 10 MiB; parsed rows take ~10x the bytes."""
    max_line_bytes: int = 1 * MiB
    """No record of any department comes near this; a longer line is not a record."""

    def check_size(self, size: int) -> None:
        if size > self.max_file_bytes:
            raise RejectedFile(f"file_too_large: {_size(size)}, over this feed's bound of {_size(self.max_file_bytes)}")

    def check_lines(self, data: bytes) -> None:
        if len(data) <= self.max_line_bytes:
            return
        start, number = 0, 1
        while start < len(data):
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            if end - start > self.max_line_bytes:
                raise RejectedFile(
                    f"line_too_long: line {number} is {_size(end - start)}, over this feed's bound of "
                    f"{_size(self.max_line_bytes)}"
                )
            start, number = end + 1, number + 1


def _names(names: list[str], limit: int = 3) -> str:
    shown = [n if len(n) <= 40 else n[:40] + "…" for n in names[:limit]]
    return ", ".join(repr(n) for n in shown) + (f" and {len(names) - limit} more" if len(names) > limit else "")


@dataclass(frozen=True)
class HeaderLayout:
    """The columns a feed's files are expected to carry: the physical names of its data contract.

    A header matches when (1) every name can be a raw-table column, (2) it carries every key column of
    the contract — INTERFACES.md: records reach the data centre "unless it cannot be used (its key is
    missing …)", and without the key column no record of the file can be used — and (3) at least half of
    its names are contract columns: added columns are tolerated drift (validation reports them), missing
    optional or required columns too, but a header mostly foreign to the interface is another file.
    Column order does not matter (records are read by name).
    """

    dataset: str
    columns: frozenset[str]
    keys: tuple[str, ...]

    @classmethod
    def of_dataset(cls, dataset: str) -> HeaderLayout:
        from data_contracts.contract import contract_exists, load_contract  # the contract is the layout

        if not contract_exists(dataset):
            return cls(dataset, frozenset(), ())  # no contract yet: only rule (1)
        contract = load_contract(dataset)
        return cls(
            dataset,
            frozenset(c.source_name for c in contract.columns),
            tuple(c.source_name for c in contract.columns if c.primary_key),
        )

    def check(self, header: list[str]) -> None:
        problem = raw_layer.column_problem(header)
        if problem:
            raise RejectedFile(f"header_mismatch: {problem}")
        if not header or not self.columns:
            return  # an empty file (an hour without changes) has no header to judge
        missing = [k for k in self.keys if k not in header]
        if missing:
            raise RejectedFile(
                f"header_mismatch: no key column {_names(missing)} of {self.dataset} (header: {_names(header)})"
            )
        foreign = [h for h in header if h not in self.columns]
        if 2 * len(foreign) > len(header):
            raise RejectedFile(
                f"header_mismatch: {len(foreign)} of {len(header)} columns are not columns of {self.dataset} "
                f"({_names(foreign)})"
            )
