"""Referrals (转介绍): who referred whom, when the referred customer came and first bought, and
the thank-you message to the referrer. The one home of these facts: ``kehu report
referrals``, the reminders plugin's thank-the-referrer rule and the TUI ask here.

A referral is a customer whose ``referrer`` names another customer of the store (the store
refuses any other, see ``Store.referrer_problem``). The seeds: a customer an old customer
introduces is served until they buy, and the old customer is thanked whether or not they buy;
so there are two moments to thank: when the referred customer is **added** (their ``created``
day) and when they **first buy** (their first purchase, voided ones left out).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..index.plugin_data import PluginCache
    from ..models import Customer
    from ..store import Store
    from .outreach_templates import Rendered

#: the built-in message template (kehu_core/services/templates/thank-referrer.j2); a store's
#: own templates/thank-referrer.j2 replaces it
TEMPLATE = "thank-referrer"
ADDED, BOUGHT = "added", "bought"
_CACHE = "kehu.referrals"


@dataclass(frozen=True)
class Referral:
    referrer_id: str
    referred_id: str
    referred_name: str
    added: dt.date | None  # the referred customer's ``created``
    first_purchase: dt.date | None  # None: not bought yet

    @property
    def converted(self) -> bool:
        return self.first_purchase is not None


def all_referrals(store: Store, cache: PluginCache | None = None) -> dict[str, list[Referral]]:
    """Referrer id → the customers they referred (by id), from the index; kept for the index
    generation, so a list of reminders over 10 000 customers asks the index once. ``cache``:
    this module's plugin cache, if the caller holds it already."""
    if cache is None:
        cache = store.index.plugin_cache(_CACHE)
    found = cache.get("referrals")
    if found is None:
        firsts = store.index.first_purchases()
        found = {}
        for cid, name, referrer, created in store.index.referrals():
            first = firsts.get(cid)
            found.setdefault(referrer, []).append(Referral(
                referrer, cid, name, _day(created), _day(first)))
        cache["referrals"] = found
    return found


#: single lookups before one store-wide pass is cheaper (a list of reminders asks for everyone)
_SINGLE_LOOKUPS = 20


def referred_by(store: Store, referrer_id: str) -> list[Referral]:
    """The customers ``referrer_id`` referred: from the store-wide answer once a list has asked
    for many, else from this customer's own rows (``customer show`` among 100 000)."""
    return _referred_by(store, store.index.plugin_cache(_CACHE), referrer_id)


def lookup(store: Store) -> Callable[[str], list[Referral]]:
    """:func:`referred_by` for one pass over many customers (a list of reminders): the index
    asked once for its generation, not once per customer (10 000 queries, ~0.2 s of a
    phone's first book). The answers are those of the records as they were when it was made:
    make one per pass."""
    cache = store.index.plugin_cache(_CACHE)
    return lambda referrer_id: _referred_by(store, cache, referrer_id)


def _referred_by(store: Store, cache: PluginCache, referrer_id: str) -> list[Referral]:
    if "referrals" not in cache:
        cache["single"] = cache.get("single", 0) + 1
        if cache["single"] <= _SINGLE_LOOKUPS:
            return [Referral(referrer_id, cid, name, _day(created), _day(first))
                    for cid, name, created, first in store.index.referral_rows(referrer_id)]
    return all_referrals(store, cache).get(referrer_id, [])


def reminder_anchor(referral: Referral, event: str) -> str:
    """The anchor of the thank-you reminder: ``<referred id>-added`` or ``-bought``."""
    return f"{referral.referred_id}-{event}"


def bonus_points(store: Store, referrer_id: str, referred_id: str) -> int:
    """Points the referrer got for this referral (the points ledger's ``referral`` entries,
    written by the points plugin with ``plugins: points: referral_bonus`` points)."""
    return sum(int(e.get("delta") or 0) for e in store.ledger(referrer_id, "points")
               if e.get("reason") == "referral" and e.get("ref") == referred_id)


def thank_message(store: Store, referrer: Customer, referral: Referral, event: str,
                  template: str = TEMPLATE, *, skip: tuple[str, ...] = ()) -> Rendered:
    """The thank-you message to ``referrer`` for ``referral`` (``event`` added or bought),
    rendered from the template (``templates/thank-referrer.j2`` in the store, else the
    built-in one) with the referrer's fields and ``referred``, ``event``, ``first_purchase``,
    ``first_amount`` and ``bonus``. ``skip``: plugins not asked for the referrer's values (the
    reminders plugin, rendering it from inside its own)."""
    from .outreach_templates import Template, context

    values: dict[str, Any] = context(store, referrer, store.today, skip=skip)
    first_amount = None
    if referral.first_purchase is not None:
        day = referral.first_purchase.isoformat()
        first_amount = Decimal(str(store.index.revenue_between(referral.referred_id, day, day)))
    values.update(referred=referral.referred_name, event=event,
                  first_purchase=referral.first_purchase.isoformat() if referral.first_purchase else None,
                  first_amount=first_amount,
                  bonus=bonus_points(store, referral.referrer_id, referral.referred_id) or None)
    return Template(store, template).render(values)


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
