"""Every place outside a customer's own folder that names a customer by id, and how `kehu
customer merge` makes each name the customer kept. One list: a place kehu comes to keep
customer ids in is added here, or a merge leaves it naming a customer no longer in the store.

* profiles: ``referrer``;
* ledgers (any customer's, any name): an entry's ``ref`` (the points plugin's referral bonus,
  in the referrer's ledger), a reminder ``key`` (``RULE:CUSTOMER_ID:WHAT``: a snooze or a done
  in the reminders ledger; ``thank-referrer:R:OTHER-added`` names the referred customer in WHAT);
* records: the ``reminder`` key a record of a reminder done (``reminders done --note``) carries;
* visit plans (``visits/REP/DAY.yaml``): ``add``, ``remove`` and ``order``;
* kehu.yaml: a saved segment's ``ids``.

Not renamed, on purpose: KEEP's ``also_known`` (the record of the merge itself: an old id still
finds its customer in an import and a sync), the files an outbox plugin handed to a gateway
(messages sent: kehu never reads them back, and the message record, moved to KEEP, names the
file), and git's history.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..paths import CONFIG_FILE
from ..store.ledgers import ledger_entry
from ..visits import planfile
from ..yamlio import dump_flow_line

if TYPE_CHECKING:
    from ..store import Store

#: the field of a record of a reminder done that holds its key (reminder_engine.mark_done)
REMINDER_FIELD = "reminder"


def renamed_key(key: str, old: str, new: str) -> str:
    """A reminder key (``RULE:CUSTOMER_ID:WHAT``) naming ``new`` where it named ``old``: the
    customer's part, and WHAT when it is, or begins with, a customer's id (``OTHER-added``)."""
    parts = key.split(":", 2)
    if len(parts) != 3:
        return key
    rule, cid, what = parts
    cid = new if cid == old else cid
    if what == old or what.startswith(old + "-"):
        what = new + what[len(old):]
    return f"{rule}:{cid}:{what}"


def _renamed_entry(entry: dict[str, Any], old: str, new: str) -> bool:
    changed = False
    if entry.get("ref") == old:
        entry["ref"] = new
        changed = True
    key = entry.get("key")
    if isinstance(key, str) and renamed_key(key, old, new) != key:
        entry["key"] = renamed_key(key, old, new)
        changed = True
    return changed


def rename(store: Store, old: str, new: str, note: Callable[[Path], None],
           write: Callable[[Path, str], None]) -> list[str]:
    """Make every place of the module's list that names ``old`` name ``new``; ``note(path)``
    is called before the store's methods change a file, ``write`` writes one kehu writes itself
    (both keep what the file held: a failed merge puts it back, ``kehu undo`` too). Returns the
    customers whose ``referrer`` now names ``new``."""
    referred = []
    for cid in store.index.referred_by(old):
        if cid in (old, new):
            continue
        note(store.customer_file(cid))
        store.update_customer(cid, {"referrer": new})
        referred.append(cid)
    holders = _ledgers(store, old, new, write) | {new}
    for cid in sorted(holders):
        for record in store.interactions(cid):
            key = (record.model_extra or {}).get(REMINDER_FIELD)
            if isinstance(key, str) and renamed_key(key, old, new) != key:
                note(store.interaction_file(cid, record.id))
                store.update_interaction(cid, record.id, {REMINDER_FIELD: renamed_key(key, old, new)})
    _plans(store, old, new, note)
    _segments(store, old, new, write)
    return referred


def _ledgers(store: Store, old: str, new: str, write: Callable[[Path, str], None]) -> set[str]:
    """Rewrite the ledger entries naming ``old``; the customers whose ledgers did."""
    holders = set()
    for rel, _kind in store.index.files_of_kind("ledger"):
        path = store.root / rel
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:  # gone or unreadable: what `kehu check` names
            continue
        if old not in text:
            continue
        lines = text.splitlines(keepends=True)
        changed = False
        for n, line in enumerate(lines):
            entry = ledger_entry(line, path, n + 1)
            if entry is not None and _renamed_entry(entry, old, new):
                end = line[len(line.rstrip("\r\n")):]
                lines[n] = "- " + dump_flow_line(entry) + end
                changed = True
        if changed:
            write(path, "".join(lines))
            holders.add(path.parent.name)
    return holders


def _plans(store: Store, old: str, new: str, note: Callable[[Path], None]) -> None:
    folder = store.root / planfile.PLANS_DIR
    if folder.is_symlink() or not folder.is_dir():
        return
    for rep in sorted(os.scandir(folder), key=lambda e: e.name):
        owner = planfile.folder_owner(rep.name)
        if not rep.is_dir(follow_symlinks=False) or owner is None:
            continue
        for entry in sorted(os.scandir(rep.path), key=lambda e: e.name):
            if not entry.name.endswith(".yaml") or not entry.is_file(follow_symlinks=False):
                continue
            try:
                day = dt.date.fromisoformat(entry.name.removesuffix(".yaml"))
                edits = planfile.read(store, owner, day)
            except Exception:  # noqa: BLE001 - not a plan kehu reads: what `kehu check` names
                continue
            lists = {key: getattr(edits, key) for key in ("add", "remove", "order")}
            if not any(old in ids for ids in lists.values()):
                continue
            for key, ids in lists.items():
                setattr(edits, key, list(dict.fromkeys(new if cid == old else cid for cid in ids)))
            if new in edits.add and new in edits.remove:  # planned by one, taken off by the other: kept
                edits.remove.remove(new)
            note(Path(entry.path))
            planfile.write(store, edits)


def _segments(store: Store, old: str, new: str, write: Callable[[Path, str], None]) -> None:
    """A saved segment's ``ids`` in kehu.yaml, rewritten where the id stands in the text (the
    file's comments and layout kept): a round trip of the whole file would rewrite more."""
    path = store.root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
        if old not in text:
            return
        root = yaml.compose(text)
    except (OSError, yaml.YAMLError):
        return
    spans: list[tuple[int, int]] = []
    for segment in _child(root, "segments", yaml.MappingNode) or []:
        for item in _child(segment, "ids", yaml.Node) or []:
            if isinstance(item, yaml.ScalarNode) and item.value == old:
                spans.append((item.start_mark.index, item.end_mark.index))
    if not spans:
        return
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + text[start:end].replace(old, new) + text[end:]
    write(path, text)


def _child(node: Any, key: str, kind: type) -> list[Any] | None:
    """The children of ``node``'s ``key`` (the values of a mapping, the items of a list, a
    scalar itself: ``ids: c1`` is read as a list of one)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, kind):
            if isinstance(v, yaml.ScalarNode):
                return [v]
            return [val for _k, val in v.value] if isinstance(v, yaml.MappingNode) else list(v.value)
    return None
