"""The index's public query methods: everything the rest of kehu (services, the CLI, the TUI,
plugins) asks of the index. Here: customers and their profiles, and the indexed files; the
questions about purchases and histories are in ``interaction_queries``, which ``Queries``
inherits. SQL on the index lives in this package only; a caller that needs something new adds
a named method here or there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from ..errors import Problem
from ..models import Customer
from ..models.fields import INDEXED
from ..textsearch import sort_key
from .connection import LOOKUP, profile_filters, value_path
from .interaction_queries import InteractionQueries
from .reader import search_clause
from .rows import Row

#: meta key: owners' pinyin sort keys (textsearch.sort_key), kept across processes
_OWNER_KEYS = "owners:sort_keys"


class Queries(InteractionQueries):
    """The part of the ``Index`` that answers questions about the indexed records."""

    _ROW = "SELECT data, last_contact, last_purchase, first_purchase, revenue, purchases FROM customers"

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> Iterator[Row]:
        model = self.store.customer_model
        rows = self.db.execute(sql, tuple(params))
        for data, last_contact, last_purchase, first_purchase, revenue, purchases in rows:
            yield Row(
                model.model_validate_json(data, context=INDEXED), last_contact, last_purchase, first_purchase,
                Decimal(str(round(revenue or 0, 2))), purchases or 0,
            )

    def count(self, *, up_to: int | None = None) -> int:
        """How many customers; with ``up_to``, counted no further than that (``up_to=1``:
        whether there is any), which is not a pass over 100 000 rows."""
        if up_to is None:
            return self.db.execute("SELECT count(*) FROM customers").fetchone()[0]
        return self.db.execute("SELECT count(*) FROM (SELECT 1 FROM customers LIMIT ?)", (up_to,)).fetchone()[0]

    def list(
        self, *, tag: str | None = None, owner: str | None = None, level: str | None = None,
        order: str = "name", limit: int | None = None, offset: int = 0,
    ) -> list[Row]:
        where, params = profile_filters(tag, owner, level)
        orders = {
            "name": "sort_name, name, id", "id": "id", "revenue": "revenue DESC, id",
            "last_contact": "last_contact DESC, id", "owner": "{owners}, sort_name, name, id",
        }
        sql = self._ROW + (" WHERE " + " AND ".join(where) if where else "")
        chosen = orders.get(order, "name, id")
        if "{owners}" in chosen:  # owners in pinyin order, as names (customers without one first)
            owners = self.distinct_owners()
            cases = " ".join(f"WHEN ? THEN {n}" for n in range(len(owners)))
            chosen = chosen.replace("{owners}", f"CASE owner {cases} ELSE -1 END" if owners else "owner")
            params = [*params, *owners]
        sql += f" ORDER BY {chosen}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        return list(self._rows(sql, params))

    def each(self, *, tag: str | None = None) -> Iterator[Row]:
        """Every customer (with ``tag``), one at a time in id order (a whole-store pass, an
        export, without 100 000 rows in memory)."""
        where, params = profile_filters(tag, None, None)
        return self._rows(self._ROW + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id", params)

    def ids(self, *, tag: str | None = None, owner: str | None = None) -> list[str]:
        """The ids of every customer (with ``tag``, of ``owner``) in id order: what
        :meth:`list` finds, without a model of each."""
        where, params = profile_filters(tag, owner, None)
        return [r[0] for r in self.db.execute(
            "SELECT id FROM customers" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id", params)]

    def changed_since(self, generation: int, *, up_to: int) -> list[str]:
        """Ids of the customers whose records changed after index generation ``generation`` (new
        ones too; removed ones are gone), at most ``up_to`` of them: a look at the narrow
        ``customers_version`` index (versions are generations, which only grow), not at every row."""
        return [cid for (cid,) in self.db.execute(
            "SELECT id FROM customers WHERE version > ? LIMIT ?", (generation, up_to))]

    def search(self, query: str, limit: int = 50) -> list[Row]:
        """Customers whose name, pinyin, initials, phone digits, email or tag contain ``query``
        (:func:`.reader.search_clause` says what matches and in which order)."""
        clause = search_clause(query, limit)
        if clause is None:
            return []
        sql, params = clause
        return list(self._rows(self._ROW + sql, params))

    def customers_of(self, customer_ids: Sequence[str]) -> list[Customer]:
        """These customers' profiles as models, in the order given (unknown ids left out)."""
        found: dict[str, Customer] = {}
        ids = list(customer_ids)
        for first in range(0, len(ids), LOOKUP):
            part = ids[first:first + LOOKUP]
            for row in self._rows(self._ROW + f" WHERE id IN ({','.join('?' * len(part))})", part):
                found[row.customer.id] = row.customer
        return [found[cid] for cid in ids if cid in found]

    def get(self, customer_id: str) -> Row | None:
        rows = list(self._rows(self._ROW + " WHERE id=?", (customer_id,)))
        return rows[0] if rows else None

    def problems(self) -> list[Problem]:
        return [
            Problem(self.store.root / p, line, msg)
            for p, line, msg in self.db.execute("SELECT path, line, message FROM problems ORDER BY path, line")
        ]

    def referral_rows(self, referrer_id: str) -> list[tuple[str, str, str | None, str | None]]:
        """(id, name, created date text, first purchase date) of the customers this one referred."""
        return self.db.execute(
            "SELECT id, name, json_extract(data, '$.created'), first_purchase FROM customers"
            " WHERE json_extract(data, '$.referrer')=? ORDER BY id", (referrer_id,)).fetchall()

    # --- profiles -----------------------------------------------------------------------

    def distinct_tags(self) -> list[str]:
        """Every tag in use, sorted (the TUI's tag filter)."""
        return [t for (t,) in self.db.execute("SELECT DISTINCT tag FROM tags ORDER BY tag")]

    def distinct_owners(self) -> list[str]:
        """Every owner (sales rep) of some customer, in pinyin order as names are (the TUI's
        owner filter, and the list sorted by owner)."""
        owners = [o for (o,) in self.db.execute(
            "SELECT DISTINCT owner FROM customers WHERE owner IS NOT NULL")]
        # each owner's pinyin key is kept: the TUI's first screen lists the owners, and
        # pypinyin (~0.3 s to import) is then loaded only for an owner not seen before
        try:
            keys = json.loads(self._meta(_OWNER_KEYS) or "{}")
        except ValueError:
            keys = {}
        new = {o: sort_key(o) for o in owners if not isinstance(keys.get(o), str)}
        if new:
            keys.update(new)
            with contextlib.suppress(sqlite3.OperationalError):  # busy, read-only: computed next time
                self._set_meta(_OWNER_KEYS, json.dumps(keys, ensure_ascii=False, sort_keys=True))
        return sorted(owners, key=lambda o: (keys[o], o))

    def tags_by_customer(self) -> dict[str, list[str]]:
        """Each tagged customer's tags (customers without tags are left out)."""
        out: dict[str, list[str]] = defaultdict(list)
        for cid, tag in self.db.execute("SELECT customer_id, tag FROM tags"):
            out[cid].append(tag)
        return dict(out)

    def profile_summaries(self) -> Iterator[tuple[str, str, str | None, str | None, str | None, bool]]:
        """(id, name, owner, level, created date text, do_not_contact) of every customer by id:
        the few fields reports show, without validating each profile into a model. Read from their
        own index (the planner, left to choose, took the rows: 43 ms at 10 000 customers, 12 so)."""
        sql = (
            "SELECT id, name, owner, level, json_extract(data, '$.created'),"
            " json_extract(data, '$.do_not_contact') FROM customers INDEXED BY customers_summary ORDER BY id"
        )
        for cid, name, owner, level, created, dnc in self.db.execute(sql):
            yield cid, name, owner, level, created, bool(dnc)

    def names_by_revenue(self, field: str) -> list[tuple[str, str, Any]]:
        """(id, name, the profile's ``field``, None where it has none) of every customer, in
        :meth:`list`'s ``order="revenue"``, without validating each profile into a model (the
        tier distribution read 100 000 customers so for their name and ``tier_override``).
        ``field``: one a plugin declares (``customer_fields``), kept beside the revenue order."""
        if field in Customer.model_fields:  # kehu's own fields are not kept there: never all None
            raise ValueError(f"names_by_revenue: {field!r} is no plugin's field")
        sql = "SELECT id, name, json_extract(plugin_fields, ?) FROM customers ORDER BY revenue DESC, id"
        return self.db.execute(sql, (value_path(field),)).fetchall()

    def profile_dicts(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(id, profile as a plain dict) of every customer, unvalidated (an import matching
        its rows against the store reads 100 000 of them)."""
        for cid, data in self.db.execute("SELECT id, data FROM customers"):
            yield cid, json.loads(data)

    def customer_stamps(self, owner: str | None = None) -> dict[str, str]:
        """For each customer (of ``owner``), a stamp that moves whenever the customer's records
        change: the profile as indexed, its interactions (how many, their sizes, the newest)
        and its other files (ledgers: how many, their sizes and mtimes). What a cache of
        per-customer derived values (kehu serve's cards) is checked against. It moves with
        what is in the files, never with the index's trust in their mtimes: a file written in
        the last moments is kept with its mtime negated (``storing._store_batch``), and the
        same mtime once trusted is the same stamp."""
        where, params = ("WHERE c.owner=?", (owner,)) if owner is not None else ("", ())
        # mtimes are nanoseconds: their sum would overflow SQLite's integers, so the newest
        # one and the sum of the nanosecond parts stand in, as absolute values (a racy mtime is
        # negated until trusted: its sign moved the stamp of a customer nobody had touched, and
        # kehu serve's card of them got a new ETag). The profile's own file is left out: its
        # data is in the stamp.
        sql = (
            "SELECT c.id, c.data, i.stamp, f.stamp FROM customers c"
            " LEFT JOIN (SELECT customer_id, count(*) || ':' || total(length(data)) || ':' || max(id) AS stamp"
            "  FROM interactions GROUP BY customer_id) i ON i.customer_id = c.id"
            " LEFT JOIN (SELECT customer_id, count(*) || ':' || total(size) || ':' || max(abs(mtime)) || ':'"
            "  || total(abs(mtime) % 1000000000) AS stamp FROM files WHERE kind != 'customer'"
            "  GROUP BY customer_id) f ON f.customer_id = c.id"
            f" {where}"
        )
        return {cid: hashlib.sha1(f"{data}|{interactions}|{files}".encode()).hexdigest()
                for cid, data, interactions, files in self.db.execute(sql, params)}

    def card_holders(self, href: str, uid: str) -> list[str]:
        """Ids of the customers whose vCard (``kehu serve``) is at file name ``href`` or has
        ``uid``: the name and UID kept from the phone that made the contact (``vcard_href``,
        ``vcard_uid``), else ``<id>.vcf`` and the id (``serve.cards.href_of``). What a new
        contact's check asks, instead of making the address book of every customer."""
        sql = ("SELECT id FROM customers"
               " WHERE coalesce(nullif(json_extract(data, '$.vcard_href'), ''), id || '.vcf') = ?"
               " OR coalesce(nullif(json_extract(data, '$.vcard_uid'), ''), id) = ?")
        return sorted(cid for (cid,) in self.db.execute(sql, (href, uid)))

    def customer_paths(self) -> dict[str, str]:
        """Each customer's profile file, relative to the store."""
        return dict(self.db.execute("SELECT id, path FROM customers"))

    def contacts(self, customer_ids: Sequence[str] | None = None
                 ) -> Iterator[tuple[str, str, list[str], list[str]]]:
        """(id, name, phones, emails) of these customers (default: everyone), by id: what
        "is this the same customer" (kehu_core.services.dedupe) compares."""
        sql = ("SELECT id, name, coalesce(json_extract(data, '$.phones'), '[]'),"
               " coalesce(json_extract(data, '$.emails'), '[]') FROM customers")
        if customer_ids is None:
            rows: Iterable[tuple[str, str, str, str]] = self.db.execute(sql + " ORDER BY id")
        else:
            ids = list(customer_ids)
            rows = []
            for first in range(0, len(ids), LOOKUP):
                part = ids[first:first + LOOKUP]
                rows += self.db.execute(sql + f" WHERE id IN ({','.join('?' * len(part))}) ORDER BY id", part)
        for cid, name, phones, emails in rows:
            yield cid, name, json.loads(phones), json.loads(emails)

    def contact_candidates(self, phones: Sequence[str], emails: Sequence[str]) -> list[str]:
        """Ids of customers whose search text holds one of these phones' digits or one of these
        emails (lower case): a superset of those who have them, for the caller to compare
        exactly. Looked up in the trigram index, so an add among 100 000 customers is quick."""
        needles = [p.lstrip("+") for p in phones if p.lstrip("+")] + [e.lower() for e in emails if e]
        found: set[str] = set()
        for needle in needles:
            if len(needle) >= 3 and not any(c in needle for c in "%_\\"):
                sql = "SELECT id FROM search_fts WHERE search LIKE ?"
                params: tuple[str, ...] = (f"%{needle}%",)
            else:  # the trigram index takes no ESCAPE clause: a scan of the column
                escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                sql = "SELECT id FROM customers WHERE search LIKE ? ESCAPE '\\'"
                params = (f"%{escaped}%",)
            found.update(cid for (cid,) in self.db.execute(sql, params))
        return sorted(found)

    def field_names(self) -> set[str]:
        """Every field name some profile holds, plain or encrypted (the index holds an
        encrypted field's name, never its value)."""
        return {key for (key,) in self.db.execute(
            "SELECT DISTINCT key FROM customers, json_each(customers.data)"
            " UNION SELECT DISTINCT value FROM customers, json_each(customers.sealed) WHERE sealed IS NOT NULL")}

    def sealed_names(self) -> dict[str, set[str]]:
        """Customer id → the names of the fields their profile holds encrypted, for the
        customers who hold any (the values are never in the index)."""
        return {cid: set(json.loads(names)) for cid, names in self.db.execute(
            "SELECT id, sealed FROM customers WHERE sealed IS NOT NULL")}

    def case_twins(self, customer_id: str) -> list[str]:
        """Ids of the customers whose id is ``customer_id`` but for case (``C-AB12`` of
        ``c-ab12``; ids are ASCII, which SQLite's NOCASE folds)."""
        return [cid for (cid,) in self.db.execute(
            "SELECT id FROM customers WHERE id = ? COLLATE NOCASE AND id != ? ORDER BY id",
            (customer_id, customer_id))]

    def case_twin_groups(self) -> list[list[str]]:
        """Each set of customers' ids that are one but for case (``kehu check``)."""
        rows = self.db.execute(
            "SELECT group_concat(id, ' ') FROM (SELECT id FROM customers ORDER BY id)"
            " GROUP BY id COLLATE NOCASE HAVING count(*) > 1").fetchall()
        return [text.split(" ") for (text,) in rows]

    def referred_by(self, customer_id: str) -> list[str]:
        """Ids of the customers whose ``referrer`` is this customer."""
        return [cid for (cid,) in self.db.execute(
            "SELECT id FROM customers WHERE json_extract(data, '$.referrer')=? ORDER BY id", (customer_id,))]

    #: each ``also_known`` entry of each profile: ``c`` the profile, ``e`` the entry
    _ALSO_KNOWN = ("FROM customers c, json_each(c.data, '$.also_known') e"
                   " WHERE e.type='object' AND instr(c.data, '\"also_known\"')")

    def merged_into(self, customer_id: str) -> list[str]:
        """Ids of the customers whose ``also_known`` names this id (it was merged into them);
        a profile that does not hold the id's text is not parsed."""
        return [cid for (cid,) in self.db.execute(
            f"SELECT DISTINCT c.id {self._ALSO_KNOWN} AND instr(c.data, ?) AND json_extract(e.value, '$.id')=?"
            " ORDER BY c.id", (customer_id, customer_id))]

    def merged_yet_here(self) -> list[tuple[str, str, int]]:
        """(profile, id, the entry's place in the list) of each ``also_known`` entry naming a
        customer who is in the store: two places claiming one id (:meth:`merged_into`). The
        profile's own id is no other place (two customers merged each into the other, in two
        clones, then merged again: the one kept names itself)."""
        return [(cid, other, int(key)) for cid, other, key in self.db.execute(
            f"SELECT c.id, json_extract(e.value, '$.id'), e.key {self._ALSO_KNOWN}"
            " AND json_extract(e.value, '$.id') IN (SELECT id FROM customers WHERE id != c.id) ORDER BY c.id, e.key")]

    def referrals(self) -> list[tuple[str, str, str, str | None]]:
        """(id, name, referrer id, created date text) of every customer who names a referrer."""
        # read from the partial index customers_referrer alone, sorted here: with ORDER BY id
        # SQLite walked every profile in id order instead
        return sorted(self.db.execute(
            "SELECT id, name, json_extract(data, '$.referrer'), json_extract(data, '$.created')"
            " FROM customers WHERE json_extract(data, '$.referrer') IS NOT NULL").fetchall())

    # --- files --------------------------------------------------------------------------

    def customers_with_ledger(self, file_name: str) -> list[str]:
        """Customers who have a ledger file of this name (``points.ledger.yaml``), by path."""
        return [cid for (cid,) in self.db.execute(
            "SELECT customer_id FROM files WHERE kind='ledger' AND path LIKE ?", (f"%/{file_name}",))]

    def ledger_entry_holders(self, name: str, entry_id: str) -> list[str]:
        """Of the customers with a ledger ``name`` (``points``), by path, those whose ledger's text
        gives an entry the id ``entry_id`` (``rows._ENTRY_ID``): the ledgers that may hold it."""
        return [cid for (cid,) in self.db.execute(
            "SELECT customer_id FROM ledger_entries WHERE ledger=? AND id=? ORDER BY path", (name, entry_id))]

    def customers_with_interaction(self, interaction_id: str) -> list[str]:
        """Customers who hold a record of this id (its file ``interactions/ID.yaml``), by path:
        a record read (its id is its file's name) by the id's own index, a file that could not
        be read among the problems. (A pass over every file's path for each sale written made an
        import of 100 000 sales take 17 minutes of CPU, its time growing with the square of them.)"""
        name = f"/interactions/{interaction_id}.yaml"
        found = {cid for (cid,) in self.db.execute("SELECT customer_id FROM interactions WHERE id=?",
                                                  (interaction_id,))}
        return sorted(found | {cid for (cid, rel) in self.db.execute(
            # the few files that could not be read first (CROSS JOIN: in this order)
            "SELECT f.customer_id, f.path FROM problems p CROSS JOIN files f ON f.path = p.path"
            " WHERE p.path LIKE ? AND f.kind='interaction'", (f"%{name}",)) if rel.endswith(name)})

    def files_of_kind(self, *kinds: str, customer_ids: Sequence[str] | None = None) -> list[tuple[str, str]]:
        """(path relative to the store, kind) of the indexed files of these kinds: ``customer``,
        ``interaction``, ``ledger``, ``other`` (a file that is no record); of everyone, or of
        these customers (by the folder the file is in)."""
        marks = ",".join("?" * len(kinds))
        sql = f"SELECT path, kind FROM files WHERE kind IN ({marks})"
        if customer_ids is None:
            return self.db.execute(sql, kinds).fetchall()
        ids, out = list(customer_ids), []
        for first in range(0, len(ids), LOOKUP):
            part = ids[first:first + LOOKUP]
            out += self.db.execute(f"{sql} AND customer_id IN ({','.join('?' * len(part))})",
                                   (*kinds, *part)).fetchall()
        return out

    def case_twin_files(self) -> list[str]:
        """Indexed paths another indexed path differs from only in ASCII case (a record's every
        name is ASCII: an id, a ledger's name), as ``kehu_core.case_twins`` names them; one query.
        Of two such paths one holds a capital at least: those (``files_cased``) and their
        lower-case spellings are all that is compared."""
        return [rel for (rel,) in self.db.execute(
            "WITH cased AS (SELECT path FROM files WHERE path != lower(path)),"
            " near AS (SELECT path FROM cased UNION SELECT path FROM files"
            "  WHERE path IN (SELECT lower(path) FROM cased))"
            " SELECT path FROM near WHERE lower(path) IN"
            " (SELECT lower(path) FROM near GROUP BY lower(path) HAVING count(*) > 1)")]

    def customers_with_conflicts(self) -> list[tuple[str, str]]:
        """(customer id, path) of profiles carrying a ``conflicts:`` list (kehu's merge driver)."""
        rows = self.db.execute("SELECT id, path, data FROM customers "
                               "WHERE data LIKE '%\"conflicts\":%'")
        return [(cid, rel) for cid, rel, data in rows if json.loads(data).get("conflicts")]

    def interactions_with_conflicts(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(customer id, interaction id, record) of interactions carrying a ``conflicts:`` list
        left by kehu's merge driver (two clones edited one purchase or complaint two ways)."""
        rows = self.db.execute("SELECT customer_id, id, data FROM interactions WHERE conflicted IS NOT NULL")
        return [(cid, iid, record) for cid, iid, data in rows
                if (record := json.loads(data)).get("conflicts")]

    def orphan_record_files(self) -> list[tuple[str, str]]:
        """Interaction and ledger files of a customer who has no profile file (relative paths,
        each with its kind, ``interaction`` or ``ledger``): a ledger there was no problem, so
        the points of a customer deleted in another clone were shared by `kehu sync`."""
        return [(rel, kind) for (rel, kind) in self.db.execute(
            # CROSS JOIN: SQLite's way to say the few orphans lead (it walked every record file)
            "SELECT DISTINCT f.path, f.kind FROM orphans o CROSS JOIN files f ON f.customer_id = o.customer_id"
            " AND f.kind IN ('interaction', 'ledger')"
            " WHERE o.customer_id NOT IN (SELECT id FROM customers) ORDER BY f.path"
        )]
