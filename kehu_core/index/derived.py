"""What plugins compute per customer (tier, points, next reminder ...), kept in the index.

Each plugin's ``customer_values`` for a customer is stored as JSON under a *stamp*: what it
was computed from. A plugin of *customer* scope (its values depend on that customer's own
records and those of the customers they referred, the day and the settings) is stamped with
the customer's version, which moves when any of that customer's files changes, or a file of a
customer they referred: a purchase makes only the buyer's (and their referrer's) rows stale. A
plugin of *figures* scope (a rank among all customers, like the tier, which gives with
``customer_value_figures`` what each customer's rank is made of) is stamped with the
customer's version and figure (``kehu_core.index.figures``): a purchase makes stale the
buyer's rows and those of the customers whose rank it moved. A plugin of *store* scope (any
other) is stamped with the index generation: any change makes its rows stale, and they are
recomputed when next asked.

Lists then filter and sort on these values in SQL and read rows as plain dicts, never models
(:meth:`Derived.select_customers`). Computing stale rows is the caller's (the plugin host's,
``kehu_core.services.derived_values``); this module only stores and reads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .connection import LOOKUP, profile_filters
from .connection import value_path as _path
from .figures import FigureStamps, figures_mark


def values_base(root: Path, today: dt.date, plugin_names: Sequence[str]) -> str:
    """What every kept value was computed under, besides its customer's version (customer
    scope) or the index generation (store scope): kehu's version, the day, the language (values
    hold text: a next reminder's title), kehu.yaml as it was, and the plugins loaded."""
    from .. import __version__, i18n
    from .freshness import config_stamp

    return (f"{__version__}|{today.isoformat()}|{i18n.language()}|{config_stamp(root)}|"
            f"{','.join(plugin_names)}")


#: meta key: the plugins the values were last all made fresh by (see Derived.value_host)
_HOST = "values:host"


class Derived(FigureStamps):
    """The part of the ``Index`` that keeps plugins' per-customer values."""

    def stale_customers(self, plugin: str, stamp: str, *, per_customer: bool,
                        customer_ids: Sequence[str] | None = None, mine: str = "",
                        figures: Mapping[str, str | None] | None = None) -> list[str]:
        """Customers (all, or these) whose stored values of ``plugin`` are missing or were not
        computed under ``stamp`` (followed by the customer's version, for ``per_customer``;
        by their figure in ``figures`` and their version, with ``figures``: :func:`figure_stamp`).
        ``mine``: a row's stamp followed by it is fresh too (the caller's own mark: values it
        computed while a plugin failed, fresh for it alone; see services.derived_values)."""
        if figures is not None:
            return self._stale_by_figures(plugin, stamp, figures, customer_ids, mine)
        expected = "? || ':' || c.version" if per_customer else "?"
        sql = (f"SELECT c.id FROM customers c LEFT JOIN derived d ON d.plugin=? AND d.customer_id=c.id"
               f" WHERE d.stamp IS NOT {expected}")
        if mine:
            sql += f" AND d.stamp IS NOT {expected} || ?"
            stamp_args: tuple[str, ...] = (stamp, stamp, mine)
        else:
            stamp_args = (stamp,)
        if customer_ids is None:
            # Everyone's values were fresh under this stamp at some generation (mark_fresh):
            # only customers changed since can be stale, and versions are generations, which
            # only grow. A join of every customer with the values took 0.25 s per plugin at
            # 100 000 customers, on every list that filters or sorts on a value.
            since = self.fresh_since(plugin, stamp)
            if since is not None:
                if not per_customer:
                    return []  # a store-scope stamp holds the generation: nothing has moved
                # sorted here: an ORDER BY c.id makes SQLite walk every customer by id
                return sorted(cid for (cid,) in self.db.execute(sql + " AND c.version > ?",
                                                                (plugin, *stamp_args, since)))
            return [cid for (cid,) in self.db.execute(sql + " ORDER BY c.id", (plugin, *stamp_args))]
        out: list[str] = []
        ids = list(customer_ids)
        for first in range(0, len(ids), LOOKUP):
            part = ids[first:first + LOOKUP]
            out += [cid for (cid,) in self.db.execute(
                sql + f" AND c.id IN ({','.join('?' * len(part))})", (plugin, *stamp_args, *part))]
        return out

    def fresh_since(self, plugin: str, stamp: str) -> int | None:
        """The generation at which every customer's values of ``plugin`` were last all fresh
        under ``stamp`` (:meth:`mark_fresh`), or None."""
        mark = self._meta(f"fresh:{plugin}")
        if not mark:
            return None
        marked_stamp, _, generation = mark.rpartition("@")
        return int(generation) if marked_stamp == stamp and generation.isdigit() else None

    def mark_fresh(self, plugin: str, stamp: str, generation: str) -> None:
        """Every customer's values of ``plugin`` are stored under ``stamp`` as of the index at
        ``generation`` (read before the stale ones were looked for)."""
        import sqlite3

        mark = f"{stamp}@{int(generation)}"
        if self.db.in_transaction or self._meta(f"fresh:{plugin}") == mark:
            return
        with contextlib.suppress(sqlite3.OperationalError):  # busy, read-only: look at everyone next time
            self._set_meta(f"fresh:{plugin}", mark)

    def remember_value_host(self, host: Mapping[str, Any]) -> None:
        """Note who made every value fresh (the plugins' names, their order and scopes, the
        entry points advertised, kehu.yaml's ``today:``), so that a command can tell, without
        loading a plugin, whether the values kept are fresh (:meth:`values_current`)."""
        text = json.dumps(dict(host), sort_keys=True)
        if self.db.in_transaction or self._meta(_HOST) == text:
            return
        with contextlib.suppress(sqlite3.OperationalError):  # busy, read-only: the plugins decide next time
            self._set_meta(_HOST, text)

    def value_host(self) -> dict[str, Any] | None:
        """What :meth:`remember_value_host` noted last, or None."""
        text = self._meta(_HOST)
        return json.loads(text) if text else None

    def values_current(self, base: str, host: Mapping[str, Any], *, plugins: Sequence[str] | None = None,
                       customer_ids: Sequence[str] | None = None) -> bool:
        """Whether the value plugins' kept values (``plugins``: these only) are fresh under
        ``base`` (:func:`values_base`) right now, as the plugin host would find them
        (``stale_customers`` empty for each): everyone's — a store-scope plugin's marked fresh
        at this generation, a customer-scope plugin's marked fresh and every customer changed
        since recomputed — or, with ``customer_ids``, these customers' rows. A figures-scope
        plugin's are known fresh without its figures when everyone's are marked fresh at this
        generation, or these customers' rows were computed (or renewed) at it."""
        generation = self.generation()
        for plugin in host["order"] if plugins is None else plugins:
            scope = host["scopes"][plugin]  # (a note of an older kehu: True for customer scope)
            if scope == "figures":
                if self.fresh_since(plugin, figures_mark(base)) == int(generation):
                    continue
                if customer_ids is None:
                    return False
                reads = host.get("reads", {}).get(plugin)
                if reads and plugin not in host.get("hooked", ()):
                    # figures made of other plugins' kept values: read here, as the host reads them
                    others = [p for p in host["order"] if p != plugin]
                    if (not self.values_current(base, host, plugins=self.providers(reads, others) or others,
                                                customer_ids=customer_ids)
                            or self.stale_customers(plugin, base, per_customer=True, customer_ids=customer_ids,
                                                    figures=self.read_figures(reads, others, customer_ids))):
                        return False
                elif self._unsure_of_figures(plugin, f"{base}@{generation}|", customer_ids):
                    return False
                continue
            per_customer = scope is True or scope == "customer"
            stamp = base if per_customer else f"{base}|{generation}"
            if customer_ids is not None:
                if self.stale_customers(plugin, stamp, per_customer=per_customer, customer_ids=customer_ids):
                    return False
                continue
            if self.fresh_since(plugin, stamp) is None:
                return False
            if per_customer and self.stale_customers(plugin, stamp, per_customer=True):
                return False
        return True

    def providers(self, keys: Sequence[str], plugins: Sequence[str]) -> list[str] | None:
        """The plugins whose kept values give these keys (a list filtered by ``tier`` needs
        the tiering plugin's values of everyone, not every plugin's); None when a key is given
        by none of them yet (nothing kept: every plugin must be asked)."""
        found = [self._provider(key, plugins) for key in keys]
        if not found or None in found:
            return None
        return list(dict.fromkeys(p for p in found if p is not None))

    def versions(self, customer_ids: Sequence[str]) -> dict[str, int]:
        """Each customer's version (what a per-customer stamp ends with)."""
        out: dict[str, int] = {}
        ids = list(customer_ids)
        for first in range(0, len(ids), LOOKUP):
            part = ids[first:first + LOOKUP]
            out.update(self.db.execute(
                f"SELECT id, version FROM customers WHERE id IN ({','.join('?' * len(part))})", part))
        return out

    def put_derived(self, plugin: str, rows: Mapping[str, tuple[str, Mapping[str, Any]]], *,
                    generation: str | None = None) -> bool:
        """Store ``plugin``'s values: customer id → (stamp, values). Skipped (False) inside
        someone else's transaction or when the index is busy or read-only: derived data is
        computed again next time; and when the index is no longer at ``generation`` (values
        stamped with figures read at it: a record changed since may have changed them)."""
        import sqlite3

        db = self.db
        if db.in_transaction:
            return False
        values = [(plugin, cid, stamp, json.dumps(dict(data), ensure_ascii=False, default=str))
                  for cid, (stamp, data) in rows.items()]
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                if generation is not None and self.generation() != generation:
                    db.execute("ROLLBACK")
                    return False
                db.executemany("INSERT OR REPLACE INTO derived VALUES(?, ?, ?, ?)", values)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError:
            return False
        return True

    def derived_rows(self, customer_ids: Sequence[str], plugins: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored values of these customers by plugin: plugin → customer id → values (as
        stored: the caller checks them fresh)."""
        wanted = set(plugins)
        out: dict[str, dict[str, Any]] = {name: {} for name in plugins}
        ids = list(customer_ids)
        for first in range(0, len(ids), LOOKUP):
            part = ids[first:first + LOOKUP]
            for cid, plugin, data in self.db.execute(
                    f"SELECT customer_id, plugin, data FROM derived WHERE customer_id IN ({','.join('?' * len(part))})",
                    part):
                if plugin in wanted:
                    out[plugin][cid] = json.loads(data)
        return out

    def derived_of(self, customer_ids: Sequence[str], plugins: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored values of these customers, each plugin's merged in ``plugins`` order (the
        first one to give a key wins, as the plugin host merges them)."""
        out: dict[str, dict[str, Any]] = {}
        for values in self.derived_rows(customer_ids, plugins).values():  # in ``plugins`` order
            for cid, data in values.items():
                merged = out.setdefault(cid, {})
                for key, value in data.items():
                    merged.setdefault(key, value)
        return out

    def select_customers(
        self, *, tag: str | None = None, owner: str | None = None, level: str | None = None,
        value_in: Mapping[str, Sequence[Any]] | None = None, order: str = "name",
        descending: bool = False, limit: int | None = None, offset: int = 0,
        plugins: Sequence[str] = (),
    ) -> list[str]:
        """Ids of the customers matching the filters, in order: profile columns, or the stored
        plugin values (``value_in``: key → accepted values; ``order``: a profile order or a
        value key, e.g. ``points``, customers without one last). Values are read as stored:
        the caller makes them fresh. ``plugins``: the value plugins, the first to give a key
        first (the plugin host's order)."""
        where, params = profile_filters(tag, owner, level, "c.")

        def value(key: str) -> str:
            params.append(_path(key))
            params.append(_path(key))
            return ("(SELECT json_extract(d.data, ?) FROM derived d WHERE d.customer_id=c.id"
                    " AND json_extract(d.data, ?) IS NOT NULL LIMIT 1)")

        for key, accepted in (value_in or {}).items():
            accepted = list(accepted)
            expr = value(key)
            where.append(f"{expr} IN ({','.join('?' * len(accepted))})")
            params += accepted
        orders = {"name": "c.sort_name, c.name, c.id", "id": "c.id", "revenue": "c.revenue DESC, c.id",
                  "last_contact": "c.last_contact DESC, c.id"}
        if order not in orders:
            provider = self._provider(order, plugins)
            if provider is not None:
                # a value whose order is not its text's (a tier's name) comes with KEY_rank from
                # the same plugin, 1 first: the list follows the rank
                rank = f"{order}_rank"
                key = rank if self.db.execute(
                    "SELECT 1 FROM derived WHERE plugin=? AND json_type(data, ?) IS NOT NULL LIMIT 1",
                    (provider, _path(rank))).fetchone() else order
                return self._by_value(key, provider, where, params, descending, limit, offset)
        sql = "SELECT c.id FROM customers c" + (" WHERE " + " AND ".join(where) if where else "")
        if order in orders:
            sql += f" ORDER BY {orders[order]}"
        else:  # a value nobody has: by name
            sql += f" ORDER BY {orders['name']}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        return [cid for (cid,) in self.db.execute(sql, params)]

    def _provider(self, key: str, plugins: Sequence[str]) -> str | None:
        """The plugin whose stored values give ``key`` (the first in ``plugins`` that gives it
        to anyone): a list sorted by the key reads that plugin's row of each customer."""
        path = _path(key)
        candidates = list(plugins) or [
            p for (p,) in self.db.execute("SELECT DISTINCT plugin FROM derived ORDER BY plugin")]
        # a plugin's values have the same keys for everyone (a None is kept as null): one row
        # of each says; a scan of every row is only for a key some rows lack
        for plugin in candidates:
            row = self.db.execute("SELECT json_type(data, ?) FROM derived WHERE plugin=? LIMIT 1",
                                  (path, plugin)).fetchone()
            if row and row[0] is not None:
                return plugin
        for plugin in candidates:
            if self.db.execute("SELECT 1 FROM derived WHERE plugin=? AND json_extract(data, ?) IS NOT NULL LIMIT 1",
                               (plugin, path)).fetchone():
                return plugin
        return None

    def _by_value(self, key: str, provider: str, where: list[str], params: list[Any],
                  descending: bool, limit: int | None, offset: int) -> list[str]:
        """Customers in the order of one plugin's value: an index on that value (made on first
        use) is walked in order, so the first page of 100 000 customers does not sort them all.
        Customers without the value come last, by name."""
        expr = f"json_extract(o.data, '{_path(key)}')"  # a literal: an expression index must match it
        filters = "".join(f" AND {w}" for w in where)
        base = "SELECT c.id FROM derived o JOIN customers c ON c.id = o.customer_id WHERE o.plugin=?" + filters
        direction = "DESC" if descending else "ASC"
        # customers without the value, or without values of that plugin at all (not stored yet)
        without = ("SELECT c.id FROM customers c LEFT JOIN derived o ON o.plugin=? AND o.customer_id = c.id"
                   f" WHERE {expr} IS NULL{filters} ORDER BY c.sort_name, c.id")
        args = [provider, *params]
        if limit is not None and self._ensure_value_index(key):  # a page: tie group by tie group
            first = self._page_by_value(key, filters, args, descending, limit, offset)
        else:  # everyone, or no index of the value (a busy or read-only index): one sort
            with_value = f"{base} AND {expr} IS NOT NULL ORDER BY {expr} {direction}, c.sort_name, c.id"
            page = f" LIMIT {int(limit)}" if limit is not None else " LIMIT -1"
            first = [cid for (cid,) in self.db.execute(with_value + page + f" OFFSET {int(offset)}", args)]
        if limit is not None and len(first) == limit:
            return first
        rest_offset = 0 if first else max(0, offset - self._count(f"{base} AND {expr} IS NOT NULL", args))
        more = -1 if limit is None else limit - len(first)
        return first + [cid for (cid,) in self.db.execute(without + f" LIMIT {more} OFFSET {rest_offset}", args)]

    #: a tie group (customers with one value) up to this size is sorted by name; a bigger one
    #: (100 000 customers with 0 points) is walked in name order instead of sorted whole
    _SORT_UP_TO = 5000
    #: how far into a big group a page is found by walking; deeper, the group is sorted
    _WALK_UP_TO = 2000

    def _page_by_value(self, key: str, filters: str, args: list[Any], descending: bool,
                       limit: int, offset: int) -> list[str]:
        """A page of the customers having the value, by value then name (``ORDER BY value,
        sort_name, id``), one tie group at a time: the next value an index seek, a small group
        sorted by name, a big one walked in name order (customers_sort) with each customer's
        value looked up. SQLite sorted a whole group of 100 000 for a page: 0.45 s."""
        expr = f"json_extract(o.data, '{_path(key)}')"
        step, seek = ("max", "<") if descending else ("min", ">")
        plugin, params = args[0], args[1:]
        values = f"derived o INDEXED BY derived_by_{key}"
        in_group = (f"SELECT c.id FROM {values} JOIN customers c ON c.id = o.customer_id"
                    f" WHERE o.plugin=? AND {expr} = ?{filters}")
        walk = (f"SELECT c.id FROM customers c WHERE (SELECT {expr} FROM derived o"
                f" WHERE o.plugin=? AND o.customer_id = c.id) = ?{filters} ORDER BY c.sort_name, c.id LIMIT ? OFFSET ?")
        out: list[str] = []
        skip = offset
        value = self.db.execute(f"SELECT {step}({expr}) FROM {values} WHERE o.plugin=?", (plugin,)).fetchone()[0]
        while value is not None and len(out) < limit:
            need = limit - len(out)
            group = [plugin, value, *params]
            size = self._count(in_group + " LIMIT ?", [*group, self._SORT_UP_TO + 1])
            # a small group is sorted; so is a big one when the page is deep in it (walking there
            # costs more than a sort)
            if size <= self._SORT_UP_TO or skip > self._WALK_UP_TO:
                total = size if size <= self._SORT_UP_TO else self._count(in_group, group)
                if total <= skip:
                    skip -= total
                else:
                    out += [cid for (cid,) in self.db.execute(
                        in_group + " ORDER BY c.sort_name, c.id LIMIT ? OFFSET ?", [*group, need, skip])]
                    skip = 0
            else:
                rows = [cid for (cid,) in self.db.execute(walk, [*group, need, skip])]
                # the group ended before the page did: what of the offset it took
                skip = max(0, skip - self._count(in_group, group)) if len(rows) < need else 0
                out += rows
            value = self.db.execute(f"SELECT {step}({expr}) FROM {values} WHERE o.plugin=? AND {expr} {seek} ?",
                                    (plugin, value)).fetchone()[0]
        return out

    def _count(self, sql: str, params: list[Any]) -> int:
        return self.db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]

    def _ensure_value_index(self, key: str) -> bool:
        """An index of the derived rows by this value, made the first time a list sorts by it
        (a few seconds at 100 000 customers, once); whether there is one (a busy or read-only
        index sorts without)."""
        name = f"derived_by_{key}"
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE type='index' AND name=?", (name,)).fetchone():
            return True
        if self.db.in_transaction:
            return False
        try:
            self.db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON derived(plugin, json_extract(data, '{_path(key)}'))")
        except sqlite3.OperationalError:
            return False
        return True
