"""A long-lived customer's points ledger: ``python bench/long_ledger.py``.

A fresh store of one customer whose points ledger holds 3 000, 24 000 and 101 000 entries (the
last at a ledger's 8 MiB limit); for each, the wall time and peak RSS of ``kehu check`` and of
``kehu points show ID`` as a user runs them (a new process each), best of ``--repeat``. What
was a quadratic replay (two minutes at 88 000 entries) shows as time out of proportion to the
entries. Prints a Markdown table. (This was a timed ratio in the test suite, which failed
under load: speed is measured here, never by a unit test.)
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def run(store: Path, *args: str) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one kehu process."""
    env = {**os.environ, "KEHU_STORE": str(store), "KEHU_TODAY": "2026-11-20"}
    start = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "kehu"), *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    assert resource  # (ru_maxrss is in KiB on Linux)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        subprocess.run([str(BIN / "kehu"), "init", str(store), "--no-git"], check=True, capture_output=True)
        cid = subprocess.run([str(BIN / "kehu"), "--store", str(store), "customer", "add", "--name", "赵敏"],
                             check=True, capture_output=True, text=True).stdout.strip()
        ledger = next((store / "customers").glob(f"*/{cid}")) / "points.ledger.yaml"
        print("| entries | ledger | `kehu check` | `kehu points show ID` |")
        print("|---|---|---|---|")
        for count in (3000, 24000, 101000):
            ledger.write_text("# points ledger\n" + "".join(
                f"- {{id: p{i:08d}, date: 2026-05-01, reason: adjust, delta: 1, note: 手工调整}}\n"
                for i in range(count)), encoding="utf-8")
            cells = []
            for command in (["check"], ["points", "show", cid]):
                best = min((run(store, *command) for _ in range(args.repeat)), key=lambda r: r[0])
                cells.append(f"{best[0]:.2f} s, {best[1]:.0f} MB")
            print(f"| {count:,} | {ledger.stat().st_size / 2**20:.1f} MiB | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
