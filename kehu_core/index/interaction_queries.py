"""The index's questions about purchases and interaction histories: purchase ids and sums per
customer, what is unpaid, who got a campaign's message, and histories (whole, or the parts
reminder rules read). Answered as ids, figures and stored JSON text, never models; the
``Queries`` of the rest of kehu inherit these.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from .connection import LOOKUP
from .records import Records
from .rows import VOIDED
from .schema import PURCHASE_INDEX


class InteractionQueries(Records):
    """The part of the ``Index`` that answers questions about purchases and histories."""

    def purchase_ids(self) -> set[tuple[str, str]]:
        """(customer id, purchase id) of every purchase, voided ones too (an import skips
        those it has: a voided purchase is not imported again)."""
        return set(self.db.execute(
            "SELECT customer_id, id FROM interactions WHERE kind IN ('purchase', ?)", (VOIDED,)))

    def last_purchase(self, customer_id: str) -> dict[str, Any] | None:
        """A customer's latest purchase as a plain dict, or None."""
        row = self.db.execute(
            "SELECT data FROM interactions WHERE customer_id=? AND kind='purchase'"
            " ORDER BY date DESC, id DESC LIMIT 1", (customer_id,),
        ).fetchone()
        return json.loads(row[0]) if row else None

    def first_purchases(self, before: str | None = None) -> dict[str, str]:
        """Each buyer's first purchase date (ISO text), counting purchases before ``before``."""
        sql = "SELECT customer_id, min(date) FROM interactions WHERE kind='purchase'"
        params: tuple[str, ...] = ()
        if before:
            sql += " AND date < ?"
            params = (before,)
        return dict(self.db.execute(sql + " GROUP BY customer_id", params))

    def revenue_between(self, customer_id: str, first: str, last: str) -> float:
        """A customer's purchase amounts dated from ``first`` to ``last``, both included."""
        row = self.db.execute(
            "SELECT coalesce(sum(amount), 0) FROM interactions WHERE customer_id=? AND"
            " kind='purchase' AND date >= ? AND date <= ?",
            (customer_id, first, last),
        ).fetchone()
        return float(row[0])

    def unpaid_purchases(self, until: str) -> list[tuple[str, str, str, str | None, float, str | None]]:
        """(customer id, purchase id, date, due, amount still owed, by) of every purchase not
        paid and dated up to ``until``, by date (voided purchases are no purchases here). The
        amount owed is the purchase's less its ``payments``."""
        return self.db.execute(
            "SELECT customer_id, id, date, due, amount - coalesce((SELECT sum(json_extract(p.value, '$.amount'))"
            " FROM json_each(data, '$.payments') AS p), 0), json_extract(data, '$.by') FROM interactions"
            " WHERE kind='purchase' AND paid=0 AND date <= ? ORDER BY date, customer_id, id",
            (until,),
        ).fetchall()

    def customers_messaged(self, key: str) -> set[str]:
        """Customers with a message interaction recorded under this key (a campaign's sends)."""
        rows = self.db.execute(
            "SELECT customer_id FROM interactions WHERE kind='message' AND json_extract(data, '$.key')=?",
            (key,),
        )
        return {cid for (cid,) in rows}

    def purchase_totals(self, start: str | None = None, end: str | None = None
                        ) -> dict[str, tuple[str, int, int]]:
        """Per customer who bought in [start, end): (last purchase date, purchases, revenue in
        whole cents: exact, whatever order SQLite adds them in)."""
        self._ensure_purchase_index()
        sql = (
            "SELECT customer_id, max(date), count(*), sum(CAST(round(amount * 100) AS INTEGER))"
            " FROM interactions WHERE kind='purchase'"
        )
        params: list[str] = []
        if start:
            sql += " AND +date >= ?"  # `+`: scan the purchases index, not the one on date
            params.append(start)
        if end:
            sql += " AND +date < ?"
            params.append(end)
        sql += " GROUP BY customer_id"
        return {cid: (last, count, cents or 0) for cid, last, count, cents in self.db.execute(sql, params)}

    def customer_purchase_totals(self, start: str | None = None, end: str | None = None,
                                 customer_ids: Sequence[str] | None = None) -> dict[str, tuple[str, int, int]]:
        """:meth:`purchase_totals` of the customers of the index (purchases under a customer id
        with no customer row are left out), in no particular order.

        A customer whose purchases all lie in [start, end) is their one row of ``customers``
        (the totals kept as their records are indexed: ``_recompute``); only the others' purchases
        in the window are summed, each customer's found in the purchase index by customer and
        date, not every purchase they ever made. The tiers' ranking after each sale (a window
        of a year to today) reads one row for each customer who first bought within the year.
        ``customer_ids``: only these customers' (the few changed since a ranking was kept).
        """
        if customer_ids is not None:
            ids, out = list(customer_ids), {}
            for first in range(0, len(ids), LOOKUP):  # SQLite limits the number of parameters
                out.update(self._customer_purchase_totals(start, end, ids[first:first + LOOKUP]))
            return out
        return self._customer_purchase_totals(start, end, None)

    def _customer_purchase_totals(self, start: str | None, end: str | None,
                                  ids: Sequence[str] | None) -> dict[str, tuple[str, int, int]]:
        self._ensure_purchase_index()
        inside, bounds = [], []  # every purchase of the customer's in the window
        if start:
            inside.append("c.first_purchase >= ?")
            bounds.append(start)
        if end:
            inside.append("c.last_purchase < ?")
            bounds.append(end)
        whole = " AND ".join(inside) or "1"
        only, chosen = ("", []) if ids is None else (f" AND c.id IN ({','.join('?' * len(ids))})", list(ids))
        totals = {cid: (last, count, cents or 0) for cid, last, count, cents in self.db.execute(
            f"SELECT id, last_purchase, purchases, cents FROM customers c WHERE purchases > 0 AND {whole}{only}",
            [*bounds, *chosen])}
        if not bounds:
            return totals
        window = "".join(f" AND i.date {op} ?" for op, bound in ((">=", start), ("<", end)) if bound)
        totals.update((cid, (last, count, cents or 0)) for cid, last, count, cents in self.db.execute(
            "SELECT i.customer_id, max(i.date), count(*), sum(CAST(round(i.amount * 100) AS INTEGER))"
            # CROSS: the customers first, then each one's purchases of the window by the purchase
            # index (left to itself SQLite read every purchase of the window by the date index)
            " FROM customers c CROSS JOIN interactions i ON i.customer_id = c.id AND i.kind = 'purchase'"
            f"{window} WHERE c.purchases > 0 AND NOT ({whole}){only} GROUP BY i.customer_id",
            [*bounds, *bounds, *chosen]))
        return totals

    _purchase_index_made = False

    def _ensure_purchase_index(self) -> None:
        if self._purchase_index_made:
            return
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE type='index' AND name=?",
                           ("interactions_purchases",)).fetchone():
            self._purchase_index_made = True
            return
        if self.db.in_transaction:
            # inside a read snapshot (the tiering plugin's figures): a write here fails at once
            # with "database is locked" while another connection writes; made next time
            return
        try:
            self.db.execute(PURCHASE_INDEX)
            self._purchase_index_made = True
        except sqlite3.OperationalError:  # busy or read-only: the sums work without it, slower
            pass

    def histories(self, customer_ids: Sequence[str] | None = None, *, purchases: bool = True,
                  newest_first: bool = False) -> Iterator[tuple[str, str]]:
        """(customer id, interaction as its stored JSON text) of these customers (default:
        everyone), each customer's oldest first, or newest first; without purchases if
        ``purchases`` is false; never a voided purchase. JSON text, so callers parse it
        straight into their model."""
        kind = f" AND kind != '{VOIDED}'" if purchases else f" AND kind NOT IN ('purchase', '{VOIDED}')"
        if customer_ids is None:
            where = " WHERE" + kind.removeprefix(" AND")
            order = "date DESC, id DESC" if newest_first else "date, id"
            yield from self.db.execute(f"SELECT customer_id, data FROM interactions{where} ORDER BY {order}")
            return
        order = "date DESC, id DESC" if newest_first else "customer_id, date, id"
        ids = list(customer_ids)
        for first in range(0, len(ids), LOOKUP):  # SQLite limits the number of parameters
            part = ids[first:first + LOOKUP]
            marks = ",".join("?" * len(part))
            yield from self.db.execute(
                f"SELECT customer_id, data FROM interactions WHERE customer_id IN ({marks}){kind}"
                f" ORDER BY {order}", part)

    def selected_histories(
        self, customer_ids: Sequence[str], *, purchases_between: tuple[str, str] | None = None,
        unpaid: bool = False, latest: bool = False, open_complaints: bool = False,
    ) -> list[tuple[str, str]]:
        """(customer id, interaction JSON text) of these customers, oldest first, limited to
        what reminder rules say they read: purchases dated in ``purchases_between`` (both
        included), unpaid purchases with a due date, (``latest``) the latest interaction
        of each kind, and complaints not yet resolved (``open_complaints``). One query; at
        most ``LOOKUP`` customers at a time."""
        marks = ",".join("?" * len(customer_ids))
        parts, params = [], []
        purchase_if = []
        if purchases_between is not None:
            purchase_if.append("date BETWEEN ? AND ?")
            params += list(purchases_between)
        if unpaid:
            purchase_if.append("(coalesce(paid, 0)=0 AND due IS NOT NULL)")
        if purchase_if:
            parts.append(f"SELECT customer_id, id, date, data FROM interactions WHERE customer_id IN ({marks})"
                         f" AND kind='purchase' AND ({' OR '.join(purchase_if)})")
            params = [*customer_ids, *params]
        if latest:
            # SQLite gives the other columns of the row holding max(date): one latest row per kind
            parts.append("SELECT customer_id, id, date, data FROM (SELECT customer_id, id, data, max(date) AS date"
                         f" FROM interactions WHERE customer_id IN ({marks}) AND kind != '{VOIDED}'"
                         " GROUP BY customer_id, kind)")
            params += customer_ids
        if open_complaints:
            parts.append("SELECT customer_id, id, date, data FROM interactions WHERE customer_id IN"
                         f" ({marks}) AND kind='complaint'"
                         " AND coalesce(json_extract(data, '$.status'), 'open') IN ('open', 'acknowledged')")
            params += customer_ids
        if not parts:
            return []
        sql = " UNION ".join(parts) + " ORDER BY customer_id, date, id"
        return [(cid, data) for cid, _, _, data in self.db.execute(sql, params)]

