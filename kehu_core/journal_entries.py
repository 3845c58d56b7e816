"""The change journal's entries as files (``.kehu/journal/<number>.json``): where they are,
reading them (a file that is no entry kehu wrote is named, never followed out of the store), the
newest change still in effect, and rewriting old entries without their before-images (past the
last KEEP_IMAGES, or holding a field now confidential in plain). Recording and undoing a change is
:mod:`kehu_core.journal`."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import journal_ahead
from .confidential import plain_fields
from .errors import KehuError, Problem, RecordError
from .i18n import _
from .yamlio import YamlFileError, atomic_write, permission_denied_message, read_bytes

if TYPE_CHECKING:
    from .store import Store


#: Entries that keep their before-images; older ones keep who/when/what for the log only.
KEEP_IMAGES = 1000


@dataclass
class FileChange:
    path: str  # relative to the store's root, with /
    before: str | None  # the text before; None: the file did not exist
    after: str | None  # sha1 of the bytes after; None: removed
    pruned: bool = False  # the before-image was dropped (an old entry)


@dataclass
class Entry:
    id: int
    when: str  # ISO 8601, from store.now()
    who: str
    command: str
    files: list[FileChange]
    undoes: int | None = None
    undone_by: int | None = None  # filled in when listed

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "when": self.when, "who": self.who, "command": self.command,
                "files": [f.path for f in self.files], "undoes": self.undoes,
                "undone_by": self.undone_by}

    def describe(self) -> str:
        return f"#{self.id} ({self.command}, {self.when[:16].replace('T', ' ')}, {self.who})"


folder = journal_ahead.journal_folder


def entry_file(store: Store, number: int) -> Path:
    return folder(store) / f"{number:08d}.json"


def entry_numbers(store: Store) -> list[int]:
    base = folder(store)
    if not base.is_dir():
        return []
    return sorted(int(n[:-5]) for n in os.listdir(base) if n.endswith(".json") and n[:-5].isdigit())


#: the largest entry read: an entry notes every file its command wrote (about 700 bytes a row of
#: an import of new customers with their purchases) and the text before of each it changed, so
#: one import of 3 000 rows passed a record's 2 MiB, and every `kehu undo` and `undo --list`
#: after it refused the whole journal ("not a journal entry kehu wrote; remove it"); an import of
#: the most rows kehu reads (`import_limits: rows`, 200 000) writes about 140 MB
MAX_ENTRY_BYTES = 512 * 2**20


def _entry_json(path: Path) -> Any:
    """An entry's JSON as written, never through a link or from a FIFO (``read_bytes``)."""
    return json.loads(read_bytes(path, MAX_ENTRY_BYTES).decode("utf-8"))


#: what reading a file that is no entry kehu wrote raises (RecursionError: JSON nested past
#: Python's stack, a hand edit)
_NOT_AN_ENTRY = (YamlFileError, ValueError, KeyError, TypeError, AttributeError, RecursionError)


def _rewritable(path: Path) -> dict[str, Any] | None:
    """An entry to rewrite in place (its before-images dropped), or None for a file that is no
    entry kehu wrote: `kehu undo` and `undo --list` name it ("remove it"); a rewrite of the
    other entries goes on past it. A hand-edited or damaged entry ended `kehu keys add` in
    "internal error" after kehu.yaml was written, the keys half given."""
    try:
        data = _entry_json(path)
        if not (isinstance(data, dict) and isinstance(data.get("files"), list)
                and all(isinstance(f, dict) for f in data["files"])):
            return None
        return data
    except _NOT_AN_ENTRY:
        return None


def _load(path: Path) -> Entry:
    try:  # never through a link (read_bytes), and only paths inside the store (below)
        data = _entry_json(path)
        if any(outside_store(f["path"]) for f in data["files"]):
            raise ValueError(_("a path outside the store"))
        return _entry(data)
    except YamlFileError as exc:
        if exc.problem.message == permission_denied_message():  # an entry kehu wrote, maybe: never "remove it"
            raise RecordError([exc.problem]) from None
        raise KehuError(_("{path}: not a journal entry kehu wrote ({why}); remove it").format(
            path=path, why=exc)) from None
    except _NOT_AN_ENTRY as exc:
        raise KehuError(_("{path}: not a journal entry kehu wrote ({why}); remove it").format(
            path=path, why=exc)) from None


def _entry(data: dict[str, Any]) -> Entry:
    """An entry of the shape kehu writes, or ValueError naming the key that is not: a hand-made
    one without `who` ended `undo --list` in "internal error: KeyError" (its `who` or `command`
    holding ESC: `render.terminal_safe` where they are printed)."""
    def number(key: str, value: Any, optional: bool = False) -> Any:
        if (value is None and optional) or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise ValueError(_("{key}: expected a whole number").format(key=key))

    def text(key: str, value: Any, optional: bool = False) -> Any:
        if (value is None and optional) or isinstance(value, str):
            return value
        raise ValueError(_("{key}: expected text").format(key=key))

    def moment(key: str, value: Any) -> Any:
        # a date and time with its offset, as kehu writes it: `report reps` and `customer log`
        # read it as one ("yesterday" ended both in "internal error: ValueError"; one without
        # its offset could not be ordered among git's commits)
        with contextlib.suppress(ValueError):
            if dt.datetime.fromisoformat(text(key, value)).tzinfo is not None:
                return value
        raise ValueError(_("{key}: expected a date and time such as 2026-06-01T12:00:00+00:00").format(key=key))

    files = []
    for f in data["files"]:
        if not isinstance(f.get("pruned", False), bool):
            raise ValueError(_("{key}: expected true or false").format(key="pruned"))
        files.append(FileChange(f["path"], text("before", f.get("before"), True), text("after", f.get("after"), True),
                                f.get("pruned", False)))
    return Entry(number("id", data["id"]), moment("when", data["when"]), text("who", data["who"]),
                 text("command", data["command"]), files, number("undoes", data.get("undoes"), True))


def outside_store(rel: str) -> bool:
    """Whether a journal's path leaves the store (absolute, or through ``..``) or names git's
    or kehu's own files (``.git/config``, ``.kehu/``), which no command changes: an undo writes
    every path of an entry, so a planted entry must not name ``../../etc/x`` (nor git's config,
    whose settings run commands)."""
    if not isinstance(rel, str):
        return True
    parts = Path(rel).parts
    return Path(rel).is_absolute() or not parts or ".." in parts or ".git" in parts or ".kehu" in parts


def entries(store: Store) -> list[Entry]:
    """Every entry, oldest first, each knowing which later entry undid it. A command that was
    killed half-way is one of them (:mod:`kehu_core.journal_ahead`), even before the next write."""
    if not store.holds_lock() and journal_ahead.interrupted(store):
        with contextlib.suppress(KehuError, OSError), store.lock():
            pass  # taking the lock makes the killed command's entry
    found = [_load(entry_file(store, n)) for n in entry_numbers(store)]
    by_id = {e.id: e for e in found}
    for entry in found:
        if entry.undoes is not None and entry.undoes in by_id:
            by_id[entry.undoes].undone_by = entry.id
    return found



def unreadable(store: Store) -> list[Problem]:
    """The journal's folder, or its entries, this user may not read (`chmod 000`, a `sudo kehu`
    that left them root's), each as `kehu check` says it: `kehu undo`, `customer log` and `report
    reps` refuse them while check said ok. A folder that cannot be entered is named once."""
    from .yamlio import cannot_read

    base = folder(store)
    try:
        names = sorted(n for n in os.listdir(base) if n.endswith(".json"))
        if names:
            os.stat(base / names[0])  # entered, as reading an entry enters it
    except FileNotFoundError:
        return []
    except PermissionError:
        return [Problem(base, 1, permission_denied_message())]
    except OSError:
        return []
    return [Problem(base / name, 1, said) for name in names if (said := cannot_read(base / name)) is not None]


def forget_plain(store: Store, fields: set[str]) -> int:
    """After ``fields`` became confidential: drop every kept before-image holding one of them
    in plain and write ``FIELD=🔒`` in the command lines that gave them (the journal in .kehu/
    never keeps a confidential value in plain). Returns how many changes can no longer be
    undone because of it."""
    import re
    import shlex

    if not fields:
        return 0
    pattern = re.compile(rf"^(\s*(?:{'|'.join(map(re.escape, fields))})\s*[+-]?=).*$", re.S)
    lost = 0
    for number in entry_numbers(store):
        path = entry_file(store, number)
        data = _rewritable(path)
        if data is None:
            continue
        changed = False
        try:
            words = shlex.split(str(data.get("command") or ""))
        except ValueError:
            words = []
        hidden = [pattern.sub(r"\1🔒", w) for w in words]
        if hidden != words:
            data["command"] = " ".join(map(shlex.quote, hidden))
            changed = True
        dropped = False
        for f in data["files"]:
            if isinstance(f.get("before"), str) and f["before"] and plain_fields(f["before"], fields):
                f["before"], f["pruned"] = None, True
                changed = dropped = True
        lost += dropped
        if changed:
            atomic_write(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    return lost


def prune_images(store: Store, number: int) -> None:
    """Drop the before-images of entry ``number`` (it can no longer be undone; it stays in logs)."""
    path = entry_file(store, number)
    data = _rewritable(path) if number >= 1 and os.path.lexists(path) else None
    if data is None:
        return
    for f in data["files"]:
        f["before"], f["pruned"] = None, True
    atomic_write(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def last_in_effect(found: list[Entry]) -> Entry | None:
    """The newest change not taken back; undos themselves are never taken back (no redo)."""
    for entry in reversed(found):
        if entry.undoes is None and entry.undone_by is None:
            return entry
    return None
