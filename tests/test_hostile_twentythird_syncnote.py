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


@pytest.mark.parametrize(("merged_here", "by_hand", "kept_by_hand"),
                         [(True, False, False), (False, False, False), (True, True, False), (True, True, True)])
def test_the_note_counts_the_sale_git_placed_under_the_kept_customer(
        tmp_path: Path, remote: Path, merged_here: bool, by_hand: bool, kept_by_hand: bool) -> None:  # noqa: F811
    """One clone merges 甲 into 乙; the other gives 甲 a tag and records a sale of 甲. Git's rename of
    甲's folder puts the sale under 乙 before the sync merges 甲 into 乙 again, and the note said
    "merged 甲 into 乙; 0 records moved" of a sale that went into 乙 (a rep reading it would look
    for the sale). It counts it: "1 records moved", in English and in Chinese (the same merge
    finished by hand, `git merge`, then `kehu sync`, the files git stopped on kept by hand or not)."""
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
        if kept_by_hand:  # the person keeps what git stopped on (`git add`) before the sync
            git(a, "add", *git(a, "diff", "--name-only", "--diff-filter=U").split())
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


def _confidential_pair(tmp_path: Path, remote: Path) -> tuple[Path, Path, str, str, Path]:  # noqa: F811
    """Clone a whose kehu.yaml makes birthday and family confidential (the supervisor's key), with
    甲 (born 1990-05-01, a sale) and 乙 (born 1988-03-03): two birthdays, which a merge cannot join.
    The supervisor clears 甲's and merges 甲 into 乙 in a, as the merge's refusal asks, while clone b
    tags 甲 and records a sale of 甲. Returns a, b, 甲's id, 乙's and the supervisor's key."""
    from .test_confidential import keyfile
    from .test_team_merge import first_clone, new_clone

    folder = tmp_path / "keys"
    folder.mkdir()
    boss, public = keyfile(folder, "boss")
    a = first_clone(tmp_path, remote)
    with (a / "kehu.yaml").open("a", encoding="utf-8") as settings:
        settings.write(f"confidential:\n  fields: [family, birthday]\n  recipients:\n    主管: {public}\n"
                       "  supervisors: [主管]\n")
    x, y = (ok("customer", "add", "--name", name, "--phone", phone, "--birthday", born, "--set", f"family={family}",
               store=a).strip()
            for name, phone, born, family in (("甲", "13800138000", "1990-05-01", "甲家"),
                                              ("乙", "13800138001", "1988-03-03", "乙家")))
    ok("purchase", "add", x, "--item", "龙井", "--price", "300", "--date", "2026-11-01", store=a)
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    refused = kehu("--identity", str(boss), "customer", "merge", y, x, store=a)
    assert refused.code == 1 and "cannot be joined" in refused.err, refused.err
    ok("--identity", str(boss), "customer", "set", x, "birthday=", store=a)
    ok("--identity", str(boss), "customer", "merge", y, x, store=a)
    ok("customer", "set", x, "tags+=绿茶", store=b)
    ok("purchase", "add", x, "--item", "碧螺春", "--price", "50", "--date", "2026-11-10", store=b)
    return a, b, x, y, boss


def _kept_alone_in_both(a: Path, b: Path, y: str, boss: Path) -> list[dict]:
    """In each clone: `kehu check` clean, 乙 (``y``) the one customer listed, holding both sales
    (龙井 and 碧螺春); what `customer show` says of 乙 with the supervisor's identity, a clone each."""
    said = []
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        assert [c["id"] for c in kehu("customer", "list", "--json", store=clone).json()] == [y]
        shown = kehu("--identity", str(boss), "customer", "show", y, "--json", store=clone).json()
        assert sorted(i["name"] for p in shown["purchases"] for i in p["items"]) == ["碧螺春", "龙井"], shown
        said.append(shown)
    return said


@pytest.mark.parametrize(("with_key", "merger_syncs_last"), [(False, True), (True, True), (False, False)])
def test_a_customer_merged_with_confidential_values_that_cannot_be_joined_follows_into_the_kept_one(
        tmp_path: Path, remote: Path, with_key: bool, merger_syncs_last: bool) -> None:  # noqa: F811
    """甲 and 乙 hold two confidential birthdays, which a merge cannot join: the supervisor cleared
    甲's and merged 甲 into 乙, while the other clone tagged 甲 and sold to 甲 (甲's birthday, as
    that clone has it, untouched). The sync's merge of 甲 into 乙 again was refused, "both hold a
    different confidential birthday ... clear 甲's (kehu customer set 甲 birthday=)", at every try,
    in a clone where 甲 no longer is: the tag and the sale could not be shared. The first merge
    decided what the other clone did not change: the sync finishes, 乙 keeps her birthday, and
    gets the tag and the sale (with the key or without: nothing confidential needs reading)."""
    a, b, x, y, boss = _confidential_pair(tmp_path, remote)
    first, last = (b, a) if merger_syncs_last else (a, b)
    key = ("--identity", str(boss)) if with_key else ()
    sync(first)
    synced = kehu(*key, "sync", store=last)
    assert synced.code == 0, synced.err
    sync(first)
    for shown in _kept_alone_in_both(a, b, y, boss):
        assert shown["birthday"] == "1988-03-03" and "绿茶" in shown["tags"], shown
        assert "甲家" in shown["family"] and "乙家" in shown["family"], shown


@pytest.mark.parametrize("merger_syncs_last", [True, False])
def test_a_confidential_value_changed_and_merged_away_that_cannot_be_joined_stops_the_sync_with_a_way_on(
        tmp_path: Path, remote: Path, merger_syncs_last: bool) -> None:  # noqa: F811
    """As above, but the other clone also changes 甲's birthday (to 1990-06-01): that change cannot
    be joined with 乙's. The sync stopped with the clone as it was, but with the merge's own words,
    "clear 甲's (kehu customer set 甲 birthday=), then merge again", in a clone where 甲 no longer
    is. It says which clone can settle it and how; followed (乙 takes the new birthday, 甲's is
    cleared where 甲 stands, both sync), nothing is lost and both clones check clean."""
    a, b, x, y, boss = _confidential_pair(tmp_path, remote)
    ok("--identity", str(boss), "customer", "set", x, "birthday=1990-06-01", store=b)
    first, last = (b, a) if merger_syncs_last else (a, b)
    sync(first)
    head, status = git(last, "rev-parse", "HEAD"), git(last, "status", "--short")
    for lang, words in (("en", f"In the clone where {x} still stands"), ("zh_CN", f"在 {x} 仍在的副本中")):
        stopped = kehu("--lang", lang, "--identity", str(boss), "sync", store=last)
        assert stopped.code == 1 and "Traceback" not in stopped.err, stopped.err
        assert words in stopped.err and f"`kehu customer set {x} birthday=`" in stopped.err, stopped.err
        assert (git(last, "rev-parse", "HEAD"), git(last, "status", "--short")) == (head, status)  # as it was
        assert kehu("check", store=last).code == 0, kehu("check", store=last).out
    ok("--identity", str(boss), "customer", "set", y, "birthday=1990-06-01", store=b)
    ok("--identity", str(boss), "customer", "set", x, "birthday=", store=b)
    sync(b)
    sync(a)
    sync(b)
    for shown in _kept_alone_in_both(a, b, y, boss):
        assert shown["birthday"] == "1990-06-01" and "绿茶" in shown["tags"], shown


def test_the_same_merged_by_hand_says_the_merge_stays_and_its_way_on_works_here(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """The case above merged by hand in the merger's clone (`git merge`, then `kehu sync`): the
    sync commits the merge as the person left it, then cannot merge 甲 into 乙. It said "the sync is
    undone, nothing was changed in this clone" while the merge stayed committed and 甲 stood beside
    乙 (`kehu check` refusing the store). It says the merge is finished and stays (not pushed), and
    why 甲 is not merged; the refusal's own advice, followed here where 甲 stands, ends clean."""
    a, b, x, y, boss = _confidential_pair(tmp_path, remote)
    ok("--identity", str(boss), "customer", "set", x, "birthday=1990-06-01", store=b)
    sync(b)
    git(a, "fetch", "-q")
    stopped = subprocess.run(["git", "merge", "--no-edit", "@{u}"], cwd=a, capture_output=True, text=True)
    assert stopped.returncode == 1, stopped.stdout
    refused = kehu("--identity", str(boss), "sync", store=a)
    assert refused.code == 1 and "Traceback" not in refused.err, refused.err
    assert "nothing was changed in this clone" not in refused.err, refused.err
    assert "finished the merge the last sync left open" in refused.err and "not pushed" in refused.err, refused.err
    assert f"could not merge {x} into {y}" in refused.err and "cannot be joined" in refused.err, refused.err
    ok("--identity", str(boss), "customer", "set", y, "birthday=1990-06-01", store=a)
    ok("--identity", str(boss), "customer", "set", x, "birthday=", store=a)
    ok("--identity", str(boss), "customer", "merge", y, x, store=a)
    sync(a)
    sync(b)
    for shown in _kept_alone_in_both(a, b, y, boss):
        assert shown["birthday"] == "1990-06-01" and "绿茶" in shown["tags"], shown


@pytest.mark.parametrize("merger_syncs_last", [True, False])
def test_a_confidential_value_changed_and_merged_away_synced_without_a_key_says_to_sync_with_one(
        tmp_path: Path, remote: Path, merger_syncs_last: bool) -> None:  # noqa: F811
    """The other clone changes 甲's confidential family (text, which a merge joins) besides the tag
    and the sale; the sync is run without a key. Merging 甲 into 乙 again needs the family read: the
    sync stopped with the clone as it was, saying "merge with the identity of someone who reads both
    customers". It says to run `kehu sync` with it; so run, the sync finishes and both families
    are 乙's."""
    a, b, x, y, boss = _confidential_pair(tmp_path, remote)
    ok("--identity", str(boss), "customer", "set", x, "family=甲家新", store=b)
    first, last = (b, a) if merger_syncs_last else (a, b)
    sync(first)
    head, status = git(last, "rev-parse", "HEAD"), git(last, "status", "--short")
    stopped = kehu("sync", store=last)
    assert stopped.code == 1 and "Traceback" not in stopped.err, stopped.err
    assert "Run `kehu sync` with the identity of someone who reads both customers" in stopped.err, stopped.err
    assert (git(last, "rev-parse", "HEAD"), git(last, "status", "--short")) == (head, status)  # as it was
    assert kehu("--identity", str(boss), "sync", store=last).code == 0
    sync(first)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        shown = kehu("--identity", str(boss), "customer", "show", y, "--json", store=clone).json()
        assert "乙家" in shown["family"] and "甲家新" in shown["family"] and "绿茶" in shown["tags"], shown
