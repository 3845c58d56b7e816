"""Plugins' values per customer, kept fresh in the index (docs/architecture.md, "Derived
values").

A list that filters or sorts on a value (``customer list --tier 主要客户 --sort points``) or
prints them (``--json``) reads them from the index as plain dicts. Before it does,
:func:`refresh_values` asks each plugin for the customers whose stored values are stale —
after a purchase, that customer's for a plugin of customer scope (points, next reminder); for
a plugin of figures scope (the tier, a rank among all customers, which says with
``customer_value_figures`` what each customer's rank is made of), the buyer's and those whose
figure moved; every customer's for a plugin of store scope, once, when next asked — so the
values in the index are always what the plugins compute from the files.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from ..index.derived import values_base
from ..index.figures import figure_stamp, figures_mark

if TYPE_CHECKING:
    from ..models import Customer
    from ..store import Store

#: customers computed at a time (models and plugin answers for a chunk, then stored)
CHUNK = 2000

#: per store opened (a command; the TUI's or kehu serve's for their life): the mark its values
#: computed while a plugin failed are stored with (see :func:`refresh_values`)
_failed_marks: WeakKeyDictionary[Store, str] = WeakKeyDictionary()


def _failed_mark(store: Store) -> str:
    """What follows the stamp of a value this store computed while a plugin failed: fresh for
    this store alone (a list sorted by the next reminder computes everyone's, then reads its
    page's: not twice), never for the next command, which computes it again (a token: another
    store object, even at this one's address, is another command)."""
    mark = _failed_marks.get(store)
    if mark is None:
        mark = _failed_marks[store] = f"|failed:{secrets.token_hex(8)}"
    return mark


@dataclass
class _Look:
    """One plugin's stored values looked at: what they must have been computed under, at
    which generation of the index, and whose are stale."""

    plugin: str
    scope: str  # "customer", "figures" or "store" (PluginHost.values_scope)
    stamp: str  # the base (values_base), and the generation for store scope
    generation: str  # read before anything was looked at: a change meanwhile is seen next time
    stale: set[str] = field(default_factory=set)
    #: figures scope: each customer's figure (customer_value_figures)
    figures: Mapping[str, str | None] | None = None
    #: the plugin gave no figures (it failed): what is computed is fresh for this store alone
    failed: bool = False

    def row_stamp(self, customer_id: str, version: int, mark: str) -> str:
        """The stamp a value computed now for this customer is stored under."""
        if self.scope == "figures":
            figure = (self.figures or {}).get(customer_id)
            return figure_stamp(self.stamp, self.generation, figure, version) + mark
        return f"{self.stamp}:{version}{mark}" if self.scope == "customer" else self.stamp + mark


def _look(store: Store, plugin: str, customer_ids: Sequence[str] | None, mine: str = "") -> _Look:
    """Whose stored values of ``plugin`` are stale among these customers (None: everyone).
    ``mine``: the values this store computed while a plugin failed count as fresh."""
    index = store.index
    scope = store.plugins.values_scope(plugin)
    base = values_base(store.root, store.today, store.plugins.names())
    generation = index.generation()
    if scope == "store":
        look = _Look(plugin, scope, f"{base}|{generation}", generation)
    else:
        look = _Look(plugin, scope, base, generation)
    if scope == "figures":
        # everyone's values fresh at this very generation: nothing can have moved (the figures
        # are not asked: on a list with nothing changed, the plugin's store-wide work is not done)
        if index.fresh_since(plugin, figures_mark(base)) == int(generation):
            return look
        look.figures = _figures(store, plugin, customer_ids)
        if look.figures is None:  # failed: no row is known fresh but those this store computed
            token = mine or f"|failed:{secrets.token_hex(8)}"  # a figure no plugin's text can be
            look.figures = dict.fromkeys(index.ids() if customer_ids is None else customer_ids, token)
            look.failed = True
    look.stale = set(index.stale_customers(plugin, look.stamp, per_customer=scope == "customer",
                                           customer_ids=customer_ids, mine=mine, figures=look.figures))
    return look


#: (store, plugin) whose figures are being read from the others' values: a plugin reading a
#: plugin that reads it back gets no figures (its values computed for everyone asked)
_reading: set[tuple[int, str]] = set()


def _figures(store: Store, plugin: str, customer_ids: Sequence[str] | None) -> dict[str, str | None] | None:
    """Each customer's figure for a figures-scope plugin: what its ``customer_value_figures``
    gives, and the values of other plugins it reads (``values_reads``), as kept in the index
    made fresh first; None when either cannot be had."""
    host = store.plugins
    parts = []
    if "customer_value_figures" in host.hooks_of(plugin):
        given = host.value_figures(store, plugin, customer_ids)
        if given is None:
            return None
        parts.append(given)
    keys = host.values_reads(plugin)
    if keys:
        read = _read_values(store, plugin, keys, customer_ids)
        if read is None:
            return None
        parts.append(read)
    if len(parts) == 1:
        return parts[0]
    ids = set().union(*parts)
    return {cid: "\x1f".join(part.get(cid) or "" for part in parts) for cid in ids}


def _read_values(store: Store, plugin: str, keys: Sequence[str], customer_ids: Sequence[str] | None
                 ) -> dict[str, str | None] | None:
    """The values of ``keys`` other plugins give these customers (None: everyone), made fresh
    and read from the index, as a text per customer; None when they could not all be made
    fresh (a busy index, a failing plugin)."""
    key = (id(store), plugin)
    if key in _reading:
        return None
    index = store.index
    others = [p for p in store.plugins.value_plugins() if p != plugin]
    _reading.add(key)
    try:
        refresh_values(store, customer_ids, only=index.providers(keys, others) or others)
        providers = index.providers(keys, others) or []
        if any(_look(store, p, customer_ids, _failed_mark(store)).stale for p in providers):
            return None
    finally:
        _reading.discard(key)
    return index.read_figures(keys, others, customer_ids)


def stale_of(store: Store, plugin: str, customer_ids: Sequence[str] | None = None) -> set[str]:
    """The customers (all, or these) whose stored values of ``plugin`` are stale now."""
    return _look(store, plugin, customer_ids).stale


def refresh_values(store: Store, customer_ids: Sequence[str] | None = None, *,
                   only: Sequence[str] | None = None, loaded: dict[str, Customer] | None = None) -> int:
    """Recompute the stale stored values of these customers (default: everyone) of every value
    plugin (``only``: of these); returns how many (plugin, customer) values were computed.

    Values computed while a plugin failed (a reminder rule that raised: it is named, the other
    rules' reminders are given) are stored for this store's reading (:func:`_failed_mark`),
    stale for every other: the next command computes them again and names the failure again.
    Kept as fresh, the next commands read them from the index and named no failure, until the
    customer or the day changed.

    Each plugin's values are computed apart (stored under that plugin's stamp), but in one
    pass over the customers: each chunk's models are made once for every plugin, and each
    plugin's answer for a customer is computed once (``PluginHost.remembering``), though the
    reminder rules ask for the tier and the points for the tier again. On a fresh index of
    10 000 customers that was a quarter of the work. ``loaded``: the models made for the
    computation are put there too (kehu serve's cards are made from them next)."""
    index = store.index
    host = store.plugins
    plugins = host.value_plugins()
    done = 0
    mine = _failed_mark(store)
    todo = [_look(store, plugin, customer_ids, mine) for plugin in plugins if only is None or plugin in only]
    # the plugins answering for a list (customer_values_many) last: they may ask the others'
    # values for each customer (the reminders' key-account visit asks the tier), which are
    # then taken from what is remembered instead of a call through the plugins a customer
    # (a book of 10 000: 10 000 calls). The values are the same in any order.
    todo.sort(key=lambda look: "customer_values_many" in host.hooks_of(look.plugin))
    every = sorted(set().union(*(look.stale for look in todo)))
    stored = {plugin: True for plugin in plugins}
    failures = len(host.failures)
    with host.remembering():
        for first in range(0, len(every), CHUNK):
            # the versions before the models: a change between the two leaves a row stamped
            # older than its data, computed again next time (the other way round, never)
            versions = index.versions(every[first:first + CHUNK])
            chunk = index.customers_of(every[first:first + CHUNK])
            if loaded is not None:
                loaded.update((c.id, c) for c in chunk)
            for look in todo:
                customers = [c for c in chunk if c.id in look.stale]
                if not customers:
                    continue
                others = [p for p in plugins if p != look.plugin]
                values = host.values_many(store, customers, skip=others)
                # whose values a failure spoilt is not known: the whole chunk's are marked
                unsure = len(host.failures) > failures or look.failed
                failures = len(host.failures)
                mark = mine if unsure else ""
                rows = {c.id: (look.row_stamp(c.id, versions.get(c.id, 0), mark), v)
                        for c, v in zip(customers, values, strict=True)}
                # figures hold for the generation they were read at: a change since, and they
                # are not stored (nor marked fresh below)
                kept = index.put_derived(look.plugin, rows,
                                         generation=look.generation if look.scope == "figures" else None)
                # not marked fresh for everyone: the next command looks at the marked ones again
                stored[look.plugin] = kept and stored[look.plugin] and not unsure
                done += len(rows)
    for look in todo:
        if customer_ids is None and stored[look.plugin] and not look.failed:
            mark = figures_mark(look.stamp) if look.scope == "figures" else look.stamp
            index.mark_fresh(look.plugin, mark, look.generation)
        elif (customer_ids is not None and look.figures and not look.failed
              and "customer_value_figures" in host.hooks_of(look.plugin)):
            # a page's rows found fresh, made at an earlier generation: renewed at this one (the
            # next list of this page is answered from the index alone)
            fresh = [cid for cid in customer_ids if cid not in look.stale]
            index.renew_figure_stamps(look.plugin, look.stamp, look.generation, look.figures, fresh)
    # who computes the values (not whether everyone's are fresh: the stamps say that), noted
    # by a refresh of a few customers too, so a `customer show` after another's finds it
    _remember_host(store, plugins)
    return done


def _remember_host(store: Store, plugins: Sequence[str]) -> None:
    """Note the plugins these values came from (Derived.remember_value_host): with only the
    installed plugins kehu.yaml enables (no plugin registered by hand), a list answered from
    the index alone (kehu_core.index.reader) can tell that they are still the ones loaded."""
    from ..entrypoints import advertised

    names = store.plugins.names()
    installed = advertised()
    if not set(names) <= set(installed):
        return
    from ..names import written

    today = store.config.today
    store.index.remember_value_host({
        "names": names, "entry_points": installed, "order": list(plugins),
        "scopes": {p: store.plugins.values_scope(p) for p in plugins},
        # how figures-scope plugins' rows are known fresh from the index alone (Derived.values_current)
        "reads": {p: list(store.plugins.values_reads(p)) for p in plugins if store.plugins.values_reads(p)},
        "hooked": [p for p in plugins if "customer_value_figures" in store.plugins.hooks_of(p)],
        "configured_today": today.isoformat() if today else None,
        "written": sorted(written(store)),  # kehu.yaml's own names, shown as written (kehu_core.names)
    })


def values_of(store: Store, customer_id: str) -> dict[str, Any]:
    """What the plugins compute for one customer, as :meth:`PluginHost.values` gives it, read
    from the index (made fresh first): ``customer show`` then pays no plugin's computation
    (the reminders' rules, the amounts they format) when the values are already kept."""
    return values_for(store, [customer_id]).get(customer_id, {})


def values_for(store: Store, customer_ids: Sequence[str], *,
               loaded: dict[str, Customer] | None = None) -> dict[str, dict[str, Any]]:
    """What the plugins compute for these customers, as :meth:`PluginHost.values` gives it:
    read from the index, made fresh first. The values read are checked fresh in the same
    read of the index: another thread or process may have changed the index meanwhile (a
    customer read again drops its kept values; a busy index keeps none), and ``kehu serve``
    must not show a card without its tier. What is still stale after a few tries is computed
    here. ``loaded``: the models made meanwhile are put there (see :func:`refresh_values`)."""
    ids = list(customer_ids)
    index = store.index
    plugins = store.plugins.value_plugins()
    values: dict[str, dict[str, Any]] = {}
    stale: set[str] = set()
    for _try in range(3):
        refresh_values(store, ids, loaded=loaded)
        with index.snapshot():
            values = index.derived_of(ids, plugins)
            stale = set()
            for plugin in plugins:
                look = _look(store, plugin, ids, _failed_mark(store))
                # figures read at another generation than this read's may not be these values'
                stale |= set(ids) if look.generation != index.generation() else look.stale
        if not stale:
            return values
    customers = index.customers_of(sorted(stale))
    if loaded is not None:
        loaded.update((c.id, c) for c in customers)
    values.update(zip([c.id for c in customers], store.plugins.values_many(store, customers), strict=True))
    return values


def kept_values(store: Store, customer_ids: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each value plugin's values of these customers that the index keeps fresh (plugin →
    customer id → values; nothing is computed), for :meth:`PluginHost.remembering`: work
    that asks the plugins again (kehu serve's calendar: the tier of every customer for the
    key-account visits) takes what a list or an address book computed. They are the values as
    the index keeps them (JSON), as ``customer show`` and the lists show them."""
    ids = list(customer_ids)
    index = store.index
    plugins = store.plugins.value_plugins()
    with index.snapshot():
        rows = index.derived_rows(ids, plugins)
        for plugin in plugins:
            look = _look(store, plugin, ids)
            for cid in set(ids) if look.generation != index.generation() else look.stale:
                rows[plugin].pop(cid, None)
    return rows


def customer_objects(store: Store, customer_ids: Sequence[str], *, values: bool = True) -> list[dict[str, Any]]:
    """The contract's JSON objects of these customers, in order: the profile as the index
    keeps it and (``values``) the plugins' stored values, made fresh first."""
    index = store.index
    profiles = index.profile_dicts_of(customer_ids)
    if not values:
        return [profiles[cid] for cid in customer_ids if cid in profiles]
    refresh_values(store, customer_ids)
    derived = index.derived_of(customer_ids, store.plugins.value_plugins())
    out = []
    for cid in customer_ids:
        if cid in profiles:
            obj = profiles[cid]
            obj.update(derived.get(cid, {}))  # as customer_json: what plugins compute is added last
            out.append(obj)
    return out


def select(store: Store, *, tag: str | None = None, owner: str | None = None, level: str | None = None,
           value_in: Mapping[str, Iterable[Any]] | None = None, order: str = "name",
           descending: bool = False, limit: int | None = None, offset: int = 0) -> list[str]:
    """Ids of the customers matching, in order (a page: ``limit`` after ``offset``); a filter
    or an order on a plugin value makes every customer's values of the plugins giving it fresh
    first (a rank, a sort, need them all); the caller reads the page's values through
    :func:`customer_objects` or :func:`values_for`, which make the others fresh for the page."""
    index = store.index
    keys = [*(value_in or {}), *([order] if order not in ("name", "id", "revenue", "last_contact") else [])]
    if keys:
        # everyone's values of the plugins giving the keys (a new day: the tiering plugin's, not
        # every reminder of 100 000 customers); the page's other values are made fresh when read
        plugins = store.plugins.value_plugins()
        only = index.providers(keys, plugins)
        refresh_values(store, only=only if only is not None else _givers(store, keys, plugins))
    return index.select_customers(tag=tag, owner=owner, level=level,
                                  value_in={k: list(v) for k, v in (value_in or {}).items()},
                                  order=order, descending=descending, limit=limit, offset=offset,
                                  plugins=store.plugins.value_plugins() if store.plugins else ())


def _givers(store: Store, keys: Sequence[str], plugins: Sequence[str]) -> list[str] | None:
    """The plugins giving these keys, on an index that keeps no values giving them yet (a fresh
    one: ``index.providers`` cannot say), from one customer's values of every plugin: a
    plugin's values have the same keys for everyone (a None is kept as null). The first list
    by tier on a fresh index computed every plugin's values of every customer to find who gives
    the tier (each customer's next reminder: most of 86 s at 100 000); now the tiering plugin's
    of everyone, and the others' of the page it shows. None (every plugin's values made fresh,
    as before) when a key is given by no plugin or by more than one (a clash: the list filters
    and sorts on any of them), or nobody's values could be kept."""
    index = store.index
    sample = index.ids()[:1]
    if not sample:
        return None
    refresh_values(store, sample)
    rows = index.derived_rows(sample, plugins)
    out = []
    for key in keys:
        givers = [plugin for plugin in plugins if key in rows.get(plugin, {}).get(sample[0], {})]
        if len(givers) != 1:
            return None
        out.append(givers[0])
    return list(dict.fromkeys(out))
