"""Issue 16, the twenty-third round (syncnote): what a sync says it did when it merges a customer
changed in one clone into the one the other clone merged it into, with real clones of a real
bare remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import git, kehu
from .test_hostile_twentysecond_syncmsg import _both_with_points
from .test_team_merge import ok, remote, sync  # noqa: F401


@pytest.mark.parametrize(("merged_here", "by_hand"), [(True, False), (False, False), (True, True)])
def test_the_note_counts_the_sale_git_placed_under_the_kept_customer(
        tmp_path: Path, remote: Path, merged_here: bool, by_hand: bool) -> None:  # noqa: F811
    """One clone merges 甲 into 乙; the other gives 甲 a tag and records a sale of 甲. Git's rename of
    甲's folder puts the sale under 乙 before the sync merges 甲 into 乙 again, and the note said
    "merged 甲 into 乙; 0 records moved" of a sale that went into 乙 (a rep reading it would look
    for the sale). It counts it: "1 records moved", in English and in Chinese (the same merge
    finished by hand, `git merge`, then `kehu sync`, too)."""
    a, b, x, y = _both_with_points(tmp_path, remote)
    merger, changer = (a, b) if merged_here else (b, a)
    ok("customer", "merge", y, x, store=merger)
    ok("customer", "set", x, "tags+=绿茶", store=changer)
    ok("purchase", "add", x, "--item", "碧螺春", "--price", "50", "--date", "2026-11-10", store=changer)
    sync(b)
    if by_hand:
        git(a, "fetch", "-q")
        stopped = subprocess.run(["git", "merge", "--no-edit", "@{u}"], cwd=a, capture_output=True, text=True)
        assert stopped.returncode == 1, stopped.stdout
    synced = kehu("--lang", "zh_CN", "sync", store=a)
    assert synced.code == 0, synced.err
    said = synced.out + synced.err
    assert f"一个副本中对 {x} 的修改并入 {y}" in said, said
    assert "移过来 1 条记录" in said and "移过来 0 条记录" not in said, said
    shown = kehu("customer", "show", y, "--json", store=a).json()
    assert sorted(i["name"] for p in shown["purchases"] for i in p["items"]) == ["普洱", "碧螺春", "龙井"], shown
    sync(b)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out


def test_the_note_in_english_counts_the_sale_git_placed(tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """The first test's sync in English: "1 records moved", not "0 records moved"."""
    a, b, x, y = _both_with_points(tmp_path, remote)
    ok("customer", "merge", y, x, store=a)
    ok("purchase", "add", x, "--item", "碧螺春", "--price", "50", "--date", "2026-11-10", store=b)
    ok("customer", "set", x, "tags+=绿茶", store=b)
    sync(b)
    synced = kehu("sync", store=a)
    assert synced.code == 0, synced.err
    said = synced.out + synced.err
    assert f"the changes to {x} made in one clone go into {y}" in said, said
    assert "1 records moved" in said and "0 records moved" not in said, said
