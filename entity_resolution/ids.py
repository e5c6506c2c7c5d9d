"""Stable surrogate ids: an entity keeps its id when unrelated data arrives, and when its cluster grows.

A cluster inherits the previous id most of its members carried (the biggest claimant wins when two
clusters claim one id, e.g. after a reviewer split one); otherwise a new id is minted from the cluster's
anchor (its valid USCC, else its smallest member key), so a fresh rebuild mints the same ids.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Hashable, Mapping

# Hex digits written as letters (0-9 -> G-R): an id never holds a digit run that a leak scanner could take
# for a phone or ID number. The dbt macro `surrogate_id` writes the same alphabet.
_LETTERS = str.maketrans("0123456789", "GHJKLMNPQR")


def mint(prefix: str, anchor: str) -> str:
    return f"{prefix}{hashlib.sha1(anchor.encode('utf-8')).hexdigest()[:12].upper().translate(_LETTERS)}"


def assign_ids(
    clusters: Mapping[Hashable, list[str]],
    anchors: Mapping[Hashable, str],
    previous: Mapping[str, str],
    prefix: str,
) -> dict[Hashable, str]:
    """clusters: label -> member keys; anchors: label -> anchor text; previous: member key -> last run's id."""
    claims = []
    for label, members in clusters.items():
        counts = Counter(previous[m] for m in members if m in previous)
        for old_id, n in counts.items():
            claims.append((-n, old_id, str(label), label))
    result: dict[Hashable, str] = {}
    taken: set[str] = set()
    for _, old_id, _, label in sorted(claims):
        if label in result or old_id in taken:
            continue
        result[label] = old_id
        taken.add(old_id)
    for label in sorted((lbl for lbl in clusters if lbl not in result), key=lambda lbl: anchors[lbl]):
        new_id = mint(prefix, anchors[label])
        n = 1
        while new_id in taken:
            n += 1
            new_id = mint(prefix, f"{anchors[label]}#{n}")
        result[label] = new_id
        taken.add(new_id)
    return result
