"""``?``: every key of every screen, read from the bindings themselves (so it cannot lie)."""

from __future__ import annotations

from rich.columns import Columns
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from kehu_core.i18n import N_, _

from ..widgets.plain_text import Static

KEY_NAMES = {"question_mark": "?", "slash": "/", "escape": "Esc", "enter": "Enter"}


def key_text(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    return ", ".join(KEY_NAMES.get(k, k) for k in binding.key.split(","))


def binding_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """(screen, [(key, what)]) for the app and each screen, in the order a user meets them."""
    from ..app import KehuApp
    from ..widgets.customers.table import CustomerTable
    from .customer import CustomerScreen
    from .customers import CustomersScreen
    from .dashboard import DashboardScreen
    from .edit import EditCustomerScreen
    from .interaction import AddInteractionScreen
    from .today import TodayScreen

    groups = [
        (_("Everywhere"), KehuApp.BINDINGS),
        (_("Customer list"), [*CustomersScreen.BINDINGS, *CustomerTable.BINDINGS]),
        (_("Customer"), CustomerScreen.BINDINGS),
        (_("Edit form"), EditCustomerScreen.BINDINGS),
        (_("New purchase / interaction"), AddInteractionScreen.BINDINGS),
        (_("Today"), TodayScreen.BINDINGS),
        (_("Dashboard"), DashboardScreen.BINDINGS),
    ]
    out = []
    for title, bindings in groups:
        rows = [(key_text(b), _(b.tooltip or b.description)) for b in bindings
                if isinstance(b, Binding)]
        out.append((title, rows))
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", N_("Close")),
    ]

    def compose(self) -> ComposeResult:
        tables = []
        for title, rows in binding_groups():
            table = Table(title=title, title_style="bold underline", title_justify="left",
                          show_header=False, box=None, padding=(0, 1))
            table.add_column(style="bold", no_wrap=True)
            table.add_column()
            for key, what in rows:
                table.add_row(key, what)
            tables.append(table)
        with VerticalScroll(classes="dialog", id="help-dialog"):
            yield Static(Text(_("Keys  (Esc closes)"), style="bold"), classes="dialog-title")
            yield Static(Columns(tables, padding=(1, 3)), id="help-keys")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
