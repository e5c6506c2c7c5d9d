"""Stable surrogate ids: an entity keeps its id when unrelated data arrives, and when its cluster grows.

A cluster inherits the previous id most of its members carried (the biggest claimant wins when two
clusters claim one id, e.g. after a reviewer split one); otherwise a new id is minted from the cluster's
anchor (its valid USCC, else its smallest member key), so a fresh rebuild mints the same ids. Ids carry
over per mention: enterprises, vehicles and equipment alike keep last run's mention -> id map.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from typing import NamedTuple

# Hex digits written as letters (0-9 -> G-R): an id never holds a digit run that a leak scanner could take
# for a phone or ID number.
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


def carry_over(keys: Mapping[str, str], previous: Mapping[str, str], prefix: str) -> dict[str, str]:
    """mention -> id, for entities resolved to a natural key (a vehicle's plate/colour, a machine key):
    the mentions sharing a key are one entity. The key alone is no id: it can move when evidence arrives
    (a plate's colour learnt from the platform, a smaller key joining a group), the entity must not."""
    clusters: dict[str, list[str]] = defaultdict(list)
    for mention, key in keys.items():
        clusters[key].append(mention)
    ids = assign_ids(clusters, {key: key for key in clusters}, previous, prefix)
    return {mention: ids[key] for mention, key in keys.items()}


class IdChange(NamedTuple):
    old_id: str
    new_id: str
    reason: str  # merged: the old id is gone, its entity joined another; split: it lives on for other mentions
    mention_count: int


def id_changes(previous: Mapping[str, str], current: Mapping[str, str]) -> list[IdChange]:
    """Where mentions resolved last run (previous: mention -> id) carry another id now. A mention that is
    gone (its record deleted) changes nothing."""
    moved = Counter((old, current[m]) for m, old in previous.items() if m in current and current[m] != old)
    in_use = set(current.values())
    return [IdChange(old, new, "split" if old in in_use else "merged", n) for (old, new), n in sorted(moved.items())]
