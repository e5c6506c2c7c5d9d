"""Clustering with cannot-link constraints: a union-find whose components remember what they contain.

A merge is refused when the two components would hold two different valid USCCs (two legal entities
can never be one), a branch and a non-branch (a 分公司 is never its head office), or a pair a reviewer
marked as different. Edges are applied strongest first, so a refused weak edge never undoes a strong one.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field


@dataclass
class _Component:
    usccs: set[str] = field(default_factory=set)
    branch_flags: set[bool] = field(default_factory=set)
    members: set[Hashable] = field(default_factory=set)


class ConstrainedClusters:
    def __init__(self, nodes: Iterable[Hashable], usccs: dict, branch: dict) -> None:
        self._parent: dict[Hashable, Hashable] = {}
        self._comp: dict[Hashable, _Component] = {}
        self._cannot: dict[Hashable, set[Hashable]] = {}
        for node in nodes:
            self._parent[node] = node
            uscc = usccs.get(node)
            self._comp[node] = _Component(
                usccs={uscc} if uscc else set(),
                branch_flags={bool(branch.get(node))} if node in branch else set(),
                members={node},
            )

    def find(self, node: Hashable) -> Hashable:
        root = node
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[node] != root:
            self._parent[node], node = root, self._parent[node]
        return root

    def add_cannot_link(self, a: Hashable, b: Hashable) -> None:
        self._cannot.setdefault(a, set()).add(b)
        self._cannot.setdefault(b, set()).add(a)

    def usccs(self, node: Hashable) -> set[str]:
        return self._comp[self.find(node)].usccs

    def members(self, node: Hashable) -> set[Hashable]:
        return self._comp[self.find(node)].members

    def conflict(self, a: Hashable, b: Hashable) -> str | None:
        """Why the components of a and b may not merge, or None."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        ca, cb = self._comp[ra], self._comp[rb]
        if ca.usccs and cb.usccs and ca.usccs != cb.usccs:
            return "different_uscc"
        if len(ca.branch_flags | cb.branch_flags) > 1:
            return "branch_and_head_office"
        small, large = (ca, cb) if len(ca.members) <= len(cb.members) else (cb, ca)
        for member in small.members:
            if self._cannot.get(member, set()) & large.members:
                return "review_cannot_link"
        return None

    def union(self, a: Hashable, b: Hashable) -> str | None:
        """Merge the components of a and b unless a constraint forbids it; returns the refusal reason."""
        reason = self.conflict(a, b)
        if reason:
            return reason
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        if len(self._comp[ra].members) < len(self._comp[rb].members):
            ra, rb = rb, ra
        self._parent[rb] = ra
        big, small = self._comp[ra], self._comp.pop(rb)
        big.usccs |= small.usccs
        big.branch_flags |= small.branch_flags
        big.members |= small.members
        return None

    def labels(self) -> dict[Hashable, Hashable]:
        return {node: self.find(node) for node in self._parent}
