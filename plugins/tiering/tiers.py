"""Which tier each customer is in, computed once per process from the index.

The maths is ``kehu_core.services.scoring`` (shared with ``kehu report``); this module
only picks the window, the scheme and the manual overrides, and caches the result.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from kehu_core.index import PluginTable
from kehu_core.models import CENT
from kehu_core.services import scoring
from kehu_core.store import Store

from .tier_settings import NAME, OVERRIDE_FIELD, TieringSettings, settings


class TierInfo(NamedTuple):  # one per customer on each ranking: a named tuple is quick to make
    computed: str  # what the scheme says
    abc: str
    rfm: str | None  # "543", None if no purchase in the window
    rfm_segment: str | None
    revenue: Decimal  # in the window


# The figures are computed for the whole store at once (a tier is a rank among everyone) and
# kept in a plugin table of the index (``index.plugin_table``), so that a new process showing
# one customer reads one row instead of ranking 100 000 customers. They are stamped with the
# index generation (which moves with every record change, in any process), the as-of day and
# the settings; being derived data, they go when the index is deleted.
#
# A change ranks again only when it moved someone's purchases in the window: the result is kept
# with each customer's purchase totals it was ranked from (last purchase, purchases, cents), and
# a command finding it under an older generation asks the index which customers changed since
# (their version) and compares their totals now with those kept. None moved (a note, a profile,
# a tier's ledger line): the kept result is still exact and only its stamp moves. Some moved (a
# sale): the ranking is done again from the kept totals with theirs put in, and only the rows it
# changed are written. Not less than a ranking again: a sale moves the store's total revenue,
# hence every ABC share, and can add or remove one of the values RFM's quintiles are cut among,
# which moves every cut; the pyramid alone would be the rows between the buyer's two ranks.
_CACHE_VERSION = 2
# revenue as text: exact; last, purchases and cents: the purchase totals it was ranked from
_COLUMNS = ("computed", "abc", "rfm", "rfm_segment", "revenue", "last", "purchases", "cents")
#: customers changed since the kept result beyond which the index's totals are read afresh
_CHANGED_AT_MOST = 1000
#: single-row reads before one read of the whole table is cheaper (a list, ``kehu tier``)
_SINGLE_READS = 64


def _info(row: tuple[Any, ...]) -> TierInfo:
    computed, abc, rfm, segment, revenue = row[:5]
    return TierInfo(computed, abc, rfm, segment, Decimal(revenue))


Totals = tuple[str | None, int, int]  # (last purchase, purchases, cents) in the window
_NO_PURCHASE: Totals = (None, 0, 0)


def _table(store: Store) -> PluginTable:
    return store.index.plugin_table(NAME, "tiers", _COLUMNS)


class Tiers:
    """Every customer's tier: computed just now, or read row by row from the stored result."""

    def __init__(self, as_of: dt.date, start: dt.date, scheme: str, *,
                 by_customer: dict[str, TierInfo] | None = None,
                 store: Store | None = None, stamp: str = ""):
        self.as_of, self.start, self.scheme = as_of, start, scheme
        self._all = by_customer
        self._store, self._stamp = store, stamp
        self._one: dict[str, TierInfo | None] = {}

    @property
    def by_customer(self) -> dict[str, TierInfo]:
        if self._all is None:
            assert self._store is not None
            rows = _table(self._store).all(self._stamp)
            if rows is None:  # replaced meanwhile by another process: work it out here
                self._all = _compute(self._store, self.as_of).by_customer
            else:
                self._all = {cid: _info(row) for cid, row in rows.items()}
        return self._all

    def get(self, customer_id: str) -> TierInfo | None:
        if self._all is not None or len(self._one) >= _SINGLE_READS:
            return self.by_customer.get(customer_id)
        if customer_id not in self._one:
            assert self._store is not None
            rows = _table(self._store).get(self._stamp, [customer_id])
            if rows is None:
                return self.by_customer.get(customer_id)
            self._one[customer_id] = _info(rows[customer_id]) if customer_id in rows else None
        return self._one[customer_id]


def _rows(tiers: Mapping[str, TierInfo], bought: Mapping[str, Totals]) -> dict[str, tuple[Any, ...]]:
    """The table's rows of these customers' tiers, each with the totals it was ranked from."""
    return {cid: (i.computed, i.abc, i.rfm, i.rfm_segment, str(i.revenue), *bought.get(cid, _NO_PURCHASE))
            for cid, i in tiers.items()}


# The settings as text, for the stamp: worked out again only when the settings object changes
# (asked once per customer of a list: keep it cheap).
_settings_text: tuple[TieringSettings, str] | None = None


def _stamp(store: Store, end: dt.date, generation: str) -> str:
    """What the result depends on: the records (generation), the day and the settings."""
    global _settings_text
    cfg = settings(store)
    memo = _settings_text
    if memo is None or memo[0] is not cfg:
        text = json.dumps(cfg.model_dump(mode="json", exclude={"as_of", "record_on_purchase", "auto_record_up_to"}),
                          ensure_ascii=False, sort_keys=True)
        memo = _settings_text = (cfg, text)
    return f"{_CACHE_VERSION}|{generation}|{end.isoformat()}|{memo[1]}"


def compute(store: Store, as_of: dt.date | None = None) -> Tiers:
    """Every customer's tier (cached in the process and in the index, see above)."""
    cfg = settings(store)
    end = as_of or cfg.as_of or store.today
    # the last result in this process, dropped by the index when a record changes
    cache = store.index.plugin_cache(NAME)
    stamp = _stamp(store, end, cache.generation)
    hit = cache.get("last")
    if hit is not None and hit[0] == stamp:
        return hit[1]
    start = end - dt.timedelta(days=cfg.window_days)
    tiers = Tiers(end, start, cfg.scheme, store=store, stamp=stamp)
    table = _table(store)
    kept = table.stamp()
    if kept != stamp:
        moved = _moved_since(store, kept, stamp, end)
        if moved is None:  # nothing kept to start from, or too much changed
            tiers, bought = _ranking(store, end)
            if tiers._stamp == stamp:
                table.replace_all(stamp, _rows(tiers.by_customer, bought))
        elif not moved:  # nobody's purchases in the window moved: the kept result still holds
            assert kept is not None
            table.update(kept, stamp, {})
        else:
            assert kept is not None
            tiers = _ranked_again(store, end, kept, stamp, moved) or _compute(store, end)
    cache["last"] = (tiers._stamp, tiers)
    return tiers


def _window_end(end: dt.date) -> str:
    return (end + dt.timedelta(days=1)).isoformat()  # totals count [start, end): the window holds its last day


def _moved_since(store: Store, kept: str | None, stamp: str, end: dt.date) -> dict[str, Totals] | None:
    """The purchase totals now of the customers whose totals in the window moved since the kept
    result (see ``_CACHE_VERSION``), empty when none did; None when the kept result is not one
    to start from (none, for another day or settings, or too many customers changed)."""
    if kept is None:
        return None
    kept_version, _, rest = kept.partition("|")
    kept_generation, _, kept_tail = rest.partition("|")
    version, _, rest = stamp.partition("|")
    generation, _, tail = rest.partition("|")
    if kept_version != version or kept_tail != tail or not kept_generation.isdigit():
        return None
    index, table = store.index, _table(store)
    start = (end - dt.timedelta(days=settings(store).window_days)).isoformat()
    with index.snapshot():  # the changes, the kept rows and the generation of one moment
        if index.generation() != generation:
            return None
        changed = index.changed_since(int(kept_generation), up_to=_CHANGED_AT_MOST + 1)
        if len(changed) > _CHANGED_AT_MOST:
            return None
        rows = table.get(kept, changed)
        # every customer changed since was kept (so none is new), and as many as now are (so
        # none was removed): the kept rows are the store's customers
        if rows is None or len(rows) != len(changed) or table.count(kept) != index.count():
            return None
        now = index.customer_purchase_totals(start, _window_end(end), customer_ids=changed)
    return {cid: now.get(cid, _NO_PURCHASE) for cid in changed
            if now.get(cid, _NO_PURCHASE) != tuple(rows[cid][5:])}


def _ranked_again(store: Store, end: dt.date, kept: str, stamp: str, moved: Mapping[str, Totals]) -> Tiers | None:
    """The whole store ranked again from the kept totals with ``moved`` put in, and only the
    rows that changed written; None when the kept result was replaced meanwhile."""
    table = _table(store)
    rows = table.all(kept)
    if rows is None:
        return None
    bought: dict[str, Totals] = {cid: tuple(row[5:]) for cid, row in rows.items() if row[6]}  # type: ignore[misc]
    bought.update(moved)
    for cid, totals in moved.items():
        if not totals[1]:
            del bought[cid]
    tiers, _ = _ranking(store, end, (stamp, bought, sorted(rows)))
    new = _rows(tiers.by_customer, bought)
    table.update(kept, stamp, {cid: row for cid, row in new.items() if rows[cid] != row})
    return tiers


def _compute(store: Store, end: dt.date) -> Tiers:
    """The whole store's tiers, from one query over the index."""
    return _ranking(store, end)[0]


def _ranking(store: Store, end: dt.date, given: tuple[str, Mapping[str, Totals], list[str]] | None = None
             ) -> tuple[Tiers, Mapping[str, Totals]]:
    """The whole store's tiers, from one query over the index, with the purchase totals they were
    ranked from (buyers only); ``given``: (stamp, the buyers' totals, every customer's id) to rank
    instead."""
    cfg = settings(store)
    start = end - dt.timedelta(days=cfg.window_days)
    if given is None:
        index = store.index
        with index.snapshot():  # the figures and the generation they are for
            stamp = _stamp(store, end, index.generation())
            bought: Mapping[str, Totals] = index.customer_purchase_totals(start.isoformat(), _window_end(end))
            ids: Iterable[str] = index.ids()
    else:
        stamp, bought, ids = given
    act = scoring.activity_of(bought, ids)  # type: ignore[arg-type]
    revenue = {cid: a.revenue.quantize(CENT) for cid, a in act.items()}
    order = scoring.ranked(revenue)  # ranked once for both
    abc = scoring.abc_classes(revenue, cfg.abc.a, cfg.abc.b, order)
    rfm = scoring.rfm(act, end)
    pyramid = scoring.pyramid(revenue, cfg.pyramid.shares, cfg.pyramid.names, order)
    out = {}
    for cid in act:
        score = rfm.get(cid)
        if cfg.scheme == "pyramid":
            tier = pyramid[cid]
        elif cfg.scheme == "abc":
            tier = abc[cid]
        else:
            tier = score.segment if score else cfg.rfm.no_purchase
        out[cid] = TierInfo(
            tier, abc[cid], score.code if score else None, score.segment if score else None,
            revenue[cid],
        )
    return Tiers(end, start, cfg.scheme, by_customer=out, stamp=stamp), bought


def tier_of(
    store: Store, customer_id: str, override: str | None, as_of: dt.date | None = None
) -> tuple[str | None, str]:
    """(tier, why): the manual override if there is one, else the computed tier."""
    if override:
        return override, "manual override"
    info = compute(store, as_of).get(customer_id)
    if info is None:
        return None, "not in the index"
    cfg = settings(store)
    return info.computed, f"{cfg.scheme}: ¥{info.revenue} in the last {cfg.window_days} days"


def distribution(store: Store, as_of: dt.date | None = None, listed: int | None = None) -> dict[str, Any]:
    """The tier distribution: the one home of "how many customers are in each tier".

    ``kehu tier --json`` prints it and the TUI dashboard draws it. Every customer of the store
    counts, buyers or not (the pyramid ranks everyone: who bought nothing in the window is at
    the bottom), in the tier ``customer_values`` gives them — a manual ``tier_override`` wins.
    ``{scheme, window: {start, end}, distribution: [{tier, customers, share, revenue,
    revenue_share}], tiers: {tier: [{id, name, revenue, abc, rfm, rfm_segment, overridden}]}}``,
    tiers in the scheme's order (top first), revenue as text (exact), customers by revenue.
    ``listed``: the first so many customers of each tier under ``tiers`` (None: all of them);
    the counts and sums are the whole store's either way (a row of each of 100 000 customers,
    made for the table's five a tier, was most of `kehu tier`).
    """
    tiers = compute(store, as_of)
    by_customer = tiers.by_customer
    cfg = settings(store)
    members: dict[str, list[dict[str, Any]]] = {name: [] for name in cfg.tier_names()}
    counts: dict[str, int] = dict.fromkeys(members, 0)
    sums: dict[str, Decimal] = {name: Decimal(0) for name in members}
    for cid, name, override in store.index.names_by_revenue(OVERRIDE_FIELD):  # no models made
        info = by_customer.get(cid)
        if info is None:
            continue
        tier = override or info.computed
        people = members.setdefault(tier, [])
        if listed is None or len(people) < listed:
            people.append({
                "id": cid, "name": name, "revenue": str(info.revenue),
                "abc": info.abc, "rfm": info.rfm, "rfm_segment": info.rfm_segment,
                "overridden": bool(override),
            })
        counts[tier] = counts.get(tier, 0) + 1
        sums[tier] = sums.get(tier, Decimal(0)) + info.revenue
    total = sum(counts.values()) or 1
    total_revenue = sum(info.revenue for info in by_customer.values()) or Decimal(1)
    shares = [{
        "tier": name, "customers": counts[name], "share": round(counts[name] / total, 4),
        "revenue": str(sums[name]), "revenue_share": round(float(sums[name] / total_revenue), 4),
    } for name in members]
    return {
        "scheme": tiers.scheme,
        "window": {"start": tiers.start.isoformat(), "end": tiers.as_of.isoformat()},
        "distribution": shares,
        "tiers": members,
    }
