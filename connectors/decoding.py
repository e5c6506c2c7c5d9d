"""Text decoding for departmental files: BOM, then strict UTF-8, then GB18030 — never a lossy guess."""

from __future__ import annotations

import codecs

from connectors.records import RejectedFile


class UndecodableFile(RejectedFile):
    """The bytes are neither UTF-8 (with or without BOM) nor GB18030 (rule id `encoding`)."""


def decode_text(data: bytes) -> tuple[str, str]:
    """Return (text, encoding used)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise UndecodableFile(f"encoding: UTF-8 BOM present but bytes are not UTF-8 at offset {exc.start}") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise UndecodableFile(f"encoding: not UTF-8 and not GB18030 (first bad byte at offset {exc.start})") from exc
