"""The index database's tables, and opening it (a file of another version is rebuilt).

Nothing outside ``kehu_core.index`` knows these tables: everything else asks the ``Index``'s
query methods, so the schema can change (and ``INDEX_VERSION`` move) without touching callers.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

INDEX_VERSION = 13  # 13: a version per customer, and the derived values plugins keep (derived.py)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, customer_id TEXT, kind TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS customers(
    id TEXT PRIMARY KEY, path TEXT, name TEXT, owner TEXT, level TEXT, phone TEXT,
    search TEXT, short TEXT, data TEXT, sort_name TEXT,
    last_contact TEXT, last_purchase TEXT, first_purchase TEXT,
    revenue REAL DEFAULT 0, purchases INTEGER DEFAULT 0,
    version INTEGER DEFAULT 0);  -- the generation at which the customer's records last changed
-- names in pinyin order (安娜 anna, Ava, 白云 baiyun ... 赵敏 zhaomin), as a phone's contacts
CREATE INDEX IF NOT EXISTS customers_sort ON customers(sort_name, name, id);
CREATE INDEX IF NOT EXISTS customers_owner ON customers(owner);
-- short queries scan this narrow covering index instead of the wide rows
CREATE INDEX IF NOT EXISTS customers_short ON customers(short, id);
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(id UNINDEXED, search, tokenize='trigram');
CREATE TABLE IF NOT EXISTS tags(customer_id TEXT, tag TEXT);
CREATE INDEX IF NOT EXISTS tags_tag ON tags(tag);
CREATE INDEX IF NOT EXISTS tags_customer ON tags(customer_id);
CREATE TABLE IF NOT EXISTS interactions(
    customer_id TEXT, id TEXT, kind TEXT, date TEXT, amount REAL, paid INTEGER, due TEXT,
    data TEXT, PRIMARY KEY(customer_id, id));
CREATE INDEX IF NOT EXISTS interactions_date ON interactions(date);
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

CACHE_KB = 128 * 1024  # SQLite page cache per connection (an upper bound, used as needed)


def connect(path: Path) -> sqlite3.Connection:
    """Open the index at ``path``; a missing file, or one of another ``INDEX_VERSION``, is
    replaced by an empty index (it is derived data: the next refresh fills it)."""
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    # pages, not bytes, are what random inserts into a big index miss: 2 MB (the default)
    # made a 100 000-customer build spend most of its time re-reading B-tree pages
    db.execute(f"PRAGMA cache_size=-{CACHE_KB}")
    version = None
    with contextlib.suppress(sqlite3.OperationalError):  # a new file has no meta table yet
        version = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
    if version is None or int(version[0]) != INDEX_VERSION:
        db.close()
        delete_files(path)
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
        db.execute("INSERT OR REPLACE INTO meta VALUES('version', ?)", (str(INDEX_VERSION),))
    return db


def delete_files(path: Path) -> None:
    """Remove the index database at ``path`` with its write-ahead log and shared memory."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
