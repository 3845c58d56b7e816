"""The change journal: every kehu command that changes the store, so it can be taken back.

One entry per command (``kehu purchase add``, ``kehu customer merge`` ...): who, when
(``store.now()``), the command line, and each file it wrote, created or removed with what the file
held before (its *before-image*) and a hash of what it holds after. ``kehu undo`` puts the files of
the newest entry still in effect back as they were (removing those it created, restoring those it
removed) and refuses when one of them changed since; ``kehu undo --list`` and ``kehu customer log``
read it (:mod:`kehu_core.journal_entries`: the entries as files, reading and pruning them).
See docs/undo.md for why a journal and not a git commit per command (the cost at 100 000
customers).

The journal lives in the store's state folder (``.kehu/journal/``, never committed), one JSON
file per entry named by its number, so it works in a store that is not a git repo and costs one
small file per command. Entries are written under the store's lock, so numbers never collide.

How the writes of one command become one entry: :meth:`kehu_core.store.Store.change` opens a
:class:`Recorder`; every write through the store notes the file's before-image the first time
(``Store._write``), and code that writes or removes a record itself calls
``Store.note_change(path)`` first. When the command ends the recorder becomes an entry of the
files whose bytes differ from before (a write undone on failure is no change).
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import journal_ahead
from .confidential import plain_fields
from .errors import KehuError, Problem
from .i18n import _
from .journal_entries import (
    KEEP_IMAGES,
    Entry,
    FileChange,
    entries,
    entry_file,
    entry_numbers,
    folder,
    last_in_effect,
    outside_store,
    prune_images,
)
from .yamlio import YamlFileError, atomic_write, read_bytes

if TYPE_CHECKING:
    from .store import Store


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha1(data).hexdigest()


def _read(path: Path) -> bytes | None:

    try:
        return read_bytes(path)
    except FileNotFoundError:
        return None


def _sha_now(path: Path, seen: dict[Path, bytes | None] | None = None) -> str | None:
    """The hash of the file at ``path`` as it is now (None: none is there), for undo's "changed
    since": a link, a FIFO or a folder put in its place since is no file kehu wrote — a change
    (``kehu undo`` ended in "internal error: YamlFileError"), never read nor written through.
    ``seen`` keeps the bytes read (the undo needs them again: each file read once)."""

    try:
        data = _read(path)
    except YamlFileError:
        return "not a file"
    if seen is not None:
        seen[path] = data
    return _sha(data)


def _size(path: Path) -> int | None:
    try:
        return os.lstat(path).st_size
    except OSError:
        return None


@dataclass
class Recorder:
    """The files one command changes, as they were before it first touched each."""

    command: str
    who: str | None = None  # None: found when the entry is written (git's author, $USER)
    before: dict[Path, bytes | None] = field(default_factory=dict)
    undoes: int | None = None  # set by undo: the entry this one takes back
    # what a writer said it left in a file (wrote): its size and hash, until the file is noted
    # again (each write through the store notes its file first): the entry need not read 20 000
    # new files back (nor hold them: an import of 100 000 customers, 70 MB)
    after: dict[Path, tuple[int, str]] = field(default_factory=dict)
    # each before-image also on disk as it is taken (kehu_core.journal_ahead): None for none
    ahead: journal_ahead.WriteAhead | None = None
    lost: set[Path] = field(default_factory=set)  # files whose before-image is not kept

    def note(self, path: Path, *, absent: bool = False) -> None:
        """Keep what ``path`` holds before the command first changes it (``absent``: the
        caller knows there is no such file)."""
        self.after.pop(path, None)
        if path not in self.before:
            self.before[path] = None if absent else _read(path)
            if self.ahead is not None:
                self.ahead.note(path, self.before[path])

    def wrote(self, path: Path, data: bytes) -> None:
        """``path`` now holds ``data``, written (under the lock) since it was last noted."""
        self.after[path] = (len(data), hashlib.sha1(data).hexdigest())



def who_am_i(store: Store) -> str:
    """Who changes the store: git's author name (config or GIT_AUTHOR_NAME), else the login."""
    from .index.freshness import git_would_wait

    if shutil.which("git") is not None and git_would_wait(store.root) is None:
        # git's bytes as the UTF-8 they should be, under any locale: a name of 张三 under LC_ALL=C
        # (no UTF-8 mode), or one a Windows tool wrote in GBK, ended the command in "internal
        # error: UnicodeDecodeError" after its change was written, and no undo knew of it; such
        # bytes are shown as git shows them (\xd5)
        result = subprocess.run(["git", "var", "GIT_AUTHOR_IDENT"], cwd=store.root, capture_output=True,
                                encoding="utf-8", errors="backslashreplace", check=False)
        name = result.stdout.rpartition("<")[0].strip() if result.returncode == 0 else ""
        if name:
            return name
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return "unknown"


def record(store: Store, recorder: Recorder) -> Entry | None:
    """Write the recorder's changes as the next entry (call with the store's lock held);
    None when no file differs from before."""
    files = []
    secret = set(store.config.confidential.fields)
    for path, before in recorder.before.items():
        known = recorder.after.get(path)  # (a stat to be sure it is still that file)
        if known is not None and _size(path) == known[0]:
            after_sha = known[1]
            if before is not None and len(before) == known[0] and _sha(before) == after_sha:
                continue
        else:
            after = _read(path)
            if after == before:
                continue
            after_sha = _sha(after)
        text = None if before is None else before.decode("utf-8")
        if path in recorder.lost or (text is not None and secret and plain_fields(text, secret)):
            # a confidential field in plain (it became confidential by this command, or was
            # written by hand): not kept in .kehu/, so this change cannot be undone
            files.append(FileChange(store.rel(path), None, after_sha, pruned=True))
            continue
        files.append(FileChange(store.rel(path), text, after_sha))
    if not files:
        return None
    numbers = entry_numbers(store)
    entry = Entry((numbers[-1] + 1) if numbers else 1, store.now().isoformat(timespec="seconds"),
                  recorder.who or who_am_i(store), recorder.command,
                  sorted(files, key=lambda f: f.path), recorder.undoes)
    base = folder(store)
    base.mkdir(parents=True, exist_ok=True)
    data = {"id": entry.id, "when": entry.when, "who": entry.who, "command": entry.command,
            "undoes": entry.undoes, "files": [f.__dict__ for f in entry.files]}
    atomic_write(entry_file(store, entry.id), json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    prune_images(store, entry.id - KEEP_IMAGES)
    return entry


def recover_interrupted(store: Store) -> None:
    """Make each write-ahead file of a command that died (:mod:`kehu_core.journal_ahead`) into
    the entry it never wrote (call with the store's lock held), and say so on stderr."""
    import sys

    for path, lines in journal_ahead.dead(store):
        if lines and "command" in lines[0]:
            command = str(lines[0]["command"])
            recorder = Recorder(_("{command} (interrupted)").format(command=command))
            saved = [store.root / rel for line in lines[1:]
                     if isinstance(rel := line.get("saved"), str) and not outside_store(rel)]
            for line in lines[1:]:
                rel = line.get("path")
                if not isinstance(rel, str) or outside_store(rel) or store.root / rel in recorder.before:
                    continue  # never a path out of the store (as an entry's); the first image is the one
                target = store.root / rel
                before = line.get("before")
                if line.get("pruned") or not isinstance(before, (str, type(None))):
                    recorder.lost.add(target)  # cannot be put back: recorded as such, never as "absent"
                    before = ""
                recorder.before[target] = None if before is None else before.encode("utf-8", "surrogateescape")
            told = 0
            if saved:  # killed before the plugins heard of what it saved (points): they hear now
                recorder.ahead = journal_ahead.WriteAhead.resumed(store, path)
                told = store.hear_again(recorder, saved)
            entry = record(store, recorder)
            if entry is not None:
                sys.stderr.write(_("kehu: `{command}` was stopped before it finished; what it wrote is "
                                   "change #{id}: `kehu undo` takes it back, or run it again\n").format(
                    command=command, id=entry.id))
                if told:
                    sys.stderr.write(_("kehu: the plugins were told now of the {count} record(s) it saved "
                                       "(points, tier moves), part of that change\n").format(count=told))
            if recorder.ahead is not None:
                recorder.ahead.close()
        journal_ahead.discard(path)



def undo(store: Store, problems: Callable[[Collection[str]], list[Problem]] | None = None) -> Entry:
    """Put back the files of the newest change still in effect, exactly as they were before it.

    Refused (KehuError, nothing written) when there is nothing to undo, when the entry is too
    old to have its before-images, or when a file of it changed since (a hand edit, a git pull,
    a later command outside the journal). The undo itself becomes an entry (``undoes``).

    ``problems``: what `kehu check` finds of these customers' records (and every rule across
    records they are part of). When given, an undo that would bring a problem is refused and
    its files put back as they are now: records added since by others, which the change's own
    files do not name (a colleague's purchase of a customer whose creation is undone, arriving
    by `kehu sync`), were left without a profile, and the store rejected by `check`."""
    with store.lock():
        target = last_in_effect(entries(store))
        if target is None:
            raise KehuError(_("nothing to undo: kehu has recorded no change to this store that is still in "
                "effect (`kehu undo --list` shows the changes)"))
        if any(f.pruned for f in target.files):
            raise KehuError(_("cannot undo {describe}: kehu no longer keeps its files (it is older than the last "
                              "{KEEP_IMAGES} changes, or they held fields now confidential in plain)").format(
                describe=target.describe(), KEEP_IMAGES=KEEP_IMAGES))
        seen: dict[Path, bytes | None] = {}
        changed = [f.path for f in target.files if _sha_now(store.root / f.path, seen) != f.after]
        if changed:
            raise KehuError(_(
                "cannot undo {describe}: changed since by someone else: {files}. Nothing was undone; change "
                "those files back by hand (see `git diff` or `kehu customer log`), or make the correction "
                "with a new command").format(describe=target.describe(), files=", ".join(changed)))
        restored = {store.root / f.path: None if f.before is None else f.before.encode("utf-8")
                    for f in target.files}
        from .store.layout import CUSTOMERS_DIR

        ids = {parts[2] for f in target.files if len(parts := f.path.split("/")) > 3 and parts[0] == CUSTOMERS_DIR}
        now = {path: seen[path] if path in seen else _read(path) for path in restored}
        store.restore_files(restored)
        after = problems(ids) if problems is not None and ids else []
        brought: list[Problem] = []
        if after:
            # which of them were there before: asked only now, the files put back as they were
            # for it (a check of every customer of the change before and after the undo was
            # most of the time of the undo of an import of thousands)
            store.restore_files(now)
            # by file and message, not line: the change's own lines (a field it added) moved a
            # problem the file had all along, which was then taken for one the undo brought
            known = {(p.path, p.message) for p in problems(ids)}
            brought = [p for p in after if (p.path, p.message) not in known]
            if not brought:
                store.restore_files(restored)
        if brought:  # the files are as they were: the journal records no change
            raise KehuError.of_lines(_(
                "cannot undo {describe}: it would leave the store with what `kehu check` rejects "
                "(records added since it, by a colleague's sync or by hand, need what it made):\n{problems}\n"
                "Nothing was undone; make the correction with a new command"),
                describe=target.describe(), problems=[p.render() for p in brought[:5]])
        session = store.recording
        if session is not None:
            session.undoes = target.id
    return target
