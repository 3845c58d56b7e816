"""Git merges that must lose or break nothing (issue 16, kind 5), with real clones of a real bare
remote and the real commands: equal ledger entries made in two clones stay two, an entry is
one line whatever its text, old entries without ids still load, two payments of one purchase
both stay, a merge `kehu check` rejects is never pushed (and the clone is left as it was), and
an edit against a deletion stops for a decision that keeps or deletes a customer whole."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kehu_core.ids import shard
from kehu_core.store import Store
from kehu_core.yamlio import dump_roundtrip, load_roundtrip

from .conftest import git, kehu


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    return path


def first_clone(tmp_path: Path, remote: Path) -> Path:
    path = tmp_path / "a"
    assert kehu("init", str(path)).code == 0
    git(path, "remote", "add", "origin", str(remote))
    return path


def new_clone(tmp_path: Path, remote: Path, name: str) -> Path:
    path = tmp_path / name
    git(tmp_path, "clone", "-q", str(remote), str(path))
    assert kehu("git-setup", store=path).code == 0
    return path


def two_clones(tmp_path: Path) -> tuple[Path, Path]:
    """Two clones of one bare remote, both synced."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    a = first_clone(tmp_path, bare)
    ok("sync", store=a)
    return a, new_clone(tmp_path, bare, "b")


def ok(*args: str, store: Path) -> str:
    result = kehu(*args, store=store)
    assert result.code == 0, result.err
    return result.out


def sync(store: Path) -> None:
    ok("sync", store=store)


def sync_in_turn(one: Path, two: Path) -> None:
    """``one`` syncs, then ``two`` (whose sync merges what ``one`` pushed), then ``one`` again
    (taking that merge): each sync exits 0, and both clones have all of it."""
    ok("sync", store=one)
    ok("sync", store=two)
    ok("sync", store=one)


def customer_with_points(tmp_path: Path, remote: Path) -> tuple[Path, Path, str]:
    a = first_clone(tmp_path, remote)
    cid = ok("customer", "add", "--name", "赵敏", "--owner", "王芳", store=a).strip()
    ok("purchase", "add", cid, "--item", "龙井茶礼盒", "--price", "1288", "--date", "2026-11-01",
       store=a)
    sync(a)
    return a, new_clone(tmp_path, remote, "b"), cid


def credit_sale(tmp_path: Path, remote: Path, *, owner: str | None = "王芳") -> tuple[Path, Path, str, str]:
    """Clone a with 赵敏 (``owner``'s) and her sale of 普洱 on credit (1000, 2026-11-01, due
    2026-12-01), synced, and clone b of it: the set-up of a payment in one clone against a void
    in the other. Returns a, b, her id and the sale's."""
    a = first_clone(tmp_path, remote)
    cid = ok("customer", "add", "--name", "赵敏", *(["--owner", owner] if owner else []), store=a).strip()
    pid = ok("purchase", "add", cid, "--item", "普洱", "--price", "1000", "--date", "2026-11-01",
             "--due", "2026-12-01", store=a).strip().splitlines()[-1]
    sync(a)
    return a, new_clone(tmp_path, remote, "b"), cid, pid


def sold_while_merged_away(tmp_path: Path, remote: Path, *, merged_here: bool = True
                           ) -> tuple[Path, Path, str, str]:
    """Clone a with 甲 (a sale of 龙井) and 乙, synced, and clone b of it; one clone (a when
    ``merged_here``) merges 甲 into 乙 while the other records a sale of 甲 (碧螺春); b syncs.
    Returns a, b, 甲's id and 乙's."""
    a = first_clone(tmp_path, remote)
    x = ok("customer", "add", "--name", "甲", "--phone", "13800138000", store=a).strip()
    y = ok("customer", "add", "--name", "乙", "--phone", "13800138001", store=a).strip()
    ok("purchase", "add", x, "--item", "龙井", "--price", "100", "--date", "2026-11-01", store=a)
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    merger, seller = (a, b) if merged_here else (b, a)
    ok("customer", "merge", y, x, store=merger)
    ok("purchase", "add", x, "--item", "碧螺春", "--price", "50", "--date", "2026-11-10", store=seller)
    sync(b)
    return a, b, x, y


def sale_of_one_merged_away(tmp_path: Path, remote: Path) -> tuple[Path, Path, str, str]:
    """:func:`sold_while_merged_away` (merged in a), then a merges b's work by hand (`git merge
    @{u}`), which stops on the sale git's rename of 甲's folder placed under 乙. Returns a, b,
    甲's id and 乙's."""
    a, b, x, y = sold_while_merged_away(tmp_path, remote)
    git(a, "fetch", "-q")
    stopped = subprocess.run(["git", "merge", "--no-edit", "@{u}"], cwd=a, capture_output=True, text=True)
    assert stopped.returncode == 1, stopped.stdout
    return a, b, x, y


def balance(store: Path, cid: str) -> int:
    return kehu("points", "show", cid, "--json", store=store).json()["balance"]


def points_lines(store: Path, cid: str) -> list[str]:
    text = Store.open(store).ledger_file(cid, "points").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.startswith("- ")]


def test_two_equal_redemptions_made_in_two_clones_stay_two(tmp_path: Path, remote: Path) -> None:
    a, b, cid = customer_with_points(tmp_path, remote)
    start = balance(a, cid)
    for clone in (a, b):  # the same gift, the same day, in two shops' laptops
        ok("points", "redeem", cid, "100", "--reason", "青瓷茶杯", store=clone)
    sync(a)
    sync(b)
    sync(a)
    for clone in (a, b):
        redeemed = [line for line in points_lines(clone, cid) if "redeem" in line]
        assert len(redeemed) == 2, redeemed
        assert balance(clone, cid) == start - 200
        assert kehu("check", store=clone).code == 0
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")


def test_an_entry_with_line_breaks_is_one_line_and_survives_a_merge(tmp_path: Path,
                                                                     remote: Path) -> None:
    a, b, cid = customer_with_points(tmp_path, remote)
    reason = "青瓷茶杯\n另送茶巾\r\n一条"
    ok("points", "redeem", cid, "10", "--reason", reason, store=a)
    ok("points", "redeem", cid, "20", "--reason", "第二件\n礼品", store=b)
    sync(a)
    sync(b)
    sync(a)
    for clone in (a, b):
        lines = points_lines(clone, cid)
        text = Store.open(clone).ledger_file(cid, "points").read_text(encoding="utf-8")
        assert len(text.splitlines()) == len(lines) + 1  # the header, then one line per entry
        notes = [e.get("note") for e in Store.open(clone).ledger(cid, "points")]
        assert reason in notes and "第二件\n礼品" in notes
        assert kehu("check", store=clone).code == 0


def test_old_entries_without_ids_still_load(store_path: Path) -> None:
    cid = ok("customer", "add", "--name", "李雷", store=store_path).strip()
    path = Store.open(store_path).ledger_file(cid, "points")
    path.write_text("# points ledger of x: append-only, one entry per line\n"
                    "- {date: 2026-10-01, reason: adjust, delta: 300}\n"
                    "- {date: 2026-10-02, reason: adjust, delta: 300}\n", encoding="utf-8")
    assert balance(store_path, cid) == 600  # two equal old lines: two entries
    ok("points", "redeem", cid, "50", store=store_path)
    assert balance(store_path, cid) == 550
    entries = Store.open(store_path).ledger(cid, "points")
    assert "id" not in entries[0] and len(entries[-1]["id"]) == 10
    assert kehu("check", store=store_path).code == 0


def test_two_equal_payments_of_one_purchase_in_two_clones_both_stay(tmp_path: Path,
                                                                    remote: Path) -> None:
    a, b, cid, pid = credit_sale(tmp_path, remote)
    for clone in (a, b):  # the customer paid 300 twice, once to each of two reps
        ok("purchase", "pay", cid, pid, "--amount", "300", "--date", "2026-11-10", store=clone)
    sync(a)
    sync(b)
    sync(a)
    for clone in (a, b):
        shown = kehu("customer", "show", cid, "--json", store=clone).json()
        purchase = next(p for p in shown["purchases"] if p["id"] == pid)
        assert [p["amount"] for p in purchase["payments"]] == ["300.00", "300.00"]
        assert kehu("check", store=clone).code == 0
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")


def test_a_payment_in_one_clone_and_a_void_in_the_other_wait_for_a_person(tmp_path: Path,
                                                                          remote: Path) -> None:
    """Both were kept and nothing said so: money taken for a sale another rep took back. No one
    clone can make this (a voided purchase cannot be paid), so the merge keeps both and waits,
    unpushed, as for a field changed two ways, until someone refunds or un-voids."""
    a, b, cid, pid = credit_sale(tmp_path, remote)
    ok("purchase", "pay", cid, pid, "--amount", "300", "--date", "2026-11-10", "--by", "王芳", store=a)
    ok("purchase", "void", cid, pid, "--reason", "录错了", "--by", "李强", store=b)
    sync(a)
    pushed = git(remote, "rev-parse", "HEAD")

    result = kehu("sync", store=b)

    assert result.code == 1
    assert "Nothing was pushed" in result.err, result.err
    assert git(remote, "rev-parse", "HEAD") == pushed
    checked = kehu("check", store=b)
    assert checked.code == 1
    record = next(b.glob(f"customers/*/{cid}/interactions/{pid}.yaml"))
    text = record.read_text(encoding="utf-8")
    line = text.splitlines().index("conflicts:") + 2
    assert (f"{record}:{line}: merge conflict on voided: this purchase was voided on "
            f"{Store.open(b).today.isoformat()} by 李强 in one clone while it was paid in the other "
            "(300.00 2026-11-10 王芳)") in checked.out, checked.out
    # the shop refunded the 300: the payment's line and the entry go, and the clones agree again
    doc = load_roundtrip(record)
    del doc["payments"], doc["conflicts"]
    record.write_text(dump_roundtrip(doc, like=text), encoding="utf-8")
    assert kehu("check", store=b).code == 0, kehu("check", store=b).out
    sync(b)
    sync(a)
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
    assert kehu("check", store=a).code == 0


def test_sync_never_pushes_a_merge_check_rejects_and_leaves_the_clone_as_it_was(
        tmp_path: Path, remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    friend = ok("customer", "add", "--name", "韩梅梅", store=a).strip()
    newbie = ok("customer", "add", "--name", "李雷", store=a).strip()
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    # the friend is gone on b's side, deleted by hand (merged into another, the referral would follow
    # them: test_hostile_fourteenth_fourteenthb.py)
    git(b, "rm", "-r", "-q", f"customers/{shard(friend)}/{friend}")
    git(b, "commit", "-q", "-m", "the friend deleted")
    sync(b)
    ok("customer", "set", newbie, f"referrer={friend}", store=a)  # valid in a, alone
    head, remote_head = git(a, "rev-parse", "HEAD"), git(remote, "rev-parse", "HEAD")
    pending = git(a, "status", "--porcelain")

    result = kehu("sync", store=a)

    assert result.code == 1
    assert "kehu check rejects" in result.err and "nothing was pushed" in result.err
    assert f"referrer {friend!r}: no such customer" in result.err
    assert git(remote, "rev-parse", "HEAD") == remote_head  # nothing pushed
    assert git(a, "rev-parse", "HEAD") == head  # no commit, no merge left behind
    assert git(a, "status", "--porcelain") == pending  # the edit still there, uncommitted
    assert kehu("customer", "show", newbie, "--json", store=a).json()["referrer"] == friend
    assert kehu("check", store=a).code == 0


@pytest.mark.parametrize("decision", ["keep", "delete"])
def test_an_edit_against_a_deletion_stops_and_keeps_or_deletes_the_customer_whole(
        tmp_path: Path, remote: Path, decision: str) -> None:
    a = first_clone(tmp_path, remote)
    keep = ok("customer", "add", "--name", "赵敏", store=a).strip()
    gone = ok("customer", "add", "--name", "赵敏 (旧)", "--level", "普通", store=a).strip()
    pid = ok("purchase", "add", gone, "--item", "普洱", "--price", "300", "--date",
             "2026-11-01", store=a).strip().splitlines()[-1]
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    # b deletes the duplicate by hand (kehu has no command that deletes a customer; one merged
    # into another takes a's edit along: test_hostile_thirteenth_lead.py)
    git(b, "rm", "-r", "-q", f"customers/{shard(gone)}/{gone}")
    git(b, "commit", "-q", "-m", "the duplicate deleted")
    sync(b)
    ok("customer", "set", gone, "level=金卡", store=a)  # a, unaware, edits it
    profile = Store.open(a).customer_file(gone)
    rel = profile.relative_to(a).as_posix()

    stopped = kehu("sync", store=a)

    assert stopped.code == 1
    assert f"{rel}:1: changed in this clone, deleted in the other" in stopped.err
    checked = kehu("check", store=a)
    assert checked.code == 1 and f"{rel}:1: changed in this clone, deleted in the other" in checked.out
    again = kehu("sync", store=a)  # no decision yet: refused, nothing pushed
    assert again.code == 1 and "waiting for a decision" in again.err
    assert git(remote, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")

    git(a, *(["add"] if decision == "keep" else ["rm", "-q"]), rel)
    finished = kehu("sync", store=a)
    assert finished.code == 0, finished.err
    sync(b)
    for clone in (a, b):
        store = Store.open(clone)
        ids = set(store.iter_customer_ids())
        assert keep in ids
        if decision == "keep":  # the profile and its purchase, whole
            assert gone in ids and store.get(gone).level == "金卡"
            assert [i.id for i in store.interactions(gone)] == [pid]
        else:  # nothing of it left behind, not a purchase without its profile
            assert gone not in ids and not store.customer_dir(gone).exists()
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")


def test_clones_syncing_at_the_same_moment_all_land(tmp_path: Path, remote: Path) -> None:
    """Push races: four real processes sync at once; the losers fetch, merge and push again."""
    a = first_clone(tmp_path, remote)
    sync(a)
    clones = [a, *(new_clone(tmp_path, remote, name) for name in "bcd")]
    made = {ok("customer", "add", "--name", f"客户{clone.name}{i}", store=clone).strip()
            for clone in clones for i in range(3)}
    procs = [subprocess.Popen([sys.executable, "-m", "kehu_core", "--store", str(clone), "sync"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for clone in clones]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, results
    for clone in clones:
        sync(clone)
    heads = {git(clone, "rev-parse", "HEAD") for clone in clones}
    assert len(heads) == 1
    for clone in clones:
        assert set(Store.open(clone).iter_customer_ids()) == made


def test_a_push_the_remote_refuses_leaves_the_clone_as_it_was(tmp_path: Path, remote: Path) -> None:
    a = first_clone(tmp_path, remote)
    cid = ok("customer", "add", "--name", "赵敏", store=a).strip()
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    ok("customer", "set", cid, "level=金卡", store=b)
    sync(b)  # a will have something to merge
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'the shop server is read-only today' >&2\nexit 1\n",
                    encoding="utf-8")
    hook.chmod(0o755)
    ok("interaction", "add", cid, "--kind", "visit", "--text", "来店品茶", store=a)
    head, pending = git(a, "rev-parse", "HEAD"), git(a, "status", "--porcelain")

    result = kehu("sync", store=a)

    assert result.code == 1
    assert "pushing to origin" in result.err and "Nothing was changed" in result.err
    assert git(a, "rev-parse", "HEAD") == head  # neither the commit nor the merge is left
    assert git(a, "status", "--porcelain") == pending
    assert Store.open(a).get(cid).level is None  # b's edit not merged in
    assert kehu("check", store=a).code == 0
    hook.unlink()
    sync(a)  # once the remote takes pushes again, all of it goes
    assert Store.open(a).get(cid).level == "金卡"
    assert git(remote, "rev-parse", "HEAD") == git(a, "rev-parse", "HEAD")


def test_the_tui_shows_a_merge_waiting_for_a_decision(tmp_path: Path, remote: Path) -> None:
    """The edit-against-deletion merge as the TUI shows it at start: the file and what to do."""
    import asyncio

    from kehu_core.testing import screen_text, tui, wait_until

    a = first_clone(tmp_path, remote)
    ok("customer", "add", "--name", "赵敏", store=a)
    gone = ok("customer", "add", "--name", "赵敏 (旧)", store=a).strip()
    sync(a)
    b = new_clone(tmp_path, remote, "b")
    git(b, "rm", "-r", "-q", f"customers/{shard(gone)}/{gone}")  # by hand: see the test above
    git(b, "commit", "-q", "-m", "the duplicate deleted")
    sync(b)
    ok("customer", "set", gone, "level=金卡", store=a)
    assert kehu("sync", store=a).code == 1
    rel = Store.open(a).customer_file(gone).relative_to(a).as_posix()

    async def look() -> None:
        async with tui(Store.open(a)) as pilot:
            await wait_until(pilot, lambda: "A merge is waiting" in screen_text(pilot.app),
                             timeout=30)
            text = screen_text(pilot.app)
            assert "changed in this clone, deleted in the other" in text
            assert rel.split("/")[-2] in text  # the customer's folder is named

    asyncio.run(look())
