"""The seventeenth round (A, 2026-12-06), the last note's open items of issue 16, kinds 5 and 10:
git merges and sync. Each failed on the code before its fix. See docs/reliability.md, "The
outside attacker's variants"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import git, kehu
from .test_hostile_git import team  # noqa: F401 (team: a fixture)
from .test_hostile_sixteenth_sixteenthb import (
    referred_first_sale_in_both,
    sale_points_rebuilt_in_both,
    sale_voided_in_both,
)
from .test_team_merge import ok, remote, sync  # noqa: F401 (remote: a fixture)

# git's pre-merge-commit hook of clone a: the merge has written its files into the working tree
# and not yet committed; the hook kills kehu, git and itself at once (their process group, which
# the test started as a session of its own), as a power cut or the OOM killer would
KILL_GROUP = "#!/bin/sh\nkill -KILL 0\n"


def _killed_while_merging(a: Path, b: Path, cid: str) -> None:
    """b gives 甲 a title and syncs; a records a sale of 甲 and its sync is killed at git's
    pre-merge-commit hook: b's title in a's working tree, no merge in progress."""
    ok("customer", "set", cid, "title=店长", store=b)
    sync(b)
    ok("purchase", "add", cid, "--item", "碧螺春", "--amount", "20", store=a)
    hook = a / ".git" / "hooks" / "pre-merge-commit"
    hook.write_text(KILL_GROUP, encoding="utf-8")
    hook.chmod(0o755)
    killed = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(a), "sync"],
                            capture_output=True, text=True, start_new_session=True, check=False)
    assert killed.returncode == -9, (killed.stdout, killed.stderr)  # killed at the hook
    hook.unlink()
    assert "店长" in next(a.glob("customers/*/*/customer.yaml")).read_text(encoding="utf-8")  # merged, uncommitted


def test_a_sync_killed_between_the_merge_and_its_commit_is_put_back_by_the_next(
        team: tuple[Path, Path, str], remote: Path) -> None:  # noqa: F811
    """Clone b gives 甲 a title and syncs; clone a records a sale of 甲, and its sync is killed
    after git's merge wrote b's title into a's working tree, before the merge commit (no merge
    in progress is left: git writes MERGE_HEAD after that hook). b then takes its title back
    (`kehu undo`) and syncs. a's next sync committed the title as a's own edit and pushed it:
    the change b undid came back in both clones. Now the next command finds the killed sync's
    marker, puts a back as it was before that sync (its sale uncommitted) and says so; the sync
    then merges, and both clones hold a's sale and no title."""
    a, b, cid = team
    _killed_while_merging(a, b, cid)
    ok("undo", store=b)
    sync(b)
    again = kehu("sync", store=a)
    assert again.code == 0, again.err
    assert "interrupted" in again.err and "put back" in again.err, again.err
    sync(b)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        shown = json.loads(ok("customer", "show", cid, "--json", store=clone))
        assert shown.get("title") in (None, ""), shown
        assert [line["name"] for p in shown["purchases"] for line in p["items"]] == ["碧螺春"]


def test_a_killed_syncs_clone_is_put_back_by_kehu_check_too(
        team: tuple[Path, Path, str], remote: Path) -> None:  # noqa: F811
    """The command after the killed sync is `kehu check`, which only reads: it read b's merged
    title as this clone's edit, and left it for the next sync to commit. Now it puts the clone
    back first (the store's lock free: no sync is running) and says so; the sale is still there,
    uncommitted, and the title is not."""
    a, b, cid = team
    _killed_while_merging(a, b, cid)
    checked = kehu("check", store=a)
    assert checked.code == 0 and "put back" in checked.err, checked.err
    shown = json.loads(ok("customer", "show", cid, "--json", store=a))
    assert shown.get("title") in (None, "") and [p["items"][0]["name"] for p in shown["purchases"]] == ["碧螺春"]
    assert git(a, "rev-parse", "HEAD") != git(b, "rev-parse", "HEAD")  # b's commit not in a: nothing merged
    assert "put back" not in kehu("check", store=a).err  # said once
    assert "店长" in git(a, "show", "refs/kehu/killed-sync:" + git(a, "ls-files", "customers/*/customer.yaml").strip())


def test_a_killed_syncs_clone_with_a_commit_made_by_hand_since_is_left_as_it_is(
        team: tuple[Path, Path, str], remote: Path) -> None:  # noqa: F811
    """After the killed sync, a commit made by hand (`git commit -a`, the merged title with it):
    putting the clone back would drop that commit, so kehu leaves it and says so."""
    a, b, cid = team
    _killed_while_merging(a, b, cid)
    git(a, "commit", "-qam", "by hand")
    head = git(a, "rev-parse", "HEAD")
    checked = kehu("check", store=a)
    assert "commits were made here since" in checked.err, checked.err
    assert git(a, "rev-parse", "HEAD") == head


def _known(root: Path, cid: str) -> list[dict]:
    return json.loads(ok("customer", "show", cid, "--json", store=root)).get("also_known") or []


def test_a_customer_merged_again_under_an_id_already_under_also_known_keeps_both_names(store_path: Path) -> None:
    """乙 (X) was merged into 甲甲 (K); another 丙 came to stand under X since (the other clone's
    new customer, kept when the sync asked: `kehu check` names it and says `kehu customer merge K
    X`). That merge kept the first entry of X alone: 丙 and the day it was merged were nowhere.
    Now every merge is an entry of its own (id, merged, name), and `customer show` shows both."""
    root = store_path
    for cid, name, phone in [("K", "甲甲", "13912345679"), ("X", "乙", "13700001111")]:
        ok("customer", "add", "--id", cid, "--name", name, "--phone", phone, store=root)
    folder = next(root.glob("customers/*/X"))
    ok("customer", "merge", "K", "X", store=root)
    folder.mkdir()
    (folder / "customer.yaml").write_text("id: X\nname: 丙\nphones:\n- '+8613700002222'\ncreated: 2026-11-20\n",
                                          encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the other clone's 丙 under X, kept when the sync asked")
    checked = kehu("check", store=root)
    assert checked.code == 1 and "kehu customer merge K X" in checked.out + checked.err
    ok("--today", "2026-11-21", "customer", "merge", "K", "X", store=root)
    assert kehu("check", store=root).code == 0
    assert [(e["id"], e.get("name"), e["merged"]) for e in _known(root, "K")] == [
        ("X", "乙", "2026-11-20"), ("X", "丙", "2026-11-21")]
    shown = ok("customer", "show", "K", store=root)
    assert "乙 (X, merged 2026-11-20)" in shown and "丙 (X, merged 2026-11-21)" in shown, shown


def test_a_customer_with_customers_merged_into_it_merged_again_keeps_every_name(store_path: Path) -> None:
    """甲 (A) took 乙 (B) in; 丙 (C) took another 乙 (B), as two clones' customers under one id
    before they met, and 丁 (D), named as 丙 is; then A takes C in. Every id merged keeps its name
    and date: the second B (named like the first's, another day) and D (whose name was C's, so
    the merge had kept no name for it) too."""
    root = store_path
    for cid, name, phone in [("A", "甲", "13900000001"), ("B", "乙", "13900000002"),
                             ("C", "丙", "13900000003"), ("D", "丙", "13900000004")]:
        ok("customer", "add", "--id", cid, "--name", name, "--phone", phone, store=root)
    ok("customer", "merge", "A", "B", store=root)
    ok("--today", "2026-11-21", "customer", "merge", "C", "D", store=root)
    profile = next(root.glob("customers/*/C/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8")
                       + "- id: B\n  merged: '2026-11-19'\n  name: 乙乙\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the other clone's B, merged into C there")
    ok("--today", "2026-11-22", "customer", "merge", "A", "C", store=root)
    assert kehu("check", store=root).code == 0
    assert sorted((e["id"], e.get("name"), e["merged"]) for e in _known(root, "A")) == [
        ("B", "乙", "2026-11-20"), ("B", "乙乙", "2026-11-19"), ("C", "丙", "2026-11-22"), ("D", "丙", "2026-11-21")]


def _way_on(said: str) -> list[str]:
    """The command a refusal names to take the extra points entry back, as its words."""
    import re
    import shlex

    found = re.findall(r"`(kehu points void [^`]+)`", said)
    assert found, said
    return shlex.split(found[0])[1:]


def _taken_back_and_synced(a: Path, b: Path, refused: str, balances: dict[str, int]) -> None:
    """Run exactly the command the refused sync of clone ``b`` names, there; both synced; then
    each customer holds its ``balances`` in each clone, and `check` is clean."""
    done = kehu(*_way_on(refused), store=b)
    assert done.code == 0, done.err
    ok("sync", store=b)
    ok("sync", store=a)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        for cid, points in balances.items():
            assert kehu("points", "show", cid, "--json", store=clone).json()["balance"] == points


def _refused(a: Path, b: Path, words: str) -> str:
    ok("sync", store=a)
    refused = kehu("sync", store=b)
    assert refused.code == 1 and words in refused.err and "Traceback" not in refused.err, refused.err
    return refused.err


def test_a_referral_bonus_given_in_two_clones_is_taken_back_by_the_command_its_refusal_names(
        tmp_path: Path) -> None:
    """新客 (N), referred by 荐人 (R), buys in each clone before either synced: two bonuses for
    one referral, the later sync refused. Its way on was `kehu undo` of the sale, a sync, and the
    sale recorded again. Now the refusal (and `kehu check`, where a store holds both) names
    `kehu points void ENTRY`, which takes the extra bonus back: both sales stay, one bonus."""
    a, b = referred_first_sale_in_both(tmp_path)
    refused = _refused(a, b, "referral bonus for customer N again")
    _taken_back_and_synced(a, b, refused, {"R": 100, "N": 300})


def test_one_sales_points_awarded_in_two_clones_are_taken_back_by_the_command_its_refusal_names(
        tmp_path: Path) -> None:
    """A sale recorded without its points, given them by `kehu points rebuild` in both clones:
    the later sync refused, and the command it names takes the second award back."""
    a, b = sale_points_rebuilt_in_both(tmp_path)
    refused = _refused(a, b, "points of sale")
    _taken_back_and_synced(a, b, refused, {"K": 300})


def test_one_sale_voided_in_two_clones_is_taken_back_once_by_the_command_its_refusal_names(
        tmp_path: Path) -> None:
    """One sale voided in both clones: two take-backs of its points; the command the refusal
    names takes the second back, the sale voided once, its points taken back once."""
    a, b, sale = sale_voided_in_both(tmp_path)
    refused = _refused(a, b, f"voided sale {sale} again")
    _taken_back_and_synced(a, b, refused, {"K": 0})


def test_a_bonus_given_twice_in_one_store_is_named_by_check_with_the_command_that_takes_it_back(
        tmp_path: Path) -> None:
    """The two bonuses joined by plain git (`git pull`: no kehu check on the way) stand in one
    store: `kehu check` names the second with the same command, which, run as it says, leaves
    `check` clean and one bonus."""
    a, b = referred_first_sale_in_both(tmp_path)
    ok("sync", store=a)
    git(b, "add", "-A")
    git(b, "commit", "-qm", "the rep's sale")
    git(b, "pull", "-q", "--no-rebase", "--no-edit")
    checked = kehu("check", store=b)
    assert checked.code == 1, checked.out
    done = kehu(*_way_on(checked.out + checked.err), store=b)
    assert done.code == 0, done.err
    assert kehu("check", store=b).code == 0
    assert kehu("points", "show", "R", "--json", store=b).json()["balance"] == 100
