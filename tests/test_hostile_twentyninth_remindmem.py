"""The twenty-ninth round's remindmem findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kehu_core.reminder_groups import GROUPS

from .peakmem import NEEDS_PROC, demo_shops, kehu_peak_mb

SHOP = 1000  # customers of the smaller store; the larger has 4 times as many
TODAY = "2026-11-20"  # the demo stores' day
ORDER = [g.key for g in GROUPS]

# --- kind 8: the reminders and the exports that hold them do not grow with the store ----------


@pytest.fixture(scope="module")
def shops(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Two demo stores (birthdays, sales, bills owed, complaints: some 5 reminders a customer in
    90 days), indexed."""
    return demo_shops(tmp_path_factory, SHOP, 4 * SHOP)


def _listed_in_order(text: str) -> int:
    """How many reminders ``kehu reminders`` listed, each group's in order of the day due."""
    count, group, last = 0, None, ""
    for line in text.splitlines():
        if line.startswith("== "):
            group, last = line, ""
        elif line and not line.startswith(" "):
            assert group is not None, line
            assert line[:10] >= last, f"{line[:10]} after {last} in {group}"
            count, last = count + 1, line[:10]
    return count


@NEEDS_PROC
@pytest.mark.parametrize("args", [["reminders", "--days", "90"], ["reminders", "--days", "90", "--json"],
                                  ["reminders", "--days", "90", "--ics", "OUT.ics"],
                                  ["export", "--format", "ics", "OUT.ics"],
                                  ["export", "--format", "csv", "--segment", "all", "OUT.csv"]],
                         ids=["list", "json", "reminders-ics", "export-ics", "export-segment"])
def test_the_reminders_memory_does_not_grow_with_the_number_of_customers(
        shops: dict[int, Path], tmp_path: Path, args: list[str]) -> None:
    """`kehu reminders` gathered every due reminder of the store, a model each, with a model of
    every customer, before it sorted them and printed the first: 388 MB at 10 000 customers (the
    same list as JSON made whole besides); its `--ics` and `kehu export --format ics` made the
    calendar of them all (415 MB); `kehu export --segment` held every customer of the store to
    choose the segment's. Now the reminders are found customer by customer, sorted in parts kept
    in a temporary file and merged as they are written, and a segment's members are chosen a
    row at a time. From 1 000 customers to 4 000 (5 000 to 20 000 reminders): the listing grew
    by 44 MB, as JSON by 74, with `--ics` by 146, the calendar export by 85, the segment's
    export by 19; now each by 5-6."""
    peaks, said = {}, {}
    # once before: the holidays' table of each year is worked out by the first run, then kept in
    # the (test's own, empty) user cache, and would count in the first store's peak alone
    assert kehu_peak_mb(shops[SHOP], "--today", TODAY, *[str(tmp_path / "o") if a.startswith("OUT") else a
                                                    for a in args])[0] == 0
    for count, store in shops.items():
        out = tmp_path / f"out-{count}"
        argv = [str(out) if a.startswith("OUT") else a for a in args]
        code, said[count], err, peaks[count] = kehu_peak_mb(store, "--today", TODAY, *argv)
        assert code == 0, err
        if args[0] == "reminders":  # the whole list, in the order shown
            if "--json" in args:
                found = json.loads(said[count])
                places = [(ORDER.index(r["group"]), r["due"]) for r in found]
                assert places == sorted(places) and len(found) > 4 * count
            else:
                listed = _listed_in_order(said[count])
                assert f"\n{listed} reminders" in f"\n{err}" and listed > 4 * count, err
        if "--ics" in args or "ics" in args:
            assert out.read_bytes().count(b"BEGIN:VEVENT") > 4 * count, err
    grown = peaks[4 * SHOP] - peaks[SHOP]
    assert grown < 12, f"{peaks}: {grown:.0f} MB more for {3 * SHOP} more customers"
