"""``kehu sync`` on a big store, and what edits cost the remote:
``python bench/team_sync.py [--customers 100000] [--edits 1000] [--per-customer 1]``.

Makes a demo store of N customers (``--per-customer`` interactions each, fixed seed), commits
it, pushes it to a bare remote and clones it twice (rep A and rep B), then times with the real
``kehu sync`` command, each in its own process:

* a sync with nothing to do (the check of the whole store, a fetch),
* A: 10 purchases, sync (check, commit, fetch, push),
* B: 10 purchases, sync (check, commit, fetch, merge A's, check the merge, push),

and the remote's growth while A makes ``--edits`` edits (60 % purchases through the points and
tiering plugins, 25 % profile edits, 15 % points redemptions) synced every 100 edits: the bare
repository's size as pushed and after ``git gc`` (what a git host keeps). Prints a Markdown
table; docs/team.md has the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TODAY = dt.date(2026, 11, 20)
BASE = Path(os.environ.get("KEHU_BENCH_DIR", "/tmp/kehu-bench"))


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True,
                          check=True).stdout


def kehu(path: Path, *args: str) -> float:
    """Run the real kehu in its own process; seconds it took."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(path),
                             "--today", TODAY.isoformat(), *args], capture_output=True, text=True)
    took = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"kehu {' '.join(args)} failed: {result.stderr[-2000:]}")
    return took


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def edit(path: Path, edits: int, rng: random.Random, tag: str) -> None:
    """``edits`` realistic edits through the store's public API with its plugins (what the
    CLI's commands call), in one process: a purchase, a profile edit or a redemption each."""
    from kehu_plugins.points.book import book_of, redeem

    from kehu_core.services.payments import record_purchase
    from kehu_core.store import open_store

    store = open_store(path, today=TODAY)
    ids = [row.customer.id for row in store.index.list(limit=5000)]
    for n in range(edits):
        cid = rng.choice(ids)
        roll = rng.random()
        if roll < 0.6:
            record_purchase(store, cid, {"date": TODAY - dt.timedelta(days=rng.randint(0, 20)),
                                         "items": [{"name": "龙井茶礼盒", "qty": 1,
                                                    "price": rng.randint(50, 2000)}]}, paid=True)
        elif roll < 0.85:
            store.update_customer(cid, {"level": rng.choice(["普通", "银卡", "金卡"]),
                                        "nickname": f"{tag}{n}"})
        else:
            customer = store.get(cid)
            if book_of(store, cid, TODAY).balance >= 10:
                redeem(store, customer, 10, f"{tag}{n}", TODAY)
            else:
                record_purchase(store, cid, {"date": TODAY, "items": [
                    {"name": "白茶", "qty": 1, "price": 300}]}, paid=True)


class _Rows(list):
    """The table, printed a row at a time as each figure is known (a 100 000-customer run
    takes long: what is measured is seen at once)."""

    def __init__(self, customers: int) -> None:
        super().__init__()
        print(f"| {customers:,} customers | |\n|---|---|", flush=True)

    def append(self, row: tuple[str, str]) -> None:
        super().append(row)
        print(f"| {row[0]} | {row[1]} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=1000)
    parser.add_argument("--per-customer", type=float, default=1.0)
    args = parser.parse_args()
    os.environ.setdefault("GIT_AUTHOR_NAME", "bench")
    os.environ.setdefault("GIT_AUTHOR_EMAIL", "bench@example.com")
    os.environ.setdefault("GIT_COMMITTER_NAME", "bench")
    os.environ.setdefault("GIT_COMMITTER_EMAIL", "bench@example.com")
    from storegen import ensure_store

    rows = _Rows(args.customers)
    work = BASE / f"team-{args.customers}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    start = time.perf_counter()
    source = ensure_store(args.customers, args.per_customer)
    seed = work / "seed"
    shutil.copytree(source, seed, ignore=shutil.ignore_patterns(".kehu", ".generated"))
    files = sum(1 for _ in (seed / "customers").rglob("*.yaml"))
    git(seed, "init", "-q", "-b", "main")
    kehu(seed, "git-setup")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "the shop's customers")
    remote = work / "remote.git"
    git(work, "clone", "-q", "--bare", str(seed), str(remote))
    rows.append(("store made, committed, pushed", f"{time.perf_counter() - start:.0f} s "
                 f"({args.customers:,} customers, {files:,} record files)"))
    clones = []
    for name in ("a", "b"):
        path = work / name
        git(work, "clone", "-q", str(remote), str(path))
        kehu(path, "git-setup")
        took = kehu(path, "check")  # builds the clone's index
        clones.append(path)
    a, b = clones
    rows.append(("first `kehu check` of a fresh clone (builds its index)", f"{took:.1f} s"))
    rows.append(("`kehu sync`, nothing to do", f"{kehu(a, 'sync'):.1f} s"))
    rng = random.Random(16)
    edit(a, 10, rng, "a")
    rows.append(("`kehu sync`: 10 purchases, commit and push", f"{kehu(a, 'sync'):.1f} s"))
    edit(b, 10, rng, "b")
    rows.append(("`kehu sync`: 10 purchases, merge the other rep's, push",
                 f"{kehu(b, 'sync'):.1f} s"))
    kehu(a, "sync")

    git(remote, "gc", "-q")
    before, synced = size(remote / "objects"), []
    for batch in range(max(1, args.edits // 100)):
        edit(a, 100, rng, f"e{batch}-")
        synced.append(kehu(a, "sync"))
    pushed = size(remote / "objects")
    git(remote, "gc", "-q")
    packed = size(remote / "objects")
    per = 1000 / (len(synced) * 100)
    rows.append((f"`kehu sync` of 100 edits (median of {len(synced)})",
                 f"{sorted(synced)[len(synced) // 2]:.1f} s"))
    rows.append(("remote growth per 1 000 edits, as pushed",
                 f"{(pushed - before) * per / 1e6:.2f} MB"))
    rows.append(("remote growth per 1 000 edits, after `git gc`",
                 f"{(packed - before) * per / 1e6:.2f} MB (remote {packed / 1e6:.0f} MB in all)"))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
