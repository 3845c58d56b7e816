"""The rep's own changes to a day's visit plan, kept as a small YAML file in the store::

    visits/王芳/2026-11-20.yaml

    owner: 王芳
    date: 2026-11-20
    add: [c1ngab2x7k]        # visits the rep planned themself
    remove: [c1q8m3pz0d]     # picked by the rules, but not today
    order: [c1ngab2x7k, c1aa0001]   # these first, in this order; the rest as the rules rank them

One file per rep and day, one id per list item: two reps never touch the same file, and a
change is a one-line git diff. The file holds only the changes, never the computed list, so
a complaint recorded after the plan was edited still reaches the plan.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config_names import rep_name_problem
from ..errors import KehuError, Problem, RecordError
from ..i18n import _
from ..ids import check_id
from ..keytext import key_text
from ..paths import PLANS_DIR
from ..yamlio import YamlFileError, as_written_like, atomic_write, dump_new, load_fast, read_text

if TYPE_CHECKING:
    from ..store import Store

_LISTS = ("add", "remove", "order")
_HEADER = "# kehu visits plan: the rep's changes to the day's visit list (docs/visits.md)\n"


@dataclass
class PlanEdits:
    owner: str
    day: dt.date
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.add or self.remove or self.order)


#: what a rep's name cannot hold in its folder's name (a path's separators, a drive's colon, a
#: leading dot that hides it, and the escape itself), written %XX there
_UNSAFE = re.compile(r"[%/\\:]|^\.")


def folder_name(owner: str) -> str:
    """The folder of ``owner``'s plans under visits/: the name as it is, what a path cannot hold
    written %XX (``王芳/李娜`` → ``王芳%2F李娜``), so every customer's owner has one and it
    never leaves visits/."""
    return _UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", owner)


def folder_owner(name: str) -> str | None:
    """The rep whose plans the folder ``name`` under visits/ holds, or None when it is no
    folder :func:`folder_name` makes for a rep (:func:`folder_problem` says why)."""
    return None if folder_problem(name) is not None else _decoded(name)


def folder_problem(name: str) -> str | None:
    """Why the folder ``name`` under visits/ holds no rep's plans (``kehu check`` says it), or None."""
    owner = _decoded(name)
    problem = rep_name_problem(owner)
    if problem is None and folder_name(owner) != name:
        problem = _("{name}: a rep's folder is named by the rep as `kehu visits plan` writes it, and this names "
                    "no rep").format(name=repr(name))
    return problem


def _decoded(name: str) -> str:
    return re.sub(r"%(25|2F|5C|3A|2E)", lambda m: chr(int(m.group(1), 16)), name)


def check_owner(owner: str) -> str:
    """A rep's name as records store it (``key_text``: one for José however typed), or
    KehuError naming ``--owner``: the rule of a customer's owner (``config_names.rep_name_problem``).
    ``王芳/李娜``, ``Sales:North`` and ``.x`` are owners every other door takes: `visits plan`
    refused them, so that rep could never plan a day."""
    name = key_text(owner)
    problem = rep_name_problem(name)
    if problem is not None:
        raise KehuError(f"--owner {problem}")
    return name


def plan_path(store: Store, owner: str, day: dt.date) -> Path:
    return store.root / PLANS_DIR / folder_name(check_owner(owner)) / f"{day.isoformat()}.yaml"


def read(store: Store, owner: str, day: dt.date) -> PlanEdits:
    """The rep's changes for ``day`` (none when there is no file). A hand-edited file that
    is not a plan is a RecordError naming the file and the line."""
    path = plan_path(store, owner, day)
    edits = PlanEdits(check_owner(owner), day)
    # never through a link (``visits/`` or the rep's folder committed by a colleague as a link
    # out of the store): it was read, and written, there
    store.refuse_links(path)
    if not os.path.lexists(path):
        return edits
    try:  # a FIFO, a folder, a file that is no YAML: its problem, at its line
        data = load_fast(path)
    except YamlFileError as exc:
        raise RecordError([exc.problem]) from None
    if data is None:
        return edits
    if not isinstance(data, dict):
        raise RecordError([Problem(path, 1, "expected a mapping with add, remove and order lists")])
    # read whole or named: a typo'd list (`remvoe:`) was passed over, the removal never made,
    # and a plan copied from another day or rep kept that one's header, with `kehu check` ok
    said = _header_problems(path, data, edits)
    if said:
        raise RecordError(said)
    for key in _LISTS:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise RecordError([Problem(path, _line(path, key), f"{key}: expected a list of customer ids")])
        try:
            ids = [check_id(str(v), f"{key}: customer id") for v in value]
        except (KehuError, ValueError) as exc:
            raise RecordError([Problem(path, _line(path, key), str(exc))]) from None
        setattr(edits, key, list(dict.fromkeys(ids)))
    return edits


def _header_problems(path: Path, data: dict[Any, Any], edits: PlanEdits) -> list[Problem]:
    """A plan's keys other than its lists and header, and a header naming another rep or day
    than the file's place does, each at its line."""
    found = [Problem(path, _line(path, str(key)), _("{key}: no part of a plan of visits, which holds owner, "
                                                    "date, add, remove and order").format(key=repr(key)))
             for key in data if key not in ("owner", "date", *_LISTS)]
    owner, day = data.get("owner"), data.get("date")
    if owner is not None and key_text(str(owner)) != edits.owner:
        found.append(Problem(path, _line(path, "owner"), _("owner: {owner} is not the rep whose folder holds this "
                                                           "plan ({rep})").format(owner=owner, rep=edits.owner)))
    if day is not None and str(day) != edits.day.isoformat():
        found.append(Problem(path, _line(path, "date"), _("date: {day} is not the day this plan's file is named "
                                                          "by ({name})").format(day=day, name=path.name)))
    return found


#: a plan file's name: the day it plans
PLAN_NAME = re.compile(r"\d{4}-\d{2}-\d{2}\.yaml", re.ASCII)


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    """What ``folder`` holds, by name; none when it cannot be listed (another user's, `chmod
    000`): the check of the store's other files names it ("cannot read"), where this walk
    ended `kehu check` (and `kehu sync`) in "Permission denied", naming no other problem."""
    try:
        return sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []


def problems(store: Store) -> list[Problem]:
    """What `kehu check` says of the reps' plan files: a rep's folder no rep can own, a plan
    that does not read as one (YAML, ids), each at its line. `check` said ok of them while
    `kehu visits plan` and `kehu report reps` failed on them. Links and FIFOs here are named
    by the check of the store's other files (``store_folder.linked_or_special_files``)."""
    folder = store.root / PLANS_DIR
    found: list[Problem] = []
    if folder.is_symlink() or not folder.is_dir():
        return found
    for rep in _entries(folder):
        if rep.name.startswith(".") or rep.is_symlink():
            continue  # a link: named by the check of the store's other files
        if rep.is_file(follow_symlinks=False):  # `kehu visits plan --owner 王芳` failed on it, check said ok
            found.append(Problem(Path(rep.path), 1, _("visits/ holds a folder of plans for each rep, and this "
                                                      "is no folder: move it out of visits/")))
            continue
        if not rep.is_dir(follow_symlinks=False):
            continue  # a FIFO, a device: named by the check of the store's other files
        problem = folder_problem(rep.name)
        if problem is not None:
            found.append(Problem(Path(rep.path), 1, _("a rep's folder of visit plans: {problem}").format(
                problem=problem)))
            continue
        owner = _decoded(rep.name)
        for entry in _entries(Path(rep.path)):
            if not PLAN_NAME.fullmatch(entry.name) or entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):  # a folder where a day's plan belongs
                found.append(Problem(Path(entry.path), 1, _("a plan file is a file named by its day, "
                                                            "YYYY-MM-DD.yaml; this is none")))
                continue
            if not entry.is_file(follow_symlinks=False):
                continue  # a FIFO, a device: named by the check of the store's other files
            try:
                day = dt.date.fromisoformat(entry.name[:10])
            except ValueError:
                found.append(Problem(Path(entry.path), 1, _("a plan file is named by its day, YYYY-MM-DD.yaml")))
                continue
            try:
                read(store, owner, day)
            except RecordError as exc:
                found.extend(exc.problems)
    return found


def _line(path: Path, key: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(f"{key}:"):
            return n
    return 1


def write(store: Store, edits: PlanEdits) -> Path:
    """Write the changes (or remove the file when there are none left); journaled, so
    ``kehu undo`` takes an edit back."""
    path = plan_path(store, edits.owner, edits.day)
    with store.lock():
        store.refuse_links(path)
        store.note_change(path)
        if edits.empty:
            if path.exists():
                path.unlink()
            return path
        data: dict[str, Any] = {"owner": edits.owner, "date": edits.day}
        for key in _LISTS:
            if getattr(edits, key):
                data[key] = list(getattr(edits, key))
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # its line ends and byte order mark as a Windows editor saved them: one line's diff
            old: str | None = read_text(path) if path.exists() else None
        except YamlFileError:
            old = None  # not text: written anew
        atomic_write(path, as_written_like(_with_comments(_HEADER + dump_new(data), old), old))
    return path


#: a line of a plan as kehu reads it for its comments: a key (``add:``, a flow list, a value) or
#: an item (``- ID``), and the comment after it
_KEY_LINE = re.compile(r"^([A-Za-z_]+):(?:\s*(?:[^'\"#\s][^'\"#]*|\[[^'\"#]*\]))?(\s+#.*)?$")
_ITEM_LINE = re.compile(r"^\s*-\s+(['\"]?)([^\s'\"#]+)\1(\s+#.*)?$")


def _with_comments(text: str, old: str | None) -> str:
    """``text`` (the plan as kehu writes it) with the comments a person wrote in ``old``: a
    comment line before the key or the entry it stood before, a comment after a key or an
    entry after it, those of an entry listed twice (two reps' lines joined by hand) after the
    one kept. `kehu visits plan --add` wrote the file anew, every comment lost. A comment
    line whose key or entry is gone stands before the next one kept (or at the end); a
    comment after an entry taken out goes with it."""
    if not old or "#" not in old:
        return text
    before: dict[tuple[str, str], list[str]] = {}
    after: dict[tuple[str, str], list[str]] = {}
    waiting: list[str] = []
    order: dict[tuple[str, str], None] = {}  # the old file's keys and entries, in its order
    for anchor, comment, line in _anchored(old.replace("\r\n", "\n").split("\n")):
        if anchor is not None:
            order[anchor] = None
        if anchor is None:
            if line.strip().startswith("#") and line.strip() != _HEADER.strip():
                waiting.append(line.strip())
            continue
        if waiting:
            before.setdefault(anchor, []).extend(waiting)
            waiting = []
        if comment:
            after.setdefault(anchor, []).append(comment.strip())
    new = list(_anchored(text.removesuffix("\n").split("\n")))
    kept = {anchor for anchor, _comment, _line in new}
    moved: list[str] = []
    for anchor in order:  # a comment line whose key or entry is gone: before the next one kept
        if anchor not in kept:
            moved += before.pop(anchor, [])
        elif moved:
            before[anchor], moved = moved + before.get(anchor, []), []
    out: list[str] = []
    for anchor, _comment, line in new:
        if anchor is not None:
            out += before.pop(anchor, [])
            line += "".join(f"  {c}" for c in after.get(anchor, []))
        out.append(line)
    return "\n".join(out + moved + waiting) + "\n"


def _anchored(lines: list[str]) -> Iterator[tuple[tuple[str, str] | None, str | None, str]]:
    """Each line of a plan with what it stands for, ``(key, "")`` or ``(list key, id)`` (None
    for a comment, a blank line, a line kehu does not read so), its comment after it, and the
    line without that comment."""
    key = ""
    for line in lines:
        if (found := _KEY_LINE.match(line)) is not None:
            key = found.group(1)
            yield (key, ""), found.group(2), line[:found.start(2)] if found.group(2) else line
        elif (item := _ITEM_LINE.match(line)) is not None and key in _LISTS:
            yield (key, item.group(2)), item.group(3), line[:item.start(3)] if item.group(3) else line
        else:
            yield None, None, line


def apply(edits: PlanEdits, *, add: tuple[str, ...] = (), remove: tuple[str, ...] = (),
          order: tuple[str, ...] = ()) -> PlanEdits:
    """``--add``, ``--remove`` and ``--order`` on top of what the file holds: adding undoes a
    removal and the other way round; ``--order`` replaces the order (ids named first)."""
    for cid in add:
        if cid in edits.remove:
            edits.remove.remove(cid)
        if cid not in edits.add:
            edits.add.append(cid)
    for cid in remove:
        for key in ("add", "order"):
            if cid in getattr(edits, key):
                getattr(edits, key).remove(cid)
        if cid not in edits.remove:
            edits.remove.append(cid)
    if order:
        edits.order = list(dict.fromkeys(order))
        edits.remove = [cid for cid in edits.remove if cid not in edits.order]
    return edits


def merged_text(base: str, kept: str) -> str | None:
    """A rep's plan of one day changed in one clone and deleted in the other (every change of
    the day taken back, ``--reset``: the file is removed), as git's merge leaves it: what the
    keeping side added since ``base`` stays, what was there before goes, as the deletion
    said; the text of the plan, or None when nothing is left (the file goes too). A side
    that is no plan (not YAML, not a mapping of lists): ValueError, for a person."""
    import yaml

    from ..yamlio import FastLoader

    lists: list[dict[str, list[str]]] = []
    head: dict[str, Any] = {}
    for side, text in enumerate((base, kept)):
        try:
            data = yaml.load(text, Loader=FastLoader) if text else {}  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            data = None
        if not isinstance(data, dict) or any(not isinstance(data.get(k) or [], list) for k in _LISTS):
            raise ValueError("not a plan of visits on one side")
        lists.append({key: [str(v) for v in data.get(key) or []] for key in _LISTS})
        if side:
            head = {k: data[k] for k in ("owner", "date") if k in data}
    before, after = lists
    out: dict[str, Any] = dict(head)
    for key in _LISTS:
        added = [cid for cid in dict.fromkeys(after[key]) if cid not in before[key]]
        if added:
            out[key] = added
    if not any(key in out for key in _LISTS):
        return None
    return as_written_like(_HEADER + dump_new(out), kept)
