"""Atomic writes: temp file, fsync, rename, so a crash leaves either the old file or the new
one, never half of either; a batch's deferred fsync; the mode a new file gets."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

_DEFERRED_SYNC: contextvars.ContextVar[bool] = contextvars.ContextVar("kehu_deferred_sync", default=False)


@contextlib.contextmanager
def deferred_sync() -> Iterator[None]:
    """Many writes, one flush to disk at the end (``kehu import`` of thousands of rows).

    Inside, :func:`atomic_write` still writes a temp file and renames it, so a crashed process
    leaves each file old or new, never half; it only skips the two fsyncs per file (4 ms each
    on a busy disk), and one ``os.sync()`` on leaving makes the whole batch durable. What a
    power cut in the middle of the batch can lose is files of that batch.
    """
    if _DEFERRED_SYNC.get():
        yield
        return
    token = _DEFERRED_SYNC.set(True)
    try:
        yield
    finally:
        _DEFERRED_SYNC.reset(token)
        os.sync()


@functools.cache
def process_umask() -> int:
    """The process's umask, read once. Linux shows it in /proc/self/status; elsewhere it can
    only be read by setting it, which is done once, under a lock (another thread creating a
    file in that instant would get the temporary mask)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def new_file_mode() -> int:
    """The mode of a new file as git (and every editor) makes it: ``0666`` less the umask, so
    a shared repository (``umask 002``) gets group-writable records, not tempfile's ``0600``."""
    return 0o666 & ~process_umask()


def naming(exc: OSError, path: Path) -> OSError:
    """``exc`` about ``path`` (what the user knows) rather than a temporary file beside it."""
    return type(exc)(exc.errno, exc.strerror, str(path))


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new file, never half.

    A new file gets :func:`new_file_mode`; a replaced one keeps the mode it had."""
    if not path.parent.is_dir():  # one stat; mkdir of an existing folder costs an exception
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = new_file_mode()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # a read-only store: name the record, not a temporary name
        raise naming(exc, path) from None
    durable = not _DEFERRED_SYNC.get()
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # a full disk: name the record, not its temporary file
            raise naming(exc, path) from None
        raise
    if durable:
        _fsync_dir(path.parent)


def write_staged(folder: Path, name: str, text: str) -> Path:
    """``text`` as a new file ``name`` in ``folder`` (a staging folder of the store's, on its
    file system), made as :func:`atomic_write` makes a new file: its mode from the umask, the
    text as it is. For :func:`place_staged` to put it where it belongs later."""
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # less the umask: new_file_mode
    try:
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(fd, data):]
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)
    return path


def place_staged(path: Path, staged: Path) -> None:
    """Put a file :func:`write_staged` wrote at ``path`` (a new record; its folder made if
    needed): a rename, so readers see no file or the whole one, never half (as
    :func:`atomic_write`, whose temp file is the staged one). OSError if it cannot be renamed
    there (another file system: EXDEV): the caller writes the text instead."""
    try:
        os.rename(staged, path)
    except FileNotFoundError:
        if not staged.exists():
            raise
        path.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staged, path)
    if not _DEFERRED_SYNC.get():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
