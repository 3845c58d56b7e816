"""The store's index as a plugin's code was given it, and put back so when the code returns
(``Store.as_given``): the code can reach it (``store.index``) and close it, replace it or its
connection, or leave a transaction open or end kehu's. A hook's ``store.index.close()`` made
every later hook fail ("Cannot operate on a closed database"), then `kehu import` end in
"internal error". What it did is put back and said, as the plugin's failure (:func:`back`)."""

from __future__ import annotations

import atexit
import contextlib
import os
import sqlite3
import weakref
from typing import Any

from ..errors import Meddled
from ..i18n import _


class IndexDb(sqlite3.Connection):
    """The index's connection (:func:`.schema.connect` makes each one so): not closed while it is
    given to a plugin's code (``given``: how many blocks of its code it is given to). kehu's own
    closing of it meanwhile — made anew after damage, read again after another process replaced
    the file — is :func:`shut`. Reopened when the code returned, the connection kehu was
    reading from as it asked each customer's hooks (`kehu check`) was still closed under it."""

    given = 0
    refused = False
    #: the file it reads as the OS knows it (device, inode), noted as it was opened, under the
    #: lock the index is replaced under (``schema._connect``); None: not noted
    opened: tuple[int, int] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # what a plugin's code given it writes with SQL of its own is refused as SQLite compiles
        # it (its `DELETE FROM customers` left every later command without those customers,
        # `kehu check` ok): asked only as a statement is compiled, kehu's own kept compiled
        self.set_authorizer(self._authorized)
        #: the index's file (what a full disk met outside the index's own methods names)
        self.path = os.fspath(kwargs.get("database", args[0] if args else ""))
        self.pid = os.getpid()  # a process forked with it (a plugin's) ending never closes it
        _open.add(self)

    def _authorized(self, action: int, *names: Any) -> int:
        if self.given and action in _WRITING and not _kehus_caller():
            self.refused = True  # said as what the plugin did (back)
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    def close(self) -> None:
        if self.given:
            raise Meddled(_("closed the store's index (store.index), which kehu was reading; it was kept open"))
        super().close()


#: what SQLite asks leave for that writes the index or its schema, or begins or ends a transaction
_WRITING = frozenset(getattr(sqlite3, name) for name in (
    "SQLITE_INSERT", "SQLITE_UPDATE", "SQLITE_DELETE", "SQLITE_CREATE_TABLE", "SQLITE_CREATE_INDEX",
    "SQLITE_CREATE_TRIGGER", "SQLITE_CREATE_VIEW", "SQLITE_CREATE_TEMP_TABLE", "SQLITE_CREATE_TEMP_INDEX",
    "SQLITE_CREATE_TEMP_TRIGGER", "SQLITE_CREATE_TEMP_VIEW", "SQLITE_CREATE_VTABLE", "SQLITE_DROP_TABLE",
    "SQLITE_DROP_INDEX", "SQLITE_DROP_TRIGGER", "SQLITE_DROP_VIEW", "SQLITE_DROP_TEMP_TABLE",
    "SQLITE_DROP_TEMP_INDEX", "SQLITE_DROP_TEMP_TRIGGER", "SQLITE_DROP_TEMP_VIEW", "SQLITE_DROP_VTABLE",
    "SQLITE_ALTER_TABLE", "SQLITE_REINDEX", "SQLITE_ANALYZE", "SQLITE_ATTACH", "SQLITE_DETACH",
    "SQLITE_TRANSACTION", "SQLITE_SAVEPOINT", "SQLITE_PRAGMA") if hasattr(sqlite3, name))


def _kehus_caller() -> bool:
    """Whether the statement being compiled was given to SQLite by kehu's code (the frame that
    called ``execute``, above the authorizer's): kehu writes its index inside a plugin's hook too
    (a ledger line the hook appends is indexed)."""
    import sys

    frame = sys._getframe(2)
    name = frame.f_globals.get("__name__", "") if frame is not None else ""
    return name.partition(".")[0] in ("kehu_core", "kehu_plugins")


#: every index connection of this process not yet collected: closed when the process ends
_open: weakref.WeakSet[IndexDb] = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    """Close the index's connections as the process ends. Left to Python's teardown, which
    does not always close them, a command left SQLite's write-ahead log (``index.sqlite-wal``)
    as it was, about 500 KB more for each command that wrote a record, megabytes after a list
    of 10 000 customers, never made smaller: on a nearly full disk the room the next command
    needed. The last connection closed folds the log into the index and removes it (a full
    disk met as the next command makes it anew is said as any: ``schema.no_room``)."""
    for db in list(_open):
        if db.pid != os.getpid():
            continue
        with contextlib.suppress(sqlite3.Error):  # another thread's, or closed already
            shut(db)


def open_files() -> set[str]:
    """The files of the index connections this process holds (open or not yet collected)."""
    return {db.path for db in list(_open)}


def shut(db: sqlite3.Connection) -> None:
    """Close ``db``, an index's connection, by kehu's own doing (given to a plugin's code or not)."""
    sqlite3.Connection.close(db)


#: the attributes of a Store holding an index of its own (its open one, the one its writes go to)
_HOLDERS = ("_index", "_write_index")

#: per holder: (the index there, its connection, whether a transaction was open on it)
Held = tuple[tuple[Any, Any, bool], ...]


def held(attrs: dict[str, Any]) -> Held | None:
    """The store's indexes as they are (``attrs``: the store's ``vars``); None: none is open."""
    index, writes = attrs.get("_index"), attrs.get("_write_index")
    if index is None and writes is None:
        return None
    return tuple(_one(attrs.get(name)) for name in _HOLDERS)


def _one(index: Any) -> tuple[Any, Any, bool]:
    if index is None:
        return None, None, False
    db = index.db
    if isinstance(db, IndexDb):
        db.given += 1
    try:
        return index, db, db.in_transaction
    except sqlite3.ProgrammingError:  # closed already (before this code: not its doing)
        return index, db, False


def back(store: Any, attrs: dict[str, Any], was: Held | None) -> list[str]:
    """Each index of ``store`` as it was (``was``: :func:`held` before the code ran): put back
    where the code replaced it, opened again where it closed it, its transaction as it was; what
    the code did, for the user (nothing: the usual case). An index kehu opened meanwhile (the
    code's first ``store.index``, its write of a ledger line) is kept."""
    did: list[str] = []
    for i, name in enumerate(_HOLDERS):
        index, db, in_transaction = was[i] if was is not None else (None, None, False)
        if isinstance(db, IndexDb):
            db.given -= 1
            if db.refused:
                db.refused = False
                did.append(_("wrote the store's index with SQL of its own (store.index.db), which was refused: the "
                             "index is kehu's, made from the records"))
        now = attrs.get(name)
        if now is not index and (index is not None or not _kehus(store, now)):
            attrs[name] = index
            did.append(_("replaced the store's index ({name})").format(name=f"store.{name}"))
        if index is not None:
            did.extend(_connection_back(index, db, in_transaction))
        elif now is not None and attrs.get(name) is now:  # opened meanwhile (its first store.index)
            did.extend(_connection_back(now, now.db, False))
    return did


def _kehus(store: Any, index: Any) -> bool:
    """Whether ``index`` is one kehu opened for ``store`` (the code's first ``store.index``)."""
    from . import Index

    return isinstance(index, Index) and index.store is store


def _connection_back(index: Any, db: Any, in_transaction: bool) -> list[str]:
    now = index.__dict__.get("db")
    if now is not db and not _same_file(index, now):  # a connection of its own put in kehu's place
        index.db = db
        return [*_connection_back(index, db, in_transaction),
                _("replaced the connection of the store's index (store.index.db)")]
    try:
        open_now = index.db.in_transaction
    except sqlite3.ProgrammingError:  # closed: `store.index.close()`
        index.reopen()
        return [_("closed the store's index (store.index); kehu opened it again")]
    if open_now and not in_transaction:
        with contextlib.suppress(sqlite3.Error):
            index.db.execute("ROLLBACK")
        return [_("left a transaction of the store's index open; kehu rolled it back")]
    if in_transaction and not open_now:  # kehu's reading snapshot, ended under it
        with contextlib.suppress(sqlite3.Error):
            index.db.execute("BEGIN")
        return [_("ended the transaction kehu had open on the store's index")]
    return []


def _same_file(index: Any, db: Any) -> bool:
    """Whether ``db``, a connection put in place of the one given, is of the index's own file:
    the index made anew after damage (``mend``), kehu's doing. Asked only when it changed."""
    if not isinstance(db, sqlite3.Connection):
        return False
    try:
        files = [row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"]
    except sqlite3.Error:
        return False
    return bool(files) and os.path.realpath(files[0]) == os.path.realpath(index.path)
