"""The sixteenth outside round (B, 2026-12-06), kinds 5, 6 and 10: git merges that lose or
break data, concurrent writers, a team on one remote. Each failed on the code before its fix.
See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import git, kehu
from .test_serve import DAY, _etag, card_url, serving


def _show(root: Path, cid: str) -> dict:
    shown = kehu("customer", "show", cid, "--json", store=root)
    assert shown.code == 0, shown.err
    return json.loads(shown.out)


def test_a_phones_edit_of_a_card_whose_id_is_now_another_customers_lands_on_nobody(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """The rep's phone holds 赵敏's card (``Z.vcf``, UID Z); in kehu 赵敏 is given a new id
    (`kehu customer reid Z`, the way on when two clones gave one id to two people) and Z is
    then another customer's, 周芷若's (the other clone's, arriving by `kehu sync`; here `customer
    add --id Z`). The phone, before its next sync, sends its edit of 赵敏 (a new phone number)
    to ``Z.vcf`` without If-Match: it was taken as an edit of 周芷若 — her name made 赵敏, her
    phones replaced by 赵敏's, 204. Now it is refused (409) naming where 赵敏 went, and 周芷若
    is as she was; sent with 周芷若's card's own ETag, or naming her as the card does, an edit
    of her still lands (`serve.cards.gone`)."""
    with serving(tmp_path_factory, "reused-id") as server:
        git(server.root, "init", "-q")
        git(server.root, "add", "-A")
        git(server.root, "commit", "-qm", "the shop's store")
        session = server.session("wangfang")
        zhao = server.ids["赵敏"]
        url = card_url(server, "wangfang", "赵敏")
        _etag_before, text = _etag(session, url)
        done = kehu("--today", DAY, "customer", "reid", zhao, store=server.root)
        assert done.code == 0, done.err
        moved = json.loads(kehu("customer", "list", "--json", store=server.root).out)
        moved_id = next(c["id"] for c in moved if c["name"] == "赵敏")
        added = kehu("--today", DAY, "customer", "add", "--id", zhao, "--name", "周芷若", "--owner", "王芳",
                     "--phone", "13655556666", store=server.root)
        assert added.code == 0, added.err
        before = _show(server.root, zhao)
        edited = text.replace("tel:+8613912345678", "tel:+8613900001111").encode()
        bare = session.put(url, data=edited, headers={"Content-Type": "text/vcard"})
        assert bare.status_code == 409, bare.text
        assert f"{moved_id}.vcf" in bare.text and "nothing was changed" in bare.text
        assert _show(server.root, zhao) == before
        assert _show(server.root, moved_id)["phones"] == ["+8613912345678"]
        # her own card, fetched since, edited on the phone: hers, with or without its ETag
        etag, hers = _etag(session, url)
        assert "周芷若" in hers
        mine = session.put(url, data=hers.replace("tel:+8613655556666", "tel:+8613655557777").encode(),
                           headers={"Content-Type": "text/vcard"})
        assert mine.status_code in (201, 204), mine.text
        assert _show(server.root, zhao)["phones"] == ["+8613655557777"]
        etag, hers = _etag(session, url)
        matched = session.put(url, data=hers.replace("tel:+8613655557777", "tel:+8613655558888").encode(),
                              headers={"If-Match": etag, "Content-Type": "text/vcard"})
        assert matched.status_code in (201, 204), matched.text
        assert _show(server.root, zhao)["phones"] == ["+8613655558888"]


def test_an_id_under_also_known_that_is_a_customer_of_its_own_is_named_by_check(store_path: Path) -> None:
    """甲 (X) merged into 甲甲 (K): X is under K's `also_known`, and imports and sync take X for K.
    A customer of X of its own besides (the other clone's new 乙 under the id, kept when the
    sync asked; a hand edit): two places claim one id, and `kehu check` said ok. Now it names
    the `also_known` entry at its line with the two ways on, each of which clears it."""
    root = store_path
    for cid, name, phone in [("K", "甲甲", "13912345679"), ("X", "乙", "13700001111")]:
        added = kehu("customer", "add", "--id", cid, "--name", name, "--phone", phone, store=root)
        assert added.code == 0, added.err
    profile = next(root.glob("customers/*/K/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8")
                       + "also_known:\n- id: X\n  merged: '2026-11-19'\n  name: 甲\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a colleague's merge, 乙 kept under X")
    line = profile.read_text(encoding="utf-8").splitlines().index("- id: X") + 1
    checked = kehu("check", store=root)
    assert checked.code == 1, checked.out
    said = checked.out + checked.err
    assert f"{profile}:{line}: also_known: X" in said, said
    assert "kehu customer merge K X" in said and "kehu customer reid X" in said
    assert kehu("sync", store=root).code == 1  # nothing pushed that check rejects
    reid = kehu("customer", "reid", "X", "X2", store=root)
    assert reid.code == 0, reid.err
    assert kehu("check", store=root).code == 0


@pytest.mark.parametrize("how", ["worktree", "switch"])
def test_a_sync_on_a_branch_the_team_does_not_have_starts_no_branch_of_its_own(tmp_path: Path, how: str) -> None:
    """A rep tries something out on a new branch of their clone (`git worktree add ../try -b
    try`, or `git switch -c try`), adds a customer there, and runs `kehu sync`: it pushed the
    whole history to a new branch `try` of the remote ("pushed 3 commit(s) to origin/try",
    exit 0), which no other clone syncs with; the customer never reached the team, and every
    later sync of that branch went there too. Now the sync refuses, naming the branch, the
    team's, and the ways on; nothing is committed or pushed, the customer still there."""
    from .test_team_merge import ok, two_clones

    a, b = two_clones(tmp_path)
    ok("customer", "add", "--name", "甲", store=a)
    ok("sync", store=a)
    ok("sync", store=b)
    if how == "worktree":
        where = tmp_path / "try"
        git(b, "worktree", "add", "-q", str(where), "-b", "try")
    else:
        where = b
        git(b, "switch", "-q", "-c", "try")
    head = git(where, "rev-parse", "HEAD")
    ok("customer", "add", "--name", "乙", store=where)
    refused = kehu("sync", store=where)
    assert refused.code == 1, refused.out
    assert "Traceback" not in refused.err
    assert "try" in refused.err and "origin/master" in refused.err, refused.err
    assert git(tmp_path / "remote.git", "branch", "--list").split() == ["*", "master"]
    assert git(where, "rev-parse", "HEAD") == head  # nothing committed
    assert "乙" in kehu("customer", "list", store=where).out
    # the way on it names: this branch follows the team's
    git(where, "branch", "-u", "origin/master")
    ok("sync", store=where)
    ok("sync", store=a)
    assert "乙" in kehu("customer", "list", store=a).out


@pytest.mark.parametrize("first", ["merged there", "new id here"])
def test_a_customer_merged_away_in_one_clone_and_given_a_new_id_in_the_other_is_one_customer(
        tmp_path: Path, first: str) -> None:
    """The supervisor merges 甲 (X) into 甲甲 (K) in one clone (`kehu customer merge K X`); a rep,
    in theirs, gives 甲 a new id (`kehu customer reid X X2`, numbering the shop's customers
    anew); both sync, either first. The second sync stopped on each of 甲's files, saying the
    other clone "deleted X whole" (it merged X) and "one customer merged into two", and kept,
    as it asked, 甲's sale was under both K and X2: counted twice. Both clones said who 甲 is —
    K there, X2 here — so K and X2 are one customer: the sale stays once, under the customer
    the clone that synced first put it, the other merged into that one, both syncs exit 0,
    `check` clean, the clones alike."""
    from .test_team_merge import ok, sync_in_turn, two_clones

    a, b = two_clones(tmp_path)
    ok("customer", "add", "--id", "K", "--name", "甲甲", "--phone", "13912345679", store=a)
    ok("customer", "add", "--id", "X", "--name", "甲", "--phone", "13912345678", store=a)
    ok("purchase", "add", "X", "--item", "龙井", "--price", "100", "--date", "2026-11-01", store=a)
    ok("sync", store=a)
    ok("sync", store=b)
    ok("customer", "merge", "K", "X", store=a)
    ok("customer", "reid", "X", "X2", store=b)
    one, two = (a, b) if first == "merged there" else (b, a)
    sync_in_turn(one, two)
    for clone in (a, b):
        listed = {c["id"] for c in json.loads(kehu("customer", "list", "--json", store=clone).out)}
        assert len(listed) == 1 and listed <= {"K", "X2"}, listed
        kept = listed.pop()
        assert kehu("check", store=clone).code == 0, kehu("check", store=clone).out
        sales = list(next(clone.glob(f"customers/*/{kept}")).glob("interactions/*.yaml"))
        assert len(sales) == 1, sales
        shown = _show(clone, kept)
        assert {e["id"] for e in shown.get("also_known", [])} >= ({"X", "X2"} - {kept}), shown
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")


def _undone_and_synced(a: Path, b: Path, *, balance: int) -> None:
    """The way on the refused sync of clone ``b`` names: `kehu undo` there, both clones synced;
    then K holds ``balance`` points in each and `check` is clean."""
    from .test_team_merge import ok

    ok("undo", store=b)
    ok("sync", store=b)
    ok("sync", store=a)
    for clone in (a, b):
        assert kehu("points", "show", "K", "--json", store=clone).json()["balance"] == balance
        assert kehu("check", store=clone).code == 0


def sale_points_rebuilt_in_both(tmp_path: Path) -> tuple[Path, Path]:
    """Clones a and b of one remote, both synced with K's sale of 300 recorded without its
    points, each then giving it them (`kehu points rebuild`), unsynced."""
    from .test_team_merge import ok, two_clones

    a, b = two_clones(tmp_path)
    ok("customer", "add", "--id", "K", "--name", "甲甲", store=a)
    ok("purchase", "add", "K", "--item", "红茶", "--price", "300", "--date", "2026-11-03", store=a)
    ledger = next(a.glob("customers/*/K/points.ledger.yaml"))
    ledger.write_text(ledger.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    git(a, "add", "-A")
    git(a, "commit", "-qm", "the sale, its points left out")
    ok("sync", store=a)
    ok("sync", store=b)
    for clone in (a, b):
        ok("points", "rebuild", store=clone)
    return a, b


def referred_first_sale_in_both(tmp_path: Path) -> tuple[Path, Path]:
    """Clones a and b, both synced with 荐人 (R) and 新客 (N) whom R referred; N's first sale
    then recorded in each (a: 100 on 2026-11-05, b: 200 on 2026-11-06), unsynced."""
    from .test_team_merge import ok, two_clones

    a, b = two_clones(tmp_path)
    ok("customer", "add", "--id", "R", "--name", "荐人", store=a)
    ok("customer", "add", "--id", "N", "--name", "新客", "--referrer", "R", store=a)
    ok("sync", store=a)
    ok("sync", store=b)
    ok("purchase", "add", "N", "--item", "茶", "--price", "100", "--date", "2026-11-05", store=a)
    ok("purchase", "add", "N", "--item", "酒", "--price", "200", "--date", "2026-11-06", store=b)
    return a, b


def sale_voided_in_both(tmp_path: Path) -> tuple[Path, Path, str]:
    """Clones a and b, both synced with K's sale of 300, then voided in each, unsynced; the sale's id."""
    from .test_team_merge import ok, two_clones

    a, b = two_clones(tmp_path)
    ok("customer", "add", "--id", "K", "--name", "甲甲", store=a)
    ok("purchase", "add", "K", "--item", "红茶", "--price", "300", "--date", "2026-11-03", store=a)
    ok("sync", store=a)
    ok("sync", store=b)
    sale = next(a.glob("customers/*/K/interactions/*.yaml")).stem
    for clone in (a, b):
        ok("purchase", "void", "K", sale, "--reason", "退货", store=clone)
    return a, b, sale


def test_the_points_of_one_sale_awarded_in_two_clones_are_refused(tmp_path: Path) -> None:
    """A sale recorded without its points (written by hand, or before the plugin was on) is
    given them by `kehu points rebuild` in the shop's clone and in the rep's, each seeing none.
    Git's union of the points ledgers kept both lines: 600 points for a sale of 300, `check`
    ok, pushed. Now the points plugin's ledger rule names the second award, the later clone's
    sync is refused, nothing pushed, and `kehu undo` of its rebuild is the way on."""
    from .test_team_merge import ok

    a, b = sale_points_rebuilt_in_both(tmp_path)
    ok("sync", store=a)
    pushed = git(a, "rev-parse", "HEAD")
    refused = kehu("sync", store=b)
    assert refused.code == 1 and "Traceback" not in refused.err, refused.err
    assert "points of sale" in refused.err and "kehu undo" in refused.err, refused.err
    assert git(tmp_path / "remote.git", "rev-parse", "master") == pushed
    _undone_and_synced(a, b, balance=300)


def test_a_referral_rewarded_in_two_clones_is_refused(tmp_path: Path) -> None:
    """新客 (N), referred by 荐人 (R), buys in the shop (recorded in one clone) and the next day
    from a rep (the other): each clone saw the sale as N's first and gave R the referral bonus.
    Git's union kept both: 200 points for one referral, `check` ok, pushed. Now the points
    plugin's ledger rule names the second bonus, the later sync is refused, and the way it
    names — its sale taken back, synced, recorded again — leaves one bonus and both sales."""
    from .test_team_merge import ok

    a, b = referred_first_sale_in_both(tmp_path)
    ok("sync", store=a)
    refused = kehu("sync", store=b)
    assert refused.code == 1 and "Traceback" not in refused.err, refused.err
    assert "referral bonus for customer N again" in refused.err, refused.err
    ok("undo", store=b)
    ok("sync", store=b)
    ok("purchase", "add", "N", "--item", "酒", "--price", "200", "--date", "2026-11-06", store=b)
    ok("sync", store=b)
    ok("sync", store=a)
    for clone in (a, b):
        assert kehu("points", "show", "R", "--json", store=clone).json()["balance"] == 100
        assert kehu("points", "show", "N", "--json", store=clone).json()["balance"] == 300
        assert kehu("check", store=clone).code == 0


def test_one_sale_voided_in_two_clones_takes_its_points_back_once(tmp_path: Path) -> None:
    """A sale voided in the shop's clone and in the rep's (`kehu purchase void`, the customer
    brought it back to each): git's union of the points ledgers kept both take-backs, a balance
    of -300 with `check` ok (a take-back may go below zero). Now the second is named, the later
    sync refused, and `kehu undo` of its void leaves the sale voided once, its points once."""
    from .test_team_merge import ok

    a, b, sale = sale_voided_in_both(tmp_path)
    ok("sync", store=a)
    refused = kehu("sync", store=b)
    assert refused.code == 1 and f"voided sale {sale} again" in refused.err, refused.err
    _undone_and_synced(a, b, balance=0)
