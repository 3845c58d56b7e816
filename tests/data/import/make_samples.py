"""Writes the binary and legacy-encoded sample sheets of this folder (run from anywhere).

The vCard and Google CSV samples are plain text files edited by hand; the sheets below are
written by this script because an .xlsx is binary and a GBK file cannot be edited safely in
a UTF-8 editor. The content is what a small tea shop's 客户消费明细 looks like: one row per
transaction, a title row above the header, dates typed in two ways, amounts with thousands
separators, phones stored as numbers by Excel, and a column kehu has no field for (微信号).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

HERE = Path(__file__).resolve().parent

TITLE = "西湖茶庄 2024年客户消费明细"
HEADER = ["交易日期", "顾客ID", "真实姓名", "电子邮箱", "联系电话", "收货地址", "购买商品", "成交金额",
          "购物赠品", "会员级别", "微信号"]
ROWS = [
    ["2024/3/1", "C0001", "赵敏", "zhaomin@example.com", "13912345678", "杭州市西湖区龙井路12号",
     "明前西湖龙井 250g", "680.00", "青瓷茶杯", "普通会员", "zm_1990"],
    ["2024-03-15", "C0002", "钱多多", "", "+86 137 0000 1111", "杭州市上城区河坊街88号",
     "龙井茶礼盒", "1,288.00", "茶巾、试饮装", "银卡", ""],
    ["2024/5/20", "C0001", "赵敏", "", "13912345678", "", "龙井茶礼盒", "1,288.00", "", "银卡", ""],
    ["2024/5/20", "C0001", "赵敏", "", "13912345678", "", "龙井茶礼盒", "1,288.00", "", "银卡", ""],
    ["2024/6/2", "C0003", "孙立", "sunli@example.cn", "00852 9123 4567", "香港九龙弥敦道100号",
     "安溪铁观音 500g", "298", "", "普通会员", "sunli_hk"],
    ["2024-09-10", "", "钱多多", "", "137 0000 1111", "", "宜兴紫砂壶", "￥1,680.00", "竹制茶则",
     "金卡", ""],
    ["2024/9/28", "C0001", "赵敏", "", "13912345678", "", "武夷大红袍 200g", "880", "帆布袋", "银卡", ""],
]


def write_csvs() -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([TITLE] + [""] * (len(HEADER) - 1))
    writer.writerow(HEADER)
    writer.writerows(ROWS)
    text = buffer.getvalue()
    (HERE / "shop_utf8.csv").write_bytes(text.encode("utf-8"))
    (HERE / "shop_utf8_bom.csv").write_bytes(text.encode("utf-8-sig"))
    (HERE / "shop_gbk.csv").write_bytes(text.encode("gbk"))


def write_xlsx() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "消费明细"
    sheet.append([TITLE])
    sheet.append(HEADER)
    for row in ROWS:
        cells: list[object] = list(row)
        # What Excel does to typed values: real dates, numbers for phones and amounts.
        if "-" in row[0]:
            cells[0] = dt.datetime.fromisoformat(row[0])
        if row[4].isdigit():
            cells[4] = int(row[4])
        if row[7].replace(".", "").isdigit():
            cells[7] = float(row[7])
        sheet.append(cells)
    book.save(HERE / "shop_sheet.xlsx")


def write_bad_rows() -> None:
    rows = [
        "交易日期,真实姓名,联系电话,购买商品,成交金额",
        "2024/4/1,周杰,13800138000,碧螺春 250g,420.00",
        "2024/13/1,吴刚,13800138001,碧螺春 250g,420.00",      # no 13th month
        "2024/4/2,郑爽,13800138002,碧螺春 250g,四百二",        # amount in words
        "2024/4/3,王磊,见微信,碧螺春 250g,420.00",             # no phone number
        ",,,,",                                                  # empty row: ignored
        "2024/4/4,,,安吉白茶 250g,360.00",                      # nobody
        "2024/4/5,冯雪,13800138005,\"安吉白茶 250g\",\"1,360.00\"",
    ]
    (HERE / "bad_rows.csv").write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")


if __name__ == "__main__":
    write_csvs()
    write_xlsx()
    write_bad_rows()
