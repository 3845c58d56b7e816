"""The twentieth outside round (E, 2026-12-06): plugins writing through the store's API, clones
syncing, writers at one moment. Each failed on the code before its fix. See docs/reliability.md,
"The outside attacker's variants"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehu_core import hookimpl
from kehu_core.models import Purchase
from kehu_core.testing import make_store, reopen, run_kehu

TODAY = dt.date(2026, 11, 20)


class _Overspends:
    """A third party's reaction to a sale writing a line of the points ledger through the
    store's API (``store.append_ledger``) that the points plugin's ledger rule rejects: a
    redemption of more points than the customer holds."""

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        if isinstance(interaction, Purchase):
            store.append_ledger(customer.id, "points", {"date": store.today, "reason": "redeem", "delta": -100000})


class _MarksDone:
    """A reaction to a sale marking a reminder done in the customer's reminders ledger, as kehu's
    own rule of those lines refuses it (an action that is none, a key of another customer)."""

    @hookimpl
    def interaction_saved(self, store: Any, customer: Any, interaction: Any) -> None:
        store.append_ledger(customer.id, "reminders", {"date": store.today, "key": f"thanks:{customer.id}:x",
                                                       "action": "explode"})


def test_a_ledger_line_a_rule_rejects_is_not_written_by_any_door(tmp_path: Any) -> None:
    """A plugin's `interaction_saved` appending to the points ledger a redemption of 100 000
    points (the customer held 10): written, `purchase add` exit 0 with no word, and then
    `kehu check` rejected the store ("redeems 100000 points when 10 were left"), so every later
    `kehu sync` stopped. The plugins' `validate_ledger` rules are asked before a line is added,
    as `validate_customer` is before a profile is written: a line that would bring a new
    message is refused, nothing written, and the plugin named (its hook's failure); the sale and
    its own points stay, `check` clean."""
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "赵敏"}],
                       plugins={"overspends": _Overspends(), "marks": _MarksDone()})
    cid = next(iter(store.iter_customer_ids()))
    bought = run_kehu(store, "purchase", "add", cid, "--item", "茶", "--price", "10", "--paid")
    assert bought.code == 0, bought
    assert "plugin 'overspends' failed in interaction_saved" in bought.err, bought.err
    assert "not written, `kehu check` would reject it: redeems 100000 points" in bought.err, bought.err
    assert "plugin 'marks' failed in interaction_saved" in bought.err, bought.err
    assert "action: expected done or snooze, not 'explode'" in bought.err, bought.err
    fresh = reopen(store)
    assert fresh.ledger(cid, "reminders") == []
    ledger = fresh.ledger(cid, "points")
    assert [e["reason"] for e in ledger] == ["purchase"], ledger
    assert len(fresh.interactions(cid)) == 1
    checked = run_kehu(store, "check")
    assert checked.code == 0, checked
