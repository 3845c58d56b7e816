"""Loyalty points (会员积分): earned per amount spent, multiplied by level or tier, a referral
bonus, redemption and expiry, every change one line of the customer's ``points`` ledger.

A plain kehu plugin: only ``kehu_core``'s public API and ``hookimpl``. Settings live under
``plugins: points:`` in kehu.yaml (see README "Loyalty points").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehu_core import hookimpl
from kehu_core.models import Customer, Purchase
from kehu_core.plugins import Panel
from kehu_core.store import Store

from .book import book_of, earn, referral

#: a customer's points (balance, expiring soon) come from their own ledger, the day and the
#: settings alone: the index keeps them per customer and recomputes only those whose records changed
values_scope = "customer"


@hookimpl
def interaction_saved(store: Store, customer: Customer, interaction: Any) -> None:
    if isinstance(interaction, Purchase):
        earn(store, customer, interaction)
        referral(store, customer, interaction)


@hookimpl
def customer_values(store: Store, customer: Customer) -> dict[str, Any]:
    return {"points": book_of(store, customer.id).balance}


@hookimpl
def tui_panels(store: Store) -> list[Panel]:
    return [Panel("积分 Points", _panel, shows=("points",))]  # the balance and its ledger


def _panel(store: Store, customer: Customer) -> str:
    book = book_of(store, customer.id)
    soon = book.expiring(store.today + dt.timedelta(days=30))
    lines = [f"balance {book.balance}" + (f" ({soon} lapse within 30 days)" if soon else "")]
    for entry in book.entries[-5:]:
        lines.append(f"{entry.get('date')}  {entry.get('reason')}  {int(entry.get('delta', 0)):+d}")
    return "\n".join(lines)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import points_group

    cli.add_command(points_group)
