"""The index database's tables, and opening it (a file of another version is rebuilt).

Nothing outside ``kehu_core.index`` knows these tables: everything else asks the ``Index``'s
query methods, so the schema can change (and ``INDEX_VERSION`` move) without touching callers.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from pathlib import Path

from .files import delete_files, file_id, locked
from .held import IndexDb

INDEX_VERSION = 50  # 14: the kinds of items sold per day; customers by referrer; 15: search text in NFC;
# 16: what each purchase still owes (customer show from the index); 17: the first phone as shown;
# 18: a customer's record under another shard folder is no record (rows._kind_of); 19: a purchase's
# items taken off item_kinds in one grouped pass (a purchase of 10 000 items took a minute); 20: each
# customer's purchases in whole cents (customers.cents: the tiers' ranking reads one row per customer);
# 21: customers_version holds the id; 22: records read by the tenth round's rules (a sale due before it
# was made, a complaint's history, an over-limit mark, a sale of nothing settled, a field's name): an
# index made by the old rules held records they refuse, and a reader trusting it (the reminders) failed
# 23: a customer's emails once whatever their case (an index made before held both spellings); 24: a
# file where a shard's or a customer's folder belongs is a row (freshness.folder_place); 25: a
# purchase's blank gifts are none; 26: an owner, a level or a credit grade of spaces alone is refused
# 27: an owner, a tag, a level, a credit grade in composed form (keytext: José typed two ways was two)
# 28: a message's blank channel is none; a resolution only on a resolved or closed complaint
# 29: a text holding a Unicode noncharacter (U+FFFE: no xlsx holds it) is a problem (models.hostile)
# 30: an item's name in composed form (Café typed two ways was two products)
# 31: a channel or resolution of invisible characters alone is none too (fields.shows_something)
# 32: a profile field's name in composed form; one written twice so (café typed two ways) is a problem
# 33: a profile field whose name shows nothing (spaces, a zero-width space alone) is a problem
# 34: a credit limit written as typed money (¥5,000) is read as an amount is; -0 is 0
# 35: a record of more than models.MAX_VALUES values (keys, texts, numbers, list items) is a problem
# 36: the names of a profile's encrypted fields (customers.sealed; never their values)
# 37: a record of more than models.MAX_FIELDS fields is a problem
# 38: a name and a nickname are searched as they show too (textsearch.name_key: no invisible characters)
# 39: a birthday written in full-width digits (２０２０-０１-１５) is read as ASCII ones; in another script's, a problem
# 40: a record holding NaN or an infinity (.nan, .inf) is a problem (models.hostile.too_deep)
# 41: a void's or an over-limit sale's reason of over models.MAX_TEXT characters is a problem (models.customer.Reason)
# 42: an amount or a quantity written with '_' or another script's digits ('1_000', '١٢٣') is a problem
# 43: customers' ids ignoring case (customers_id_nocase: Store.refuse_case_twin, checking)
# 44: a count (payment terms, a rating) written with '_' ('1_0') is a problem (models.fields.Whole)
# 45: a plugin's number field written with '_' or another script's digits is a problem, full-width
#     digits its number (models.fields.numbers_as_written)
# 46: kehu check's store-wide questions each by an index of its own (interactions.conflicted,
#     interactions_id, files_cased); the fields plugins declare (customers.plugin_fields: the tiers'
#     tier_override) beside the revenue order; each ledger's entry ids (ledger_entries)
# 47: kehu check's last four scans each by an index: files by kind (other files, ledgers), the
#     folders whose records have no profile (orphans), profiles naming a referrer (a partial
#     covering index) or holding also_known (partial)
# 48: the few profile fields kehu check and the reports read of every customer (customers_summary)
# 49: an amount or a price written -0 is 0 (models.fields.Amount)
# 50: a file where a customer's interactions/ folder belongs is a row (freshness.folder_place)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
-- files: mtime in nanoseconds; negated for a file written in the last two seconds (read again by
-- the next refresh; storing._store_batch), -1/-2/-3 for what is never read (freshness)
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, customer_id TEXT, kind TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS customers(
    id TEXT PRIMARY KEY, path TEXT, name TEXT, owner TEXT, level TEXT, phone TEXT,
    search TEXT, short TEXT, data TEXT, sort_name TEXT,
    last_contact TEXT, last_purchase TEXT, first_purchase TEXT,
    revenue REAL DEFAULT 0, purchases INTEGER DEFAULT 0,
    -- the purchases' amounts in whole cents, each rounded as purchase_totals sums them: exact,
    -- so a sum over a window holding all of a customer's purchases is this one row
    cents INTEGER DEFAULT 0,
    version INTEGER DEFAULT 0,  -- the generation at which the customer's records last changed
    -- the first phone as people read it in the store's region then (phones.display_phone): a
    -- list of 10 000 customers does not format 10 000 numbers
    phone_region TEXT, phone_shown TEXT,
    -- the names of the fields written encrypted, a JSON list (never their values): which
    -- profiles hold a confidential field, without opening 100 000 files
    sealed TEXT,
    -- the values of the fields plugins declare (the tiering's tier_override), a JSON object of
    -- those set, else NULL: the tier distribution reads them for every customer by revenue
    plugin_fields TEXT);
-- names in pinyin order (安娜 anna, Ava, 白云 baiyun ... 赵敏 zhaomin), as a phone's contacts
CREATE INDEX IF NOT EXISTS customers_sort ON customers(sort_name, name, id);
CREATE INDEX IF NOT EXISTS customers_owner ON customers(owner);
-- customers changed since a generation (derived values made fresh since then: derived.py); with
-- the id, it answers every customer's version without reading their rows (figures.py, 100 000 rows)
CREATE INDEX IF NOT EXISTS customers_version ON customers(version, id);
-- short queries scan this narrow covering index instead of the wide rows
CREATE INDEX IF NOT EXISTS customers_short ON customers(short, id);
-- ids that differ only in case (case_twins): a new id asks it, an import's 20 000 rows each once
CREATE INDEX IF NOT EXISTS customers_id_nocase ON customers(id COLLATE NOCASE);
-- each buyer's purchase totals (customer_purchase_totals: the tiers' ranking), narrow: the customers
-- rows hold the profile's JSON, and reading 100 000 of them for four numbers took 0.2 s
CREATE INDEX IF NOT EXISTS customers_bought ON customers(first_purchase, last_purchase, purchases, cents, id)
    WHERE purchases > 0;
-- whom a customer referred (the referrals report, a referrer's thanks): not a scan of every profile
-- every customer by revenue with their name and plugins' fields (names_by_revenue: the tier
-- distribution), walked in order: no sort, no read of the profiles' JSON
CREATE INDEX IF NOT EXISTS customers_revenue ON customers(revenue DESC, id, name, plugin_fields);
-- (only the profiles naming one, with what the referrals report and kehu check's referral loops
-- read: not a read of every profile's JSON, 20 ms at 10 000 customers)
CREATE INDEX IF NOT EXISTS customers_referrer ON customers(json_extract(data, '$.referrer'), id, name,
    json_extract(data, '$.created')) WHERE json_extract(data, '$.referrer') IS NOT NULL;
-- the few profile fields read of every customer (profile_summaries: kehu check twice, the reports),
-- narrow: not each profile's JSON parsed for its created day (40 ms at 10 000 customers, 12 ms so)
CREATE INDEX IF NOT EXISTS customers_summary ON customers(id, name, owner, level,
    json_extract(data, '$.created'), json_extract(data, '$.do_not_contact'));
-- the profiles that say whom they were merged with (queries._ALSO_KNOWN's term, word for word, so
-- SQLite knows a query of it may read this): a few, not a search of every profile's JSON text
CREATE INDEX IF NOT EXISTS customers_merged ON customers(id) WHERE instr(data, '"also_known"');
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(id UNINDEXED, search, tokenize='trigram');
CREATE TABLE IF NOT EXISTS tags(customer_id TEXT, tag TEXT);
CREATE INDEX IF NOT EXISTS tags_tag ON tags(tag);
CREATE INDEX IF NOT EXISTS tags_customer ON tags(customer_id);
CREATE TABLE IF NOT EXISTS interactions(
    customer_id TEXT, id TEXT, kind TEXT, date TEXT, amount REAL, paid INTEGER, due TEXT,
    data TEXT, owed TEXT,  -- owed: Purchase.owed, exact
    conflicted INTEGER,  -- 1: the record carries a `conflicts:` list (kehu merge-file's), else NULL
    PRIMARY KEY(customer_id, id));
CREATE INDEX IF NOT EXISTS interactions_date ON interactions(date);
-- the few records a merge left conflicts in (kehu check asks on every run): not a read of every
-- record's JSON for the text "conflicts" (60 ms at 10 000 customers)
CREATE INDEX IF NOT EXISTS interactions_conflicted ON interactions(conflicted) WHERE conflicted IS NOT NULL;
-- records by id alone: one id under two customers (interactions_held_twice, kehu check and sync)
-- is a walk of this index in order, not a sort of every (customer, id) key
CREATE INDEX IF NOT EXISTS interactions_id ON interactions(id);
-- how many line items of each (name, category) were sold each day: "what does the shop sell"
-- (a customer's attitude compares their categories with the shop's) is a look at a few thousand
-- rows instead of a pass over every purchase's JSON. Kept by triggers, so every way a purchase
-- enters or leaves the index (a build, a refresh, a REPLACE, a forgotten file) keeps it right;
-- a REPLACE fires the delete trigger because connect() turns recursive_triggers on.
CREATE TABLE IF NOT EXISTS item_kinds(
    date TEXT, name TEXT, category TEXT, items INTEGER,
    PRIMARY KEY(date, name, category)) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS item_kinds_sold AFTER INSERT ON interactions
    WHEN NEW.kind = 'purchase' BEGIN
    INSERT INTO item_kinds
        SELECT NEW.date, coalesce(json_extract(value, '$.name'), ''),
               coalesce(json_extract(value, '$.category'), ''), count(*)
        FROM json_each(NEW.data, '$.items') WHERE json_type(value) = 'object' GROUP BY 2, 3
        ON CONFLICT(date, name, category) DO UPDATE SET items = items + excluded.items;
END;
-- the purchase's items grouped once, each group taken off its row by the primary key: a count
-- per row of the day over every item made a purchase of 10 000 different items a minute's work
-- (10 000 rows × 10 000 items) whenever it was paid, edited or merged
CREATE TRIGGER IF NOT EXISTS item_kinds_unsold AFTER DELETE ON interactions
    WHEN OLD.kind = 'purchase' BEGIN
    UPDATE item_kinds SET items = items - sold.n
    FROM (SELECT coalesce(json_extract(value, '$.name'), '') AS name,
                 coalesce(json_extract(value, '$.category'), '') AS category, count(*) AS n
          FROM json_each(OLD.data, '$.items') WHERE json_type(value) = 'object' GROUP BY 1, 2) AS sold
    WHERE item_kinds.date = OLD.date AND item_kinds.name = sold.name AND item_kinds.category = sold.category;
    DELETE FROM item_kinds WHERE date = OLD.date AND items <= 0;
END;
-- paths holding a capital letter: two paths one but for case (case_twin_files, kehu check) hold one
-- at least, so only these and their lower-case spellings are compared (a store's paths are lower
-- case but for hand-made folders), not every path grouped by lower(path) (0.1 s at 10 000 customers)
CREATE INDEX IF NOT EXISTS files_cased ON files(path) WHERE path != lower(path);
-- files by kind, then customer: the few files that are no record (`other`), the ledgers, and a
-- customer's records of a kind, without a scan of every file (kehu check asks each on every run)
CREATE INDEX IF NOT EXISTS files_kind ON files(kind, customer_id);
-- customer folders holding records (interactions, ledgers) but no profile file, kept by each
-- store of the files of those customers (storing._mark_orphans): kehu check's orphans are a look
-- at this, not a comparison of every record file with every profile (30-60 ms at 10 000 customers)
CREATE TABLE IF NOT EXISTS orphans(customer_id TEXT PRIMARY KEY) WITHOUT ROWID;
-- the entry ids each ledger file's text gives (a plugin's *.ledger.yaml; rows._ENTRY_ID), by ledger
-- name: which customers' ledger may hold an entry (kehu points void ID) without reading every ledger
CREATE TABLE IF NOT EXISTS ledger_entries(path TEXT, ledger TEXT, id TEXT, customer_id TEXT);
CREATE INDEX IF NOT EXISTS ledger_entries_id ON ledger_entries(ledger, id, path);
CREATE INDEX IF NOT EXISTS ledger_entries_path ON ledger_entries(path);
CREATE TABLE IF NOT EXISTS dirs(path TEXT PRIMARY KEY, mtime INTEGER);
CREATE TABLE IF NOT EXISTS problems(path TEXT, line INTEGER, message TEXT);
CREATE INDEX IF NOT EXISTS problems_path ON problems(path);
-- what plugins compute per customer (tier, points, next reminder ...), as JSON, under a stamp
-- saying what it was computed from (derived.py)
CREATE TABLE IF NOT EXISTS derived(
    plugin TEXT, customer_id TEXT, stamp TEXT, data TEXT, PRIMARY KEY(plugin, customer_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS derived_customer ON derived(customer_id);
-- plugins' tables of derived values (plugin_data.py): which exist, their columns and stamp
CREATE TABLE IF NOT EXISTS plugin_tables(name TEXT PRIMARY KEY, columns TEXT, stamp TEXT);
"""

# Purchases only, with just the columns the per-customer sums read (InteractionQueries.purchase_totals,
# the pyramid): the sums come from this small index, never from the interactions table with its
# JSON (870 MB for 1 000 000 interactions; 0.35 s instead of 1.1-2.2 s). Made at the end of a
# first build (one sort instead of keeping it up to date row by row), or on first use.
PURCHASE_INDEX = ("CREATE INDEX IF NOT EXISTS interactions_purchases"
                  " ON interactions(customer_id, date, amount) WHERE kind='purchase'")

CACHE_KB = 128 * 1024  # SQLite page cache per connection (an upper bound, used as needed)


def connect(path: Path) -> IndexDb:
    """:func:`_connect`, a full disk met (the index made, its log or shared memory made or
    grown) said as the OS says it of any file, naming the index (:func:`no_room`)."""
    try:
        return _connect(path)
    except sqlite3.Error as exc:
        if full(exc):
            raise no_room(path) from None
        raise


def _connect(path: Path) -> IndexDb:
    """Open the index at ``path``; a missing file, or one of another ``INDEX_VERSION``, is
    replaced by an empty index (it is derived data: the next refresh fills it). So is a file
    that is no SQLite database at all (truncated by a full disk, overwritten, garbage): it is
    rebuilt, not an internal error on every command.

    A new index is made under a lock of its folder (:func:`.files.locked`), and a process that
    finds none, or one without its version yet, looks again under that lock: processes opening a
    store without an index at one moment (a TUI, `kehu serve` and a command after a clone)
    each made an empty index, deleting the one another had just made and opened, which then
    read and wrote a deleted file.

    An index found is opened under that lock shared (no process replaces the file meanwhile),
    and the connection notes the file it opened (``IndexDb.opened``) before the lock is let
    go: noted after, a `kehu reindex --rebuild` at that moment made the new file the one the
    connection took for its own while it read and wrote the deleted one, so it never followed
    the new one (``IndexConnection.follow_file``) and what it wrote was in no index another
    process read. Its log and shared memory are opened under the lock too: never another
    index's, made at their names meanwhile."""
    with locked(path.parent, shared=True):
        db = _opened(path) if path.exists() and not _anothers(path) else None
    if db is not None:
        return db
    with locked(path.parent):
        db = _opened(path) if path.exists() and not _anothers(path) else None
        if db is not None:  # another process made it while this one waited
            return db
        # made whole beside it and renamed into place: a process looking without the lock
        # finds no file, the old one or the new one with its version, never one half made
        made = Path(f"{path}.new")
        delete_files(made)  # left by a process killed while it made one
        new = sqlite3.connect(made, timeout=30, isolation_level=None)
        try:
            new.execute("PRAGMA journal_mode=WAL")
            new.execute("PRAGMA recursive_triggers=ON")
            new.executescript(SCHEMA)
            new.execute("INSERT OR REPLACE INTO meta VALUES('version', ?)", (str(INDEX_VERSION),))
        except BaseException:
            # a full disk: what was made is given back (its log held ~400 KB, which kept the
            # disk full for every command after)
            new.close()
            delete_files(made)
            raise
        new.close()  # its log folded in and removed: the file is the whole index
        delete_files(path)
        os.replace(made, path)
        db = _opened(path)
    if db is None:  # only a file system that keeps nothing: say so as SQLite would
        raise sqlite3.OperationalError(f"the index {path} could not be made")
    return db


def _anothers(path: Path) -> bool:
    """Whether the index at ``path`` (or its log, or its shared memory) is one this user cannot
    write while its folder is theirs: made by another user's run (`sudo kehu customer list`, a
    job run as root), which left it another user's. SQLite opened it read-only without a word,
    and every command after a record changed ended in "internal error: OperationalError:
    attempt to write a readonly database", `kehu check` too. It is derived data: made again.
    (A folder this user cannot write either is a read-only store: read as it is.)"""
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return False
    return any(os.path.exists(part) and not os.access(part, os.R_OK | os.W_OK)
               for part in (path, f"{path}-wal", f"{path}-shm"))


def _opened(path: Path) -> IndexDb | None:
    """A connection to the index at ``path`` if it is one of this ``INDEX_VERSION``, else
    None (no meta table yet, another version, no database at all). Called under the lock of
    :func:`.files.locked` (shared or not): the file it notes as opened is the one it reads."""
    db: IndexDb | None = None
    if not_sqlite(path):
        return None
    try:
        # (closed by kehu alone while a plugin's code is given it: held.IndexDb)
        db = sqlite3.connect(path, timeout=30, isolation_level=None, factory=IndexDb)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        # pages, not bytes, are what random inserts into a big index miss: 2 MB (the default)
        # made a 100 000-customer build spend most of its time re-reading B-tree pages
        db.execute(f"PRAGMA cache_size=-{CACHE_KB}")
        # INSERT OR REPLACE of an interaction must run its delete trigger too (item_kinds)
        db.execute("PRAGMA recursive_triggers=ON")
        version = None
        with contextlib.suppress(sqlite3.OperationalError):  # a new file has no meta table yet
            version = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and not damaged(exc):  # locked, busy: not its shape
            raise
        version = None  # "file is not a database", "disk image is malformed": rebuilt by the caller
    if db is not None and version is not None and version[0] == str(INDEX_VERSION):
        db.opened = file_id(path)
        return db
    if db is not None:
        db.close()
    return None


def not_sqlite(path: Path) -> bool:
    """Whether the file at ``path`` holds bytes that are no SQLite database (overwritten,
    garbage; empty is a new index whose pages are all in its log yet). SQLite reads page 1 from
    the write-ahead log when the log holds it, so an index overwritten while its log stayed
    opened without a word, its version read from the log, and the first write reaching a page
    of the garbage ended the command in "internal error: database disk image is malformed".

    The main file is read by SQLite itself, ``immutable`` (no log, no lock): a plain ``open``
    and ``close`` of the file by this process dropped the POSIX locks its open connections
    held on it (`kehu serve` and the TUI open the index again while they hold it), so another
    process closing its connection thought itself the last, folded the log in and deleted it
    under them, and their next writes went to a deleted log: "disk image is malformed"."""
    probe: sqlite3.Connection | None = None
    try:
        probe = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro&immutable=1", uri=True)
        probe.execute("PRAGMA schema_version").fetchone()
    except sqlite3.OperationalError:
        return False  # SQLite says what it is (a folder, unreadable) when it opens it: as before
    except sqlite3.DatabaseError:
        return True  # "file is not a database"
    finally:
        if probe is not None:
            probe.close()
    return False


#: SQLite's primary result codes for a file that is no sound database: SQLITE_CORRUPT ("database
#: disk image is malformed"), SQLITE_NOTADB ("file is not a database") and SQLITE_IOERR ("disk
#: I/O error"): the log and shared memory deleted under a process that holds the index (another
#: process's `rm .kehu/index.sqlite-*`) made its next connection's first pragma end in
#: SQLITE_IOERR_SHORT_READ, and the TUI's background worker with it. It is derived data: made
#: anew (a disk that truly fails fails the new one too, and that is said)
_DAMAGE_CODES = (10, 11, 26)


#: SQLite's primary result code for a write that found no room: SQLITE_FULL
_FULL = 13

#: SQLite's extended result code for shared memory (``index.sqlite-shm``) that could not be made
#: or grown, SQLITE_IOERR_SHMSIZE ("disk I/O error"): on a full disk, when the index's log and
#: shared memory were removed as the last connection closed, every command's first read met it,
#: and kehu took it for damage (:func:`damaged`) and made the index anew on the full disk
_SHM_FULL = 4874


def _primary_code(exc: BaseException) -> int | None:
    """SQLite's primary result code of ``exc`` (its extended code's low byte), None for an
    error that is not SQLite's."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(exc, sqlite3.DatabaseError) and code is not None else None


def full(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite saying the disk (or the file system's quota) is full: a page
    or the log found no room, or the shared memory could not be made or grown."""
    return _primary_code(exc) == _FULL or (
        isinstance(exc, sqlite3.DatabaseError) and getattr(exc, "sqlite_errorcode", None) == _SHM_FULL)


def no_room(path: Path | str) -> OSError:
    """The full disk SQLite met writing the index at ``path`` (:func:`full`), as the OS says it
    of any file: "PATH: No space left on device", which every door says and undoes as it does
    for a record, and a plugin's code meeting it is not blamed for (``plugin_code.disk_full``)."""
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def damaged(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite saying the index's file is damaged (not locked, busy, full)."""
    return _primary_code(exc) in _DAMAGE_CODES and not full(exc)
