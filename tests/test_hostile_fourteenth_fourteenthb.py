"""The fourteenth outside round (B, 2026-12-06), kinds 5, 6 and 10: git merges through `kehu
sync` between real clones of one bare remote, and two processes at once. Each failed on the code
before its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.store import Store

from .conftest import git, kehu
from .test_team_merge import ok, two_clones


def _profile(clone: Path, cid: str) -> bytes:
    return Store.open(clone).customer_file(cid).read_bytes()


def test_one_id_given_to_two_people_in_two_clones_is_not_made_one_customer(tmp_path: Path) -> None:
    """Two reps numbering their new customers by hand each gave the next number, C0001, to a
    different 张伟 (another phone), each with a sale. Git had no common version of the profile,
    and kehu's driver joined the two as one: one 张伟 with both phones and both sales, exit 0,
    `check` ok; where the names differed it stopped on "fields changed two ways". The sync that
    would merge them stops, naming this clone's file and the other's, the clone left as it was;
    either way out it names works: two people (this clone's under another id) or one (`git
    merge`, the profiles joined)."""
    a, b = two_clones(tmp_path)
    ok("customer", "add", "--id", "C0001", "--name", "张伟", "--phone", "13912345678", store=a)
    ok("purchase", "add", "C0001", "--item", "龙井", "--price", "100", store=a)
    ok("customer", "add", "--id", "C0001", "--name", "张伟", "--phone", "13800001111", store=b)
    ok("purchase", "add", "C0001", "--item", "普洱", "--price", "50", store=b)
    ok("sync", store=a)
    head, mine = git(b, "rev-parse", "HEAD"), _profile(b, "C0001")
    stopped = kehu("sync", store=b)
    assert stopped.code == 1, stopped.out
    rel = Store.open(b).rel(Store.open(b).customer_file("C0001"))
    assert "C0001" in stopped.err and rel in stopped.err and f"origin/master:{rel}" in stopped.err, stopped.err
    assert "Traceback" not in stopped.err
    assert git(b, "rev-parse", "HEAD") == head and _profile(b, "C0001") == mine
    assert git(b, "status", "--porcelain").strip()  # the edits still there, uncommitted
    assert kehu("check", store=b).code == 0
    # two people: this clone's under another id, its sale with it (`kehu customer reid`, the
    # way the stop names; a new C0002 with C0001 merged into it left C0001 under its
    # `also_known` while it is the other clone's customer, which `kehu check` names since)
    ok("customer", "reid", "C0001", "C0002", store=b)
    ok("sync", store=b)
    ok("sync", store=a)
    for clone in (a, b):
        listed = {c["id"]: c for c in kehu("customer", "list", "--json", store=clone).json()}
        assert set(listed) == {"C0001", "C0002"}, listed
        assert kehu("check", store=clone).code == 0


def test_one_id_added_in_two_clones_as_one_person_is_joined_by_hand(tmp_path: Path) -> None:
    """The same person added in both clones under one id, once with a phone and once with an
    owner: the sync stops as for two people; the way it names for one person (fifteenthb: git's
    merge through kehu's driver no longer joins them) — `kehu customer reid`, `kehu sync`, then
    `kehu customer merge` — joins the two profiles, and the next sync shares them. A profile
    added alike in both (one sheet imported in each) is one customer, as before."""
    a, b = two_clones(tmp_path)
    ok("customer", "add", "--id", "C0001", "--name", "张伟", "--phone", "13912345678", store=a)
    ok("customer", "add", "--id", "C0001", "--name", "张伟", "--owner", "王芳", store=b)
    for clone in (a, b):
        ok("customer", "add", "--id", "C0009", "--name", "李四", store=clone)
    ok("sync", store=a)
    stopped = kehu("sync", store=b)
    assert stopped.code == 1 and "C0001" in stopped.err and "C0009" not in stopped.err, stopped.err
    assert "kehu customer reid C0001" in stopped.err, stopped.err
    moved = ok("customer", "reid", "C0001", store=b).split()[-1]
    ok("sync", store=b)
    ok("customer", "merge", "C0001", moved, store=b)
    ok("sync", store=b)
    ok("sync", store=a)
    for clone in (a, b):
        shown = kehu("customer", "show", "C0001", "--json", store=clone).json()
        assert shown["phones"] == ["+8613912345678"] and shown["owner"] == "王芳", shown
        assert kehu("check", store=clone).code == 0


def test_one_person_added_in_two_clones_is_named_by_the_sync_as_likely_one(tmp_path: Path) -> None:
    """The same new customer (one phone) added in two clones, each a new id: `customer add`
    refuses a second customer with a phone the store has, but neither clone had the other's,
    and the sync left two customers of one phone without a word. The sync that merges them
    names the two as `kehu duplicates` would (the rule of `dedupe.contact_keys`) and says how to
    join them; a customer of the other clone with another phone is not named."""
    a, b = two_clones(tmp_path)
    here = ok("customer", "add", "--name", "赵敏", "--phone", "13912345678", store=a).strip()
    ok("customer", "add", "--name", "周芷若", "--phone", "13700000000", store=a)
    there = ok("customer", "add", "--name", "赵敏", "--email", "zm@example.com", "--phone", "139 1234 5678",
               store=b).strip()
    ok("sync", store=a)
    synced = kehu("sync", store=b)
    said = synced.err
    assert synced.code == 0, said
    assert here in said and there in said and "+8613912345678" in said, said
    assert "kehu customer merge" in said and "周芷若" not in said, said
    ok("customer", "merge", there, here, store=b)
    ok("sync", store=b)
    ok("sync", store=a)
    assert [c["id"] for c in kehu("customer", "list", "--json", store=a).json()].count(there) == 1


def _sale_undone_in_the_first(tmp_path: Path) -> tuple[Path, Path, str, str]:
    """Two clones sharing a sale, which the first takes back (`kehu undo`: the purchase, its
    points and its tier move) and syncs: the clones, the customer and the purchase."""
    a, b = two_clones(tmp_path)
    cid = ok("customer", "add", "--name", "赵敏", "--phone", "13912345678", store=a).strip()
    ok("purchase", "add", cid, "--item", "龙井", "--price", "300", store=a)
    ok("sync", store=a)
    ok("sync", store=b)
    (pid,) = [p.stem for p in Store.open(a).interactions_dir(cid).iterdir()]
    ok("undo", store=a)
    ok("sync", store=a)
    return a, b, cid, pid


def _sale_undone_here_paid_there(tmp_path: Path) -> tuple[Path, Path, str, str]:
    """A sale shared by both clones; the first takes it back (`kehu undo`: the purchase, its
    points and its tier move) and syncs; the second takes its payment, and its sync stops on the
    purchase, changed in this clone and deleted in the other. The clones and the ids."""
    a, b, cid, pid = _sale_undone_in_the_first(tmp_path)
    ok("purchase", "pay", cid, pid, "--amount", "300", store=b)
    stopped = kehu("sync", store=b)
    assert stopped.code == 1 and pid in stopped.err, stopped.err
    said = kehu("check", store=b)
    for words in (stopped.err, said.out + said.err):  # one record: its customer is not at stake
        assert "its customer stays" in words and "kept or deleted whole" not in words, words
    return a, b, cid, pid


def test_a_sale_undone_in_one_clone_and_paid_in_the_other_kept_keeps_its_points(tmp_path: Path) -> None:
    """The person keeps the paid sale (`git add`, as the stop says): git had taken its points and
    tier entries out with the other clone's undo (a clean change to the ledgers), so the sale
    stood, paid, with no points (0 where it earned 300) and `check` ok. A record kept so gets
    back the ledger entries naming it that the deleting side took out with it."""
    a, b, cid, pid = _sale_undone_here_paid_there(tmp_path)
    rel = Store.open(b).rel(Store.open(b).interaction_file(cid, pid))
    git(b, "add", "--", rel)
    ok("sync", store=b)
    ok("sync", store=a)
    for clone in (a, b):
        assert kehu("points", "show", cid, "--json", store=clone).json()["balance"] == 300
        refs = [e.get("ref") for e in Store.open(clone).ledger(cid, "points")]
        assert refs == [pid], refs
        assert kehu("check", store=clone).code == 0


def test_a_sale_undone_in_one_clone_and_paid_in_the_other_deleted_goes_with_its_points(tmp_path: Path) -> None:
    """The same stop, the person deleting the sale (`git rm`): it goes, its points with it, the
    customer stays, and both clones agree, `check` clean."""
    a, b, cid, pid = _sale_undone_here_paid_there(tmp_path)
    git(b, "rm", "-q", "--", Store.open(b).rel(Store.open(b).interaction_file(cid, pid)))
    ok("sync", store=b)
    ok("sync", store=a)
    for clone in (a, b):
        assert kehu("points", "show", cid, "--json", store=clone).json()["balance"] == 0
        assert kehu("customer", "show", cid, "--json", store=clone).json()["purchases"] == []
        assert kehu("check", store=clone).code == 0


@pytest.mark.parametrize("decision", ["add", "rm"])
def test_a_sale_undone_in_one_clone_and_voided_in_the_other_is_decided_once(tmp_path: Path, decision: str) -> None:
    """The sale taken back in one clone (its points ledger, holding its entry alone, deleted
    with it) while the other voids it (a -300 entry appended to that ledger): git stopped on the
    ledger too, "changed here, deleted there", for a person to keep or delete a file of entries
    (and the stop called the ledger "this record"); deleted with the sale, the void's entry was
    left naming a purchase no longer there, and `check` refused the merge. The ledger is merged
    as git's union merges ledgers (the deleting side's entries out, the other's new ones kept);
    the person decides the sale alone, its entries following the decision."""
    a, b, cid, pid = _sale_undone_in_the_first(tmp_path)
    ok("purchase", "void", cid, pid, "--reason", "退货", store=b)
    stopped = kehu("sync", store=b)
    assert stopped.code == 1 and pid in stopped.err and "points.ledger.yaml" not in stopped.err, stopped.err
    rel = Store.open(b).rel(Store.open(b).interaction_file(cid, pid))
    git(b, decision, *(["-q"] if decision == "rm" else []), "--", rel)
    ok("sync", store=b)
    ok("sync", store=a)
    for clone in (a, b):
        assert kehu("points", "show", cid, "--json", store=clone).json()["balance"] == 0
        refs = [e.get("ref") for e in Store.open(clone).ledger(cid, "points")]
        assert refs == ([pid, pid] if decision == "add" else []), refs
        assert kehu("check", store=clone).code == 0


def test_a_redemption_taken_back_stays_out_through_a_merge_a_person_finished(tmp_path: Path) -> None:
    """A redemption shared by both clones taken back in one (`kehu undo`) while the other
    redeems again; the same sync stops on another file both changed (a template), for a person.
    git's union had put the redemption taken back into the ledger again, and the sync that
    finished the merge pushed it: its points spent again (850 where 950 were left), `check` ok.
    A merge a person finished is settled as one the sync made (`drop_entries_taken_back`)."""
    a, b = two_clones(tmp_path)
    cid = ok("customer", "add", "--name", "赵敏", "--phone", "13912345678", store=a).strip()
    ok("purchase", "add", cid, "--item", "龙井", "--price", "1000", store=a)
    (a / "templates").mkdir(exist_ok=True)
    (a / "templates" / "hi.j2").write_text("您好 {{ name }}\n", encoding="utf-8")
    ok("points", "redeem", cid, "100", "--reason", "杯子", store=a)
    ok("sync", store=a)
    ok("sync", store=b)
    ok("undo", store=a)
    (a / "templates" / "hi.j2").write_text("您好呀 {{ name }}\n", encoding="utf-8")
    ok("sync", store=a)
    ok("points", "redeem", cid, "50", "--reason", "茶巾", store=b)
    (b / "templates" / "hi.j2").write_text("早上好 {{ name }}\n", encoding="utf-8")
    stopped = kehu("sync", store=b)
    assert stopped.code == 1 and "templates/hi.j2" in stopped.err, stopped.err
    (b / "templates" / "hi.j2").write_text("早上好呀 {{ name }}\n", encoding="utf-8")
    ok("sync", store=b)
    ok("sync", store=a)
    for clone in (a, b):
        assert kehu("points", "show", cid, "--json", store=clone).json()["balance"] == 950
        notes = [e.get("note") for e in Store.open(clone).ledger(cid, "points")]
        assert notes == [None, "茶巾"], notes
        assert kehu("check", store=clone).code == 0


def test_a_customer_given_to_a_rep_handed_over_meanwhile_is_named(tmp_path: Path) -> None:
    """王芳 leaves: the supervisor hands her customers to 李四 (`kehu handover`) and syncs, while
    a rep, in their clone, adds a new customer for 王芳 and gives her another: after the sync both
    stayed with 王芳, who no longer works there, without a word. The sync that merges the two
    names each and the hand-over that covers them (whichever clone syncs second); a customer of
    another rep, or of 王芳 edited otherwise, is not named."""
    a, b = two_clones(tmp_path)
    kept = ok("customer", "add", "--name", "赵敏", "--phone", "13912345678", "--owner", "王芳", store=a).strip()
    other = ok("customer", "add", "--name", "张无忌", "--phone", "13600000000", "--owner", "赵六", store=a).strip()
    ok("sync", store=a)
    ok("sync", store=b)
    ok("handover", "王芳", "李四", store=a)
    ok("sync", store=a)
    new = ok("customer", "add", "--name", "周芷若", "--phone", "13700000000", "--owner", "王芳", store=b).strip()
    ok("customer", "set", other, "owner=王芳", store=b)
    ok("customer", "set", kept, "tags+=老客户", store=b)
    synced = kehu("sync", store=b)
    assert synced.code == 0, synced.err
    assert new in synced.err and other in synced.err and kept not in synced.err, synced.err
    assert "kehu handover 王芳 李四" in synced.err, synced.err
    ok("handover", "王芳", "李四", store=b)
    ok("sync", store=b)
    ok("sync", store=a)
    assert kehu("customer", "list", "--owner", "王芳", "--json", store=a).json() == []


@pytest.mark.parametrize("first", ["supervisor", "rep"])
def test_a_referral_and_a_visit_naming_a_customer_merged_away_meanwhile_follow_them(tmp_path: Path,
                                                                                     first: str) -> None:
    """The supervisor merges 甲 into 乙 (`kehu customer merge`, which makes every referral, plan
    and ledger entry naming 甲 name 乙) while a rep, in their clone, records that 甲 referred 张三
    and plans a visit to 甲. Git merged the two cleanly, leaving the referral and the plan naming
    甲, who is no longer there: the sync was refused ("referrer: no such customer") with "run
    `kehu sync` again", which stopped the same way for ever (or, the rep's clone second, the visit
    was left out of the plan as "no longer in the store"). They now follow 甲 into 乙, as the
    merge would have made them had they been there, whichever clone syncs first."""
    sup, rep = two_clones(tmp_path)
    jia = ok("customer", "add", "--name", "赵敏", "--phone", "13912345678", "--owner", "王芳", store=sup).strip()
    yi = ok("customer", "add", "--name", "赵敏敏", "--phone", "13912345679", "--owner", "王芳",
            "--allow-duplicate", store=sup).strip()
    zhang = ok("customer", "add", "--name", "张三", "--phone", "13500000000", "--owner", "王芳", store=sup).strip()
    ok("sync", store=sup)
    ok("sync", store=rep)
    ok("customer", "merge", yi, jia, store=sup)
    ok("visits", "plan", "--owner", "王芳", "--date", "2026-11-21", "--add", jia, store=rep)
    ok("customer", "set", zhang, f"referrer={jia}", store=rep)
    order = (sup, rep, sup) if first == "supervisor" else (rep, sup, rep)
    for clone in order:
        ok("sync", store=clone)
    for clone in (sup, rep):
        assert kehu("customer", "show", zhang, "--json", store=clone).json()["referrer"] == yi
        planned = kehu("visits", "plan", "--owner", "王芳", "--date", "2026-11-21", "--json", store=clone)
        text = (clone / "visits" / "王芳" / "2026-11-21.yaml").read_text(encoding="utf-8")
        assert yi in text and jia not in text, text
        assert "no longer" not in planned.err, planned.err
        assert kehu("check", store=clone).code == 0


def test_a_merge_made_by_hand_with_git_pull_follows_a_customer_merged_away(tmp_path: Path) -> None:
    """The same, the rep merging the supervisor's work by hand (`git commit -a`, `git pull
    --no-rebase`: git's merge, clean) before `kehu sync`: the sync found the merge already made,
    and refused for ever ("kehu check finds 1 problem ... referrer: no such customer", not saying
    that 甲 was merged into 乙). A merge of this clone not pushed yet is followed up as the
    sync's own: the referral names 乙, the sync pushes, `check` clean."""
    sup, rep = two_clones(tmp_path)
    jia = ok("customer", "add", "--name", "赵敏", "--phone", "13912345678", store=sup).strip()
    yi = ok("customer", "add", "--name", "赵敏敏", "--phone", "13912345679", "--allow-duplicate", store=sup).strip()
    zhang = ok("customer", "add", "--name", "张三", "--phone", "13500000000", store=sup).strip()
    ok("sync", store=sup)
    ok("sync", store=rep)
    ok("customer", "merge", yi, jia, store=sup)
    ok("sync", store=sup)
    ok("customer", "set", zhang, f"referrer={jia}", store=rep)
    git(rep, "commit", "-q", "-a", "-m", "张三's referrer")
    git(rep, "pull", "-q", "--no-rebase", "--no-edit")
    ok("sync", store=rep)
    ok("sync", store=sup)
    for clone in (sup, rep):
        assert kehu("customer", "show", zhang, "--json", store=clone).json()["referrer"] == yi
        assert kehu("check", store=clone).code == 0
