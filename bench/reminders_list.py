"""next_reminder for a whole list: ``python bench/reminders_list.py --customers 10000``.

On a generated store (made if missing, as ``bench/run.py`` does), times:

- customer by customer: the reminders plugin's ``customer_values`` (what ``customer list
  --json`` did before), on the first ``--sample`` customers, scaled to the whole store;
- one pass: ``kehu_core.reminder_engine.reminders_for`` over every customer (what a list does when
  nothing is kept), and whether it gave the same next reminder for every sampled customer;
- ``kehu customer list --json > /dev/null`` as a user runs it (a new process), twice: the
  first run may compute and keep the next reminders (if a record changed since the last
  list), the second reads them. Wall time and the peak RSS of that process.

Only the index's derived tables are written (the kept reminders, as any list writes them).
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.storegen import ensure_store  # noqa: E402

BIN = Path(sys.executable).parent


def listing(store: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one ``kehu customer list --json`` process."""
    env = {**os.environ, "KEHU_STORE": str(store)}
    start = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "kehu"), "customer", "list", "--json"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"kehu customer list --json failed with exit {proc.returncode} on {store}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def measure(store: Path, sample: int) -> dict[str, str]:
    from kehu_plugins import reminders as plugin

    from kehu_core.reminder_engine import reminders_for
    from kehu_core.store import open_store

    kehu = open_store(store)
    customers = [r.customer for r in kehu.index.list(order="id")]
    few = customers[:sample]

    start = time.perf_counter()
    single = {c.id: plugin.customer_values(kehu, c) for c in few}
    per_customer = (time.perf_counter() - start) / max(len(few), 1)

    today = dt.date.today()
    end = today + dt.timedelta(days=plugin.HORIZON_DAYS)
    same = True
    start = time.perf_counter()
    for customer, found in reminders_for(kehu, customers, today, end):
        if customer.id in single:
            same = same and single[customer.id] == plugin._value(found)
    one_pass = time.perf_counter() - start

    first, first_rss = listing(store)
    kept, kept_rss = listing(store)
    return {
        "customers": f"{len(customers):,}".replace(",", " "),
        "customer by customer": f"{per_customer * 1000:.2f} ms each, {per_customer * len(customers):.1f} s (est.)",
        "one pass": f"{one_pass:.2f} s",
        "same answers": f"{'yes' if same else 'NO'} ({len(few)} compared)",
        "list --json, first": f"{first:.2f} s, {first_rss:.0f} MB",
        "list --json, kept": f"{kept:.2f} s, {kept_rss:.0f} MB",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[10000])
    parser.add_argument("--sample", type=int, default=1000, help="customers timed one by one")
    args = parser.parse_args()
    rows = [measure(ensure_store(n), args.sample) for n in args.customers]
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(row.values()) + " |")
    if any(r["same answers"].startswith("NO") for r in rows):
        raise SystemExit("the one-pass next reminders differ from the per-customer ones")


if __name__ == "__main__":
    main()
