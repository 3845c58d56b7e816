"""Tier, points and what else plugins compute, with the history in their ledgers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from kehu_core.attitude import NAMES as ATTITUDE_NAMES
from kehu_core.i18n import N_, _
from kehu_core.labels import field_label, ledger_label
from kehu_core.names import shown_values

from ... import formatting
from ..plain_text import Static

if TYPE_CHECKING:
    from kehu_core.store import Store

HISTORY_ROWS = 8


def ledger_names(store: Store, customer_id: str) -> list[str]:
    """Ledgers the plugins keep for this customer (points, tiers ...), by file name."""
    from kehu_core.store import LEDGER_SUFFIX

    folder = store.customer_dir(customer_id)
    if not folder.is_dir():
        return []
    return sorted(p.name.removesuffix(LEDGER_SUFFIX) for p in folder.glob(f"*{LEDGER_SUFFIX}"))


#: the built-in plugins' ledgers and their entries' keys, as a person reads them (the files keep the keys)
LEDGER_COLUMNS = {"date": N_("date"), "from": N_("from"), "to": N_("to"), "why": N_("why"),
                  "delta": N_("delta"), "reason": N_("reason"), "note": N_("note"), "ref": N_("ref"),
                  "expires": N_("expires")}


def customer_values(store: Store, customer_id: str) -> dict[str, Any]:
    """One customer's values for the card (the list's :func:`compute_values`) and, with an
    attitude, why (``attitude_reason``, as ``customer show`` says it). On the background thread."""
    from kehu_core.attitude import attitude_of

    from ..customers.pages import compute_values

    values = compute_values(store, [customer_id], []).get(customer_id, {})
    if values.get("attitude"):
        values["attitude_reason"] = attitude_of(store, customer_id).reason
    return values


class ValuesCard(Static):
    """``store.plugins.values`` as a grid, then the latest entries of each ledger."""

    values: dict[str, Any] | None = None

    def show_pending(self) -> None:
        self.update(Text(_("computing …"), style="dim"))

    def show_failed(self) -> None:
        self.values = None
        self.update(Text(_("not computed (see the notice)"), style="dim"))

    def show(self, store: Store, customer_id: str, values: dict[str, Any],
             shown_elsewhere: frozenset[str] = frozenset()) -> None:
        """``shown_elsewhere``: values and ledgers a plugin panel shows (``Panel.shows``),
        left out here."""
        self.values = values
        parts: list[Any] = []
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for key, value in shown_values(values, store).items():  # built-in tier names in the user's language
            if key in shown_elsewhere:
                continue
            if key == "attitude_reason":
                continue  # beside the attitude
            if key == "attitude":  # kehu_core.attitude's name, as a person reads it, and why
                shown = _(ATTITUDE_NAMES[value]) if value in ATTITUDE_NAMES else ""
                if shown and values.get("attitude_reason"):
                    shown += f" · {values['attitude_reason']}"
            else:
                shown = formatting.reminder(value) if key == "next_reminder" else formatting.text(value)
            grid.add_row(Text(field_label(key)), Text(shown))
        parts.append(grid if values else Text(_("no plugin computes anything for this customer"),
                                              style="dim"))
        for name in ledger_names(store, customer_id):
            if name in shown_elsewhere:
                continue
            try:
                entries = store.ledger(customer_id, name)
            except Exception as exc:  # a broken ledger is shown, not fatal
                parts.append(Text(f"{name}: {exc}", style="bold red"))
                continue
            title = ledger_label(name)
            table = Table(title=_("{name} history").format(name=title), title_justify="left", expand=True,
                          show_edge=False, header_style="bold")
            columns = list(dict.fromkeys(k for e in entries[-HISTORY_ROWS:] for k in e))
            for column in columns:
                table.add_column(Text(_(LEDGER_COLUMNS[column]) if column in LEDGER_COLUMNS else column))
            for entry in reversed(entries[-HISTORY_ROWS:]):
                table.add_row(*(Text(formatting.text(entry.get(c))) for c in columns))
            parts.append(Text(""))
            parts.append(table)
        self.update(Group(*parts))
