"""What the customer list shows, fetched: the query (a search, an order, the filters), its
pages of rows from the index, and the values plugins compute for rows. These run on the app's
background thread as well as on the screen's (:mod:`.table` puts the rows on screen).

Without a filter or an order on values a page only reads the index. A tier filter, or an order
by a value plugins compute (tier, points, next reminder), reads the values the index keeps
(``kehu_core.services.derived_values.select``, as ``kehu customer list --tier X --sort
points``); an attitude filter computes each scanned row's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kehu_core.i18n import N_, _
from kehu_core.services.scoring import tier_filter, wanted_tiers

if TYPE_CHECKING:
    from kehu_core.index import Row
    from kehu_core.models import Customer
    from kehu_core.plugins import Column
    from kehu_core.store import Store

PAGE = 100  # index rows fetched at a time
SEARCH_LIMIT = 100  # the best matches; typing more narrows them
# A tier filter computes plugin values of every row it scans: one background job scans at
# most this many index pages, so a newer filter waits for no more than one job.
TIER_SCAN_PAGES = 20
#: orders by a value plugins compute, kept in the index (points: highest first)
VALUE_ORDERS = {"tier": N_("tier"), "points": N_("points"), "next_reminder": N_("next reminder")}


@dataclass(frozen=True)
class ListColumn:
    key: str
    title: str
    width: int
    order: str | None = None  # the index order this column sorts by, if any
    value_key: str | None = None  # a key of store.plugins.values(...)


@dataclass
class Query:
    """What the list shows: a search, or the whole index in some order, and the filters."""

    search: str = ""
    order: str = "name"
    tag: str | None = None
    tier: str | None = None
    owner: str | None = None
    attitude: str | None = None  # loyal, switching, no_loyalty (kehu_core.attitude)

    @property
    def computed_filter(self) -> bool:
        """A filter on values the index rows do not hold: fetched in the background."""
        return bool(self.tier or self.attitude)


@dataclass
class Page:
    """Rows fetched for a query, and where the next fetch goes on."""

    rows: list[Row]
    offset: int  # index rows consumed so far (a tier or attitude filter skips some)
    exhausted: bool
    values: dict[str, dict[str, Any]]  # values computed on the way (tier or attitude filter)
    # the values the index keeps for these rows: shown at once, until the rows' own are computed
    known: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)


def fetch_page(
    store: Store, query: Query, offset: int, columns: list[tuple[ListColumn, Column]],
    stop: Callable[[], bool] = lambda: False,
) -> Page:
    """The rows of the list for ``query`` after ``offset`` index rows (a search: all at once).

    Without a filter or an order on values this only reads the index. A tier filter or an
    order by a value reads the values the index keeps (:func:`_page_by_values`); an attitude
    filter computes each scanned row's. Both run on the background thread and scan at most
    ``TIER_SCAN_PAGES`` pages, giving up early once ``stop()`` says the answer is not wanted.
    """
    if query.search:
        rows = [r for r in store.index.search(query.search, SEARCH_LIMIT)
                if (not query.tag or query.tag in r.customer.tags)
                and (not query.owner or r.customer.owner == query.owner)]
        values = _matching(store, rows, query, columns) if query.computed_filter else {}
        if query.computed_filter:
            rows = [r for r in rows if r.customer.id in values]
        return Page(rows, len(rows), True, values)
    if query.tier or query.order in VALUE_ORDERS:
        return _page_by_values(store, query, offset, stop)
    rows, values, exhausted = [], {}, False
    for _page in range(TIER_SCAN_PAGES if query.computed_filter else 1):
        if stop():
            break
        page = store.index.list(tag=query.tag, owner=query.owner, order=query.order,
                                limit=PAGE, offset=offset)
        offset += len(page)
        exhausted = len(page) < PAGE
        if query.computed_filter:
            found = _matching(store, page, query, columns)
            values.update(found)
            page = [r for r in page if r.customer.id in found]
        rows += page
        if exhausted or len(rows) >= PAGE:
            break
    return Page(rows, offset, exhausted, values)


def _page_by_values(store: Store, query: Query, offset: int, stop: Callable[[], bool]) -> Page:
    """A page of the customers in a tier and/or in the order of a value, from the values the
    index keeps (as ``customer list --tier X --sort points``); an attitude filter on top."""
    from kehu_core.services import derived_values

    tiers = {"tier": wanted_tiers(store, query.tier)} if query.tier else None
    # the owners' order is the index list's: keep who is in the tier
    keep = (set(derived_values.select(store, tag=query.tag, owner=query.owner, value_in=tiers))
            if query.order == "owner" else None)
    rows: list[Row] = []
    exhausted = False
    for _page in range(TIER_SCAN_PAGES):
        if stop() or exhausted or len(rows) >= PAGE:
            break
        if keep is not None:
            listed = store.index.list(tag=query.tag, owner=query.owner, order="owner", limit=PAGE, offset=offset)
            page = [r for r in listed if r.customer.id in keep]
            offset, exhausted = offset + len(listed), len(listed) < PAGE
        else:
            ids = derived_values.select(store, tag=query.tag, owner=query.owner, value_in=tiers,
                                        order=query.order, descending=query.order == "points",
                                        limit=PAGE, offset=offset)
            page = [row for cid in ids if (row := store.index.get(cid)) is not None]
            offset, exhausted = offset + len(ids), len(ids) < PAGE
        if query.attitude:
            found = attitude_values(store, [r.customer.id for r in page])
            page = [r for r in page if found.get(r.customer.id) == query.attitude]
        rows += page
    ids = [r.customer.id for r in rows]
    # the page's values of every plugin, made fresh (select made fresh only the filter's and order's)
    known = derived_values.values_for(store, ids) if store.plugins and ids else {}
    return Page(rows, offset, exhausted, {}, known)


def _matching(
    store: Store, rows: list[Row], query: Query, columns: list[tuple[ListColumn, Column]],
) -> dict[str, dict[str, Any]]:
    """The values of the rows in tier ``query.tier`` (``scoring.tier_filter``, as the CLI)
    and of attitude ``query.attitude`` (``kehu_core.attitude``, as ``--attitude``)."""
    in_tier = tier_filter(store, query.tier) if query.tier else (lambda _values: True)
    values = compute_values(store, [r.customer.id for r in rows], columns,
                            {r.customer.id: r.customer for r in rows})
    return {cid: v for cid, v in values.items()
            if in_tier(v) and (not query.attitude or v.get("attitude") == query.attitude)}


def attitude_values(store: Store, ids: list[str]) -> dict[str, str | None]:
    """These customers' attitudes (loyal, switching, no_loyalty or None), as ``customer list
    --json`` gives them (``kehu_core.attitude.attitudes_of``: the rows on screen from their own
    purchases, a long page from one pass over the window's purchases)."""
    from kehu_core.attitude import attitudes_of

    return {cid: a.attitude for cid, a in attitudes_of(store, ids).items()}


def compute_values(
    store: Store, ids: list[str], columns: list[tuple[ListColumn, Column]],
    customers: dict[str, Customer] | None = None, attitude: bool = True,
) -> dict[str, dict[str, Any]]:
    """What plugins compute for these customers (``customer_values`` and plugin columns) and,
    with ``attitude``, their ``attitude`` (:func:`attitude_values`).

    Runs on the background thread, with its own store. All the customers are asked for at
    once: a plugin with ``customer_values_many`` (reminders) answers them in one go.
    """

    found: list[Customer] = []
    for cid in ids:
        customer = (customers or {}).get(cid)
        if customer is None:
            row = store.index.get(cid)
            if row is None:
                continue
            customer = row.customer
        found.append(customer)
    many = store.plugins.values_many(store, found) if store.plugins else [{} for _row in found]
    attitudes = attitude_values(store, [c.id for c in found]) if attitude and found else {}
    out: dict[str, dict[str, Any]] = {}
    for customer, merged in zip(found, many, strict=True):
        values = dict(merged)
        if attitude:
            values["attitude"] = attitudes.get(customer.id)
        for spec, column in columns:
            try:
                values[spec.key] = column.value(store, customer)
            except Exception as exc:  # a broken plugin column must not break the list
                values[spec.key] = _("error: {exc}").format(exc=exc)
        out[customer.id] = values
    return out
