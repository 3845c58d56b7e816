"""Turning customers into what the CLI prints: JSON objects and Rich tables."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import labels
from ..i18n import N_, _
from ..labels import kind_label
from ..phones import display_phone
from ..shown import visible as _visible

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..models import Customer
    from ..store import Store

    console: Console


@functools.cache
def _console() -> Console:
    from rich.console import Console

    # no markup: a name, an item, an owner or a note such as "[/]" or "[vip] 张三" is printed as
    # written, never read as a style ("[/]" was "internal error: MarkupError" in customer list,
    # show, search and five reports); kehu's own styled words go through styled()
    return Console(highlight=False, markup=False)


def styled(text: str) -> Text:
    """kehu's own words with Rich markup (``"[bold]…[/]"``), ready for a console that reads
    none; a record's text put inside must be escaped (:func:`rich.markup.escape`)."""
    from rich.text import Text

    return Text.from_markup(text)


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


#: the widest a report is laid out when stdout is no terminal: a pipe or a file has no width of
#: its own, and Rich's default of 80 columns folds a wide table's figures over several lines
#: (``report credit``'s 11 columns, a week of the collection plan). Past this, text columns fold
#: and figures stay whole.
PIPE_WIDTH = 240


def print_report(*renderables: Any) -> None:
    """A report's tables and sentences: on a terminal at its width; into a pipe or a file, each
    table as wide as its content asks (at least 80 columns, at most :data:`PIPE_WIDTH`) and each
    sentence on one line, so ``kehu report credit | less`` or ``> file`` keeps every column whole.
    ``COLUMNS`` set in the environment decides the width, as for any Rich output."""
    console = _console()
    if _terminal() or "COLUMNS" in os.environ:
        console.print(*renderables)
        return
    from rich.text import Text

    for renderable in renderables:
        if isinstance(renderable, str | Text):
            console.print(renderable, soft_wrap=True)
            continue
        wanted = console.measure(renderable, options=console.options.update_width(PIPE_WIDTH)).maximum
        width = min(max(wanted, console.width), PIPE_WIDTH)
        if width <= console.width:
            console.print(renderable)
            continue
        from rich.console import Console

        # Console.print(width=) cannot go past the console's own width: one as wide as the table
        Console(highlight=False, markup=False, width=width, file=sys.stdout).print(renderable)


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
    """A table's cells of a customer: a profile, or the fields an index's table rows have
    (``phone_shown``: the first phone as shown, Derived.profile_dicts_of), and ``extra``."""
    phone = row["phone_shown"] if "phone_shown" in row else display_phone((row["phones"] or [""])[0], region)
    return [  # a name's zero-width space shown, as every text's (_visible): two 张三 told apart
        row["id"], _visible(row["name"]), phone, _visible(row.get("owner") or ""),
        _visible(row.get("level") or ""), _visible(", ".join(row.get("tags") or [])),
        *[_text(row.get(k)) for k in extra],
    ]


def customers_table(rows: list[dict[str, Any]], extra: Sequence[str] = (), *, region: str) -> Table:
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    titles = [_(t) for t in (N_("ID"), N_("Name"), N_("Phone"), N_("Owner"), N_("Level"), N_("Tags"))]
    for i, title in enumerate([*titles, *map(field_label, extra)]):
        table.add_column(title, no_wrap=i in (0, 2), overflow="fold")
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


def field_label(key: str) -> str:
    """A field's name in the user's language (kehu_core.labels; a plugin's field: its own name)."""
    return _visible(labels.field_label(key))


def terminal_safe(text: str) -> str:
    """``text`` as a line of kehu's output: each control character (but tab and a line feed)
    and each invisible format character as U+FFFD (:func:`kehu_core.shown.visible`), so what
    others wrote — a colleague's commit message or author name in `kehu customer log`, a journal
    entry in `kehu undo --list`, a note — never drives the terminal nor turns a line around."""
    return _visible(text)


def _text(value: Any) -> str:
    return _visible(_plain_text(value))


def _plain_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict) and {"due", "title"} <= value.keys():  # a reminder, as Today shows it
        return f"{value['due']} {value['title']}"
    if isinstance(value, dict) and {"limit", "outstanding", "terms_days"} <= value.keys():  # credit status
        from ..i18n import format_decimal

        def money(amount: Any) -> str:
            return _("unlimited") if amount is None else "¥" + format_decimal(amount)

        return _("limit {limit}, owes {owed}, left {left}; pays within {days} days").format(
            limit=money(value["limit"]), owed=money(value["outstanding"]), left=money(value.get("available")),
            days=value["terms_days"])
    if isinstance(value, dict) and {"id", "merged"} <= value.keys():  # also_known: a customer merged into this one
        return _("{id} (merged {date})").format(id=value["id"], date=value["merged"]) if not value.get("name") \
            else _("{name} ({id}, merged {date})").format(name=value["name"], id=value["id"], date=value["merged"])
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):  # each item as itself: a list of mappings read as Python's dicts
        return ("; " if any(isinstance(item, dict) for item in value) else ", ").join(map(_plain_text, value))
    return str(value)


def print_customer(data: dict[str, Any], interactions: list[dict[str, Any]], *, region: str) -> None:
    """The profile as label and value, then the history: Rich's grid and table on a terminal;
    piped or redirected, the same lines as plain text (labels padded to one column, history
    rows tab-separated), without loading Rich (~0.1 s of a command that answers in 0.2 s)."""
    skip = {"purchases", "interactions"}
    rows = []
    for key, value in data.items():
        if key in skip or value in (None, [], "", False):
            continue
        if key == "phones":  # E.164 in JSON; as people write them here
            value = [display_phone(p, region) for p in value]
        rows.append((field_label(key), _text(value)))
        if key == "name" and isinstance(value, str) and not value.isascii():
            from ..lookalike import MIXED_SCRIPT_MARK, mixed_script_note

            if (note := mixed_script_note(value)) is not None:
                rows.append((MIXED_SCRIPT_MARK, note))  # Аnna (a Cyrillic А) looks like Anna
    titles = [_(t) for t in (N_("Date"), N_("Kind"), N_("What"), N_("Amount"), N_("Paid"))]
    history = [_history_cells(i) for i in interactions]
    if not _terminal():
        from .helpformat import width

        column = max((width(label) for label, _value in rows), default=0) + 2
        # a value of many lines (notes) goes on under itself: at the margin, its second line read
        # as a field of its own ("住在西湖边" under "Notes")
        out = [label + " " * (column - width(label)) + value.replace("\n", "\n" + " " * column)
               for label, value in rows]
        if history:
            out += ["", _("History"), *("\t".join(c.replace("\t", " ").replace("\n", " ") for c in cells)
                                        for cells in [titles, *history])]
        sys.stdout.write("\n".join(out) + "\n")
        return
    from rich.table import Table

    console = _console()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan")
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value)
    console.print(grid)
    if history:
        table = Table(title=_("History"), header_style="bold")
        for title in titles:
            table.add_column(title)
        for cells in history:
            table.add_row(*cells)
        console.print(table)


def _history_cells(i: dict[str, Any]) -> list[str]:
    what = ", ".join(f"{it['name']}×{it.get('qty', 1)}" for it in i.get("items", [])) or i.get("text", "")
    return [str(i["date"]), kind_label(i["kind"]), _visible(what), str(i.get("amount", "")),
            "" if i["kind"] != "purchase" else _visible(_paid_cell(i))]


def _paid_cell(purchase: dict[str, Any]) -> str:
    """yes / no / part of it paid / voided (a voided purchase stays in the history, marked)."""
    if purchase.get("voided"):
        reason = purchase["voided"].get("reason")
        return _("voided {date}").format(date=purchase["voided"]["date"]) + (f" ({reason})" if reason else "")
    if purchase.get("paid"):
        return _("yes")
    paid = sum(Decimal(str(p.get("amount", 0))) for p in purchase.get("payments") or [])
    due = _(", due {date}").format(date=purchase["due"]) if purchase.get("due") else ""
    return (_("{paid} of {amount} paid").format(paid=paid, amount=purchase.get("amount")) if paid else _("no")) + due
