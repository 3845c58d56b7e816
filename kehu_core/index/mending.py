"""A damaged index met while a process holds it open, made anew where it is met.

Opening the index rebuilds a file that is no database (:func:`.schema.connect`), which is all a
command needs. A process that keeps the index open (the TUI, `kehu serve`) met the damage in the
middle of its work instead: `.kehu/index.sqlite` overwritten or truncated under it ended the
TUI in a traceback ("file is not a database", "database disk image is malformed") at the list's
next reload. Every public method of the ``Index`` is therefore wrapped here: the outermost call
that meets the damage makes the file anew (:meth:`.connection.IndexConnection.mend`), fills it
from the records and answers again. It is derived data; nothing stored is lost. A connection
whose thread must not wait for a rebuild (the TUI's screen) names who fills the file instead
(``refill_elsewhere``), and is answered from the file as it is meanwhile.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from ..errors import KehuError
from ..i18n import _
from .schema import damaged, full, no_room

#: methods that run no query of their own, or manage the connection itself
_UNGUARDED = frozenset({"snapshot", "close", "delete", "reopen", "mend", "replaced", "follow_file", "over"})


class IndexDamaged(KehuError):
    """The index's file was damaged in the middle of a read that cannot simply be asked again
    (inside a caller's transaction, half-way through a stream of rows): made anew, said."""


def _itself(obj: Any) -> Any:
    return obj


def guard(cls: type, index_of: Callable[[Any], Any] = _itself) -> type:
    """Wrap every public method of the ``Index`` class ``cls`` (its own and its bases'), or of
    a class reading through an index (``index_of(obj)``: a plugin's ``PluginTable``, whose
    reads met the damage a plugin's next-reminder or tier was asked for, and the plugin was
    said to have failed, its values missing, while the index was left damaged)."""
    for name in dir(cls):
        if name.startswith("_") or name in _UNGUARDED:
            continue
        method = inspect.getattr_static(cls, name)
        if inspect.isfunction(method):
            setattr(cls, name, _streaming(method) if inspect.isgeneratorfunction(method)
                    else _mending(method, index_of))
    return cls


def _mending(method: Callable[..., Any], index_of: Callable[[Any], Any] = _itself) -> Callable[..., Any]:
    @functools.wraps(method)
    def mended(self: Any, *args: Any, **kwargs: Any) -> Any:
        index = index_of(self)
        if getattr(index, "_guarded", False):  # called by another method: the outermost one mends
            return method(self, *args, **kwargs)
        index._guarded = True
        try:
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                _said_full(index, exc)
                if not damaged(exc):
                    raise
                held = index.db.in_transaction  # a caller's snapshot or batch: not ours to ask again
                _mend(index)
                if held:
                    raise _said(index) from exc
            return method(self, *args, **kwargs)  # once: on a new file
        finally:
            index._guarded = False

    return mended


def _streaming(method: Callable[..., Any]) -> Callable[..., Any]:
    """A method yielding rows: the damage met half-way is mended and said (rows are given)."""

    @functools.wraps(method)
    def mended(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            yield from method(self, *args, **kwargs)
        except Exception as exc:
            _said_full(self, exc)
            if not damaged(exc):
                raise
            if not getattr(self, "_guarded", False):
                _mend(self)
            raise _said(self) from exc

    return mended


def _said_full(index: Any, exc: Exception) -> None:
    """A full disk met by a method of the index (its log or shared memory made or grown, a
    page written) raised as the OS says it of any file, naming the index (``schema.no_room``):
    said as "database or disk is full" it named no file, and a plugin's command meeting it in
    its table was blamed for it."""
    path = getattr(index, "path", None)
    if full(exc) and path is not None:
        raise no_room(path) from exc


def _mend(index: Any) -> None:
    index.mend()
    if getattr(index, "store", None) is None:
        return
    refill = getattr(index, "refill_elsewhere", None)
    if refill is not None:  # a thread that must not wait for a rebuild (the TUI's screen)
        refill()
    else:
        index.refresh()  # filled from the records again, as a command's first open does


def _said(index: Any) -> IndexDamaged:
    return IndexDamaged(_("the index {path} was damaged and has been made again from the records; "
                          "try again").format(path=index.path))
