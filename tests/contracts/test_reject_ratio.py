"""The reject-ratio breaker (data_contracts.tolerance.reject_ratio_trips): a load is held only when its quarantine
count is beyond counting noise of the contract's share — never for one bad row of a tiny hourly file."""

from hypothesis import given
from hypothesis import strategies as st

from data_contracts.tolerance import reject_ratio_trips

SHARES = st.sampled_from([0.01, 0.05, 0.1, 0.2])


@given(rows=st.integers(1, 50_000), share=SHARES, data=st.data())
def test_never_trips_at_or_below_the_contracts_share(rows, share, data):
    quarantined = data.draw(st.integers(0, int(share * rows)))
    assert not reject_ratio_trips(quarantined, rows, share)


@given(rows=st.integers(1, 5_000), share=SHARES, data=st.data())
def test_more_quarantined_rows_never_untrip(rows, share, data):
    q = data.draw(st.integers(0, rows - 1))
    assert reject_ratio_trips(q, rows, share) <= reject_ratio_trips(q + 1, rows, share)


@given(share=SHARES, rows=st.integers(1, 3))
def test_a_tiny_file_with_one_bad_row_is_not_a_broken_delivery(share, rows):
    assert not reject_ratio_trips(1, rows, share)


def test_a_broken_delivery_trips_at_any_size():
    # 5 % allowed: a whole small file bad, a quarter of a 40-row file, 8 % of a large register
    assert reject_ratio_trips(4, 4, 0.05) and reject_ratio_trips(10, 40, 0.05)
    assert reject_ratio_trips(1_200, 15_000, 0.05) and not reject_ratio_trips(780, 15_000, 0.05)
    assert not reject_ratio_trips(0, 0, 0.05)
