"""The stamps of the values of a plugin of *figures* scope (``customer_value_figures``, see
``kehu_core.index.derived``): computed from the customer's own records and a figure the plugin
gives for them (their row of a store-wide ranking), so that after a change only the customers
whose records or figure moved are computed again."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .connection import LOOKUP
from .connection import value_path as _path
from .profiles import Profiles


def figure_stamp(base: str, generation: str, figure: str | None, version: int) -> str:
    """The stamp of a value of a plugin of *figures* scope (``customer_value_figures``): what
    it was computed under, the generation its figure was read at, the customer's figure and
    version. Fresh while the figure and the version are the same; a list read from the index
    alone, which cannot ask the plugin for figures, knows it fresh at that very generation."""
    return f"{base}@{generation}|{figure or ''}:{version}"


def figures_mark(base: str) -> str:
    """What everyone's values of a figures-scope plugin are marked fresh under (``mark_fresh``):
    not the base alone, which a customer-scope plugin's mark is (a plugin that changed scope
    would find its old rows, of the other form, marked fresh)."""
    return f"{base}|figures"


def _fresh_rows(rows: Iterable[tuple[str, int, str | None]], base: str, figures: Mapping[str, str | None],
                mine: str) -> Iterator[tuple[str, int, str | None, bool]]:
    """Each (customer id, version, stamp of their row or None) with whether the row holds values
    computed under ``base`` from the customer's figure in ``figures`` and their version, at any
    generation (:func:`figure_stamp`; ``mine``: the caller's mark may follow). The one rule of a
    fresh row, applied to a whole store at once (100 000 rows after each sale: nothing is made
    per row that is the same for all)."""
    head = f"{base}@"
    start = len(head)
    for cid, version, stamp in rows:
        if stamp is None:
            yield cid, version, stamp, False
            continue
        kept = stamp[:-len(mine)] if mine and stamp.endswith(mine) else stamp
        tail = f"|{figures.get(cid) or ''}:{version}"
        yield cid, version, stamp, (kept.startswith(head) and kept.endswith(tail)
                                    and kept[start:len(kept) - len(tail)].isdigit())



class FigureStamps(Profiles):
    """The part of the ``Index`` that checks and renews figures-scope stamps."""

    def _stamps(self, plugin: str, customer_ids: Sequence[str] | None) -> Iterable[tuple[str, int, str | None]]:
        """(customer id, version, stamp of ``plugin``'s row or None) of these customers (None: all)."""
        if customer_ids is None:  # two scans, not a join: a third of the time at 10 000 customers
            stamps = dict(self.db.execute("SELECT customer_id, stamp FROM derived WHERE plugin=?", (plugin,)))
            # read through the narrow customers_version index, not the customers' rows
            return ((cid, version, stamps.get(cid)) for cid, version in self.db.execute(
                "SELECT id, version FROM customers").fetchall())
        sql = ("SELECT c.id, c.version, d.stamp FROM customers c"
               " LEFT JOIN derived d ON d.plugin=? AND d.customer_id=c.id")
        rows, ids = [], list(customer_ids)
        for first in range(0, len(ids), LOOKUP):
            part = ids[first:first + LOOKUP]
            rows += self.db.execute(sql + f" WHERE c.id IN ({','.join('?' * len(part))})", (plugin, *part))
        return rows

    def _stale_by_figures(self, plugin: str, base: str, figures: Mapping[str, str | None],
                          customer_ids: Sequence[str] | None, mine: str) -> list[str]:
        """:meth:`stale_customers` of a plugin of figures scope: each customer's row against
        its own figure (compared here: the figures are the plugin's, not the index's)."""
        return sorted(cid for cid, _version, _stamp, fresh in _fresh_rows(
            self._stamps(plugin, customer_ids), base, figures, mine) if not fresh)

    def renew_figure_stamps(self, plugin: str, base: str, generation: str,
                            figures: Mapping[str, str | None], customer_ids: Sequence[str]) -> None:
        """These customers' rows of ``plugin`` that are fresh under their figures (read at
        ``generation``) but were stamped at an earlier one: stamped at this one, so that a list
        or ``customer show`` read from the index alone finds them fresh (a page's few rows;
        everyone's are marked fresh at once instead, :meth:`mark_fresh`). Skipped when the
        index has moved on, is busy or read-only."""
        renewed = {}
        for cid, version, stamp, fresh in _fresh_rows(self._stamps(plugin, customer_ids), base, figures, ""):
            now = figure_stamp(base, generation, figures.get(cid), version)
            if fresh and stamp != now:
                renewed[cid] = now
        db = self.db
        if not renewed or db.in_transaction:
            return
        with contextlib.suppress(sqlite3.OperationalError):
            db.execute("BEGIN IMMEDIATE")
            try:
                if self.generation() == generation:
                    db.executemany("UPDATE derived SET stamp=? WHERE plugin=? AND customer_id=?",
                                   [(stamp, plugin, cid) for cid, stamp in renewed.items()])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def read_figures(self, keys: Sequence[str], plugins: Sequence[str],
                     customer_ids: Sequence[str] | None) -> dict[str, str | None]:
        """The figures of a plugin whose values read ``keys`` of the other value plugins'
        (``plugins``; ``values_reads``): each customer's kept values of them as a text, read by
        SQL without parsing each row (a customer's tier for 10 000 customers: 10 ms, not 60).
        One home for the plugin host, which makes them fresh first, and for a list answered
        from the index alone."""
        sql = "SELECT customer_id, json_type(data, ?), json_extract(data, ?) FROM derived WHERE plugin=?"
        texts = []
        for key in keys:
            found = self.providers([key], plugins)  # type: ignore[attr-defined]
            rows: list[tuple[str, str | None, Any]] = []
            if found and customer_ids is None:
                rows = list(self.db.execute(sql, (_path(key), _path(key), found[0])))
            elif found:
                ids = list(customer_ids or ())
                for first in range(0, len(ids), LOOKUP):
                    part = ids[first:first + LOOKUP]
                    rows += self.db.execute(sql + f" AND customer_id IN ({','.join('?' * len(part))})",
                                            (_path(key), _path(key), found[0], *part))
            texts.append({cid: f"{kind}:{value}" for cid, kind, value in rows})
        ids = [cid for (cid,) in self.db.execute("SELECT id FROM customers")] if customer_ids is None else customer_ids
        return {cid: "\x1f".join(text.get(cid, "") for text in texts) for cid in ids}

    def _unsure_of_figures(self, plugin: str, head: str, customer_ids: Sequence[str]) -> bool:
        """Whether any of these customers' rows of a figures-scope plugin was not computed (or
        renewed) at this generation (``head``: the base and the generation), for their version."""
        return any(stamp is None or not stamp.startswith(head) or not stamp.endswith(f":{version}")
                   for _cid, version, stamp in self._stamps(plugin, customer_ids))
