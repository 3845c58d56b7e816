"""Issue 16, the twenty-third round (syncid): what a sync settles itself of a merge git stopped,
and what it says of what it cannot, with real clones of a real bare remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.store import Store

from .conftest import git, kehu
from .test_hostile_twentysecond_syncmsg import _both_with_points
from .test_team_merge import ok, remote, sync  # noqa: F401


@pytest.mark.parametrize(("change", "merged_here"),
                         [("redeem", True), ("redeem", False), ("purchase", True), ("purchase", False)])
def test_a_profile_edited_and_records_changed_follow_a_customer_merged_away(
        tmp_path: Path, remote: Path, change: str, merged_here: bool) -> None:  # noqa: F811
    """One clone merges 甲 into 乙 (`kehu customer merge`; 乙 is a 金卡 customer), while the other
    gives 甲 a new phone, a tag and the level 银卡, and redeems 甲's points (or records a sale of
    甲). The sync stopped on 甲's profile, ledger (and the sale git placed under 乙), asking to keep
    or delete each: kept, 甲 was back beside 乙; deleted, the phone, the tag and the redemption
    were lost. The edit follows 甲 into 乙 where it does not conflict (the phone, the tag), the
    records and points follow too, and the level, which 乙 holds otherwise, is named with the
    command that carries it over; both syncs exit 0, nothing lost, `kehu check` clean."""
    a, b, x, y = _both_with_points(tmp_path, remote)
    merger, changer = (a, b) if merged_here else (b, a)
    ok("customer", "set", y, "level=金卡", store=merger)
    ok("customer", "merge", y, x, store=merger)
    ok("customer", "set", x, "phones+=13700137000", "tags+=绿茶", "level=银卡", store=changer)
    if change == "redeem":
        ok("points", "redeem", x, "100", "--reason", "杯子", store=changer)
    else:
        ok("purchase", "add", x, "--item", "碧螺春", "--price", "50", "--date", "2026-11-10", store=changer)
    sync(b)
    synced = kehu("sync", store=a)
    assert synced.code == 0, synced.err
    said = synced.out + synced.err
    assert f"the changes to {x} made in one clone go into {y}" in said, said
    assert f"`kehu customer set {y} level=银卡`" in said, said
    sync(b)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        assert x not in set(Store.open(clone).iter_customer_ids())
        shown = kehu("customer", "show", y, "--json", store=clone).json()
        assert "+8613700137000" in shown["phones"] and "绿茶" in shown["tags"], shown
        assert shown["level"] == "金卡", shown  # the kept customer's, the other named to carry over
        assert kehu("points", "show", y, "--json", store=clone).json()["balance"] == (
            400 if change == "redeem" else 550)
        bought = sorted(i["name"] for p in shown["purchases"] for i in p["items"])
        assert bought == (["普洱", "碧螺春", "龙井"] if change == "purchase" else ["普洱", "龙井"]), bought
    ok("customer", "set", y, "level=银卡", store=a)  # the command named carries the level over
    assert kehu("customer", "show", y, "--json", store=a).json()["level"] == "银卡"
