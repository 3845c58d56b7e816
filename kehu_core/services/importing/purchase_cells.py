"""A purchases sheet's row as one purchase: its cells (``purchase.date``, ``item`` ... as the
sheet's columns map them, :mod:`.sheet`) read into the purchase record kehu stores.

A sale of several items is one row whose 购买商品, 数量 and 单价 cells each list one value per
item, ``; `` between them, as `kehu export --what purchases` writes it (``茶叶; 茶杯`` /
``3; 2`` / ``50.00; 10.00``); payments made towards it are the 付款记录 cell, one
``DAY AMOUNT [WHO]`` each (``2026-11-20 100.00 王芳``). A shop's own sheet, one item a row,
reads as it always did: a 购买商品 cell with a ``;`` in it and one quantity is one product.
Names that hold a ``;`` themselves are written as a JSON list (``["礼盒; 含茶巾", "茶杯"]``), as
a customer's addresses are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...i18n import _
from .values import json_texts, parse_amount, parse_bool, parse_date, parse_qty, split_list, text

#: what separates an item's, a quantity's, a price's or a payment's values in one cell
PART_SEP = ";"

#: a purchase's cells: target (``item``) → (column, value)
Cells = dict[str, tuple[str, Any]]


def purchase_of(cells: Cells) -> dict[str, Any]:
    """The purchase a row's purchase cells make; a ValueError naming the column if a cell is wrong."""

    def read(key: str, parse: Callable[[Any], Any]) -> Any:
        return _in_column(cells[key][0], parse, cells[key][1])

    if "date" not in cells:
        raise ValueError(_("a purchase without a date: fill in 交易日期 (date)"))
    data: dict[str, Any] = {"kind": "purchase", "date": read("date", parse_date)}
    data["items"] = _items(cells)
    if "amount" in cells:
        data["amount"] = read("amount", parse_amount)
    elif not data["items"] or any("price" not in item for item in data["items"]):
        raise ValueError(_("a purchase needs an amount (成交金额) or a unit price (单价)"))
    if "gifts" in cells:
        data["gifts"] = split_list(text(cells["gifts"][1]))
    # A sheet of closed deals (成交) is paid unless a column says otherwise.
    data["paid"] = read("paid", parse_bool) if "paid" in cells else True
    if "due" in cells:
        data["due"] = read("due", parse_date)
    if "payments" in cells:
        data["payments"] = read("payments", _payments)
    for key in ("by", "text"):
        if key in cells:
            data[key] = text(cells[key][1])
    return data


def _items(cells: Cells) -> list[dict[str, Any]]:
    """The row's items: one per part of the 购买商品 cell when its 数量 (and 单价, if any) cell
    has as many parts, else the one item the cells name."""
    names = _names(text(cells["item"][1])) if "item" in cells else []
    parts = {key: text(cells[key][1]).split(PART_SEP) for key in ("qty", "price") if key in cells}
    if len(names) > 1 and "qty" in parts and all(len(p) == len(names) for p in parts.values()):
        items = []
        for n, name in enumerate(names):
            qty = _in_column(cells["qty"][0], parse_qty, parts["qty"][n].strip())
            item: dict[str, Any] = {"name": name, "qty": qty}
            price = parts["price"][n].strip() if "price" in parts else ""
            if price:
                item["price"] = _in_column(cells["price"][0], parse_amount, price)
            items.append(item)
        return items
    item = {}
    if "item" in cells:
        item["name"] = text(cells["item"][1])
    for key, parse in (("qty", parse_qty), ("price", parse_amount)):
        if key in cells:
            item[key] = _in_column(cells[key][0], parse, cells[key][1])
    if item and "name" not in item:
        raise ValueError(_("quantity or price without a product: fill in 购买商品 (item)"))
    return [item] if item else []


def _names(cell: str) -> list[str]:
    """The item names a 购买商品 cell lists: a JSON list of texts (what `kehu export` writes when
    a name holds a ``;``), else its parts between ``;``."""
    listed = json_texts(cell)
    if listed is not None and len(listed) > 1:
        return listed
    return [part.strip() for part in cell.split(PART_SEP)]


def _in_column(column: str, parse: Callable[[Any], Any], value: Any) -> Any:
    """``parse(value)``; its ValueError names the column."""
    try:
        return parse(value)
    except ValueError as exc:
        raise ValueError(f"{column}: {exc}") from None


def _payments(value: Any) -> list[dict[str, Any]]:
    """``2026-11-20 100.00 王芳; 2026-12-01 70.00`` → the payments, each ``DAY AMOUNT [WHO]``."""
    payments = []
    for part in text(value).split(PART_SEP):
        if not part.strip():
            continue
        words = part.split(None, 2)
        if len(words) < 2:
            raise ValueError(_("{part}: a payment is its day and its amount (2026-11-20 100.00), and who took it "
                               "if known").format(part=repr(part.strip())))
        if len(words) == 3 and words[2][:1] in "0123456789.,":
            # `2026-11-20 1 234,50 王芳`: stored as ¥1.00 taken by "234,50 王芳", exit 0
            raise ValueError(_("{part}: the amount is written with a space in it, or who took it starts with a "
                               "digit; write the amount without spaces (2026-11-20 1234.50 王芳)").format(
                part=repr(part.strip())))
        payment: dict[str, Any] = {"date": parse_date(words[0]), "amount": parse_amount(words[1])}
        if len(words) == 3 and words[2].strip():
            payment["by"] = words[2].strip()
        payments.append(payment)
    return payments
