"""Reader for JSON Lines files (system C): one object per line, nested keys flattened with dots.

Values stay as delivered: a JSON number becomes its own text (`30000`, `121.147208`), a string stays
as is, null becomes None. A line that is not a JSON object is a reader reject: `truncated_line` when it
is the last line and the file does not end with a line break (the writer stopped mid-line), else
`invalid_json`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from connectors.decoding import decode_text
from connectors.records import ParsedFile, Record


def _keep_text(token: str) -> str:
    return token


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def parse_object(text: str) -> dict[str, Any]:
    """One JSON object with numbers kept as their delivered text; anything else raises ValueError."""
    value = json.loads(text, parse_float=_keep_text, parse_int=_keep_text, parse_constant=_reject_constant)
    if not isinstance(value, dict):
        raise ValueError(f"a JSON {type(value).__name__}, not an object")
    return value


def flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, str | None]:
    """Nested objects -> dotted keys; arrays stay JSON text; booleans `true`/`false`; null -> None."""
    out: dict[str, str | None] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif value is None or isinstance(value, str):
            out[name] = value
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
