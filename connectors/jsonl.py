"""Reader for JSON Lines files (system C): one object per line, nested keys flattened with dots.

Values stay as delivered: a JSON number becomes its own text (`30000`, `121.147208`), a string stays
as is, null becomes None. A line that is not a JSON object is a reader reject: `truncated_line` when it
is the last line and the file does not end with a line break (the writer stopped mid-line), else
`invalid_json` — also for an object whose keys cannot be columns (a key twice, `a.b` next to `a: {b}`,
an empty key, a lineage name), since one of its values would be lost or misplaced.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from connectors.decoding import decode_text
from connectors.raw_layer import column_problem
from connectors.records import ParsedFile, Record


def _keep_text(token: str) -> str:
    return token


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        twice = next(k for i, (k, _) in enumerate(pairs) if k in dict(pairs[:i]))
        raise ValueError(f"key {twice!r} appears twice in one object")
    return obj


def parse_object(text: str) -> dict[str, Any]:
    """One JSON object with numbers kept as their delivered text; anything else raises ValueError."""
    try:
        value = json.loads(
            text,
            parse_float=_keep_text,
            parse_int=_keep_text,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_keys,
        )
    except RecursionError as exc:  # nesting deeper than the parser's stack: no record nests like that
        raise ValueError("nested too deeply") from exc
    if not isinstance(value, dict):
        raise ValueError(f"a JSON {type(value).__name__}, not an object")
    return value


def flatten(obj: dict[str, Any]) -> dict[str, str | None]:
    """Nested objects -> dotted keys; arrays stay JSON text; booleans `true`/`false`; null -> None.

    Raises ValueError when the flat keys cannot be raw-table columns (see `column_problem`)."""
    try:
        out = _flatten(obj, "")
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc
    problem = column_problem(list(out)) if len(out) == _leaves(obj) else "two keys flatten to the same name"
    if problem:
        raise ValueError(problem)
    return out


def _storable(text: str) -> str:
    # JSON can escape a lone UTF-16 surrogate (`"\\ud800"`), which no UTF-8 text column can hold.
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"a string with a lone surrogate {text[exc.start]!r}") from exc
    return text


def _leaves(obj: dict[str, Any]) -> int:
    return sum(_leaves(v) if isinstance(v, dict) else 1 for v in obj.values())


def _flatten(obj: dict[str, Any], prefix: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif value is None:
            out[name] = None
        elif isinstance(value, str):
            out[name] = _storable(value)
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (int, Decimal)):
            out[name] = str(value)
        else:  # a list
            out[name] = json.dumps(value, ensure_ascii=False, default=str)
    return out


def read_jsonl(data: bytes) -> ParsedFile:
    text, encoding = decode_text(data)
    lines = text.split("\n")
    finished = text.endswith("\n")
    if finished:
        lines.pop()  # nothing after the last line break
    header: dict[str, None] = {}
    records: list[Record] = []
    for number, line in enumerate(lines, start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            values = flatten(parse_object(line))
        except ValueError as exc:
            rule = "truncated_line" if number == len(lines) and not finished else "invalid_json"
            records.append(Record(number, None, f"{rule}: {exc}", line))
            continue
        header.update(dict.fromkeys(values))
        records.append(Record(number, values))
    return ParsedFile(encoding, list(header), records)
