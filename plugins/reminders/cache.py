"""Each customer's ``next_reminder``, kept in the index between commands.

A list of 100 000 customers computes 100 000 next reminders; the next list, with no record
changed, the same day, would compute them again. So results are kept in a plugin table of the
index (``index.plugin_table``), stamped with what they depend on: the index generation (a
counter that moves with every change of a record, done/snooze ledgers included, in any
process), the day, the language (titles are written in it), every plugin's settings and
the enabled plugins (a tier from the tiering plugin picks key-account visits). Rows under
another stamp are dropped; rows are added as customers are listed, so a filtered list fills
in only its customers. Being derived data, they go with the index.

Results are kept only when every rule is this plugin's own: a rule from another plugin may
depend on things outside the records, so with one the reminders are computed every time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from kehu_core import i18n
from kehu_core.index import PluginTable
from kehu_core.reminder_engine import rules
from kehu_core.store import Store

from .settings import NAME

_VERSION = 4  # bump when what a rule computes changes (2: birthdays from kehu_core.calendar,
# 3: missed reminders lapse, periodic ones come round again, reminders have a group,
# 4: titles in the user's language)
# the due day on its own (a list can sort and filter on it), the whole value as JSON
_COLUMNS = ("due", "value")


def _table(store: Store) -> PluginTable:
    return store.index.plugin_table(NAME, "next", _COLUMNS)


def stamp(store: Store, today: dt.date) -> str | None:
    """What the results depend on, or None if they must not be kept (a foreign rule)."""
    if store.plugins is None or any(getattr(r, "plugin", None) != NAME for r in rules(store)):
        return None
    settings = json.dumps(store.config.plugins.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    plugins = ",".join(store.plugins.names())
    # read before any record is, so rows never hold data older than their stamp says
    # the titles and details are in the user's language: another language, other rows
    return f"{_VERSION}|{store.index.generation()}|{today.isoformat()}|{i18n.language()}|{plugins}|{settings}"


def read(store: Store, key: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The kept values of these customers under this stamp (those not kept are left out)."""
    rows = _table(store).get(key, ids)
    return {cid: json.loads(value) for cid, (_due, value) in rows.items()} if rows else {}


def write(store: Store, key: str, values: dict[str, dict[str, Any]]) -> None:
    """Keep these values under this stamp (replacing rows of any other stamp)."""
    rows = {}
    for cid, value in values.items():
        upcoming = value.get("next_reminder")
        rows[cid] = (upcoming["due"] if upcoming else None, json.dumps(value, ensure_ascii=False))
    _table(store).put(key, rows)
