"""The index's files on disk (``.kehu/index.sqlite``, its log and shared memory): the lock of
their folder they are made, opened, replaced and deleted under, and which file is there."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def locked(folder: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold an exclusive lock of the index's folder (``flock`` of the folder itself: no file
    of its own to be linked or left behind; released when the process ends, killed or not)
    while the index is looked at and made, replaced or deleted; ``shared``: while an index
    found is opened (``schema._connect``), which no process replaces meanwhile. An index in a
    folder this process cannot open (no read permission, only search) is opened without it:
    no lock can be had there, and no kehu of this user makes an index in it either."""
    import fcntl

    try:
        held = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        if not shared:
            raise
        held = None
    try:
        if held is not None:
            fcntl.flock(held, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        if held is not None:
            os.close(held)  # closing the last descriptor releases the lock


def remake(path: Path, opened: tuple[int, int] | None) -> None:
    """Delete the damaged index at ``path``, under the lock an index is made under, if it is
    still the file a connection opened (``opened``: its :func:`file_id` then): another thread
    or process that met the damage first has made it anew already, and that one is kept. The
    next ``schema.connect`` makes the new one."""
    with locked(path.parent):
        if file_id(path) == opened:
            delete_files(path)


def file_id(path: Path | str) -> tuple[int, int] | None:
    """The file at ``path`` as the OS knows it (device and inode), or None when there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def delete(path: Path) -> None:
    """Delete the index at ``path`` (``kehu reindex --rebuild``) under the lock an index is made
    under (:func:`locked`): deleted outside it, the file, its log and its shared memory one by
    one, a rebuild deleted the log of the index another process had just made and opened between
    two of them, and that process wrote where no other process read, or ended in 'disk I/O
    error'."""
    with locked(path.parent):
        delete_files(path)


def delete_files(path: Path) -> None:
    """Remove the index database at ``path`` with its write-ahead log and shared memory."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
