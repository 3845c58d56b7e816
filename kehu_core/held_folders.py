"""Folders of a command's work in progress (an import's staging, `kehu edit`'s copy of a
record) that a killed command would leave behind for good: each is made with a lock file
(:data:`HELD`) its process holds while it runs, and the kernel lets go of a dead process's
locks, so the next command of its kind removes the folders whose process is gone
(:func:`sweep`) whatever killed it (SIGKILL, the OOM killer, a closed terminal's SIGHUP,
SIGTERM). Apart from the import, the edit and the export, which each use it."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

#: the lock file in each folder, held while its command runs
HELD = ".held"


@dataclass
class HeldFolder:
    """A folder :func:`make` made, and the lock file it holds while this process runs."""

    path: Path
    handle: IO[str] | None

    def keep(self) -> None:
        """Leave the folder for good: its command named it to the user (`kehu edit`'s "your
        text is kept in …"), so no later :func:`sweep` removes it."""
        with contextlib.suppress(OSError):
            os.unlink(self.path / HELD)
        self.release()

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def remove(self) -> None:
        self.release()
        shutil.rmtree(self.path, ignore_errors=True)


def make(parent: Path, prefix: str, suffix: str = "") -> HeldFolder:
    """A new folder ``prefix…suffix`` in ``parent``, its lock file held by this process until
    :meth:`HeldFolder.release` (or the process's end, however it ends). OSError: none can be
    made there (a read-only folder), nothing left of it."""
    path = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=parent))
    try:
        handle = open(path / HELD, "w")  # noqa: SIM115 - held while the command runs
    except OSError:
        shutil.rmtree(path, ignore_errors=True)
        raise
    try:
        _lock(handle)
    except _NoLocks:  # (Windows) made all the same, and never found abandoned
        pass
    except OSError:
        handle.close()
        shutil.rmtree(path, ignore_errors=True)
        raise
    return HeldFolder(path, handle)


def sweep(parent: Path, prefix: str, *, unheld_age: float | None = None) -> None:
    """Remove the folders ``prefix…`` in ``parent`` whose command no longer runs
    (:func:`abandoned`)."""
    for old in abandoned(parent, prefix, unheld_age=unheld_age):
        shutil.rmtree(old, ignore_errors=True)


def abandoned(parent: Path, prefix: str, *, unheld_age: float | None = None) -> list[Path]:
    """The folders ``prefix…`` in ``parent`` whose command no longer runs: nobody holds the
    lock on their :data:`HELD` file. One without that file (kept on purpose, or an older
    kehu's, which held none) only when ``unheld_age`` is given and it is older than that many
    seconds. Another user's folders (which this one may not open) are never touched."""
    from .clock import system_seconds

    try:
        names = [n for n in os.listdir(parent) if n.startswith(prefix)]
    except OSError:
        return []
    found = []
    for name in names:
        folder = parent / name
        try:
            if not folder.is_dir() or folder.is_symlink():
                continue
            with open(folder / HELD) as held:
                _lock(held)  # raises while its command runs
        except FileNotFoundError:
            if unheld_age is not None:
                with contextlib.suppress(OSError):
                    if system_seconds() - folder.stat().st_mtime > unheld_age:
                        found.append(folder)
            continue
        except OSError:
            continue
        found.append(folder)
    return found


class _NoLocks(OSError):
    """No such file locks here (Windows): no folder is ever found abandoned by its lock."""


def _lock(handle: IO[str]) -> None:
    """An exclusive lock on ``handle``'s file, now, or OSError."""
    try:
        import fcntl
    except ImportError:
        raise _NoLocks from None
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
