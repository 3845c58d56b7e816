"""What a command is about to change, written ahead, so a command killed half-way can be undone.

The change journal (:mod:`kehu_core.journal`) writes a command's entry when the command ends.
A command killed before then (``kill -9``, a power cut, the OOM killer) left what it had written
without an entry: ``kehu customer merge`` stopped after moving 361 of 3 000 records left a store
``kehu check`` rejected 720 times, and ``kehu undo``, not knowing the merge, took back the
command before it instead (a sale recorded an hour earlier).

So each before-image the recorder keeps is also appended, as it is taken and before the file is
written, to ``.kehu/journal/pending/PID-N.jsonl``, which the running command holds an ``fcntl``
lock on (a folder of its own: every write lists it, and the journal's folder holds an entry for
every change ever made). The entry written at the end makes the file pointless, and it is
removed. The next command that takes the store's lock finds a file whose lock nobody holds (its
command died: the kernel lets go of a dead process's locks), and
:func:`kehu_core.journal.recover_interrupted` makes it the entry the command never wrote, named
as interrupted, so ``kehu undo`` takes back exactly what was written. This module reads and
writes those files only: it imports nothing of the journal, which imports it. Best
effort: where the state folder cannot be written, kehu works as before, without it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .confidential import plain_fields
from .paths import STATE_DIR

if TYPE_CHECKING:
    from .store import Store

JOURNAL_DIR = "journal"  # .kehu/journal/: the change journal (kehu_core.journal)
PENDING_DIR = "pending"
SUFFIX = ".jsonl"


class WriteAhead:
    """The before-images of one command, on disk as they are taken (opened on the first)."""

    def __init__(self, store: Store, command: str) -> None:
        self.store, self.command = store, command
        self.path: Path | None = None
        self.file: IO[str] | None = None
        self.failed = False
        self.secret = set(store.config.confidential.fields)

    def _open(self) -> IO[str] | None:
        if self.file is None and not self.failed:
            try:
                base = folder_of(self.store)
                base.mkdir(parents=True, exist_ok=True)
                self.path = base / f"{os.getpid()}-{id(self):x}{SUFFIX}"
                self.file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - held to the end
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.file.write(json.dumps({"command": self.command}, ensure_ascii=False) + "\n")
            except OSError:  # a read-only state folder: no write-ahead, as before
                self.failed = True
                self.close()
        return self.file

    def note(self, path: Path, before: bytes | None) -> None:
        """``path`` held ``before`` (None: no such file) before this command first changed it."""
        out = self._open()
        if out is None:
            return
        text = None if before is None else before.decode("utf-8", "surrogateescape")
        pruned = bool(text and self.secret and plain_fields(text, self.secret))  # never kept in .kehu/
        line = {"path": self.store.rel(path), "before": None if pruned else text, "pruned": pruned}
        try:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()  # in the kernel's hands: a killed process loses nothing it wrote
        except OSError:
            self.failed = True
            self.close()

    def saved(self, path: Path) -> None:
        """The plugins are to hear of the interaction at ``path`` (``interaction_saved``), about
        to be written: a command killed before they heard has them hear it when its change is
        recovered (:func:`kehu_core.journal.recover_interrupted`)."""
        out = self._open()
        if out is None:
            return
        try:
            out.write(json.dumps({"saved": self.store.rel(path)}, ensure_ascii=False) + "\n")
            out.flush()
        except OSError:
            self.failed = True
            self.close()

    @classmethod
    def resumed(cls, store: Store, path: Path) -> WriteAhead:
        """The write-ahead file of a command that died, written on by the recovery of its
        change (what the plugins write then): killed again, the next one finds it all."""
        ahead = cls(store, "")
        try:
            ahead.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - held to the end
            ahead.path = path
        except OSError:
            ahead.failed = True
        return ahead

    def close(self) -> None:
        """The command ended (its entry written, or nothing changed): the file is not needed."""
        if self.file is not None:
            with contextlib.suppress(OSError):
                self.file.close()
            self.file = None
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            self.path = None


def _pending(store: Store) -> list[Path]:
    base = folder_of(store)
    try:
        return [base / n for n in sorted(os.listdir(base)) if n.endswith(SUFFIX)]
    except OSError:  # no command ever wrote ahead here (or the state folder is unreadable)
        return []


def journal_folder(store: Store) -> Path:
    """The journal (``kehu_core.journal_entries.folder``): in the store's ``.kehu/``, also when the store
    is read-only and its derived data goes to the user's cache (``paths.state_dir``): there `kehu
    undo` read an empty journal and said "nothing to undo"; it reads the store's, and the write
    it tries is refused, named."""
    own = store.root / STATE_DIR / JOURNAL_DIR
    if store.state_dir != own.parent and own.is_dir():
        return own
    return store.state_dir / JOURNAL_DIR


def folder_of(store: Store) -> Path:
    """Where the write-ahead files are: a folder of the journal's own."""
    return journal_folder(store) / PENDING_DIR


def _lines(held: IO[str]) -> list[dict[str, object]]:
    """The lines of a write-ahead file that parse. A line cut short by the kill was being
    written when the command died, before the file it names was touched: it is left out."""
    found = []
    for text in held.read().splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if isinstance(line, dict):
            found.append(line)
    return found


def interrupted(store: Store) -> bool:
    """Whether a command died with a write-ahead file left (no lock taken: for the commands that
    only read the journal, which then take the store's lock to recover it)."""
    for path in _pending(store):
        try:
            with open(path, encoding="utf-8") as held:
                fcntl.flock(held, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return True
        except OSError:
            continue  # its command is still running
    return False


def dead(store: Store) -> Iterator[tuple[Path, list[dict[str, object]]]]:
    """Each write-ahead file of a command that died, with its lines (call with the store's lock
    held; remove each with :func:`discard` once its entry is written)."""
    for path in _pending(store):
        try:
            with open(path, encoding="utf-8") as held:
                try:
                    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # its command is still running
                lines = _lines(held)
        except OSError:
            continue
        yield path, lines


def discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
