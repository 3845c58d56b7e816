"""Each customer's ``next_reminder``, kept in the index database between commands.

A list of 100 000 customers computes 100 000 next reminders; the next list, with no record
changed, the same day, would compute them again. So results are kept in two tables of the
index database, stamped with what they depend on: the index generation (a counter that moves
with every change of a record, done/snooze ledgers included, in any process), the day, every
plugin's settings and the enabled plugins (a tier from the tiering plugin picks key-account
visits). A different stamp empties the tables; rows are added as customers are listed, so a
filtered list fills in only its customers. Being derived data, they go with the index.

Results are kept only when every rule is this plugin's own: a rule from another plugin may
depend on things outside the records, so with one the reminders are computed every time.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from kehu_core.reminders import rules
from kehu_core.services.segmentation import snapshot
from kehu_core.store import Store

from .rules import NAME

_VERSION = 2  # bump when what a rule computes changes (2: birthdays from kehu_core.calendar)
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS reminders_stamp(stamp TEXT)",
    "CREATE TABLE IF NOT EXISTS reminders_next(customer_id TEXT PRIMARY KEY, value TEXT)",
)
#: customer ids per lookup query (a list asks a chunk of customers at a time)
_LOOKUP = 500


def stamp(store: Store, today: dt.date) -> str | None:
    """What the results depend on, or None if they must not be kept (a foreign rule)."""
    if store.plugins is None or any(getattr(r, "plugin", None) != NAME for r in rules(store)):
        return None
    settings = json.dumps(store.config.plugins.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    plugins = ",".join(store.plugins.names())
    # read before any record is, so rows never hold data older than their stamp says
    return f"{_VERSION}|{store.index.generation()}|{today.isoformat()}|{plugins}|{settings}"


def read(store: Store, key: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The kept values of these customers under this stamp (those not kept are left out)."""
    db = store.index.db
    try:
        with snapshot(db):  # the stamp and the rows of one moment
            row = db.execute("SELECT stamp FROM reminders_stamp").fetchone()
            if row is None or row[0] != key:
                return {}
            rows = []
            for first in range(0, len(ids), _LOOKUP):
                part = list(ids[first:first + _LOOKUP])
                marks = ",".join("?" * len(part))
                rows += db.execute(f"SELECT customer_id, value FROM reminders_next WHERE customer_id IN ({marks})",
                                   part).fetchall()
    except sqlite3.OperationalError:  # no tables yet
        return {}
    return {cid: json.loads(value) for cid, value in rows}


def write(store: Store, key: str, values: dict[str, dict[str, Any]]) -> None:
    """Keep these values under this stamp (replacing rows of any other stamp)."""
    db = store.index.db
    if db.in_transaction:  # inside someone else's write (a batch): not ours to commit
        return
    rows = [(cid, json.dumps(value, ensure_ascii=False)) for cid, value in values.items()]
    with suppress(sqlite3.OperationalError):  # busy or read-only: computed again next time
        for statement in _SCHEMA:
            db.execute(statement)
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT stamp FROM reminders_stamp").fetchone()
            if row is None or row[0] != key:
                db.execute("DELETE FROM reminders_stamp")
                db.execute("DELETE FROM reminders_next")
                db.execute("INSERT INTO reminders_stamp VALUES(?)", (key,))
            db.executemany("INSERT OR REPLACE INTO reminders_next VALUES(?, ?)", rows)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

