"""The twenty-eighth round's importmem findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .peakmem import NEEDS_PROC, import_peaks

HEADER = "交易日期,顾客ID,真实姓名,联系电话,购买商品,成交金额,会员级别\n"
PRODUCTS = ("绿茶", "乌龙茶", "普洱", "红茶", "白茶", "茶具")


def _shop_sheet(path: Path, rows: int) -> Path:
    """A shop's sales sheet of ``rows`` rows: a row a sale, four sales a customer, each
    customer's rows spread over the sheet (as a year's sales are), every sale earning points."""
    customers = rows // 4
    start = dt.date(2026, 1, 1)
    lines = [HEADER]
    for n in range(rows):
        c = (n * 7919) % customers  # each customer four times, far apart
        day = start + dt.timedelta(days=n % 300)
        lines.append(f"{day.isoformat()},C{c:06d},客户{c},13{c % 10}{c:08d},{PRODUCTS[n % 6]},"
                     f"{100 + n % 900}.00,{'金卡' if c % 3 else '银卡'}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


ROWS = 6000  # 1 500 customers: written in one part (applying.PART); 4 times: in three


@NEEDS_PROC
def test_a_sales_sheets_import_memory_hardly_grows_with_its_rows(tmp_path: Path) -> None:
    """A shop's sheet of a sale a row (several rows a customer): 100 000 rows (25 000
    customers) took `kehu import` about 1 GB at its peak. The plugins were told of every sale
    in one batch that held each ledger they added to and each buyer's profile to its end, each
    sale waiting to be told of was held as a model, and the plan held each sale's text and id
    to the import's end. The import's own peak for 4 times the rows, into a fresh store,
    against that of 6 000 rows (8 000 against 32 000: 204 → 442 MB before, 193 → 265 MB now)."""
    imported = import_peaks(tmp_path, (ROWS, 4 * ROWS),
                            lambda folder, rows: _shop_sheet(folder / f"sales-{rows}.csv", rows))
    for rows, done in imported.items():
        assert f"{rows // 4} created, 0 merged, 0 skipped; {rows} purchases added" in done.out, done.out
        assert sum(1 for _ in (done.store / "customers").rglob("points.ledger.yaml")) == rows // 4
    peaks = {rows: done.peak for rows, done in imported.items()}
    grown = peaks[4 * ROWS] - peaks[ROWS]
    assert grown < 100, f"{peaks}: {grown:.0f} MB more for {3 * ROWS} more rows"
