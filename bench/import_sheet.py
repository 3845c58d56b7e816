"""Import of a 10 000-row customer sheet: ``python bench/import_sheet.py [--rows N]``.

Writes a realistic sheet (the seed's columns: 交易日期, 顾客ID, 真实姓名, 电子邮箱, 联系电话, 收货地址,
购买商品, 成交金额, 购物赠品, 会员级别; about four transactions per customer, fixed seed) as .xlsx and
as a GBK .csv, imports each into a fresh store with the real ``kehu import`` command in its own
process, imports it again (which must add nothing), and prints a Markdown table. Target: a
10 000-row sheet in under 10 s.

``--undo N``: instead, the undo of an import of N new customers with a sale each (a CSV, into a
git store), each step timed as a whole process: ``kehu import``, then ``kehu undo``, the files
written back to disk between the two (``os.sync``) so the undo is not timed with the import's
writes still pending. Target: the undo of 5 000 customers in a few seconds.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from kehu_core.demo import GIFTS, LEVELS, PRODUCTS, STREETS, SURNAMES  # noqa: E402

HEADER = ["交易日期", "顾客ID", "真实姓名", "电子邮箱", "联系电话", "收货地址", "购买商品", "成交金额",
          "购物赠品", "会员级别"]
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚"
MOBILE_PREFIXES = ("39", "38", "35", "58", "88", "89")  # numbers the phone library accepts for CN


def sheet_rows(rows: int, seed: int = 2024) -> list[list[str]]:
    rng = random.Random(seed)
    customers = []
    for n in range(max(1, rows // 4)):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        customers.append({
            "id": f"C{n + 1:05d}", "name": name, "phone": f"1{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}",
            "email": f"c{n + 1}@example.com" if rng.random() < 0.4 else "",
            "address": f"杭州市{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
            "level": rng.choices([lv for lv, _ in LEVELS], [w for _, w in LEVELS])[0],
        })
    out = []
    start = dt.date(2024, 1, 1)
    for _ in range(rows):
        c = rng.choice(customers)
        product, price, _ = rng.choice(PRODUCTS)
        qty = rng.choice((1, 1, 1, 2, 3))
        day = start + dt.timedelta(days=rng.randrange(365))
        date = f"{day.year}/{day.month}/{day.day}" if rng.random() < 0.5 else day.isoformat()
        out.append([
            date, c["id"], c["name"], c["email"], c["phone"], c["address"], product,
            f"{price * qty:,.2f}", rng.choice(GIFTS) if rng.random() < 0.2 else "", c["level"],
        ])
    return out


def write_sheets(folder: Path, rows: int) -> dict[str, Path]:
    from openpyxl import Workbook

    data = sheet_rows(rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("消费明细")
    sheet.append(HEADER)
    for row in data:
        sheet.append(row)
    xlsx = folder / "sheet.xlsx"
    book.save(xlsx)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(data)
    gbk = folder / "sheet_gbk.csv"
    gbk.write_bytes(buffer.getvalue().encode("gbk"))
    return {"xlsx": xlsx, "csv (GBK)": gbk}


def kehu(*args: str) -> tuple[float, dict]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "kehu_core", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"kehu {' '.join(args)} failed:\n{result.stderr}")
    return elapsed, (json.loads(result.stdout) if "--json" in args else {})


def undo_case(customers: int) -> str:
    """The import of ``customers`` new customers and its undo, timed (see the docstring)."""
    rng = random.Random(2024)
    lines = ["| customers | step | seconds | files after |", "|---:|---|---:|---:|"]
    with tempfile.TemporaryDirectory(prefix="kehu-undo-bench-") as tmp:
        folder = Path(tmp)
        sheet = folder / "new.csv"
        rows = [f"客户{n},1{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d},{rng.choice(PRODUCTS)[0]},"
                f"{rng.randrange(10, 500)},2026-10-{rng.randrange(1, 28):02d}" for n in range(customers)]
        sheet.write_text("姓名,电话,商品,金额,日期\n" + "\n".join(rows) + "\n", encoding="utf-8")
        store = folder / "store"
        kehu("init", str(store))
        for step, argv in (("import", ["import", str(sheet)]), ("undo", ["undo"])):
            os.sync()
            seconds, _summary = kehu("--store", str(store), *argv)
            files = sum(1 for p in (store / "customers").rglob("*") if p.is_file())
            lines.append(f"| {customers} | {step} | {seconds:.2f} | {files} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--undo", type=int, metavar="N", help="time the undo of an import of N customers instead")
    args = parser.parse_args()
    if args.undo:
        print(undo_case(args.undo))
        return
    lines = ["| file | rows | step | seconds | created | purchases added | already there |",
             "|---|---:|---|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory(prefix="kehu-import-bench-") as tmp:
        folder = Path(tmp)
        sheets = write_sheets(folder, args.rows)
        for label, path in sheets.items():
            store = folder / f"store-{path.stem}"
            kehu("init", str(store), "--no-git")
            for step, extra in (("dry run", ["--dry-run"]), ("import", []), ("re-import", [])):
                seconds, summary = kehu("--store", str(store), "import", str(path), "--json", *extra)
                lines.append(
                    f"| {label} | {args.rows} | {step} | {seconds:.2f} | {len(summary['created'])} | "
                    f"{summary['purchases_added']} | {summary['purchases_existing']} |"
                )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
