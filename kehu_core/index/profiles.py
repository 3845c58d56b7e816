"""Customers' profiles read from the index as the contract's JSON objects (no model made)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from .connection import LOOKUP, IndexConnection, profile_filters


class Profiles(IndexConnection):
    """The part of the ``Index`` that reads profiles as plain dicts (lists, ``customer show``)."""

    def indexed_profile(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's profile as the index holds it — validated when it was indexed — or
        None when it is not indexed or the index cannot answer (being rebuilt, damaged)."""
        try:
            return self.profile_dicts_of([customer_id]).get(customer_id)
        except sqlite3.Error:
            return None

    def profile_dicts_of(self, customer_ids: Sequence[str], *, table_for: str | None = None,
                         ) -> dict[str, dict[str, Any]]:
        """These customers' profiles as the contract's JSON objects (unvalidated: the index
        stores what the model dumped). ``table_for``: a region; only what a table of customers
        shows (``id``, ``name``, ``owner``, ``level``, ``tags``, and ``phone_shown``: the first
        phone as people read it in that region), read from columns — a table of 10 000 rows
        parses no profile and formats no number the index has formatted for that region."""
        out: dict[str, dict[str, Any]] = {}
        ids = list(customer_ids)
        loads = json.loads
        for first in range(0, len(ids), LOOKUP):
            part = ids[first:first + LOOKUP]
            marks = ",".join("?" * len(part))
            if table_for is None:
                for cid, text in self.db.execute(f"SELECT id, data FROM customers WHERE id IN ({marks})", part):
                    out[cid] = loads(text)
                continue
            for cid, name, owner, level, tags, region, shown, phone in self.db.execute(
                    "SELECT id, name, owner, level, json_extract(data, '$.tags'), phone_region, phone_shown, phone"
                    f" FROM customers WHERE id IN ({marks})", part):
                if region != table_for:  # indexed in another region (kehu.yaml changed since)
                    from ..phones import display_phone

                    shown = display_phone(phone, table_for)
                out[cid] = {"id": cid, "name": name, "owner": owner, "level": level, "tags": loads(tags),
                            "phone_shown": shown or ""}
        return out

    def fields_beyond(self, known: Collection[str], *, tag: str | None = None) -> Iterator[tuple[str, str]]:
        """(customer id, field name) of every field a stored profile (with ``tag``) holds beyond
        ``known`` (the model's), in id order and each profile's own order: an export's columns
        of the shop's own fields, from SQLite's reading of the profiles (no model made, no
        profile held)."""
        where, params = profile_filters(tag, None, None, "c.")
        sql = ("SELECT c.id, j.key FROM customers c, json_each(c.data) j"
               " WHERE j.key NOT IN (SELECT value FROM json_each(?))" + "".join(f" AND {w}" for w in where)
               + " ORDER BY c.id, j.id")
        yield from self.db.cursor().execute(sql, [json.dumps(list(known)), *params])
