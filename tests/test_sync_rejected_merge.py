"""A merge kehu check rejects (issue 16, kind 5): kehu sync pushes nothing and leaves the clone
as it was, and says what gets the team going again. Two cases a second sync cannot get past:
a record pushed broken by plain git (every clone's sync stops on it), and two changes that
are each fine and cannot both stand (a sale paid in full in both clones). Each message names
the way out, and following it works."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.ids import shard

from .conftest import git, kehu
from .pluginutil import configure
from .test_hostile_git import team, work_hash  # noqa: F401 (team: a fixture)
from .test_team_merge import (  # noqa: F401 (remote: a fixture)
    balance,
    customer_with_points,
    first_clone,
    new_clone,
    ok,
    points_lines,
    remote,
    sync,
)


def _purchase(store: Path, cid: str) -> Path:
    return next((store / "customers" / shard(cid) / cid / "interactions").glob("*.yaml"))


def test_a_record_pushed_broken_by_plain_git_is_said_to_be_theirs_and_can_be_fixed(
        team: tuple[Path, Path, str]) -> None:  # noqa: F811
    a, b, cid = team
    ok("purchase", "add", cid, "--amount", "50", "--date", "2026-11-03", "--credit", store=a)
    sync(a)
    git(b, "pull", "-q", "--no-rebase")
    record = _purchase(b, cid)  # the colleague edits by hand and pushes with plain git
    record.write_text(record.read_text(encoding="utf-8").replace("amount: 50.00", "amount: -50.00"),
                      encoding="utf-8")
    git(b, "commit", "-qam", "by hand")
    git(b, "push", "-q")
    ok("customer", "set", cid, "title=店长", store=a)
    before, head = work_hash(a), git(a, "rev-parse", "HEAD")
    for _ in range(2):  # again: the same, not "run kehu sync again"
        result = kehu("sync", store=a)
        assert result.code == 1 and "Traceback" not in result.err, result.err
        assert "are in origin/master's files as they were pushed, not in your changes" in result.err, result.err
        assert "run `kehu sync` again" not in result.err
        assert "amount: Input should be greater than or equal to 0" in result.err
        assert work_hash(a) == before and git(a, "rev-parse", "HEAD") == head
    # the way out the message gives, in this clone
    git(a, "merge", "-q", "origin/master")
    assert kehu("check", store=a).code == 1
    mine = _purchase(a, cid)
    mine.write_text(mine.read_text(encoding="utf-8").replace("amount: -50.00", "amount: 50.00"), encoding="utf-8")
    git(a, "commit", "-qam", "fixed")
    sync(a)
    assert kehu("check", store=a).code == 0
    shown = kehu("customer", "show", cid, store=a).out
    assert "店长" in shown
    # the colleague's own clone holds the broken record: its sync says so ("in this clone");
    # the fix pulled, it syncs again, as does the team
    assert "finds 1 problem(s) in this clone" in kehu("sync", store=b).err
    git(b, "pull", "-q", "--no-rebase")
    sync(b)
    assert kehu("check", store=b).code == 0


@pytest.mark.parametrize("undo", [True, False], ids=["undo", "paid-elsewhere"])
def test_a_sale_paid_in_full_in_both_clones_is_said_to_need_a_decision(
        undo: bool, team: tuple[Path, Path, str]) -> None:  # noqa: F811
    a, b, cid = team
    ok("purchase", "add", cid, "--amount", "100", "--date", "2026-11-02", "--credit", store=a)
    sync(a)
    sync(b)
    ok("purchase", "pay", cid, store=a)
    ok("purchase", "pay", cid, store=b)
    _later_sync_refused(a, b, "payments: the payments add up to 200.00, more than the purchase's amount 100.00")
    if undo:  # the way out the message gives: take this clone's payment back
        ok("undo", store=b)
    else:  # or take the other clone's back there
        ok("undo", store=a)
        sync(a)
    sync(b)
    sync(a)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        assert _purchase(clone, cid).read_text(encoding="utf-8").count("amount: 100.00}") == 1


@pytest.mark.parametrize("kept", ["both", "one", "none", "both, then one copy paid"])
def test_customers_merged_each_into_the_other_in_two_clones_count_each_purchase_once(
        kept: str, team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """Clone a keeps x (`customer merge x y`), clone b keeps y (`customer merge y x`). b's sync
    asks which to keep, and now says the two were merged each into the other: keep one. Kept
    both, each profile came back whole with both purchases, so every purchase was counted twice
    (revenue, points, what is owed), pushed, `kehu check` ok. Now check names the record at
    both its files and the sync is refused until one customer is kept; `kehu customer merge`
    then keeps each purchase once, in both clones. Deleted both, every purchase of the two was
    gone: the sync now refuses and says how to put one back. Kept both and one copy of a
    purchase then paid: check said ok and the next `customer merge` kept both copies (the
    paid one under a new id: counted twice); now check names it and the merge joins the
    copies into one purchase with its payment."""
    a, b, x = team
    y = ok("customer", "add", "--name", "甲", "--phone", "13800138001", store=a).strip()
    ok("purchase", "add", x, "--amount", "50", "--date", "2026-11-03", "--credit", store=a)
    ok("purchase", "add", y, "--amount", "70", "--date", "2026-11-04", "--credit", store=a)
    sync(a)
    sync(b)
    ok("customer", "merge", x, y, store=a)
    ok("customer", "merge", y, x, store=b)
    sync(a)
    asked = kehu("sync", store=b)
    assert asked.code == 1 and "keep it with `git add" in asked.err, asked.err
    both = "and {} were merged each into the other, here and in the other clone: keep one of the two"
    assert both.format(x) in asked.err and both.format(y) in asked.err, asked.err  # said before it is done
    assert both.format(x) in kehu("check", store=b).out
    for rel in git(b, "diff", "--name-only", "--diff-filter=U").split():
        if kept == "one" and f"/{y}/" in rel or kept == "none":
            git(b, "rm", "-q", rel)  # y deleted whole, as the sync said (none: x too)
        else:
            git(b, "add", rel)  # kept (both: as the sync allows)
    pushed = git(a, "rev-parse", "HEAD").strip()
    if kept == "none":
        refused = kehu("sync", store=b)
        assert refused.code == 1 and "Traceback" not in refused.err, refused.err
        assert "were merged each into the other, and both are deleted" in refused.err, refused.err
        assert git(b, "ls-remote", "origin", "master").split()[0] == pushed  # nothing spread
        back = next(line for line in refused.err.splitlines() if "git checkout" in line)
        put_back = back.split("`git checkout ")[1].split("`")[0].split()  # the first way it gives
        git(b, "checkout", *put_back)
        kept = "one"
    if kept == "one":  # as the sync said: one kept whole, the other deleted whole
        sync(b)
        sync(a)
        _counted_once(a, b, *_kept_and_gone(b, x, y))
        return
    refused = kehu("sync", store=b)
    assert refused.code == 1 and "Traceback" not in refused.err, refused.err
    assert "finished the merge the last sync left open" in refused.err, refused.err
    assert f"is also under customer {x}" in refused.err and f"is also under customer {y}" in refused.err
    assert git(b, "ls-remote", "origin", "master").split()[0] == pushed  # nothing spread
    checked = kehu("check", store=b)
    assert checked.code == 1
    held = [line for line in checked.out.splitlines() if "counted twice" in line]
    assert len(held) == 4, checked.out  # two purchases, each at both its files
    assert all("/interactions/" in line and ".yaml:1: " in line for line in held)
    owed = "120.00"
    if kept == "both, then one copy paid":  # b takes a payment on x's copy of y's purchase
        paid = next(p for p in (b / "customers" / shard(x) / x / "interactions").glob("2026-11-04*"))
        ok("purchase", "pay", x, paid.stem, "--amount", "30", "--date", "2026-11-05", store=b)
        held = [line for line in kehu("check", store=b).out.splitlines() if "counted twice" in line]
        assert len(held) == 4, held  # the paid copy is still the same purchase, held twice
        owed = "90.00"
    # the way out the message gives
    merged = ok("customer", "merge", x, y, store=b)
    if owed != "120.00":
        assert "1 held by both and edited apart joined into one" in merged, merged
    sync(b)
    sync(a)
    _counted_once(a, b, x, y, owed)


def _kept_and_gone(store: Path, x: str, y: str) -> tuple[str, str]:
    return (x, y) if (store / "customers" / shard(x) / x).is_dir() else (y, x)


def _counted_once(a: Path, b: Path, x: str, y: str, owed: str = "120.00") -> None:
    """x holds both purchases, once each (points, what is owed), y is gone, in both clones."""
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        assert kehu("customer", "show", y, store=clone).code == 1
        assert kehu("points", "show", x, "--json", store=clone).json()["balance"] == 120
        shown = kehu("customer", "show", x, store=clone).out
        assert f"owed ¥{owed}" in shown and shown.count("2026-11-0") == 2, shown
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")


def test_the_same_points_redeemed_in_two_clones_are_refused_and_taken_back(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """Each clone redeems 1 000 of the customer's 1 288 points, each within the balance it
    sees; git's union of the ledgers kept both: a balance of -712, and `kehu check` said ok.
    Now the points plugin's ledger rule rejects the merge, the later clone is told to take
    its redemption back, and after `kehu undo` the team agrees on 288."""
    a, b, cid = customer_with_points(tmp_path, remote)
    for clone in (a, b):
        ok("points", "redeem", cid, "1000", "--reason", "紫砂壶", store=clone)
    _refused_until_undone(a, b, "points.ledger.yaml:4: redeems 1000 points when 288 were left (the balance "
                              "would be -712)")
    for clone in (a, b):
        assert balance(clone, cid) == 288
        assert sum("reason: redeem" in line for line in points_lines(clone, cid)) == 1


def test_the_same_lapsed_points_written_off_in_two_clones_are_refused_and_taken_back(
        tmp_path: Path, remote: Path) -> None:  # noqa: F811
    """Points lapse after 10 days: 1 288 of a sale on 11-01 have lapsed by 11-20, 3 000 of a
    sale on 11-15 have not. Each clone runs `kehu points expire`: each writes off the 1 288, and
    git's union kept both write-offs: the second took 1 288 of the live points (1 712 where the
    customer holds 3 000), and `kehu check` said ok, the sum of the entries never below zero.
    A write-off now names the entries whose points lapsed; the same named twice is refused at
    the merge, and after `kehu undo` the team agrees on 3 000."""
    a, b, cid = written_off_in_both(tmp_path, remote)
    _refused_until_undone(a, b, "writes off points written off already")
    for clone in (a, b):
        assert balance(clone, cid) == 3000
        assert sum("reason: expire" in line for line in points_lines(clone, cid)) == 1


def written_off_in_both(tmp_path: Path, remote: Path) -> tuple[Path, Path, str]:  # noqa: F811
    """Points lapse after 10 days: 1 288 of a sale on 11-01, 3 000 of one on 11-15 live; each
    of two clones then writes off the 1 288 (`kehu points expire`), unsynced."""
    a = first_clone(tmp_path, remote)
    configure(a, points={"expiry_days": 10})
    cid = ok("customer", "add", "--name", "赵敏", "--owner", "王芳", store=a).strip()
    ok("purchase", "add", cid, "--item", "龙井茶礼盒", "--price", "1288", "--date", "2026-11-01", store=a)
    ok("purchase", "add", cid, "--item", "碧螺春", "--price", "3000", "--date", "2026-11-15", store=a)
    git(a, "add", "-A")
    git(a, "commit", "-q", "-m", "points lapse after 10 days")
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    assert balance(a, cid) == balance(b, cid) == 3000
    for clone in (a, b):
        ok("points", "expire", store=clone)
    return a, b, cid


def _refused_until_undone(a: Path, b: Path, said: str) -> None:
    """``a`` syncs first; ``b``'s sync is refused, saying ``said`` and that the two changes
    cannot both stand, and leaves ``b`` as it was; after `kehu undo` in ``b`` the two sync into
    one clean store."""
    err = _later_sync_refused(a, b, said)
    assert "Take yours back (`kehu undo`)" in err
    ok("undo", store=b)
    sync(b)
    sync(a)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0


def _later_sync_refused(a: Path, b: Path, said: str) -> str:
    """``a`` syncs first; ``b``'s sync is refused, saying ``said`` and that the two changes
    cannot both stand, and leaves ``b`` as it was. Returns what it said."""
    sync(a)
    before, head = work_hash(b), git(b, "rev-parse", "HEAD")
    result = kehu("sync", store=b)
    assert result.code == 1 and "Traceback" not in result.err, result.err
    assert "your changes and origin/master's to the same records cannot both stand" in result.err, result.err
    assert said in result.err, result.err
    assert work_hash(b) == before and git(b, "rev-parse", "HEAD") == head
    return result.err


@pytest.mark.parametrize("where", ["templates", "interactions/2026-01-01-x.yaml"])
def test_a_link_a_colleague_committed_is_refused_with_the_way_to_remove_it(
        team: tuple[Path, Path, str], tmp_path: Path, where: str) -> None:  # noqa: F811
    """A symbolic link committed with plain git (a template folder, a record pointing out of the
    store) stops every clone's sync: the message says to remove it where it was committed or
    here after `git merge`, never "run kehu sync again", which stops the same way; following
    it gets the clone syncing, its own edits kept."""
    a, b, cid = team
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("kind: purchase\n", encoding="utf-8")
    rel = where if where == "templates" else f"customers/{shard(cid)}/{cid}/{where}"
    (b / rel).parent.mkdir(parents=True, exist_ok=True)
    (b / rel).symlink_to(outside if where == "templates" else outside / "secret.yaml")
    git(b, "add", rel)
    git(b, "commit", "-qm", "a link, by hand")
    git(b, "push", "-q")
    ok("customer", "add", "--name", "乙", store=a)
    before, head = work_hash(a), git(a, "rev-parse", "HEAD")
    for _ in range(2):  # again: the same
        result = kehu("sync", store=a)
        assert result.code == 1 and "Traceback" not in result.err, result.err
        assert "run `kehu sync` again" not in result.err, result.err
        assert "1 symbolic link(s)" in result.err and f"{rel}:1: is a symbolic link" in result.err, result.err
        assert "`git merge origin/master`, `git rm <path>` for each link, `git commit`" in result.err
        assert work_hash(a) == before and git(a, "rev-parse", "HEAD") == head
    git(a, "merge", "-q", "origin/master")  # the way out the message gives, in this clone
    git(a, "rm", "-q", rel)
    git(a, "commit", "-qm", "no link")
    sync(a)
    assert kehu("check", store=a).code == 0
    assert "乙" in kehu("customer", "list", store=a).out
