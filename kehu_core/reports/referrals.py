"""``kehu report referrals``: who referred whom (转介绍), the referral tree, revenue from
referred customers, conversion, the points given and the thanks still owed.

Who referred whom and when they came and first bought come from
:mod:`kehu_core.services.referrals` (the one home); revenue from the index's purchase totals
(voided purchases left out); the points from the points ledger's ``referral`` entries; the
thanks from the reminders ledger (the ``thank-referrer`` reminders marked done).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from ..i18n import _, ngettext
from ..shown import visible
from .common import ZERO, customers, percent

if TYPE_CHECKING:
    from rich.tree import Tree

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
    #: referred customers not nested here but drawn below as trees of their own (this node is
    #: MAX_TREE_DEPTH levels deep)
    more: int = 0
    #: on such a tree's top: the customer it continues from (who referred this one), and their name
    continues: str | None = None
    continues_name: str | None = None


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
    from ..reminder_state import done_keys
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


#: How many levels of the tree are drawn nested: a deeper branch (a chain of referrals a
#: thousand long, made by an import or by hand) goes on as a tree of its own right after, so
#: neither this report, its JSON, nor a terminal's guides grow with the chain's length.
MAX_TREE_DEPTH = 12


def _tree(by_referrer: dict, info: dict, revenue_of: dict) -> list[TreeNode]:
    """Who brought whom, from the customers nobody referred (or whose referrer is gone) down;
    a loop of referrals (A names B, B names A: a hand edit) is cut where it closes. Built with
    a list of work, not recursion: a chain of any length costs no stack."""
    referred_ids = {r.referred_id for found in by_referrer.values() for r in found}
    roots = sorted((cid for cid in by_referrer if cid not in referred_ids and cid in info),
                   key=lambda cid: (-len(by_referrer[cid]), cid))
    seen: set[str] = set()

    def make(cid: str) -> TreeNode:
        seen.add(cid)
        return TreeNode(cid, info[cid].name if cid in info else cid, cid in revenue_of,
                        revenue_of.get(cid, ZERO).quantize(Decimal("0.01")))

    def grow(top: TreeNode) -> list[TreeNode]:
        """Fill ``top``'s branch down to MAX_TREE_DEPTH levels; the roots of what goes on below it."""
        cut: list[TreeNode] = []
        work = [(top, 1)]
        while work:
            n, depth = work.pop()
            children = [make(r.referred_id) for r in by_referrer.get(n.customer_id, [])
                        if r.referred_id not in seen]
            # the ones who bought first, the most revenue first
            children.sort(key=lambda c: (not c.bought, -c.revenue, c.name, c.customer_id))
            if depth >= MAX_TREE_DEPTH and children:
                n.more = len(children)
                for child in children:
                    child.continues, child.continues_name = n.customer_id, n.name
                cut.extend(children)
                continue
            n.referred = children
            work.extend((c, depth + 1) for c in reversed(children))
        return cut

    tree: list[TreeNode] = []

    def plant(cid: str) -> None:
        pending = deque([make(cid)])
        while pending:  # a branch cut at the depth limit goes on right after its tree
            top = pending.popleft()
            tree.append(top)
            pending.extendleft(reversed(grow(top)))

    for cid in roots:
        plant(cid)
    for cid in sorted(by_referrer):  # only loops are left: start each at its smallest id
        if cid not in seen and cid in info:
            plant(cid)
    return tree


def drawn_tree(report: ReferralsReport, money: Callable[[Decimal], str], guide_style: str = "tree.line") -> Tree:
    """The tree as Rich draws it, for ``kehu report referrals`` and the TUI's screen alike: names
    as plain text (a name is never read as markup) shown by the rule of every listing
    (:func:`~kehu_core.shown.visible`: a zero-width space in a second 张三 as U+FFFD), a branch
    cut at :data:`MAX_TREE_DEPTH` said so where it is cut and where it goes on."""
    from rich.text import Text
    from rich.tree import Tree

    tree = Tree(_("who brought whom"), guide_style=guide_style)
    work: list[tuple[Tree, TreeNode]] = []
    for root in report.tree:
        label = Text(visible(root.name), style="bold")
        if root.continues is not None:
            named = visible(root.continues_name or "")
            label.append(" " + _("(referred by {name}, continued)").format(name=named), style="dim")
        work.append((tree.add(label), root))
    while work:  # a list of work, not recursion: the tree's depth costs no stack
        branch, node = work.pop()
        if node.more:
            branch.add(Text(_("{count} more referred: continued below").format(count=node.more), style="dim"))
        for child in node.referred:  # each branch is added in order; the work's order is free
            mark = Text(f" ¥{money(child.revenue)}") if child.bought else Text(" " + _("not bought yet"), style="dim")
            work.append((branch.add(Text(visible(child.name)) + mark), child))
    return tree
