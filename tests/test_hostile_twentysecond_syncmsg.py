"""Issue 16, the twenty-second round: what a stopped `kehu sync` says, and the records it settles
itself, with real clones of a real bare remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kehu_core.ids import shard
from kehu_core.store import Store
from kehu_core.testing import Result

from .conftest import git, kehu
from .test_team_merge import first_clone, new_clone, ok, remote, sale_of_one_merged_away, sold_while_merged_away, sync  # noqa: F401


def _edited_here_deleted_there(tmp_path: Path, remote: Path) -> tuple[Path, Path, str]:  # noqa: F811
    """Clone a edits 赵敏 (旧) while clone b deleted her by hand and synced first: a's sync stops
    on her profile, changed here and deleted there (a decision: keep or delete, nothing to edit).
    Returns a, b and the profile's path (relative)."""
    a = first_clone(tmp_path, remote)
    ok("customer", "add", "--name", "赵敏", store=a)
    gone = ok("customer", "add", "--name", "赵敏 (旧)", "--level", "普通", store=a).strip()
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    git(b, "rm", "-r", "-q", f"customers/{shard(gone)}/{gone}")
    git(b, "commit", "-q", "-m", "the duplicate deleted")
    return a, b, Store.open(a).customer_file(gone).relative_to(a).as_posix()


def _one_line_two_ways(a: Path, b: Path) -> None:
    """One line added to .gitignore two ways: a conflict of lines, to edit."""
    for clone, name in ((a, "a.pdf"), (b, "b.pdf")):
        with (clone / ".gitignore").open("a", encoding="utf-8") as ignore:
            ignore.write(f"{name}\n")
    git(b, "commit", "-qam", "ignore b.pdf")


def test_a_sync_stopped_on_keep_or_delete_decisions_says_keep_or_delete_not_edit(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """Every file the sync stopped on was a decision (changed in one clone, deleted in the other),
    and its first line said "changed on both sides in ways kehu cannot merge ... Edit them":
    there is nothing to edit. It says to keep or delete them now, in English and in Chinese."""
    a, b, rel = _edited_here_deleted_there(tmp_path, remote)
    sync(b)
    ok("customer", "set", rel.split("/")[-2], "level=金卡", store=a)
    stopped = kehu("sync", store=a)
    assert stopped.code == 1 and "Traceback" not in stopped.err, stopped.err
    first = stopped.err.splitlines()[0]
    assert "Edit them" not in first and "changed on both sides" not in first, first
    assert "1 file(s)" in first and "keep or delete" in first and "nothing to edit" in first, first
    assert f"{rel}:1: changed in this clone, deleted in the other" in stopped.err
    git(a, "merge", "--abort")
    chinese = kehu("--lang", "zh_CN", "sync", store=a)
    first = chinese.err.splitlines()[0]
    assert chinese.code == 1 and "保留或删除" in first and "请编辑" not in first, first


def test_a_sync_stopped_on_lines_to_edit_and_decisions_says_which_is_which(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """A conflict of lines (to edit) and a customer changed here, deleted there (to keep or
    delete), in one stopped sync: the first line says how many of each, and each is listed."""
    a, b, rel = _edited_here_deleted_there(tmp_path, remote)
    _one_line_two_ways(a, b)
    sync(b)
    ok("customer", "set", rel.split("/")[-2], "level=金卡", store=a)
    stopped = kehu("sync", store=a)
    assert stopped.code == 1 and "Traceback" not in stopped.err, stopped.err
    first = stopped.err.splitlines()[0]
    assert "2 file(s)" in first and "1 to edit" in first and "1 to keep or delete" in first, first
    assert f"{rel}:1: changed in this clone, deleted in the other" in stopped.err
    assert ".gitignore:3: unresolved git merge conflict" in stopped.err, stopped.err


def test_a_sync_stopped_on_lines_alone_still_says_edit_them(tmp_path: Path, remote: Path) -> None:  # noqa: F811
    a = first_clone(tmp_path, remote)
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    _one_line_two_ways(a, b)
    sync(b)
    stopped = kehu("sync", store=a)
    first = stopped.err.splitlines()[0]
    assert stopped.code == 1 and "Edit them" in first and "keep or delete" not in first, stopped.err


@pytest.mark.parametrize("merged_here", [True, False])
def test_a_record_git_placed_under_the_kept_customer_is_kept_by_the_sync(
        tmp_path: Path, remote: Path, merged_here: bool) -> None:  # noqa: F811
    """One clone merges 甲 into 乙 (`kehu customer merge`) while the other records a sale of 甲.
    Git's directory-rename detection puts the sale under 乙, as the merge would have, with its
    points, and stopped the sync to ask `git add` or `git rm` of it: nothing else was possible
    than keeping it (deleting it loses a sale). The sync keeps it at once, as it keeps the records
    of a customer given a new id, says so, and pushes: both clones hold both sales under 乙."""
    a, b, x, y = sold_while_merged_away(tmp_path, remote, merged_here=merged_here)
    synced = kehu("sync", store=a)
    assert synced.code == 0, synced.err
    assert f"the records of {x} written in one clone while the other merged it into {y} are {y}'s: 1" \
        in synced.out + synced.err, synced.out + synced.err
    sync(b)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        shown = kehu("customer", "show", y, "--json", store=clone).json()
        assert sorted(i["name"] for p in shown["purchases"] for i in p["items"]) == ["碧螺春", "龙井"], shown
        assert kehu("points", "show", y, "--json", store=clone).json()["balance"] == 150
        assert x not in set(Store.open(clone).iter_customer_ids())



def _both_with_points(tmp_path: Path, remote: Path) -> tuple[Path, Path, str, str]:  # noqa: F811
    """Clone a with 甲 (a sale of ¥300: 300 points) and 乙 (¥200: 200 points), synced, and clone b
    of it. Returns a, b, 甲's id and 乙's."""
    a = first_clone(tmp_path, remote)
    x = ok("customer", "add", "--name", "甲", "--phone", "13800138000", store=a).strip()
    y = ok("customer", "add", "--name", "乙", "--phone", "13800138001", store=a).strip()
    ok("purchase", "add", x, "--item", "龙井", "--price", "300", "--date", "2026-11-01", store=a)
    ok("purchase", "add", y, "--item", "普洱", "--price", "200", "--date", "2026-11-02", store=a)
    sync(a)
    return a, new_clone(tmp_path, remote, "b"), x, y


def changed_then_synced(a: Path, b: Path, x: str, change: str, changer: Path) -> Result:
    """甲's points redeemed (``change`` "redeem") or a sale of 甲 recorded in ``changer``, then b
    synced and a's sync run (exit 0 asserted): what a's sync said."""
    if change == "redeem":
        ok("points", "redeem", x, "100", "--reason", "杯子", store=changer)
    else:
        ok("purchase", "add", x, "--item", "碧螺春", "--price", "50", "--date", "2026-11-10", store=changer)
    sync(b)
    synced = kehu("sync", store=a)
    assert synced.code == 0, synced.err
    return synced


@pytest.mark.parametrize(("change", "merged_here"),
                         [("redeem", True), ("redeem", False), ("purchase", True), ("purchase", False)])
def test_points_of_a_customer_merged_away_follow_it_into_a_kept_customer_with_points(
        tmp_path: Path, remote: Path, change: str, merged_here: bool) -> None:  # noqa: F811
    """One clone merges 甲 into 乙, who has points of her own (`customer merge` appends 甲's
    entries to 乙's ledger and deletes 甲's), while the other redeems 甲's points (or records a
    sale of 甲, its points entry in 甲's ledger). The sync stopped on 甲's ledger, "deleted in this
    clone, changed in the other", asking to keep it (a ledger without its customer, which `kehu
    check` rejects) or delete it (the redemption lost: 乙's balance 100 too high). The new
    entries follow 甲 into 乙's ledger, as the merge would have taken them had they been there."""
    a, b, x, y = _both_with_points(tmp_path, remote)
    merger, changer = (a, b) if merged_here else (b, a)
    ok("customer", "merge", y, x, store=merger)
    synced = changed_then_synced(a, b, x, change, changer)
    where = "the other clone follow it into {y}, into whom this" if merged_here else \
        "this clone follow it into {y}, into whom the other"
    assert f"the records of {x} added in {where.format(y=y)} clone merged it" in synced.err, synced.err
    sync(b)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        assert x not in set(Store.open(clone).iter_customer_ids())
        assert not Store.open(clone).customer_dir(x).exists()
        entries = Store.open(clone).ledger(y, "points")
        assert kehu("points", "show", y, "--json", store=clone).json()["balance"] == (
            400 if change == "redeem" else 550), entries
        if change == "redeem":
            assert [e.get("note") for e in entries if e.get("reason") == "redeem"] == ["杯子"], entries
        else:
            assert sorted(i["name"] for p in kehu("customer", "show", y, "--json", store=clone).json()["purchases"]
                          for i in p["items"]) == ["普洱", "碧螺春", "龙井"]


def test_a_ledger_kept_by_hand_of_a_customer_merged_away_follows_it(tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """The redemption of the test above merged by hand (`git merge`, a `git pull`), which stops
    on 甲's ledger; the person keeps it (`git add`), as kehu check asks, then `kehu sync`. The
    sync finished the merge "deleted customers/…/甲 whole": the kept ledger went, the redemption
    lost (乙's balance 500 where 400). A kept file of a customer merged away follows it into the
    customer kept, as the sync's own merge has it follow."""
    a, b, x, y = _both_with_points(tmp_path, remote)
    ok("customer", "merge", y, x, store=a)
    ok("points", "redeem", x, "100", "--reason", "杯子", store=b)
    sync(b)
    git(a, "fetch", "-q")
    stopped = subprocess.run(["git", "merge", "--no-edit", "@{u}"], cwd=a, capture_output=True, text=True)
    assert stopped.returncode == 1, stopped.stdout
    [rel] = git(a, "diff", "--name-only", "--diff-filter=U").split()
    assert rel.endswith(f"/{x}/points.ledger.yaml"), rel
    said = kehu("check", store=a).out  # not "a customer is kept or deleted whole": it is merged
    assert f"this clone merged {x} into {y}" in said and f"follow it into {y}" in said, said
    assert "kept or deleted whole" not in said, said
    git(a, "add", rel)
    finished = kehu("sync", store=a)
    assert finished.code == 0, finished.err
    assert "deleted" not in finished.err, finished.err
    sync(b)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        assert x not in set(Store.open(clone).iter_customer_ids())
        assert kehu("points", "show", y, "--json", store=clone).json()["balance"] == 400


def test_a_merge_by_hand_stopped_on_a_record_git_placed_is_finished_by_the_sync(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """The sale of 甲 placed under 乙 by git (the test above), in a merge made by hand (`git
    pull`): `kehu sync` refused it, "a merge is waiting for a decision", for a file whose one
    choice that loses nothing is keeping it, which the sync's own merge now does. It finishes
    the merge keeping it, says so, and shares it."""
    a, b, x, y = sale_of_one_merged_away(tmp_path, remote)
    finished = kehu("sync", store=a)
    assert finished.code == 0, finished.err
    assert f"the records of {x} written in one clone while the other merged it into {y} are {y}'s: 1" \
        in finished.err, finished.err
    sync(b)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        shown = kehu("customer", "show", y, "--json", store=clone).json()
        assert sorted(i["name"] for p in shown["purchases"] for i in p["items"]) == ["碧螺春", "龙井"], shown
