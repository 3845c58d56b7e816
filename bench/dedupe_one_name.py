"""`kehu duplicates` when one name is held by thousands: ``python bench/dedupe_one_name.py``.

A dirty import leaves thousands of customers of one placeholder name (``微信用户``, a WeChat
contact without a real name), each with its own phone. `kehu duplicates` compares the phones of
customers of one name; it compared every two (6 000 took 32 s of CPU). For 1 500, 3 000 and
6 000 such customers (plus the floor, ``python -c pass``): the wall time of `kehu duplicates` as
a user runs it, a new process, best of ``--repeat``. Time out of proportion to the customers is
the quadratic comparison back. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def run(command: list[str], store: Path | None = None) -> float:
    env = {**os.environ, "KEHU_TODAY": "2026-11-20", **({"KEHU_STORE": str(store)} if store else {})}
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from kehu_core.testing import add_customer, make_store

    floor = min(run([sys.executable, "-c", "pass"]) for _ in range(args.repeat))
    print(f"floor (`python -c pass`): {floor:.2f} s\n")
    print("| customers named 微信用户 | `kehu duplicates` |")
    print("|---|---|")
    rng = random.Random(6000)
    for count in (1500, 3000, 6000):
        with tempfile.TemporaryDirectory() as tmp:
            store = make_store(Path(tmp) / "store", disabled=["points", "tiering", "reminders"])
            with store.batch():
                for _ in range(count):
                    add_customer(store, name="微信用户", phones=[f"+86139{rng.randrange(10**8):08d}"])
            best = min(run([str(BIN / "kehu"), "duplicates"], store.root) for _ in range(args.repeat))
            print(f"| {count:,} | {best:.2f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
