"""Pairwise precision and recall of a clustering against a ground truth (one label pair per mention)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PairwiseScore:
    mentions: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def __str__(self) -> str:
        return (
            f"P={self.precision:.4f} R={self.recall:.4f} (mentions {self.mentions}, "
            f"predicted pairs {self.predicted_pairs}, true pairs {self.true_pairs}, correct {self.correct_pairs})"
        )


def _pairs(counter: Counter) -> int:
    return sum(n * (n - 1) // 2 for n in counter.values())


def pairwise(labels: Iterable[tuple[Hashable, Hashable]]) -> PairwiseScore:
    """labels: (predicted entity, true entity) per mention."""
    labels = list(labels)
    return PairwiseScore(
        mentions=len(labels),
        predicted_pairs=_pairs(Counter(p for p, _ in labels)),
        true_pairs=_pairs(Counter(t for _, t in labels)),
        correct_pairs=_pairs(Counter(labels)),
    )
