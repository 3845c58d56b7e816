"""``kehu report referrals``: who referred whom (转介绍), the referral tree, revenue from
referred customers, conversion, the points given and the thanks still owed.

Who referred whom and when they came and first bought come from
:mod:`kehu_core.services.referrals` (the one home); revenue from the index's purchase totals
(voided purchases left out); the points from the points ledger's ``referral`` entries; the
thanks from the reminders ledger (the ``thank-referrer`` reminders marked done).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from ..i18n import ngettext
from .common import ZERO, customers, percent

if TYPE_CHECKING:
    from ..store import Store

RULE = "thank-referrer"


@dataclass
class Referred:
    customer_id: str
    name: str
    owner: str | None
    added: dt.date | None
    first_purchase: dt.date | None
    purchases: int
    revenue: Decimal
    bonus_points: int  # what the referrer got for this one
    thanked_added: dt.date | None  # the day the referrer was thanked for it (None: not yet)
    thanked_bought: dt.date | None  # ... and for the first purchase (None: not yet, or no purchase)


@dataclass
class Referrer:
    customer_id: str
    name: str
    owner: str | None
    referred: list[Referred]
    converted: int  # referred customers who bought
    conversion: float  # percent
    revenue: Decimal  # of the customers they referred
    bonus_points: int
    thanks_owed: int  # thanks not given yet (added, and bought when they bought)


@dataclass
class TreeNode:
    customer_id: str
    name: str
    bought: bool
    revenue: Decimal
    referred: list[TreeNode] = field(default_factory=list)


@dataclass
class ReferralsReport:
    today: dt.date
    referrers: list[Referrer]
    tree: list[TreeNode]
    referred: int
    converted: int
    conversion: float
    revenue: Decimal  # from referred customers
    revenue_share: float  # of the shop's revenue
    bonus_points: int
    thanks_owed: int


def summary(report: ReferralsReport, money: Callable[[Decimal], str]) -> str:
    """The report's totals in a sentence: the CLI's first line and the TUI's card say the same."""
    return ngettext(
        "{referred} customer referred, {converted} bought ({conversion}%), revenue {revenue} ({share}% of "
        "the shop's); {points} points given; {owed} thanks still owed",
        "{referred} customers referred, {converted} bought ({conversion}%), revenue {revenue} ({share}% of "
        "the shop's); {points} points given; {owed} thanks still owed", report.referred).format(
        referred=report.referred, converted=report.converted, conversion=f"{report.conversion:g}",
        revenue=money(report.revenue), share=f"{report.revenue_share:g}", points=report.bonus_points,
        owed=report.thanks_owed)


def referrals_report(store: Store, today: dt.date) -> ReferralsReport:
    """Every referrer and the customers they referred, the tree, the totals."""
    from ..reminder_engine import done_keys
    from ..services import referrals as rules

    info = customers(store)
    by_referrer = rules.all_referrals(store)
    totals = store.index.purchase_totals()
    revenue_of = {cid: Decimal(cents) / 100 for cid, (_, _, cents) in totals.items()}
    count_of = {cid: n for cid, (_, n, _) in totals.items()}
    done = done_keys(store, by_referrer)
    out = []
    for referrer_id, found in by_referrer.items():
        who = info.get(referrer_id)
        if who is None:
            continue
        rows = []
        for r in found:
            key = f"{RULE}:{referrer_id}:" + "{}"
            c = info.get(r.referred_id)
            rows.append(Referred(
                r.referred_id, r.referred_name, c.owner if c else None, r.added, r.first_purchase,
                count_of.get(r.referred_id, 0), revenue_of.get(r.referred_id, ZERO).quantize(Decimal("0.01")),
                rules.bonus_points(store, referrer_id, r.referred_id),
                done.get(key.format(rules.reminder_anchor(r, rules.ADDED))),
                done.get(key.format(rules.reminder_anchor(r, rules.BOUGHT)))))
        rows.sort(key=lambda x: (x.added or dt.date.min, x.name, x.customer_id))
        converted = sum(1 for x in rows if x.first_purchase is not None)
        owed = sum((x.thanked_added is None) + (x.first_purchase is not None and x.thanked_bought is None)
                   for x in rows)
        out.append(Referrer(referrer_id, who.name, who.owner, rows, converted, percent(converted, len(rows)),
                            sum((x.revenue for x in rows), ZERO), sum(x.bonus_points for x in rows), owed))
    out.sort(key=lambda r: (-len(r.referred), -r.revenue, r.customer_id))
    referred = sum(len(r.referred) for r in out)
    converted = sum(r.converted for r in out)
    revenue = sum((r.revenue for r in out), ZERO)
    shop = sum(revenue_of.values(), ZERO)
    return ReferralsReport(
        today, out, _tree(by_referrer, info, revenue_of), referred, converted, percent(converted, referred),
        revenue, percent(revenue, shop), sum(r.bonus_points for r in out), sum(r.thanks_owed for r in out))


def _tree(by_referrer: dict, info: dict, revenue_of: dict) -> list[TreeNode]:
    """Who brought whom, from the customers nobody referred (or whose referrer is gone) down;
    a loop of referrals (A names B, B names A: a hand edit) is cut where it closes."""
    referred_ids = {r.referred_id for found in by_referrer.values() for r in found}
    roots = sorted((cid for cid in by_referrer if cid not in referred_ids and cid in info),
                   key=lambda cid: (-len(by_referrer[cid]), cid))
    seen: set[str] = set()

    def node(cid: str) -> TreeNode:
        seen.add(cid)
        n = TreeNode(cid, info[cid].name if cid in info else cid, cid in revenue_of,
                     revenue_of.get(cid, ZERO).quantize(Decimal("0.01")))
        for r in by_referrer.get(cid, []):
            if r.referred_id not in seen:
                n.referred.append(node(r.referred_id))
        # the ones who bought first, the most revenue first
        n.referred.sort(key=lambda c: (not c.bought, -c.revenue, c.name, c.customer_id))
        return n

    tree = [node(cid) for cid in roots]
    for cid in sorted(by_referrer):  # only loops are left: start each at its smallest id
        if cid not in seen and cid in info:
            tree.append(node(cid))
    return tree
