"""What an export writes of the customers, before any format: the rows of the customer sheet
(every field any of them holds a column) and of the purchases sheet (the seed's columns, then
what `kehu import` needs to read a sale back whole), and each text cell as a spreadsheet shows
it without running it (:func:`neutralise`: CSV injection)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import KehuError
from ..i18n import _
from ..models import Customer
from ..models.typed_lists import addresses_text
from .export_source import PART, Chosen, fields_beyond

if TYPE_CHECKING:
    from ..store import Store



FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
#: what a spreadsheet reads as the start of a formula once it has skipped the spaces before it
#: (" =cmd|' /C calc'!A0", with a space, a no-break or an ideographic space, ran as "=cmd…"),
#: with their full-width forms, which Excel in an East Asian locale takes for the ASCII ones
_FORMULA_LEAD = frozenset("=+-@＝＋－＠﹦﹢﹣")
LIST_SEP = "; "
# The seed's sheet columns, so an exported purchase list imports back as it is.
#: the seed's purchases sheet, then what `kehu import` needs to read a sale back whole: each
#: item's quantity and price, and the payments made towards it (``importing.purchase_cells``)
PURCHASE_HEADER = ["交易日期", "顾客ID", "真实姓名", "电子邮箱", "联系电话", "收货地址", "购买商品", "成交金额",
                   "购物赠品", "会员级别", "是否付款", "应付日期", "数量", "单价", "付款记录"]


# --- tables ---------------------------------------------------------------------------------


def customer_columns(store: Store, customers: Iterable[Customer]) -> list[str]:
    """Every field of the (plugin-extended) model, then extra fields found in the data."""
    columns = list(store.customer_model.model_fields)
    seen = set(columns)
    for key in fields_beyond(customers, seen):
        if key not in seen:
            seen.add(key)
            columns.append(key)
    return columns


def customer_table(store: Store, customers: Iterable[Customer]) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the rows, each made as it is written (:class:`.export_source.Chosen`)."""
    columns = customer_columns(store, customers)

    def rows() -> Iterator[list[Any]]:
        for customer in customers:
            data = customer.model_dump(mode="python")
            yield [_addresses_cell(data[col]) if col == "addresses" and data.get(col) else _cell_value(data.get(col))
                   for col in columns]

    return columns, rows()


def _addresses_cell(addresses: list[str]) -> str:
    """A customer's addresses in one cell: joined by ``; `` as other lists, unless one holds what
    an import splits a cell of addresses at (``;``, ``；``, a line break: ``Room 3, 88 Caoxi Rd;
    Shanghai``), which came back from the re-import as two addresses. Then a JSON list, which
    the import reads as the list it is (:func:`kehu_core.models.typed_lists.addresses_text`)."""
    return addresses_text(addresses)


def purchase_table(store: Store, customers: Iterable[Customer]) -> tuple[list[str], Iterator[list[Any]]]:
    """The purchases of ``customers``, in date order, read a part at a time with their customers."""
    if isinstance(customers, Chosen):
        among = customers.among
    else:
        by_id = {c.id: c for c in customers}

        def among(_ids: Iterable[str]) -> dict[str, Customer]:
            return by_id

    def rows() -> Iterator[list[Any]]:
        part: list[dict[str, Any]] = []
        for record in store.index.purchases():
            part.append(record)
            if len(part) >= PART:
                yield from _purchase_rows(part, among(r["customer_id"] for r in part))
                part = []
        yield from _purchase_rows(part, among(r["customer_id"] for r in part))

    return PURCHASE_HEADER, rows()


def _purchase_rows(records: list[dict[str, Any]], by_id: dict[str, Customer]) -> Iterator[list[Any]]:
    for record in records:
        customer = by_id.get(record["customer_id"])
        if customer is None:
            continue
        names, quantities, prices = _item_cells(record.get("items") or [])
        yield [
            dt.date.fromisoformat(record["date"]), customer.id, customer.name,
            (customer.emails or [""])[0], (customer.phones or [""])[0], (customer.addresses or [""])[0],
            names, Decimal(str(record["amount"])), LIST_SEP.join(record.get("gifts") or []),
            customer.level or "", "是" if record.get("paid") else "否",
            dt.date.fromisoformat(record["due"]) if record.get("due") else None,
            quantities, prices, _payments_cell(record.get("payments") or []),
        ]


def _item_cells(items: list[dict[str, Any]]) -> tuple[str, Any, Any]:
    """A purchase's 购买商品, 数量 and 单价 cells: one value per item, ``; `` between them (a
    number each for a sale of one item, as a shop's own sheet has them; the names a JSON list
    when one holds a ``;``); no 单价 when no item has a price. Read back by
    ``importing.purchase_cells``."""
    listed = [str(i.get("name", "")) for i in items]
    # a name holding the `;` between items: the names as a JSON list, as addresses are
    names = json.dumps(listed, ensure_ascii=False) if len(listed) > 1 and any(";" in n for n in listed) \
        else LIST_SEP.join(listed)
    quantities = [qty_text(i.get("qty", 1)) for i in items]
    prices = [None if i.get("price") is None else Decimal(str(i["price"])) for i in items]
    if len(items) <= 1:  # a number (a sheet's writer shows a Decimal as money: 3.00)
        one = (int(quantities[0]) if quantities[0].isdigit() else quantities[0]) if items else None
        return names, one, prices[0] if items else None
    return (names, LIST_SEP.join(quantities),
            LIST_SEP.join("" if p is None else str(p) for p in prices) if any(p is not None for p in prices) else None)


def _payments_cell(payments: list[dict[str, Any]]) -> str:
    """A purchase's 付款记录 cell: ``2026-11-20 100.00 王芳; 2026-12-01 70.00``."""
    return LIST_SEP.join(" ".join(str(part) for part in (p.get("date"), f"{Decimal(str(p.get('amount'))):.2f}",
                                                          p.get("by")) if part) for p in payments)


def qty_text(qty: Any) -> str:
    """A quantity as text, without trailing zeros: ``3``, ``2.5`` (``3.00`` read from a sheet is 3)."""
    return format(Decimal(str(qty)).normalize(), "f")


def items_cell(items: list[dict[str, Any]]) -> str:
    """A purchase's items as one text, ``金骏眉 100g×3; 安吉白茶 250g``: what an import compares
    a sheet's purchase with the purchases a customer has by (``importing.purchase_match._sold``)."""
    return LIST_SEP.join(
        str(i.get("name", "")) if Decimal(str(i.get("qty", 1))) == 1 else f"{i.get('name', '')}×{qty_text(i['qty'])}"
        for i in items)


def _cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        # a list of mappings (`also_known` after a merge, `conflicts:`) in Python's own notation,
        # `{'id': 'x'}`, was read by no spreadsheet, script or JSON reader: JSON, as a mapping is
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, list):
        return LIST_SEP.join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bool):
        return "yes" if value else ""
    return value


def table(store: Store, customers: Iterable[Customer], what: str) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and the rows of an export, the rows made one at a time as they are written."""
    if what == "customers":
        return customer_table(store, customers)
    if what == "purchases":
        return purchase_table(store, customers)
    raise KehuError(_("cannot export {what}; expected customers or purchases").format(what=repr(what)))


def neutralise(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: ``=HYPERLINK(...)`` → ``'=HYPERLINK(...)``, and
    so ``" =1+1"``, ``"＝1+1"`` and a cell starting with a line break."""
    if value.startswith(FORMULA_START) or value.lstrip()[:1] in _FORMULA_LEAD:
        return "'" + value
    return kept_apostrophe(value)


def kept_apostrophe(value: str) -> str:
    """``value`` with one more leading apostrophe if it starts with one: ``kehu import`` takes a
    cell's leading apostrophe for Excel's "this is text" mark and drops it, so a name or a note
    that began with one (``'Quote``, ``'=1+1``) lost it through an export and an import."""
    return "'" + value if value.startswith("'") else value
