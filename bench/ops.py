"""One measured operation on a store, run in its own process so its peak memory is its own.

``python bench/ops.py OP STORE`` prints one JSON line: {"op", "seconds", "rss_mb", "detail"}.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kehu_core.store import open_store  # noqa: E402
from kehu_core.yamlio import atomic_write  # noqa: E402


def raw_read(store_path: Path) -> str:
    total = files = 0
    for folder, _, names in os.walk(store_path / "customers"):
        for name in names:
            with open(os.path.join(folder, name), "rb") as handle:
                total += len(handle.read())
            files += 1
    return f"{files} files, {total / 1e6:.0f} MB"


def cold_index(store_path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store_path}/.kehu/index.sqlite{suffix}").unlink(missing_ok=True)
    store = open_store(store_path)
    return f"{store.index.count()} customers indexed"


@contextlib.contextmanager
def _one_file_edited(store: Any) -> Iterator[Path]:
    """A customer file rewritten as an editor or git writes it (a new file renamed over the old
    one); put back afterwards, and the index told."""
    path = store.customer_file(store.index.ids()[1])
    text = path.read_text(encoding="utf-8")
    atomic_write(path, text.replace("name: ", "name: 改", 1))
    try:
        yield path
    finally:
        atomic_write(path, text)
        store.index.refresh_given([path])


def _cpu() -> float:
    """This process's CPU time and its finished workers' (user + sys): what a machine shared with
    other work moves least."""
    return sum(used.ru_utime + used.ru_stime
               for used in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def _warm(store_path: Path):
    store = open_store(store_path)
    store.index  # noqa: B018 - opening refreshes; the timed part is the query below
    return store


def main() -> None:
    op, store_path = sys.argv[1], Path(sys.argv[2])
    arg = sys.argv[3] if len(sys.argv) > 3 else ""
    prepared = None
    if op == "raw_read":
        raw_read(store_path)  # warm the page cache: we compare parsing, not the disk
    if op in {"list", "list_all", "search", "show", "save", "reindex_one", "reindex_named", "refresh",
              "refresh_full", "check", "command"}:
        prepared = _warm(store_path)
    start, cpu_start = time.perf_counter(), _cpu()
    seconds: float | None = None  # set by an op whose timed part ends before it cleans up
    cpu_seconds = 0.0
    detail = ""
    if op == "raw_read":
        detail = raw_read(store_path)
    elif op == "cold_index":
        detail = cold_index(store_path)
    elif op == "refresh":
        detail = f"{prepared.index.refresh()} files re-read (automatic: quick above 30 000 files)"
    elif op == "refresh_full":
        detail = f"{prepared.index.refresh(full=True)} files re-read (every file's size and mtime)"
    elif op == "list":
        rows = prepared.index.list(limit=50)
        detail = f"first page, {len(rows)} rows"
    elif op == "list_all":
        rows = prepared.index.list()
        detail = f"{len(rows)} rows"
    elif op == "search":
        rows = prepared.index.search(arg)
        detail = f"{arg!r}: {len(rows)} hits"
    elif op == "show":
        cid = prepared.index.ids()[len(prepared.index.ids()) // 2]
        start, cpu_start = time.perf_counter(), _cpu()
        customer = prepared.get(cid)
        history = prepared.interactions(cid)
        values = prepared.plugins.values(prepared, customer)
        detail = f"{len(history)} interactions, {len(values)} plugin values"
    elif op == "save":
        ids = prepared.index.ids()
        cid = ids[0]
        for _ in range(2):  # first use of ruamel, pypinyin ... in a process is not the save
            prepared.update_customer(cid, {"level": "银卡" if prepared.get(cid).level != "银卡" else "金卡"})
        level = "金卡" if prepared.get(cid).level != "金卡" else "银卡"
        start, cpu_start = time.perf_counter(), _cpu()
        prepared.update_customer(cid, {"level": level})
        detail = "one field of one customer (warm process)"
    elif op in ("reindex_one", "reindex_named"):
        from kehu_core.index import Index

        with _one_file_edited(prepared) as path:
            start, cpu_start = time.perf_counter(), _cpu()
            # reindex_one: the check before every command finds it; reindex_named: what
            # `kehu reindex FILE` does (a fresh connection, no blind check, just that file)
            count = prepared.index.refresh() if op == "reindex_one" else Index(prepared).refresh_given([path])
            seconds, cpu_seconds = time.perf_counter() - start, _cpu() - cpu_start
        detail = f"{count} file re-read"
    elif op == "check":
        from kehu_core.services.checking import check_store

        problems = check_store(prepared)
        detail = f"{len(problems)} problems (index up to date; every file's size and mtime compared)"
    elif op == "command":  # a kehu command as typed (`tier`, `reminders`), in this process, its output dropped
        from kehu_core.cli import run

        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            start, cpu_start = time.perf_counter(), _cpu()
            code = run(["--store", str(store_path), *arg.split()])
            seconds, cpu_seconds = time.perf_counter() - start, _cpu() - cpu_start
        detail = f"kehu {arg}: exit {code} (the store opened and refreshed before it)"
    elif op == "check_cold":
        from kehu_core.services.checking import check_store

        for suffix in ("", "-wal", "-shm"):
            Path(f"{store_path}/.kehu/index.sqlite{suffix}").unlink(missing_ok=True)
        problems = check_store(open_store(store_path))
        detail = f"{len(problems)} problems (cold: index rebuilt)"
    else:
        raise SystemExit(f"unknown op {op}")
    if seconds is None:
        seconds, cpu_seconds = time.perf_counter() - start, _cpu() - cpu_start
    # the biggest of this process and its worker processes (a cold build parses in workers)
    rss_mb = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    print(json.dumps({"op": op, "seconds": seconds, "cpu_seconds": cpu_seconds, "rss_mb": rss_mb, "detail": detail},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
