"""Grouping customers by what they bring: the pyramid, ABC classes and RFM scores.

Pure functions over plain numbers, shared by the tiering plugin and the reports, so that a
tier shown in the TUI and the same figure in ``kehu report abc`` can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import KehuError
from ..i18n import _
from ..names import meant, shown

if TYPE_CHECKING:
    from ..store import Store

PYRAMID_SHARES = (0.01, 0.19, 0.30, 0.50)
PYRAMID_NAMES = ("重要客户", "主要客户", "普通客户", "小客户")


class CustomerActivity(NamedTuple):
    """What RFM needs about one customer over a window (a named tuple: made for every customer
    of the store on each ranking, twice as fast to make as a frozen dataclass)."""

    last_purchase: dt.date | None
    purchases: int
    revenue: Decimal


def activity(store: Store, start: dt.date | None = None, end: dt.date | None = None) -> dict[str, CustomerActivity]:
    """Purchases per customer in [start, end), from the index; customers who bought nothing
    in the window are included with zeros."""
    index = store.index
    with index.snapshot():  # customers and their purchases as of one moment
        bought = index.customer_purchase_totals(start.isoformat() if start else None, end.isoformat() if end else None)
        ids = index.ids()
    return activity_of(bought, ids)


def activity_of(bought: Mapping[str, tuple[str, int, int] | None], ids: Iterable[str]) -> dict[str, CustomerActivity]:
    """:func:`activity` from the index's purchase totals (``customer_purchase_totals``: last
    purchase, purchases, cents; a customer absent or None bought nothing) of customers ``ids``."""
    out = {}
    days: dict[str, dt.date] = {}  # a year's days and a few thousand sums, each read once
    sums: dict[int, Decimal] = {}
    for cid in ids:
        found = bought.get(cid)
        if found is None:
            out[cid] = _NOTHING
            continue
        last, count, cents = found
        day = days.get(last)
        if day is None:
            day = days[last] = dt.date.fromisoformat(last)
        money = sums.get(cents)
        if money is None:
            money = sums[cents] = Decimal(str(round((cents or 0) / 100, 2)))
        out[cid] = CustomerActivity(day, count, money)
    return out


_NOTHING = CustomerActivity(None, 0, Decimal("0"))


def ranked(revenue: Mapping[str, Decimal]) -> list[str]:
    """Highest revenue first; ties broken by id so results are stable (the order of
    :func:`pyramid` and :func:`abc_classes`: a caller asking both ranks once and passes it)."""
    # two stable sorts (by id, then by revenue) instead of one keyed on (-revenue, id)
    ids = sorted(revenue)
    ids.sort(key=revenue.__getitem__, reverse=True)
    return ids


def pyramid(
    revenue: Mapping[str, Decimal],
    shares: Sequence[float] = PYRAMID_SHARES,
    names: Sequence[str] = PYRAMID_NAMES,
    order: Sequence[str] | None = None,
) -> dict[str, str]:
    """The customer pyramid: top 1 % / next 19 % / next 30 % / last 50 % by revenue.

    ``revenue`` holds every customer of the store, those who bought nothing at zero: the
    shares are shares of all customers, and non-buyers fill the bottom (the one meaning of
    the pyramid, documented with ``kehu tier``; ``activity`` gives every customer).
    Counts are rounded so that every tier with a non-zero share gets at least one customer
    when there are enough customers; the last tier takes the rest. ``order``: ``ranked(revenue)``
    when the caller has it.

    Equal revenue is one tier: a customer whose revenue equals that of the last one of a tier
    is in it too (two customers of ¥0.00, or of one ¥100 sale each, were put in two tiers by
    their ids), and nobody with no revenue is above the last tier (with three customers, one
    of whom bought, one who never bought was a Regular customer, the other a Small one).
    """
    if len(shares) != len(names):
        raise ValueError(_("pyramid: as many shares as names are needed"))
    ids = ranked(revenue) if order is None else order
    total = len(ids)
    out: dict[str, str] = {}
    start, cumulative = 0, 0.0
    for i, (share, name) in enumerate(zip(shares, names, strict=True)):
        cumulative += share
        end = total if i == len(shares) - 1 else round(total * cumulative)
        if total >= len(shares):
            end = max(end, i + 1)  # every tier gets someone once there are enough customers
        end = min(max(end, start), total)
        if end > start:
            last = revenue[ids[end - 1]]
            if last <= 0 and i < len(shares) - 1:  # no revenue: the last tier, below everyone who has some
                end = next((n for n in range(start, end) if revenue[ids[n]] <= 0), end)
                last = revenue[ids[end - 1]] if end > start else last
            while 0 < end < total and last > 0 and revenue[ids[end]] == last:  # a tie goes with its equal
                end += 1
        for cid in ids[start:end]:
            out[cid] = name
        start = end
    return out


def abc_classes(
    revenue: Mapping[str, Decimal], a: float = 0.8, b: float = 0.95, order: Sequence[str] | None = None,
) -> dict[str, str]:
    """ABC by cumulative share of revenue: A up to ``a`` of revenue, B up to ``b``, C the rest.

    A customer is in A if the revenue of those ranked before them is under ``a`` of the total
    (so the customer who crosses the line still counts as A). No revenue at all: C.
    ``order``: ``ranked(revenue)`` when the caller has it.
    """
    total = sum(revenue.values(), Decimal(0))
    out = {}
    running = Decimal(0)
    a_share, b_share = Decimal(str(a)), Decimal(str(b))
    for cid in ranked(revenue) if order is None else order:
        value = revenue[cid]
        if total <= 0 or value <= 0:
            out[cid] = "C"
            continue
        before = running / total
        out[cid] = "A" if before < a_share else "B" if before < b_share else "C"
        running += value
    return out


@dataclass(frozen=True)
class RFMScore:
    r: int
    f: int
    m: int
    segment: str

    @cached_property  # 125 scores at most, shared by every customer: made once each
    def code(self) -> str:
        return f"{self.r}{self.f}{self.m}"


RFM_SEGMENTS = (
    # (name, test on r, f, m) — first match wins
    ("冠军客户", lambda r, f, m: r >= 4 and f >= 4 and m >= 4),
    ("忠诚客户", lambda r, f, m: f >= 4),
    ("潜力客户", lambda r, f, m: r >= 4 and f >= 2),
    ("新客户", lambda r, f, m: r >= 4),
    ("需要关注", lambda r, f, m: r == 3),
    ("流失风险", lambda r, f, m: r == 2 and (f >= 3 or m >= 3)),
    ("沉睡客户", lambda r, f, m: True),
)


def _quintile(values: Mapping[str, float], higher_is_better: bool = True) -> dict[str, int]:
    """Score 1-5 by rank (equal values share a score).

    When everyone has the same value the figure tells nobody apart, so everyone gets the
    middle score 3 (not 1, which would call a shop whose buyers all bought once "the worst").
    """
    ordered = sorted(set(values.values()), reverse=not higher_is_better)
    n = len(ordered)
    if n == 1:
        return dict.fromkeys(values, 3)
    score = {v: 1 + (i * 5) // n for i, v in enumerate(ordered)}
    return {cid: score[v] for cid, v in values.items()}


def _segment(r: int, f: int, m: int) -> str:
    return next(name for name, test in RFM_SEGMENTS if test(r, f, m))


def rfm(activity_by_customer: Mapping[str, CustomerActivity], today: dt.date) -> dict[str, RFMScore]:
    """RFM scores 1-5 (5 best) among customers who bought at least once, with a segment name."""
    buyers = {cid: a for cid, a in activity_by_customer.items() if a.purchases > 0 and a.last_purchase}
    # a few hundred days at most among 100 000 buyers: each day's distance worked out once
    ago = {day: -(today - day).days for day in {a.last_purchase for a in buyers.values()}}  # type: ignore[operator]
    recency = _quintile({cid: ago[a.last_purchase] for cid, a in buyers.items()})
    frequency = _quintile({cid: float(a.purchases) for cid, a in buyers.items()})
    monetary = _quintile({cid: float(a.revenue) for cid, a in buyers.items()})
    scores: dict[tuple[int, int, int], RFMScore] = {}  # 125 at most, shared (they are frozen)
    out = {}
    for cid in buyers:
        key = (recency[cid], frequency[cid], monetary[cid])
        score = scores.get(key)
        if score is None:
            score = scores[key] = RFMScore(*key, _segment(*key))
        out[cid] = score
    return out


# --- the tier filter: one meaning for `customer list --tier`, a segment's `tier:`, the TUI --


def tier_names(store: Store) -> list[str]:
    """The tiers of this store, top first, as the plugins that compute ``tier`` name them
    (the ``tier_names`` hook; the tiering plugin's depend on its scheme)."""
    # each once, in order (a list's `in` for each was quadratic in the names)
    return list(dict.fromkeys(str(name) for name in store.plugins.collect("tier_names", store=store)))


def tier_of_values(values: Mapping[str, Any]) -> str | None:
    """A customer's tier from their plugin values (``customer_values``): the ``tier`` key, or
    its ``name`` when a plugin gives ``{"name": ...}``."""
    tier = values.get("tier")
    if isinstance(tier, Mapping):
        tier = tier.get("name") or tier.get("tier")
    return None if tier is None else str(tier)


def wanted_tiers(store: Store, wanted: str | Iterable[str]) -> list[str]:
    """The tiers of this store that ``wanted`` names (any case; as kept or as shown in English
    or Chinese: kehu_core.names), as the store spells them.

    A name that is not a tier of this store is an error naming the tiers (``KehuError``: exit
    1 in the CLI, a notification in the TUI), so a typo never silently shows an empty list.
    """
    asked = [wanted] if isinstance(wanted, str) else list(wanted)
    names = tier_names(store)

    def unknown(name: str) -> KehuError:
        if not names:
            return KehuError(_("no tier {name}: no enabled plugin computes tiers (is the tiering plugin "
                "disabled in kehu.yaml?)").format(name=repr(name)))
        return KehuError(_("no tier {name}; the tiers are: {join}").format(
            name=repr(name), join=', '.join(str(shown(n, store)) for n in names)))

    return _kept_names(store, asked, names, unknown)


def _kept_names(store: Store, asked: Iterable[str], names: list[str],
                unknown: Callable[[str], KehuError]) -> list[str]:
    """The ``names`` (as kept) that ``asked`` names, each once, read by :func:`kehu_core.names.meant`
    (as kept or as shown, any case); ``unknown(name)`` is raised for one that names none."""
    found = []
    for name in asked:
        kept = meant(name, names, store)  # as kept (主要客户) or as shown (Major customers)
        if kept is None:
            raise unknown(name)
        found.append(kept)
    return list(dict.fromkeys(found))


def wanted_rfm(store: Store, wanted: Iterable[str]) -> list[str]:
    """The RFM segments ``wanted`` names (as kept, 冠军客户, or as shown, Champions, any case),
    as kept. A name that is none of them is an error naming them: a segment's ``rfm:
    [champion]`` matched no one, and ``kehu check`` said ok."""
    names = [name for name, _test in RFM_SEGMENTS]
    return _kept_names(store, wanted, names, lambda name: KehuError(
        _("no RFM segment {name}; the RFM segments are: {join}").format(
            name=repr(name), join=", ".join(str(shown(n, store)) for n in names))))


def tier_filter(store: Store, wanted: str | Iterable[str]) -> Callable[[Mapping[str, Any]], bool]:
    """A test on a customer's plugin values: is their tier one of ``wanted`` (any case)?
    The one tier filter of kehu (lists in SQL use :func:`wanted_tiers` the same way)."""
    chosen = {t.casefold() for t in wanted_tiers(store, wanted)}

    def matches(values: Mapping[str, Any]) -> bool:
        tier = tier_of_values(values)
        return tier is not None and tier.casefold() in chosen

    return matches
