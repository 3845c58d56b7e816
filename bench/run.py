"""The benchmark suite: ``python bench/run.py --customers 10000`` prints a Markdown table.

Each operation runs in a fresh process (so peak RSS is its own) on a generated store that is
cached under $KEHU_BENCH_DIR (default /tmp/kehu-bench). Targets are those of issue 9, at
100 000 customers / 1 000 000 interactions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.storegen import ensure_store  # noqa: E402

OPS = [
    ("raw_read", "", "raw read of all store files (the floor)", None),
    ("cold_index", "", "cold index build (fresh clone)", "≤ 5× raw read"),
    ("refresh", "", "freshness check before a command, nothing changed", None),
    ("refresh_full", "", "full freshness check (kehu reindex), nothing changed", None),
    ("list", "", "warm list (first page)", "< 100 ms"),
    ("list_all", "", "warm list (all customers)", None),
    ("search", "赵敏", "warm search: name", "< 100 ms"),
    ("search", "zm", "warm search: pinyin initials", "< 100 ms"),
    ("search", "1391", "warm search: phone digits", "< 100 ms"),
    ("show", "", "customer show (profile, history, plugin values)", None),
    ("save", "", "one save", "< 20 ms"),
    ("reindex_named", "", "reindex after one edited file, named (kehu reindex FILE)", "< 50 ms"),
    ("reindex_one", "", "reindex after one edited file, found by the blind check", "< 50 ms"),
    ("command", "tier", "kehu tier (the kept ranking fresh)", None),
    ("command", "reminders", "kehu reminders (7 days)", None),
    ("check", "", "kehu check, whole store (index up to date)", "< 30 s"),
    ("check_cold", "", "kehu check, whole store, cold (fresh clone: builds the index)", None),
]


def measure(op: str, store: Path, arg: str, repeat: int = 1) -> dict:
    """The best time of ``repeat`` runs (the machine's noise only ever adds), the biggest RSS."""
    runs = []
    for _ in range(repeat):
        result = subprocess.run([sys.executable, str(HERE / "ops.py"), op, str(store), arg],
                                capture_output=True, text=True, check=True)
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "cpu_seconds": min(r.get("cpu_seconds", r["seconds"]) for r in runs),
            "rss_mb": max(r["rss_mb"] for r in runs)}


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--interactions", type=float, default=6.0,
                        help="the generator's activity level (about 10 interactions per customer at 6)")
    parser.add_argument("--only", nargs="*", help="run only these ops")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each op; the best time is shown")
    args = parser.parse_args()
    started = time.perf_counter()
    store = ensure_store(args.customers, args.interactions)
    print(f"store: {store} (generated/cached in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    rows = []
    results = {}
    for op, arg, title, target in OPS:
        if args.only and op not in args.only:
            continue
        r = measure(op, store, arg, args.repeat)
        results[(op, arg)] = r
        rows.append((title, fmt(r["seconds"]), fmt(r["cpu_seconds"]), f"{r['rss_mb']:.0f} MB", target or "",
                     r["detail"]))
        print(f"  {title}: {fmt(r['seconds'])}", file=sys.stderr)
    if ("raw_read", "") in results and ("cold_index", "") in results:
        ratio = results[("cold_index", "")]["seconds"] / results[("raw_read", "")]["seconds"]
        rows.append(("ratio cold index / raw read", f"{ratio:.1f}×", "", "", "≤ 5×", ""))
    print(f"\n{args.customers} customers (best of {args.repeat})\n")
    print("| operation | time | CPU | peak RSS | target (100k) | detail |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
