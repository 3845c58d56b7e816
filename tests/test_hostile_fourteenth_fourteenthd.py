"""The fourteenth outside round (D, 2026-12-06), kind 3: a value one door takes and another
refuses. Each failed on the code before its fix. See docs/reliability.md, "The outside
attacker's variants"."""

from __future__ import annotations

from pathlib import Path

from kehu_core.store import Store

from .conftest import git, kehu
from .test_hostile_fourteenth_fourteenthb import _sale_undone_here_paid_there
from .test_team_merge import ok


def test_a_tier_typed_as_shown_is_named_as_kept_by_every_door(tmp_path: Path) -> None:
    """`kehu tier set ID "Key customers"` pins the tier as kept (重要客户), but `customer set ID
    tier_override="Key customers"` (and the TUI's form, `kehu edit`, an import column) was refused
    with "is not a tier here; expected one of 重要客户, ..." — the name the user had typed and
    `tier set` took, not told apart from a typo. The refusal said which tier the name shows and
    what to write (`tiering.validate_customer`); since the fifteenth round every door keeps the
    name as kept, as `tier set` does (test_hostile_fifteenth_fifteenthd.py), and `kehu check`
    says what to write of a hand edit."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "赵敏", store=path).out.strip()
    for typed in ("Key customers", "key CUSTOMERS"):
        kept = kehu("customer", "set", cid, f"tier_override={typed}", store=path)
        assert kept.code == 0, kept.err
        assert "tier_override: 重要客户" in Store.open(path).customer_file(cid).read_text(encoding="utf-8")
    wrong = kehu("customer", "set", cid, "tier_override=Kee customers", store=path)
    assert wrong.code == 1 and "is not a tier here" in wrong.err, wrong.err
    assert kehu("customer", "set", cid, "tier_override=重要客户", store=path).code == 0
    assert kehu("tier", "set", cid, "Key customers", store=path).code == 0


def test_a_sale_undone_in_one_clone_and_paid_in_the_other_kept_keeps_its_tier_move(tmp_path: Path) -> None:
    """The sale taken back in one clone (`kehu undo`: the purchase, its points and its tier move)
    and paid in the other, kept when the sync asked (`git add`): its points came back, but its
    tier move did not — it named the sale only in its words (`why: purchase …`), not as `ref` —,
    so `kehu tier` listed no move and the customer's tier history lacked it until `kehu tier
    record`, `check` ok. The move a purchase makes names it as `ref`
    (`tiering.interaction_saved`), and comes back with the sale as its points do."""
    a, b, cid, pid = _sale_undone_here_paid_there(tmp_path)
    ledger = Store.open(b).rel(Store.open(b).customer_file(cid).parent / "tiers.ledger.yaml")
    shared = git(b, "show", f"HEAD:{ledger}")  # this clone's own, before the merge the sync stopped in
    assert f"purchase {pid}" in shared and "to: 小客户" in shared, shared  # the move the sale made
    git(b, "add", "--", Store.open(b).rel(Store.open(b).interaction_file(cid, pid)))
    ok("sync", store=b)
    ok("sync", store=a)
    for clone in (a, b):
        moves = Store.open(clone).ledger(cid, "tiers")
        assert [(e.get("from"), e.get("to")) for e in moves] == [(None, "小客户")], moves
        listed = kehu("tier", "--json", store=clone).json()["recent_changes"]
        assert [c["customer_id"] for c in listed] == [cid], listed  # `kehu tier`: moves in the last 30 days
        assert kehu("check", store=clone).code == 0
