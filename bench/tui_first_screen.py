"""How fast the TUI opens and searches on a big store.

    python bench/tui_first_screen.py                       # 100 000 customers (cached store)
    python bench/tui_first_screen.py --customers 10000     # smaller
    python bench/tui_first_screen.py --store PATH          # any existing store

The store is generated once (``bench/storegen.py``, cached under $KEHU_BENCH_DIR) and its
index built once; then each run starts a fresh Python process that opens the store and the
real app (headless, 140×40) and measures:

- first screen: from opening the store to customer names in the list (what a user sees
  first), and until the plugin columns (tier, points, next reminder) of the visible rows are
  filled in;
- first search result: from typing a query into the search box to the list showing its
  results (the app's own handler, as on each keystroke);
- sort by a plugin column: from a click on the header (points, tier, next reminder) to the
  first rows of the whole list in that order.

Prints a Markdown table (median of the runs). Targets: first screen < 1 s, search < 100 ms, sort < 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

QUERIES = ["zm", "赵敏", "1391"]
SORTS = ["points", "tier", "next_reminder"]  # columns plugins compute


async def _until(condition, limit: float = 120.0) -> None:
    deadline = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there")
        await asyncio.sleep(0)


async def child(path: Path) -> dict[str, float]:
    """One measurement in this (fresh) process."""
    started = time.perf_counter()
    from kehu_tui.app import KehuApp
    from kehu_tui.widgets.customers.table import PENDING, CustomerTable

    from kehu_core.store import open_store

    imported = time.perf_counter()
    store = open_store(path)
    app = KehuApp(store, watch_interval=0)
    out: dict[str, float] = {"import": imported - started}
    async with app.run_test(size=(140, 40)):
        table = app.screen.query_one(CustomerTable)
        await _until(lambda: table.row_count > 0)
        out["names"] = time.perf_counter() - imported
        await _until(lambda: table.row_count > 0 and str(table.get_row_at(0)[2]) != PENDING)
        out["values"] = time.perf_counter() - imported
        box = app.screen.query_one("#search")
        for query in QUERIES:
            box.value = ""
            await _until(lambda: table.query_state.search == "")
            t0 = time.perf_counter()
            box.value = query
            await _until(lambda q=query: table.query_state.search == q and table.row_count > 0)
            out[f"search {query}"] = time.perf_counter() - t0
        box.value = ""
        await _until(lambda: table.query_state.search == "" and not table.fetching and table.row_count > 0)
        for order in SORTS:  # a click on the column's header
            t0 = time.perf_counter()
            table.sort_by(order)
            await _until(lambda o=order: table.query_state.order == o and not table.fetching and table.row_count > 0)
            out[f"sort {order}"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = store.index.search("zm")
        out["index.search zm"] = time.perf_counter() - t0
        out["customers"] = store.index.count()
        assert rows
    return out


def prepare(args: argparse.Namespace) -> Path:
    if args.store:
        return Path(args.store)
    from bench.storegen import ensure_store

    print(f"generating / finding a {args.customers}-customer store ...", file=sys.stderr)
    return ensure_store(args.customers, args.interactions_per_customer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--interactions-per-customer", type=float, default=6.0)
    parser.add_argument("--store", help="use this existing store instead of a generated one")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(Path(args.child)))))
        return

    path = prepare(args)
    from kehu_core.store import open_store

    t0 = time.perf_counter()
    count = open_store(path).index.count()  # builds the index the first time
    build = time.perf_counter() - t0
    print(f"store {path}: {count} customers (index ready in {build:.1f} s)", file=sys.stderr)

    runs = []
    for _ in range(args.runs):
        result = subprocess.run([sys.executable, __file__, "--child", str(path)],
                                capture_output=True, text=True, check=True)
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))

    def median(key: str) -> str:
        seconds = statistics.median(r[key] for r in runs)
        return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"

    print(f"\nTUI on {count} customers, median of {args.runs} runs (fresh process each)\n")
    print("| measure | time | target |")
    print("|---|---|---|")
    print(f"| import the app (Python, Textual) | {median('import')} | |")
    print(f"| first screen: names in the list | {median('names')} | < 1 s |")
    print(f"| first screen: tier, points, next reminder filled | {median('values')} | |")
    for query in QUERIES:
        print(f"| first search result for `{query}` (typed into the search box) "
              f"| {median('search ' + query)} | < 100 ms |")
    print(f"| of which `store.index.search('zm')` | {median('index.search zm')} | |")
    for order in SORTS:
        print(f"| sort the whole list by {order} (a click on its header) | {median('sort ' + order)} | < 300 ms |")


if __name__ == "__main__":
    main()
