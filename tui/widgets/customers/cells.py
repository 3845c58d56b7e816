"""What the customer list shows in its cells: its built-in columns, a row's cells (a name of mixed
scripts marked, a phone as the user reads it, a plugin's value as it is computed), and each
column's width in the user's language. The table (``table``) fetches the rows and the values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text

from kehu_core.attitude import NAMES as ATTITUDE_NAMES
from kehu_core.i18n import N_, _
from kehu_core.lookalike import MIXED_SCRIPT_MARK, mixed_script_note
from kehu_core.names import shown
from kehu_core.services.scoring import tier_names

from ... import formatting
from .pages import VALUE_ORDERS, ListColumn

if TYPE_CHECKING:
    from kehu_core.index import Row
    from kehu_core.store import Store

BUILTIN_COLUMNS = (
    ListColumn("name", N_("Name"), 16, order="name"),
    ListColumn("phone", N_("Phone"), 15),
    ListColumn("tier", N_("Tier"), 9, order="tier", value_key="tier"),
    ListColumn("points", N_("Points"), 7, order="points", value_key="points"),
    ListColumn("attitude", N_("Attitude"), 10, value_key="attitude"),
    ListColumn("owner", N_("Owner"), 7, order="owner"),
    ListColumn("last_contact", N_("Last contact"), 12, order="last_contact"),
    ListColumn("next_reminder", N_("Next reminder"), 24, order="next_reminder", value_key="next_reminder"),
)
ORDERS = {"name": N_("name"), "owner": N_("owner"), "last_contact": N_("last contact"), **VALUE_ORDERS}
PENDING = "…"


def row_cells(store: Store, row: Row, columns: list[ListColumn], known: dict[str, Any] | None) -> list[Any]:
    """The cells of ``row`` under ``columns``; ``known``: the values plugins computed for it
    (None: not yet, each such cell :data:`PENDING`)."""
    c = row.customer
    cells: list[Any] = []
    for column in columns:
        if column.key == "name":
            cells.append(Text(c.name, style="bold") if mixed_script_note(c.name) is None else
                         Text.assemble((c.name, "bold"), (f" {MIXED_SCRIPT_MARK}", "bold yellow")))
        elif column.key == "phone":
            cells.append(formatting.phone(c.phones[0] if c.phones else None, store.config.region))
        elif column.key == "owner":
            cells.append(c.owner or "")
        elif column.key == "last_contact":
            cells.append(row.last_contact or "")
        elif known is not None:
            cells.append(value_cell(store, column, known))
        else:
            cells.append(PENDING)
    return cells


def column_width(store: Store, column: ListColumn) -> int:
    """At least as wide as the column's title in the user's language (会员积分 and 负责业务员
    are wider than Points and Owner); the tier column fits the tiers' names as shown
    (English ones are longer)."""
    width = max(column.width, cell_len(_(column.title)))
    if column.key != "tier" or store.plugins is None:
        return width
    names = [cell_len(str(shown(n, store))) for n in tier_names(store)]
    return min(max([width, *names]), 20)


def value_cell(store: Store, column: ListColumn, values: dict[str, Any]) -> Any:
    """The cell of a value plugins compute (tier, points, next reminder, attitude, a plugin's
    column) from a customer's ``values``."""
    value = values.get(column.value_key or column.key)
    if column.key == "tier":
        return formatting.text(shown(value, store))  # a built-in name in the user's language
    if column.key == "next_reminder":
        return formatting.reminder(value)
    if column.key == "points" and value is not None:
        return Text(formatting.text(value), justify="right")
    if column.key == "attitude":
        if "attitude" not in values:
            return PENDING  # asked after the plugin values
        return _(ATTITUDE_NAMES[value]) if value in ATTITUDE_NAMES else ""
    return formatting.text(value)
