"""The twenty-ninth round's jsonmem findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .peakmem import NEEDS_PROC, demo_shops, kehu_peak_mb

SHOP = 1000  # customers of the smaller store; the larger has 4 times as many
TODAY = "2026-11-20"  # the demo stores' day

# --- kind 8: the whole store as JSON does not hold the index's pages ----------------------------


@pytest.fixture(scope="module")
def shops(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Two demo stores (sales, tiers, points, attitudes), indexed."""
    return demo_shops(tmp_path_factory, SHOP, 4 * SHOP)


@NEEDS_PROC
def test_the_customer_list_as_json_does_not_grow_with_the_index(shops: dict[int, Path]) -> None:
    """`kehu customer list --json` wrote its objects a part at a time, but read every customer's
    profile and values through the index's connection with its page cache of 128 MB (kept for a
    build's random writes): the pass filled it with the pages of the whole store and held them
    to the end, 60 MB of the 143 MB peak at 10 000 customers. Now the pass reads with a small
    cache (Index.one_pass). From 1 000 customers to 4 000 the peak grew by 23 MB; now by 12 (the
    part written at a time is 1 000 objects in the smaller store, 2 000 in the larger)."""
    peaks = {}
    for count, store in shops.items():
        # once before: the values of every customer computed and kept in the index, and the
        # holidays' table of the year kept in the (test's own) user cache; what is measured is
        # the list as it is asked for again and again
        assert kehu_peak_mb(store, "--today", TODAY, "customer", "list", "--json")[0] == 0
        code, out, err, peaks[count] = kehu_peak_mb(store, "--today", TODAY, "customer", "list", "--json")
        assert code == 0, err
        listed = json.loads(out)
        assert len(listed) == count and all("tier" in c and "attitude" in c for c in listed), out[:500]
    grown = peaks[4 * SHOP] - peaks[SHOP]
    assert grown < 15, f"{peaks}: {grown:.0f} MB more for {3 * SHOP} more customers"
