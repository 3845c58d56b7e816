"""Inputs of hostile size, timed as a user waits for them: ``python bench/hostile_sizes.py``.

Each was a timed assert in the test suite, which failed under load (a shared machine slows a
test's process, not the code): speed is measured here, never by a unit test; the tests assert
what is recorded, refused or shown. Each command runs as a whole process, the median of
``--runs`` (default 3) beside the floor (``python -c pass``: the interpreter's own start), its
CPU time (user + system) too, which a busy machine varies far less. Prints a Markdown table.

* a customer's search text of 16 000 tags (``textsearch.search_text``; quadratic: ~30 s), and
  ``kehu check`` of a profile holding them (one problem at its line);
* ``kehu check`` of a profile of 16 000 phones, emails, addresses and interests each (1.2 MB,
  four problems at their lines: ruamel's round-trip document, read for the lines, took 5 s);
* ``kehu purchase pay`` of a purchase of 4 000 items of one kind and of 4 000 kinds (the index
  took the items off the counts sold with a pass over every item per kind: 12 s against 2 s);
* ``kehu import`` of 300 rows naming the end of a referral chain 1 500 deep (each row's loop
  check read the whole chain again: 38 s of CPU at 5 000 deep).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.startup import kehu_argv, wall  # noqa: E402

DAY = "2026-11-20"
TAGS = 16_000
ITEMS = 4_000
DEPTH = 1_500
ROWS = 300
SEARCH_TEXT = ("from kehu_core.textsearch import search_text; "
               f"search_text('李雷', tags=[f't{{i}}' for i in range({TAGS})])")
#: a store put back before each timed import (not timed): every run imports the same rows anew
RESTORE = ("import shutil, sys; shutil.rmtree(sys.argv[2], ignore_errors=True); "
           "shutil.copytree(sys.argv[1], sys.argv[2])")


def kehu(env: dict[str, str], *args: str) -> str:
    return subprocess.run([*kehu_argv(), *args], env=env, check=True, capture_output=True, text=True).stdout


def new_store(path: Path, env: dict[str, str]) -> dict[str, str]:
    subprocess.run([*kehu_argv(), "init", str(path), "--no-git"], env=env, check=True, capture_output=True)
    return {**env, "KEHU_STORE": str(path)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    env = {**os.environ, "KEHU_TODAY": DAY}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled modules, as a user's installation runs
    rows: list[tuple[str, list[str], dict[str, str], list[str] | None]] = [
        ("python -c pass", [sys.executable, "-c", "pass"], env, None),
        ("python: import kehu_core.textsearch", [sys.executable, "-c", "import kehu_core.textsearch"], env, None),
        (f"python: search_text of {TAGS:,} tags", [sys.executable, "-c", SEARCH_TEXT], env, None),
    ]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        # kehu check of a profile of 16 000 tags
        tagged = new_store(tmp / "tags", env)
        cid = kehu(tagged, "customer", "add", "--name", "李雷").strip()
        profile = next((tmp / "tags" / "customers").glob(f"*/{cid}/customer.yaml"))
        profile.write_text(f"id: {cid}\nname: 李雷\ntags:\n" + "".join(f"- t{i}\n" for i in range(TAGS)),
                           encoding="utf-8")
        rows.append((f"kehu check: a profile of {TAGS:,} tags (refused)", [*kehu_argv(), "check"], tagged, None))
        # kehu check of a profile of 16 000 phones, emails, addresses and interests
        listed = new_store(tmp / "lists", env)
        cid = kehu(listed, "customer", "add", "--name", "李雷").strip()
        profile = next((tmp / "lists" / "customers").glob(f"*/{cid}/customer.yaml"))
        profile.write_text(f"id: {cid}\nname: 李雷\n" + "".join(
            f"{field}:\n" + "".join(f"- {value.format(i=i)}\n" for i in range(TAGS)) for field, value in (
                ("phones", "'+86137{i:08d}'"), ("emails", "u{i}@qq.com"), ("addresses", "北京市朝阳区{i}号"),
                ("interests", "兴趣{i}"))), encoding="utf-8")
        rows.append((f"kehu check: a profile of {TAGS:,} phones, emails, addresses, interests (refused)",
                     [*kehu_argv(), "check"], listed, None))
        # kehu purchase pay of 4 000 items, of one kind and of 4 000 kinds (1.00 a run: never paid up)
        shop = new_store(tmp / "pay", env)
        cid = kehu(shop, "customer", "add", "--name", "王芳").strip()
        folder = next((tmp / "pay" / "customers").glob(f"*/{cid}")) / "interactions"
        folder.mkdir(exist_ok=True)
        for name, kinds in (("one", 1), ("many", ITEMS)):
            items = "".join(f"- {{name: 茶{i % kinds}, qty: 1, price: 1.00}}\n" for i in range(ITEMS))
            (folder / f"2026-11-01-{name}0001.yaml").write_text(
                f"kind: purchase\ndate: 2026-11-01\nitems:\n{items}amount: {ITEMS}.00\npaid: false\n",
                encoding="utf-8")
        kehu(shop, "check")  # the index built before the first timed run
        for name, kinds in (("one", 1), ("many", ITEMS)):
            rows.append((f"kehu purchase pay: {ITEMS:,} items of {kinds:,} kind(s)",
                         [*kehu_argv(), "purchase", "pay", cid, f"2026-11-01-{name}0001", "--amount", "1",
                          "--date", "2026-11-02"], shop, None))
        # kehu import of 300 rows naming the end of a chain 1 500 deep
        chain = tmp / "chain"
        chained = new_store(chain, env)
        sheet = tmp / "chain.csv"
        sheet.write_text("id,name,referrer\n" + "".join(
            f"c{n:05d},客户{n},{f'c{n + 1:05d}' if n < DEPTH else ''}\n" for n in range(1, DEPTH + 1)),
            encoding="utf-8")
        kehu(chained, "import", str(sheet))
        kids = tmp / "kids.csv"
        kids.write_text("name,referrer\n" + "".join(f"新客{n},c00001\n" for n in range(ROWS)), encoding="utf-8")
        work = tmp / "chain-work"
        rows.append((f"kehu import: {ROWS} rows naming the end of a chain {DEPTH:,} deep",
                     [*kehu_argv(), "import", str(kids)], {**env, "KEHU_STORE": str(work)},
                     [sys.executable, "-c", RESTORE, str(chain), str(work)]))
        print(f"\nmedian of {args.runs} whole-process runs\n")
        print("| command | median wall | × python -c pass | CPU (user+sys) | runs |")
        print("|---|---|---|---|---|")
        floor = None
        for title, command, where, first in rows:
            # `kehu check` of the profile it refuses answers exit 1: no failure of the run
            median, times, cpu = wall(command, where, args.runs, first=first, check="check" not in command)
            floor = floor or median
            runs = " ".join(f"{t * 1000:.0f}" for t in times)
            print(f"| {title} | {median * 1000:.0f} ms | {median / floor:.1f}× | {cpu * 1000:.0f} ms | {runs} |")
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
