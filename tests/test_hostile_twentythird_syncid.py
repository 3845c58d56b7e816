"""Issue 16, the twenty-third round (syncid): what a sync settles itself of a merge git stopped,
and what it says of what it cannot, with real clones of a real bare remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kehu_core.store import Store

from .conftest import git, kehu
from .test_hostile_twentysecond_syncmsg import _both_with_points, changed_then_synced
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
    synced = changed_then_synced(a, b, x, change, changer)
    said = synced.out + synced.err
    assert f"the changes to {x} made in one clone go into {y}" in said, said
    assert f"`kehu customer set {y} level=银卡`" in said, said
    # merged before: no new also_known entry is written, so none of its values is said to be kept there
    assert "kept in also_known" not in said, said
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


@pytest.mark.parametrize("rebase", [False, True])
def test_two_customers_given_one_id_in_a_pull_by_hand_are_named_first_and_the_advice_works(
        tmp_path: Path, remote: Path, rebase: bool) -> None:  # noqa: F811
    """Two reps each type `--id c-wang` for a different customer (王伟 here, 王丽 there), each with a
    sale; the other clone also deleted 赵敏 (旧) by hand while this one changed her level. This rep
    runs `git pull` (a merge, or a rebase) instead of `kehu sync`, which stops, then `kehu sync`.
    Its first line was "a merge is waiting for a decision" (or "kehu check finds 1 problem(s)"),
    then a line to undo the merge beside one to `git add` or `git rm` now: no keeping or deleting
    settles two people under one id. It opens with what it is (two different customers given one
    id) and the way on (undo the merge, `kehu customer reid`, `kehu sync`), in English and in
    Chinese; followed, it ends in a clean `kehu check` and a sync, both people and both sales kept."""
    from .test_team_merge import first_clone, new_clone

    a = first_clone(tmp_path, remote)
    old = ok("customer", "add", "--name", "赵敏 (旧)", "--level", "普通", store=a).strip()
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    ok("customer", "add", "--id", "c-wang", "--name", "王伟", "--phone", "13800000001", store=a)
    ok("purchase", "add", "c-wang", "--item", "龙井", "--price", "300", "--date", "2026-11-01", store=a)
    ok("customer", "set", old, "level=金卡", store=a)
    ok("customer", "add", "--id", "c-wang", "--name", "王丽", "--phone", "13900000002", store=b)
    ok("purchase", "add", "c-wang", "--item", "普洱", "--price", "200", "--date", "2026-11-02", store=b)
    git(b, "rm", "-r", "-q", Store.open(b).customer_dir(old).relative_to(b).as_posix())
    sync(b)
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "mine")
    pulled = subprocess.run(["git", "pull", "--rebase" if rebase else "--no-rebase", "--no-edit"], cwd=a,
                            capture_output=True, text=True)
    assert pulled.returncode != 0, pulled.stdout + pulled.stderr
    for lang, words in (("en", "two different customers"), ("zh_CN", "两个不同的客户")):
        stopped = kehu("--lang", lang, "sync", store=a)
        assert stopped.code == 1 and "Traceback" not in stopped.err, stopped.err
        first = stopped.err.splitlines()[0]
        assert words in first and "kehu customer reid" in first, first
        assert "c-wang" in stopped.err and "+8613900000002" in stopped.err, stopped.err
    assert "git add" not in stopped.err, stopped.err  # nothing to keep or delete before the undo
    git(a, "rebase" if rebase else "merge", "--abort")
    new = ok("customer", "reid", "c-wang", store=a).split()[-1]
    again = kehu("sync", store=a)  # merges again: now 赵敏 (旧) alone waits, to keep or delete
    assert again.code == 1 and "keep or delete" in again.err.splitlines()[0], again.err
    git(a, "add", Store.open(a).customer_file(old).relative_to(a).as_posix())
    sync(a)
    sync(b)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        names = {c["id"]: c["name"] for c in kehu("customer", "list", "--json", store=clone).json()}
        assert names == {"c-wang": "王丽", new: "王伟", old: "赵敏 (旧)"}, names
        for cid, item in (("c-wang", "普洱"), (new, "龙井")):
            shown = kehu("customer", "show", cid, "--json", store=clone).json()
            assert [i["name"] for p in shown["purchases"] for i in p["items"]] == [item], shown
        assert kehu("customer", "show", old, "--json", store=clone).json()["level"] == "金卡"


@pytest.mark.parametrize("kept_by_hand", [False, True])
def test_a_merge_by_hand_of_a_profile_edited_and_merged_away_is_finished_into_the_kept_customer(
        tmp_path: Path, remote: Path, kept_by_hand: bool) -> None:  # noqa: F811
    """The edit and the redemption of the first test, merged by hand (`git merge`, a `git pull`),
    which stops on 甲's profile and ledger. `kehu check` said "a customer is kept or deleted whole"
    of both: kept, 甲 stood again beside 乙 (`check` then refused the store); deleted, the phone,
    the tag and the redemption were lost. It says that the change follows 甲 into 乙, and `kehu
    sync` (the person's `git add` of both first, or not) finishes the merge so, the level named."""
    a, b, x, y = _both_with_points(tmp_path, remote)
    ok("customer", "set", y, "level=金卡", store=a)
    ok("customer", "merge", y, x, store=a)
    ok("customer", "set", x, "phones+=13700137000", "tags+=绿茶", "level=银卡", store=b)
    ok("points", "redeem", x, "100", "--reason", "杯子", store=b)
    sync(b)
    git(a, "fetch", "-q")
    stopped = subprocess.run(["git", "merge", "--no-edit", "@{u}"], cwd=a, capture_output=True, text=True)
    assert stopped.returncode == 1, stopped.stdout
    stuck = git(a, "diff", "--name-only", "--diff-filter=U").split()
    assert len(stuck) == 2 and all(f"/{x}/" in rel for rel in stuck), stuck
    said = kehu("check", store=a).out
    assert "kept or deleted whole" not in said, said
    assert f"this clone merged {x} into {y}" in said and f"into {y} when `kehu sync` finishes" in said, said
    if kept_by_hand:
        git(a, "add", *stuck)
    finished = kehu("sync", store=a)
    assert finished.code == 0, finished.err
    assert f"the changes to {x} made in one clone go into {y}" in finished.err, finished.err
    assert f"`kehu customer set {y} level=银卡`" in finished.err, finished.err
    sync(b)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        assert x not in set(Store.open(clone).iter_customer_ids())
        shown = kehu("customer", "show", y, "--json", store=clone).json()
        assert "+8613700137000" in shown["phones"] and "绿茶" in shown["tags"], shown
        assert sorted(i["name"] for p in shown["purchases"] for i in p["items"]) == ["普洱", "龙井"], shown
        assert kehu("points", "show", y, "--json", store=clone).json()["balance"] == 400


@pytest.mark.parametrize(("change", "by_hand"), [("tag", False), ("sale", False), ("sale", True)])
def test_a_referral_to_another_customer_merged_away_follows_it_beside_an_edited_profile(
        tmp_path: Path, remote: Path, change: str, by_hand: bool) -> None:  # noqa: F811
    """The supervisor merges 甲 into 乙 and 丙 into 丁 and syncs; a rep, meanwhile, tags 甲 (or
    records a sale of 甲: its points follow 甲) and records that 丙 referred 张三, then syncs (or
    merges by hand, `git pull`, first). The sync merged 甲 into 乙 again (a commit after the
    merge's) and then looked for references to the customers merged away from the wrong commit
    (the merge's parent was that commit now; by hand, it had no second parent): 张三's referrer
    still named 丙, gone, and the sync was undone, "referrer: no such customer", at every try.
    张三 names 丁."""
    from .test_team_merge import first_clone, new_clone

    a = first_clone(tmp_path, remote)
    x, y, z, w, s = (ok("customer", "add", "--name", name, "--phone", phone, store=a).strip() for name, phone in
                     (("甲", "13800138000"), ("乙", "13800138001"), ("丙", "13800138002"), ("丁", "13800138003"),
                      ("张三", "13800138004")))
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    ok("customer", "merge", y, x, store=a)
    ok("customer", "merge", w, z, store=a)
    sync(a)
    if change == "tag":
        ok("customer", "set", x, "tags+=绿茶", store=b)
    else:
        ok("purchase", "add", x, "--item", "碧螺春", "--price", "50", "--date", "2026-11-10", store=b)
    ok("customer", "set", s, f"referrer={z}", store=b)
    if by_hand:
        git(b, "add", "-A")
        git(b, "commit", "-q", "-m", "mine")
        subprocess.run(["git", "pull", "--no-rebase", "--no-edit"], cwd=b, capture_output=True, text=True)
    synced = kehu("sync", store=b)
    assert synced.code == 0, synced.err
    sync(a)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        assert kehu("customer", "show", s, "--json", store=clone).json()["referrer"] == w
        shown = kehu("customer", "show", y, "--json", store=clone).json()
        assert ("绿茶" in shown["tags"]) if change == "tag" else (
            [i["name"] for p in shown["purchases"] for i in p["items"]] == ["碧螺春"]), shown
