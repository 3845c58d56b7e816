"""`kehu customer set` on a profile holding one very long list: each a whole process, CPU time
(user + sys) and wall time, best of ``--repeat``.

    .venv/bin/python bench/long_list_edit.py [--sizes 10000 20000 40000] [--repeat 3] [--crlf]

For each size N: a store with one customer whose profile holds ``extra:``, a block list of N
numbers under a comment, then ``customer set ID nickname=…`` (a field added, the long list
untouched) and ``customer set ID owner=…`` (a field changed). ``--crlf``: the profile written
with CRLF line ends, as a Windows editor keeps it. ``--code DIR``: run the kehu_core of DIR (a
checkout of another commit, its plugins beside it on PYTHONPATH), to compare two versions.
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

ROOT = Path(__file__).resolve().parents[1]
CODE = ROOT


def kehu(env: dict[str, str], *args: str) -> tuple[str, float, float]:
    """(stdout, wall seconds, CPU seconds) of one kehu process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kehu_core", *args], env=env, cwd=CODE,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"kehu {' '.join(args)[:80]}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return done.stdout, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 20_000, 40_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--crlf", action="store_true")
    parser.add_argument("--code", type=Path, default=ROOT)
    args = parser.parse_args()
    global CODE
    CODE = args.code.resolve()
    print("| items | `customer set ID nickname=…` wall | CPU | `customer set ID owner=…` wall | CPU |")
    print("|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="kehu-long-list-") as folder:
            store = Path(folder) / "shop"
            env = {**os.environ, "KEHU_TODAY": "2026-11-20", "KEHU_STORE": str(store)}
            kehu(env, "init", str(store), "--no-git")
            cid = kehu(env, "customer", "add", "--name", "长单")[0].strip().splitlines()[-1]
            profile = next((store / "customers").rglob("customer.yaml"))
            text = profile.read_text(encoding="utf-8")
            text += "# 很长的单子\nextra:\n" + "".join(f"- {n}\n" for n in range(size))
            profile.write_bytes((text.replace("\n", "\r\n") if args.crlf else text).encode())
            kehu(env, "reindex")
            results = []
            for field in ("nickname", "owner"):
                best_wall = best_cpu = float("inf")
                for run in range(args.repeat):
                    _out, wall, cpu = kehu(env, "customer", "set", cid, f"{field}=长{run}")
                    best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
                results += [f"{best_wall * 1000:,.0f} ms", f"{best_cpu * 1000:,.0f} ms"]
            print(f"| {size:,} | " + " | ".join(results) + " |", flush=True)


if __name__ == "__main__":
    main()
