"""The index's interactions as plain dicts: purchases for reports, one customer's history and
what they owe, the kinds of items the shop sells.

Nothing here imports the models: these answer from the index alone too (``IndexReader``,
``customer show`` without opening the store). SQL on the index stays in this package.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from ..paths import INTERACTIONS_DIR, every_shard, in_every_customer
from .connection import LOOKUP, IndexConnection, date_filters, purchase_filters
from .freshness import NOT_TEXT, UNREADABLE


class Records(IndexConnection):
    """The part of the ``Index`` that reads interactions."""

    def purchases(self, since: str | None = None, until: str | None = None) -> Iterator[dict[str, Any]]:
        """Every purchase (optionally dated in [since, until)) as plain dicts, for reports: one at
        a time, in date order (a year of a big shop is 600 000 purchases: never all in memory)."""
        return self._interaction_records(*purchase_filters(since, until))

    def purchases_of(self, customer_id: str, since: str | None = None, until: str | None = None
                     ) -> list[dict[str, Any]]:
        """One customer's purchases (optionally dated in [since, until)), as :meth:`purchases`."""
        where, params = purchase_filters(since, until)
        return list(self._interaction_records([*where, "customer_id=?"], [*params, customer_id]))

    def item_kinds(self, since: str | None = None, until: str | None = None) -> list[tuple[str | None, str | None]]:
        """Every distinct (name, category) of the line items of purchases dated in [since,
        until): what the shop sells, from the per-day counts the index keeps (schema.py), not
        from every purchase."""
        where, params = date_filters(since, until)  # the table holds purchases only
        sql = "SELECT DISTINCT name, category FROM item_kinds"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [(n or None, c or None) for n, c in self.db.execute(sql, params)]

    def interactions(self, kind: str | None = None, since: str | None = None,
                     until: str | None = None) -> list[dict[str, Any]]:
        """Every interaction (optionally of one kind, dated in [since, until)) as plain dicts
        with ``customer_id``."""
        where, params = (["kind=?"], [kind]) if kind else ([], [])
        if since is not None:
            where, params = [*where, "date>=?"], [*params, since]
        if until is not None:
            where, params = [*where, "date<?"], [*params, until]
        return list(self._interaction_records(where, params))

    def _interaction_records(self, where: list[str], params: list[str]) -> Iterator[dict[str, Any]]:
        sql = "SELECT customer_id, data FROM interactions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        # a cursor of its own: the caller may query the index while it walks these
        for cid, data in self.db.cursor().execute(sql + " ORDER BY date, customer_id, id", params):
            record = json.loads(data)
            record["customer_id"] = cid
            yield record

    def history(self, customer_id: str) -> list[dict[str, Any]]:
        """A customer's interactions, voided purchases too, in the order the store reads them
        (date, id), each as the model's JSON without its empty (None) top-level fields."""
        return [{k: v for k, v in json.loads(data).items() if v is not None}
                for (data,) in self.db.execute(
                    "SELECT data FROM interactions WHERE customer_id=? ORDER BY date, id", (customer_id,))]

    def owed_by(self, customer_id: str) -> Decimal:
        """What a customer owes: the sum of their purchases' ``owed``, as the model computed it
        when each was indexed (``Purchase.owed``: the one rule)."""
        return sum((Decimal(owed) for (owed,) in self.db.execute(
            "SELECT owed FROM interactions WHERE customer_id=? AND kind='purchase' AND owed IS NOT NULL",
            (customer_id,))), Decimal("0.00"))

    def interactions_held_twice(self, customer_ids: Sequence[str] | None = None) -> dict[str, list[str]]:
        """Interaction ids held under more than one customer as one record, each with those
        customers (sorted): one record counted twice (two clones merging two customers each into
        the other move the files as they are; one clone may then edit its copy). Of the whole
        store, or those that one of ``customer_ids`` holds. Records of one id that an import
        made from two rows are two records: an import names a purchase by its content, so two
        customers who bought the same on the same day from one sheet hold one id, each with its
        own ``imported_from`` row (the rule: ``services.customer_merge.one_record``). The ids
        are found by a scan of the (customer, id) key alone (~0.5 s for 1 000 000
        interactions, ~0.1 s scoped); only theirs are read whole."""
        if customer_ids is None:
            rows = self.db.execute(
                "SELECT id, customer_id, json_extract(data, '$.imported_from') FROM interactions WHERE id IN"
                " (SELECT id FROM interactions GROUP BY id HAVING count(*) > 1)")
        else:
            rows = self.db.execute(
                "SELECT id, customer_id, json_extract(data, '$.imported_from') FROM interactions"
                " WHERE id IN (SELECT id FROM interactions"
                " WHERE customer_id IN (SELECT value FROM json_each(?)))", (json.dumps(sorted(customer_ids)),))
        holders: dict[tuple[str, Any], list[str]] = {}
        for iid, cid, source in rows:
            holders.setdefault((iid, source), []).append(cid)
        twice: dict[str, set[str]] = {}
        for (iid, _source), cids in holders.items():
            if len(cids) > 1:
                twice.setdefault(iid, set()).update(cids)
        return {iid: sorted(cids) for iid, cids in sorted(twice.items())}

    def imported_rows_held_twice(self) -> list[list[tuple[str, str]]]:
        """Records an import made (``imported_from``) of one sheet's row and one day held by more
        than one customer: each group's (customer id, record as JSON). One sheet imported in two
        clones before a sync made each of its customers twice, each with the row's sale; whether
        two are one record is ``services.dedupe.imported_row``'s to say. A scan of the
        records' text for the word (0.15 s for 100 000 interactions); only the few found are
        read whole."""
        rows = self.db.execute(
            "SELECT customer_id, data, json_extract(data, '$.imported_from') AS row, date FROM interactions"
            " WHERE instr(data, '\"imported_from\"') > 0 AND (row, date) IN (SELECT json_extract(data,"
            " '$.imported_from'), date FROM interactions WHERE instr(data, '\"imported_from\"') > 0"
            " GROUP BY 1, 2 HAVING count(DISTINCT customer_id) > 1) ORDER BY row, date, customer_id")
        groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for cid, data, row, date in rows:
            groups.setdefault((row, date), []).append((cid, data))
        return list(groups.values())

    def unlisted(self) -> int:
        """How many customers no list shows: their folder or its customer.yaml has a problem the
        index noted (it does not read, parse or validate: a 19-digit number, a bad phone, a FIFO)
        and they have no profile row. ``kehu customer list`` says how many, so a broken profile is
        never dropped unseen (``kehu check`` says why)."""
        return len(self.unlisted_ids())

    def unlisted_ids(self) -> frozenset[str]:
        """The ids of the customers :meth:`unlisted` counts (``kehu serve`` logs again when they change)."""
        ids = set()
        for (path,) in self.db.execute("SELECT DISTINCT path FROM problems WHERE path LIKE 'customers/%'"):
            parts = path.split("/")  # customers/<shard>/<id>[/customer.yaml]
            if len(parts) == 3 or (len(parts) == 4 and parts[3] == "customer.yaml"):
                ids.add(parts[2])
        if not ids:
            return frozenset()
        # those without a profile row, asked once (not once an id: a store with thousands of
        # broken profiles, and serve asks again whenever it makes a book)
        return frozenset(cid for (cid,) in self.db.execute(
            "SELECT value FROM json_each(?) WHERE value NOT IN (SELECT id FROM customers)",
            (json.dumps(sorted(ids)),)))

    def unread_records(self) -> int:
        """How many interaction files (a purchase, a payment's record, a complaint, a visit) have
        a problem the index noted, and so no row: no report, reminder or list counts them. A
        purchase with `amount: .nan` left its money out of revenue and receivables, exit 0 and no
        word; the commands that count records now say how many (``kehu check`` says why). A
        customer's ``interactions/`` that cannot be listed (another user's, ``chmod 000``) counts
        as one: its records are none to the index, and the receivables were 0.00 without a word."""
        return self.db.execute(
            "SELECT count(DISTINCT problems.path) FROM problems JOIN files ON files.path = problems.path"
            " WHERE files.kind = 'interaction'").fetchone()[0] + self.db.execute(
            "SELECT count(*) FROM files WHERE kind = 'other' AND mtime = -1"
            " AND path GLOB ?", (in_every_customer(INTERACTIONS_DIR),)).fetchone()[0]

    def unread_folders(self) -> int:
        """How many shard folders (``customers/NN``) cannot be listed (another user's, ``chmod
        000``): the customers in them are none to the index, and no count of customers can say
        how many they are. A list of the others said nothing of them (``check`` names each)."""
        return self.db.execute("SELECT count(*) FROM files WHERE mtime = -1 AND path GLOB ? AND path NOT GLOB ?",
                               (every_shard(), every_shard() + "/*")).fetchone()[0]

    def has_problems(self, customer_id: str) -> bool:
        """Whether any file of the customer's folder has a problem the index noted (an
        interaction that does not parse, a broken ledger): the store then says which."""
        row = self.db.execute("SELECT path FROM customers WHERE id=?", (customer_id,)).fetchone()
        if row is None:
            return True
        folder = row[0].rsplit("/", 1)[0] + "/"
        # the paths under the folder: from "folder/" up to "folder0" ("0" follows "/"); a folder
        # there that cannot be listed (its interactions/, another user's) is a row of mtime -1
        # (freshness.scan_tree): `customer show` answered from the index with no history. A file
        # written in the last two seconds (its mtime negated, storing._store_batch) may have
        # been written again since in the same clock tick: the store reads it.
        between = (folder, folder[:-1] + "0")
        return (self.db.execute("SELECT 1 FROM problems WHERE path >= ? AND path < ? LIMIT 1", between).fetchone()
                or self.db.execute("SELECT 1 FROM files WHERE path >= ? AND path < ? AND (mtime = -1 OR mtime < ?)"
                                   " LIMIT 1", (*between, min(NOT_TEXT, UNREADABLE))).fetchone()) is not None

    def sort_names(self, customer_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """(name, its sort key) of each of these customers as the index keeps them: the key is
        :func:`kehu_core.textsearch.sort_key` of the name, made when the profile was indexed
        (the name's pinyin, which lists take their order from)."""
        ids = list(customer_ids)
        out: dict[str, tuple[str, str]] = {}
        for first in range(0, len(ids), LOOKUP):
            part = ids[first:first + LOOKUP]
            out.update((cid, (name, key)) for cid, name, key in self.db.execute(
                f"SELECT id, name, sort_name FROM customers WHERE id IN ({','.join('?' * len(part))})", part))
        return out
