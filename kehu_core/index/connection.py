"""The index's database connection and its bookkeeping: meta values, the generation, read
snapshots, closing. The other parts of the ``Index`` (refresh, queries, plugin data) build on it.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..paths import index_file
from .files import delete, file_id, remake
from .held import open_files, shut
from .schema import CACHE_KB, connect, full, no_room

if TYPE_CHECKING:
    from ..store import Store


#: customer ids per query (SQLite limits the number of parameters)
LOOKUP = 500

#: what the index raises when SQLite cannot answer or write (a full disk, a broken or locked
#: file): code outside this package catches this name, never sqlite3's own
IndexFailure = sqlite3.Error


def failure_text(exc: BaseException) -> str | None:
    """What to tell the user of an :data:`IndexFailure` that is theirs to mend, not kehu's bug
    (None for any other): a full disk, which SQLite says in its own words ("database or disk is
    full") and kehu said as "internal error: OperationalError". Met by the index's own methods
    or as it is opened, it is raised as the OS's error naming the file (``schema.no_room``);
    met anywhere else (a plugin's SQL on a connection it was given), it is said the same way,
    "PATH: No space left on device", naming the index this process holds."""
    if not full(exc):
        return None
    from ..errors import os_error_text, shown_path

    files = open_files()
    where = files.pop() if len(files) == 1 else os.path.join(".kehu", "index.sqlite")
    return f"{shown_path(where)}: {os_error_text(no_room(where))}"


#: the page cache of a pass over the whole index (:meth:`IndexConnection.one_pass`)
ONE_PASS_KB = 4 * 1024


class IndexConnection:
    """One SQLite connection to ``.kehu/index.sqlite``. A connection belongs to the thread
    that opened it: a thread that needs the index opens an ``Index`` of its own."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.path = index_file(store.root, store.state_dir)
        self.db = connect(self.path)
        #: the file the connection reads (noted as it was opened: never one made meanwhile)
        self._opened = self.db.opened
        #: who fills the file made anew after damage (:meth:`mend`): None, this connection at once,
        #: before the read that met it is answered (a command); the TUI's screen, which must not
        #: wait for a rebuild of 100 000 customers, hands it to a worker and is answered from the
        #: file as it is meanwhile
        self.refill_elsewhere: Callable[[], None] | None = None
        #: told (shards done, shards) while the index is made from nothing (a new clone, a
        #: deleted or damaged index): the CLI shows a progress bar on a terminal with it
        self.on_first_build: Callable[[int, int], None] | None = getattr(store, "on_index_build", None)
        self._passes = 0  # one_pass within one_pass: the outer one sets the cache back

    @contextlib.contextmanager
    def one_pass(self) -> Iterator[None]:
        """A small page cache (:data:`ONE_PASS_KB`) while a pass over the whole index reads each
        page once (an export of every customer and purchase): the connection's cache, 128 MB
        for a build's random writes, was filled by it and held as the process's memory (an
        export's 10 000 customers and 67 000 purchases: 50 MB more). Within another pass (the
        calendar export's reminders, a pass of their own), the outer one's cache is kept."""
        if self._passes:
            yield
            return
        self.db.execute(f"PRAGMA cache_size=-{ONE_PASS_KB}")
        self._passes += 1
        try:
            yield
        finally:
            self._passes -= 1
            with contextlib.suppress(sqlite3.Error):
                self.db.execute(f"PRAGMA cache_size=-{CACHE_KB}")

    def replaced(self) -> bool:
        """Whether the index's file is no longer the one this connection reads: another process
        deleted it and made a new one (``kehu reindex --rebuild``, a kehu of another
        ``INDEX_VERSION``, a damaged file rebuilt). One ``stat``."""
        return file_id(self.path) != self._opened

    def follow_file(self) -> None:
        """:meth:`reopen` when the file was :meth:`replaced` (not inside a read or a write under
        way): before each look at the files, and before each write of kehu's own is indexed."""
        if not self.db.in_transaction and self.replaced():
            self.reopen()

    def reopen(self) -> None:
        """Read the index's file as it now is (after :meth:`replaced`): a process that kept the
        file it opened (`kehu serve`, the TUI) read and wrote a file no other process saw any
        more, so a customer added by `kehu customer add` was never in its address books, and
        what a phone changed was in no other process's index. kehu's own closing (:func:`shut`):
        met inside a plugin's code (its values read from a damaged index, mended), the closing
        was taken for the plugin's, the mend stopped half-way and the plugin blamed."""
        with contextlib.suppress(sqlite3.Error):  # closed already (mend)
            shut(self.db)
        self.db = connect(self.path)
        self._opened = self.db.opened

    def mend(self) -> None:
        """After SQLite said the file is damaged (:func:`.schema.damaged`: overwritten, truncated,
        its pages broken under a process that kept it open): the file made anew, unless another
        thread or process met it first and did, and read from now on (:meth:`reopen`). It is
        derived data; the caller fills it again."""
        with contextlib.suppress(sqlite3.Error):
            shut(self.db)
        remake(self.path, self._opened)
        self.reopen()

    @classmethod
    def over(cls, db: sqlite3.Connection) -> Any:
        """This part of the index on a connection opened without a store (``IndexReader``:
        answers read from the index alone)."""
        part = cls.__new__(cls)
        part.db = db
        return part

    def close(self) -> None:
        """Close the connection (a thread done with its own index, a store being replaced)."""
        self.db.close()

    def let_go(self) -> None:
        """Give back the pages the connection keeps (its cache, up to schema.CACHE_KB): a bulk
        write that will not read them again (an import, a part at a time) kept every page of
        the customers it wrote, 2.6 KB each, to the import's end."""
        self.db.execute("PRAGMA shrink_memory")

    def scrub(self) -> None:
        """Rewrite the database so that no page keeps text that was replaced: after fields became
        confidential, the rows of their customers were rewritten without them, but SQLite keeps
        old page images in its write-ahead log and freed pages in the file. The log is folded
        in and emptied, the file rebuilt (VACUUM), the log emptied again."""
        # a reader elsewhere (an open TUI) holds the log until it is done: wait a little, not 30 s
        wait = self.db.execute("PRAGMA busy_timeout").fetchone()[0]
        self.db.execute("PRAGMA busy_timeout=2000")
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.execute("VACUUM")
            busy, _log, _done = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            self.db.execute(f"PRAGMA busy_timeout={int(wait)}")
        if busy:  # a reader in another process kept the log: its old pages are still there
            import sqlite3

            raise sqlite3.OperationalError("the index's log is in use by another process")

    def try_scrub(self) -> bool:
        """:meth:`scrub`, or False when another process holds the index (an open TUI reading
        it): the records are written by then, so the caller says how to finish instead."""
        import sqlite3

        try:
            self.scrub()
        except sqlite3.OperationalError:
            return False
        return True

    def delete(self) -> None:
        """Close the connection and delete the index files: the next open starts from nothing
        and builds it again (``kehu reindex --rebuild``)."""
        shut(self.db)
        delete(self.path)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction (if none is open), so that several queries see the same data
        even while another process writes (e.g. the generation and the rows it stamps)."""
        db = self.db
        if db.in_transaction:
            yield
            return
        db.execute("BEGIN")
        try:
            yield
        finally:
            if self.db is db:  # not when a damaged file was made anew meanwhile (mend): closed
                db.execute("COMMIT")

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def generation(self) -> str:
        """Changes whenever a record changes (any process): what derived caches are keyed on."""
        return self._meta("generation") or "0"

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", (key, value))

    def kept(self, key: str) -> str | None:
        """A note a caller keeps with the index (``kehu sync``: the commit it last verified).
        It lives and dies with the index: a rebuilt index has forgotten it."""
        return self._meta(f"kept:{key}")

    def keep(self, key: str, value: str | None) -> None:
        with contextlib.suppress(sqlite3.OperationalError):  # a read-only index: not kept
            if value is None:
                self.db.execute("DELETE FROM meta WHERE key=?", (f"kept:{key}",))
            else:
                self._set_meta(f"kept:{key}", value)


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")  # a value key usable in a JSON path


def value_path(key: str) -> str:
    """The JSON path of a plugin value's key in a derived row (``$.points``)."""
    if not _KEY.match(key):
        raise ValueError(f"{key!r} is not a value name (letters, digits, _)")
    return f"$.{key}"


def profile_filters(tag: str | None, owner: str | None, level: str | None, alias: str = ""
                    ) -> tuple[list[str], list[str]]:
    """The WHERE parts and parameters of a list's profile filters (tag, owner, level) on the
    customers table (``alias``: its name in the query, e.g. ``c.``): one home for both the
    index's lists and the lists by plugin values."""
    where, params = [], []
    if tag:
        where.append(f"{alias}id IN (SELECT customer_id FROM tags WHERE tag=?)")
        params.append(tag)
    if owner:
        where.append(f"{alias}owner=?")
        params.append(owner)
    if level:
        where.append(f"{alias}level=?")
        params.append(level)
    return where, params


def date_filters(since: str | None, until: str | None, alias: str = "") -> tuple[list[str], list[str]]:
    """The WHERE parts and parameters of "dated in [since, until)" (a ``date`` column)."""
    where, params = [], []
    if since:
        where.append(f"{alias}date >= ?")
        params.append(since)
    if until:
        where.append(f"{alias}date < ?")
        params.append(until)
    return where, params


def purchase_filters(since: str | None, until: str | None, alias: str = "") -> tuple[list[str], list[str]]:
    """The WHERE parts and parameters of "purchases dated in [since, until)"."""
    where, params = date_filters(since, until, alias)
    return [f"{alias}kind='purchase'", *where], params
