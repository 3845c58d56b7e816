"""Whole-process wall times: what a user waits for, from Enter to the prompt.

``python bench/startup.py --customers 10000`` prints, as a Markdown table, the median of
``--runs`` (default 5) runs of each command as a fresh process, beside the floor
(``python -c pass``: the interpreter's own start). The store is generated with the demo
generator under $KEHU_BENCH_DIR (see ``bench/storegen.py``) and reused when present; each
command runs once before it is timed, so the index is built and warm (as for a user who ran
kehu before).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.storegen import ensure_store  # noqa: E402

TARGETS = {"kehu --version": "≤ 3× python -c pass", "kehu search zm": "≤ 150 ms at 10 000"}


def kehu_argv() -> list[str]:
    """The installed ``kehu`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("kehu")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kehu_core"]


def wall(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, list[float]]:
    """The median and every one of ``runs`` wall times of ``argv`` as a whole process."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


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
    kehu = kehu_argv()
    commands = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("kehu --version", [*kehu, "--version"]),
        ("kehu search zm", [*kehu, "search", "zm"]),
        ("kehu customer show ID", [*kehu, "customer", "show", first_customer_id(store)]),
    ]
    for _, argv in commands:  # warm: the index built, the files in the page cache
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    floor = None
    print(f"\n{args.customers} customers, median of {args.runs} whole-process runs\n")
    print("| command | median | × python -c pass | runs | target |")
    print("|---|---|---|---|---|")
    for title, argv in commands:
        median, times = wall(argv, env, args.runs)
        floor = floor or median
        runs = " ".join(f"{t * 1000:.0f}" for t in times)
        print(f"| `{title}` | {median * 1000:.0f} ms | {median / floor:.1f}× | {runs} | {TARGETS.get(title, '')} |")


if __name__ == "__main__":
    main()
