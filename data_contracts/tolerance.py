"""How unlikely a count of bad rows must be before a whole delivery, not its rows, is to blame.

Shared by the reject-ratio breaker (warehouse/validated.py) and the schema-drift test of a required column
that arrives empty (data_contracts/validation.py): both judge a count against the contract's share.
"""

import math

# How unlikely a quarantine count must be (under the contract's share) to hold its load.
REJECT_RATIO_TAIL = 1e-4


def reject_ratio_trips(quarantined: int, rows: int, threshold: float) -> bool:
    """More rows quarantined than the contract's share allows, beyond counting noise: the count is held
    against a Poisson of mean `threshold * rows` and trips when at least this many would happen less than
    once in 1 / REJECT_RATIO_TAIL loads. An hourly file of 1 row with 1 bad, or 3 bad of 3, is not a broken
    delivery; 4 of 4, 10 of 40 or 80 of 1,000 are (at 5 %)."""
    expected = threshold * rows
    if rows <= 0 or quarantined <= expected:
        return False
    if expected <= 0:
        return True
    # P(X <= quarantined - 1) summed in log space (exp(-expected) underflows for large loads)
    logs = [k * math.log(expected) - expected - math.lgamma(k + 1) for k in range(quarantined)]
    top = max(logs)
    below = math.exp(top + math.log(sum(math.exp(v - top) for v in logs)))
    return 1.0 - below < REJECT_RATIO_TAIL
