"""The twenty-first round (B, 2026-12-07): a ledger's rules asked of a new line without reading
the whole ledger. Each failed on the code before its fix. See docs/reliability.md, "The outside
attacker's variants"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehu_core import hookimpl
from kehu_core.models import Purchase
from kehu_core.testing import make_store, reopen, run_kehu

TODAY = dt.date(2026, 11, 20)


class _Gifts:
    """A third party's gifts ledger: a gift after each sale, of 10 for a sale over 100. Its rule
    (at most 5 a gift) is asked of the whole ledger by `kehu check` (``validate_ledger``) and of
    a new line alone before it is written (``validate_ledger_line``); it keeps what it was asked."""

    def __init__(self) -> None:
        self.whole: list[int] = []  # the length of each ledger validate_ledger was handed

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        if isinstance(interaction, Purchase):
            delta = 10 if interaction.amount > 100 else 1
            store.append_ledger(customer.id, "gifts", {"date": store.today, "reason": "gift", "delta": delta})

    @hookimpl
    def validate_ledger(self, ledger: str, entries: list[dict[str, Any]]) -> list[tuple[int, str]] | None:
        if ledger != "gifts":
            return None
        self.whole.append(len(entries))
        return [(n, "a gift of at most 5") for n, e in enumerate(entries) if e.get("delta", 0) > 5]

    @hookimpl
    def validate_ledger_line(self, ledger: str, entry: dict[str, Any]) -> list[str] | None:
        return ["a gift of at most 5"] if ledger == "gifts" and entry.get("delta", 0) > 5 else None


def test_a_plugins_line_rule_is_asked_of_a_new_line_and_its_ledger_rule_by_check(tmp_path: Any) -> None:
    """Every sale of a customer handed each plugin's ``validate_ledger`` the customer's whole
    ledger (read and parsed for it: a ledger of 23 000 entries doubled the CPU of `kehu purchase
    add`). A plugin implementing ``validate_ledger_line`` is asked that of the new line instead:
    a line it refuses is not written (the plugin named, the sale kept), one it passes is; its
    ``validate_ledger`` is asked by `kehu check`, the one judge of a ledger."""
    gifts = _Gifts()
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}], plugins={"gifts": gifts})
    cid = next(iter(store.iter_customer_ids()))
    for price in ("10", "20"):
        assert run_kehu(store, "purchase", "add", cid, "--item", "茶", "--price", price, "--paid").code == 0
    big = run_kehu(store, "purchase", "add", cid, "--item", "茶", "--price", "500", "--paid")
    assert big.code == 0, big
    assert "plugin 'gifts' failed in interaction_saved" in big.err, big.err
    assert "not written, `kehu check` would reject it: a gift of at most 5 (plugin gifts)" in big.err, big.err
    assert gifts.whole == [], "the whole ledger was handed to validate_ledger on a sale"
    assert [e["delta"] for e in reopen(store).ledger(cid, "gifts")] == [1, 1]
    assert len(reopen(store).interactions(cid)) == 3
    checked = run_kehu(store, "check")
    assert checked.code == 0, checked
    assert gifts.whole == [2]


class _PointsAgain:
    """A third party giving the points of one sale, `p-fixed`, after every sale (a plugin of a
    till that kept its own sale number): the second gives them again."""

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        if isinstance(interaction, Purchase):
            store.append_ledger(customer.id, "points", {"date": store.today, "reason": "purchase",
                                                        "ref": "p-fixed", "delta": 3})


def test_the_points_of_one_sale_given_again_by_a_plugin_are_refused_from_the_line(tmp_path: Any) -> None:
    """The points plugin answers of a new line (``validate_ledger_line``) without reading the
    ledger unless the line needs it: a sale's points whose sale the ledger names already are
    (`earned_twice`), refused before they are written, the first kept; `check` clean."""
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}], plugins={"till": _PointsAgain()})
    cid = next(iter(store.iter_customer_ids()))
    first = run_kehu(store, "purchase", "add", cid, "--item", "茶", "--price", "10", "--paid")
    assert first.code == 0 and "failed" not in first.err, first
    again = run_kehu(store, "purchase", "add", cid, "--item", "茶", "--price", "10", "--paid")
    assert again.code == 0, again
    assert "plugin 'till' failed in interaction_saved" in again.err, again.err
    assert "awards the points of sale p-fixed again" in again.err, again.err
    refs = [e.get("ref") for e in reopen(store).ledger(cid, "points")]
    assert refs.count("p-fixed") == 1, refs
    assert run_kehu(store, "check").code == 0


def test_check_names_records_without_a_profile_as_they_come_and_go(tmp_path: Any) -> None:
    """`kehu check`'s store-wide questions are each an index's look now (the folders of records
    without a profile kept as files change, profiles naming a referrer or merged ids, the files
    that are no record): an index kept from one check to the next names a profile taken away by
    hand (its purchase and ledger), one put back, a folder made by hand holding a record alone,
    a file that is no record, and a referral loop, each as it comes and goes."""
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}, {"name": "钱多"}])
    first, second = sorted(store.iter_customer_ids())
    assert run_kehu(store, "purchase", "add", first, "--item", "茶", "--price", "10", "--paid").code == 0
    assert run_kehu(store, "check").code == 0
    profile = store.customer_file(first)
    kept = profile.read_bytes()
    profile.unlink()
    gone = run_kehu(store, "check")
    assert gone.code == 1, gone
    assert "interaction of a customer that has no customer.yaml" in gone.out + gone.err, gone
    assert "points.ledger.yaml:1: ledger of a customer that has no customer.yaml" in gone.out + gone.err, gone
    profile.write_bytes(kept)
    back = run_kehu(store, "check")
    assert back.code == 0, back
    made = store.interactions_dir("c1nhbyzzzzzzzzzz")
    made.mkdir(parents=True)
    (made / "x.yaml").write_bytes(next(store.interactions_dir(first).glob("*.yaml")).read_bytes())
    (store.root / "customers" / "notes.txt").write_text("a list of calls\n", encoding="utf-8")
    handmade = run_kehu(store, "check")
    assert handmade.code == 1, handmade
    said = handmade.out + handmade.err
    assert "c1nhbyzzzzzzzzzz/interactions/x.yaml:1: interaction of a customer that has no customer.yaml" in said, said
    assert "notes.txt" in said, said
    for cid, other in ((first, second), (second, first)):  # by hand: each names the other
        path = store.customer_file(cid)
        path.write_text(path.read_text(encoding="utf-8") + f"referrer: {other}\n", encoding="utf-8")
    looped = run_kehu(store, "check")
    assert looped.code == 1 and f"{second}/customer.yaml" in looped.out + looped.err, looped


def test_a_ledger_read_again_in_one_process_is_read_as_it_is_now(tmp_path: Any) -> None:
    """A ledger read again by one command is parsed once while its bytes are the same (`kehu
    points redeem` read a 23 000-entry ledger four times): a line changed by hand meanwhile to
    another of the same length is read as it is now, and what a caller did to the entries it
    was given is not what the next read gets."""
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}])
    cid = next(iter(store.iter_customer_ids()))
    store.append_ledger(cid, "gifts", {"date": TODAY, "reason": "gift", "delta": 1})
    assert [e["delta"] for e in store.ledger(cid, "gifts")] == [1]
    path = store.ledger_file(cid, "gifts")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("delta: 1", "delta: 2"), encoding="utf-8")  # the same size
    given = store.ledger(cid, "gifts")
    assert [e["delta"] for e in given] == [2]
    given[0]["delta"] = 99
    given.clear()
    assert [e["delta"] for e in store.ledger(cid, "gifts")] == [2]
