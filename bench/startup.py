"""Whole-process wall times: what a user waits for, from Enter to the prompt.

``python bench/startup.py --customers 10000`` prints, as a Markdown table, the median of
``--runs`` (default 5) runs of each command as a fresh process, beside the floor
(``python -c pass``: the interpreter's own start). The store is generated with the demo
generator under $KEHU_BENCH_DIR (see ``bench/storegen.py``) and reused when present; each
command runs once before it is timed, so the index is built and warm (as for a user who ran
kehu before). Last, the first list after a write: each run follows a ``kehu purchase add``
(not timed), so it makes the values kept in the index fresh, as a person's first list after
a sale does.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.storegen import ensure_store  # noqa: E402

TARGETS = {
    "kehu --version": "≤ 3× python -c pass",
    "kehu search zm": "≤ 150 ms (10 000), ≤ 200 ms (100 000)",
    "kehu search 1391": "≤ 150 ms (10 000), ≤ 200 ms (100 000)",
    "kehu customer show ID": "≤ 200 ms at 100 000",
    "kehu customer list --tier 主要客户 --limit 20": "≤ 250 ms at 100 000",
    "kehu purchase add": "≤ 250 ms at 100 000",
}
#: one query of the index from a bare interpreter: the floor of any answer from the index
SQLITE_FLOOR = ("import sqlite3, sys; db = sqlite3.connect(sys.argv[1]);"
                " db.execute(\"SELECT id FROM customers WHERE short LIKE '%zm%' LIMIT 50\").fetchall()")


def kehu_argv() -> list[str]:
    """The installed ``kehu`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("kehu")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kehu_core"]


def wall(argv: list[str], env: dict[str, str], runs: int,
         first: list[str] | None = None, check: bool = True) -> tuple[float, list[float], float]:
    """The median and every one of ``runs`` wall times of ``argv`` as a whole process, and the
    median CPU time (user + system) it used: on a machine shared with other work the CPU time
    varies far less than the wall time, so both are printed. ``first``: a command run (not
    timed) before each run (a write, so that each run is the first list after it). ``check``:
    False for a command whose exit 1 is its answer (``kehu check`` of a store it refuses)."""
    times, cpu = [], []
    for _ in range(runs):
        if first is not None:
            subprocess.run(first, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=check)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), times, statistics.median(cpu)


def first_customer_id(store: Path) -> str:
    """A customer of the store (the first record file, by name)."""
    first = min((store / "customers").glob("*/*/customer.yaml"))
    return first.parent.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    store = ensure_store(args.customers)
    env = {**os.environ, "KEHU_STORE": str(store)}
    # as a user's installation runs: with compiled modules (a shell or CI that sets this would
    # make every run compile kehu's sources again, ~50 ms that no user pays)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["KEHU_TODAY"] = "2026-11-20"  # the generated store's day: every run is on the same day
    kehu = kehu_argv()
    cid = first_customer_id(store)
    sale = [*kehu, "purchase", "add", cid, "--date", "2026-11-19", "--item", "bench", "--amount", "1", "--paid"]
    commands = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("python: one SQLite query", [sys.executable, "-c", SQLITE_FLOOR, str(store / ".kehu" / "index.sqlite")]),
        ("kehu --version", [*kehu, "--version"]),
        ("kehu search zm", [*kehu, "search", "zm"]),
        ("kehu search 1391", [*kehu, "search", "1391"]),
        ("kehu customer show ID", [*kehu, "customer", "show", cid]),
        ("kehu customer list --tier 主要客户 --limit 20",
         [*kehu, "customer", "list", "--tier", "主要客户", "--limit", "20"]),
        ("kehu customer list --tier 主要客户 --sort points --limit 20",
         [*kehu, "customer", "list", "--tier", "主要客户", "--sort", "points", "--limit", "20"]),
        # a write: validated, atomic, indexed; the next list ranks the store again (the tiers)
        ("kehu purchase add", sale),
    ]
    # what a person waits for after a sale: the first list, which makes the values kept in the
    # index fresh (the tiers of the customers the sale moved, the buyer's points and reminder)
    after_sale = [
        ("first `customer list --tier 主要客户 --limit 20` after `purchase add`",
         [*kehu, "customer", "list", "--tier", "主要客户", "--limit", "20"]),
        ("first `customer list --sort points --limit 20` after `purchase add`",
         [*kehu, "customer", "list", "--sort", "points", "--limit", "20"]),
    ]
    for title, argv in commands:  # warm: the index built, the values computed, the page cache
        if title != "kehu purchase add" and not title.startswith("python"):
            subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    floor = None
    print(f"\n{args.customers} customers, median of {args.runs} whole-process runs\n")
    print("| command | median wall | × python -c pass | CPU (user+sys) | runs | target |")
    print("|---|---|---|---|---|---|")
    for title, argv in commands:
        median, times, cpu = wall(argv, env, args.runs)
        floor = floor or median
        runs = " ".join(f"{t * 1000:.0f}" for t in times)
        print(f"| `{title}` | {median * 1000:.0f} ms | {median / floor:.1f}× | {cpu * 1000:.0f} ms | {runs} "
              f"| {TARGETS.get(title, '')} |")
    for title, argv in after_sale:
        median, times, cpu = wall(argv, env, args.runs, first=sale)
        runs = " ".join(f"{t * 1000:.0f}" for t in times)
        print(f"| {title} | {median * 1000:.0f} ms | {median / (floor or median):.1f}× | {cpu * 1000:.0f} ms "
              f"| {runs} | |")


if __name__ == "__main__":
    main()
