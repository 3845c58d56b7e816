"""Turning customers into what the CLI prints: JSON objects and Rich tables."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..phones import display_phone

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..models import Customer
    from ..store import Store

    console: Console


@functools.cache
def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def __getattr__(name: str) -> Any:
    """``console``, the Rich console on stdout: Rich is imported when it is first asked for,
    so a command whose output goes to a pipe or a file never imports it."""
    if name == "console":
        return _console()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _terminal() -> bool:
    """``console.is_terminal``, without importing Rich when stdout is surely no terminal
    (Rich's own test: no ``TTY_COMPATIBLE`` or ``FORCE_COLOR``, and not a tty)."""
    if "TTY_COMPATIBLE" not in os.environ and "FORCE_COLOR" not in os.environ:
        isatty = getattr(sys.stdout, "isatty", None)
        try:
            if isatty is None or not isatty():
                return False
        except ValueError:  # a closed stdout
            return False
    return _console().is_terminal


def customer_json(store: Store, customer: Customer, *, values: bool = True) -> dict[str, Any]:
    """The contract's customer object: every profile field, plus what plugins compute."""
    data = customer.model_dump(mode="json")
    if values:
        data.update(store.plugins.values(store, customer))
    return data


def customers_json(store: Store, customers: Sequence[Customer], *, values: bool = True) -> list[dict[str, Any]]:
    """:func:`customer_json` of each, with the plugins asked once for the whole list."""
    objects = [c.model_dump(mode="json") for c in customers]
    if values:
        for data, extra in zip(objects, store.plugins.values_many(store, customers), strict=True):
            data.update(extra)
    return objects


def interaction_json(interaction: Any) -> dict[str, Any]:
    data = interaction.model_dump(mode="json", exclude_none=True)
    return {"id": data.pop("id"), "kind": data.pop("kind"), **data}


def _cells(row: dict[str, Any], extra: Sequence[str], region: str) -> list[str]:
    return [
        row["id"], row["name"], display_phone((row["phones"] or [""])[0], region), row.get("owner") or "",
        row.get("level") or "", ", ".join(row.get("tags") or []), *[_text(row.get(k)) for k in extra],
    ]


def customers_table(rows: list[dict[str, Any]], extra: Sequence[str] = (), *, region: str) -> Table:
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    for title in ["ID", "Name", "Phone", "Owner", "Level", "Tags", *extra]:
        table.add_column(title, no_wrap=title in ("ID", "Phone"), overflow="fold")
    for row in rows:
        table.add_row(*_cells(row, extra, region))
    return table


def print_customers(rows: list[dict[str, Any]], extra: Sequence[str] = (), *, region: str) -> None:
    """A table on a terminal; piped into grep, awk or a file, one tab-separated line each
    (as ls and git do), which is also far quicker for thousands of customers. Phones are
    shown as people write them in the store's ``region`` (``display_phone``)."""
    if _terminal():
        _console().print(customers_table(rows, extra, region=region))
        return
    out = sys.stdout
    for row in rows:
        out.write("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in _cells(row, extra, region)) + "\n")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def print_customer(data: dict[str, Any], interactions: list[dict[str, Any]], *, region: str) -> None:
    from rich.table import Table

    console = _console()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan")
    grid.add_column()
    skip = {"purchases", "interactions"}
    for key, value in data.items():
        if key in skip or value in (None, [], "", False):
            continue
        if key == "phones":  # E.164 in JSON; as people write them here
            value = [display_phone(p, region) for p in value]
        grid.add_row(key, _text(", ".join(map(str, value)) if isinstance(value, list) else value))
    console.print(grid)
    if interactions:
        table = Table(title="History", header_style="bold")
        for title in ("Date", "Kind", "What", "Amount", "Paid"):
            table.add_column(title)
        for i in interactions:
            what = ", ".join(
                f"{it['name']}×{it.get('qty', 1)}" for it in i.get("items", [])
            ) or i.get("text", "")
            table.add_row(
                str(i["date"]), i["kind"], what, str(i.get("amount", "")),
                "" if i["kind"] != "purchase" else _paid_cell(i),
            )
        console.print(table)


def _paid_cell(purchase: dict[str, Any]) -> str:
    """yes / no / part of it paid / voided (a voided purchase stays in the history, marked)."""
    if purchase.get("voided"):
        reason = purchase["voided"].get("reason")
        return f"voided {purchase['voided']['date']}" + (f" ({reason})" if reason else "")
    if purchase.get("paid"):
        return "yes"
    paid = sum(Decimal(str(p.get("amount", 0))) for p in purchase.get("payments") or [])
    due = f", due {purchase['due']}" if purchase.get("due") else ""
    return (f"{paid} of {purchase.get('amount')} paid" if paid else "no") + due
