"""Stable surrogate ids: an entity keeps its id when unrelated data arrives, and when its cluster grows.

A cluster inherits the previous id most of its members carried (the biggest claimant wins when two
clusters claim one id, e.g. after a reviewer split one); otherwise a new id is minted from the cluster's
anchor (its valid USCC, else its smallest member key), so a fresh rebuild mints the same ids. Ids carry
over per mention: enterprises, vehicles and equipment alike keep last run's mention -> id map.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from typing import NamedTuple

# Hex digits written as letters (0-9 -> G-R): an id never holds a digit run that a leak scanner could take
# for a phone or ID number.
_LETTERS = str.maketrans("0123456789", "GHJKLMNPQR")


def mint(prefix: str, anchor: str) -> str:
    return f"{prefix}{hashlib.sha1(anchor.encode('utf-8')).hexdigest()[:12].upper().translate(_LETTERS)}"


def assign_claimed_ids(
    labels: Iterable[Hashable],
    anchors: Mapping[Hashable, str],
    claims: Iterable[tuple[Hashable, str, int]],
    prefix: str,
) -> dict[Hashable, str]:
    """label -> id, from claims (label, last run's id, how many of the label's members carried it): the
    biggest claimant takes an id, a label without one gets an id minted from its anchor."""
    result: dict[Hashable, str] = {}
    taken: set[str] = set()
    for _, old_id, _, label in sorted((-n, old_id, str(label), label) for label, old_id, n in claims):
        if label in result or old_id in taken:
            continue
        result[label] = old_id
        taken.add(old_id)
    for label in sorted((lbl for lbl in labels if lbl not in result), key=lambda lbl: anchors[lbl]):
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
    (a plate's colour learnt from the platform, a smaller key joining a group), the entity must not.
    The pipeline runs this rule with the mentions in the lake (`entity_resolution.lake`, through `key_ids`);
    this statement of it is what tests/models/test_keyed_resolution_in_lake.py holds the lake to."""
    claims = Counter((key, previous[m]) for m, key in keys.items() if m in previous)
    ids = key_ids(set(keys.values()), [(key, old_id, n) for (key, old_id), n in claims.items()], prefix)
    return {mention: ids[key] for mention, key in keys.items()}


def key_ids(keys: Iterable[str], claims: Iterable[tuple[str, str, int]], prefix: str) -> dict[str, str]:
    """natural key -> id; claims: (key, last run's id, how many of the key's mentions carried it)."""
    keys = list(keys)
    return assign_claimed_ids(keys, {key: key for key in keys}, claims, prefix)


class IdChange(NamedTuple):
    old_id: str
    new_id: str
    reason: str  # merged: the old id is gone, its entity joined another; split: it lives on for other mentions
    mention_count: int


def id_changes(previous: Mapping[str, str], current: Mapping[str, str]) -> list[IdChange]:
    """Where mentions resolved last run (previous: mention -> id) carry another id now. A mention that is
    gone (its record deleted) changes nothing. (The pipeline computes it in the lake, `entity_resolution.lake`;
    the tests hold that to this statement.)"""
    moved = Counter((old, current[m]) for m, old in previous.items() if m in current and current[m] != old)
    in_use = set(current.values())
    return [IdChange(old, new, "split" if old in in_use else "merged", n) for (old, new), n in sorted(moved.items())]
