"""Loyalty points (会员积分): earned per amount spent, multiplied by level or tier, a referral
bonus, redemption and expiry, every change one line of the customer's ``points`` ledger.

A plain kehu plugin: only ``kehu_core``'s public API and ``hookimpl``. Settings live under
``plugins: points:`` in kehu.yaml (see README "Loyalty points").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehu_core import hookimpl
from kehu_core.computed_fields import computed_field_messages
from kehu_core.i18n import N_, _
from kehu_core.models import Customer, Purchase
from kehu_core.plugins import Panel
from kehu_core.store import LEDGER_SUFFIX, Store

from .book import LEDGER, NAME, PointsSettings, book_of, earn, reason_text, referral
from .ledger_rules import ledger_problems, line_problems

#: a customer's points (balance, expiring soon) come from their own ledger, the day and the
#: settings alone: the index keeps them per customer and recomputes only those whose records changed
values_scope = "customer"


@hookimpl
def interaction_saved(store: Store, customer: Customer, interaction: Any) -> None:
    if isinstance(interaction, Purchase):
        earn(store, customer, interaction)
        referral(store, customer, interaction)


@hookimpl
def validate_customer(store: Store, customer: Customer) -> list[str] | None:
    # the balance is the ledger's (customer_values): a profile field `points` would be stored
    # and never shown
    return computed_field_messages(customer, {"points": _(
        "the points plugin adds up the points ledger; change it with `kehu points redeem` or a "
        "purchase")}) or None


@hookimpl
def validate_ledger(ledger: str, entries: list[dict[str, Any]]) -> list[tuple[int, str]] | None:
    # points spent twice: two clones' redemptions, each within the balance it saw, merged
    if ledger != LEDGER:
        return None
    try:
        return ledger_problems(entries)
    except (TypeError, ValueError):  # an entry that does not replay: `kehu points` names its line
        return None


@hookimpl
def validate_ledger_line(store: Store, customer_id: str, ledger: str, entry: dict[str, Any]) -> list[str] | None:
    # asked before a line is added, instead of validate_ledger with the whole ledger
    if ledger != LEDGER:
        return None
    try:
        return line_problems(store, customer_id, entry)
    except (TypeError, ValueError):  # as validate_ledger: `kehu points` names its line
        return None


@hookimpl
def customer_values(store: Store, customer: Customer) -> dict[str, Any]:
    if not _may_have_ledger(store, customer.id):
        return {"points": 0}  # what replaying an empty ledger gives
    return {"points": book_of(store, customer.id).balance}


@hookimpl
def customer_values_many(store: Store, customers: list[Customer]) -> dict[str, dict[str, Any]]:
    """``customer_values`` of a list, the same for each: asked of every customer of a list (a
    `kehu reminders` of 10 000 customers asks each one's values for the key-account visit),
    once through the plugin host instead of once a customer."""
    return {c.id: customer_values(store, c) for c in customers}


#: customers asked for one by one (reading their ledger) before one query for everyone who has
#: a ledger is cheaper: ``customer show`` reads one file, a list of 10 000 asks the index once
_SINGLE_LOOKUPS = 20


def _may_have_ledger(store: Store, customer_id: str) -> bool:
    """False when the index knows no points ledger of this customer. Most customers of a book
    of 10 000 have none, and looking for each file cost ~1 s of a phone's first fetch; the
    answer is kept for the index generation (a ledger written since, here or by a pull, moves it)."""
    cache = store.index.plugin_cache(NAME)
    ledgered = cache.get("ledgered")
    if ledgered is None:
        cache["asked"] = cache.get("asked", 0) + 1
        if cache["asked"] <= _SINGLE_LOOKUPS:
            return True
        ledgered = cache["ledgered"] = set(store.index.customers_with_ledger(f"{LEDGER}{LEDGER_SUFFIX}"))
    return customer_id in ledgered


@hookimpl
def tui_panels(store: Store) -> list[Panel]:
    return [Panel(N_("Points"), _panel, shows=("points",))]  # the balance and its ledger; the TUI translates


def _panel(store: Store, customer: Customer) -> str:
    book = book_of(store, customer.id)
    soon = book.expiring(store.today + dt.timedelta(days=30))
    lines = [_("balance {balance}").format(balance=book.balance)
             + (" " + _("({count} lapse within 30 days)").format(count=soon) if soon else "")]
    for entry in book.entries[-5:]:
        reason = entry.get("reason")
        shown = reason_text(reason)
        lines.append(f"{entry.get('date')}  {shown}  {int(entry.get('delta', 0)):+d}")
    return "\n".join(lines)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import points_group

    cli.add_command(points_group)


@hookimpl
def settings_model() -> type[PointsSettings]:
    """``plugins: points:`` in kehu.yaml, checked when the store opens and by ``kehu check``."""
    return PointsSettings
