"""The first screen: every customer, search as you type, filters, quick actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Input

from kehu_core.i18n import N_, _, ngettext
from kehu_core.left_out import left_out as unlisted_message
from kehu_core.left_out import unread_folders

from ..messages import CustomerSaved, FiltersChanged, ListLoaded, StoreChanged
from ..widgets.customers.cells import ORDERS
from ..widgets.customers.filters import FilterBar, SearchBox
from ..widgets.customers.pages import SEARCH_LIMIT, Query
from ..widgets.customers.table import CustomerTable
from ..widgets.plain_text import Static

if TYPE_CHECKING:
    from kehu_core.store import Store


class CustomersScreen(Screen):
    """Customer list. ``/`` searches, ``Esc`` clears, ``Enter`` opens, ``f`` filters."""

    BINDINGS = [
        Binding("slash", "focus_search", N_("Search"), key_display="/"),
        Binding("escape", "clear_search", N_("Clear search"), show=False),
        Binding("f", "toggle_filters", N_("Filter")),
        Binding("p", "add_purchase", N_("Purchase")),
        Binding("i", "add_interaction", N_("Interaction")),
        Binding("e", "edit", N_("Edit")),
    ]

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield Header()
        yield SearchBox()
        yield FilterBar(self.store, id="filters", classes="hidden")
        yield CustomerTable(self.store, id="customers")
        yield Static(id="list-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.table
        table.reload()
        table.focus()
        self._update_status()

    @property
    def table(self) -> CustomerTable:
        return self.query_one(CustomerTable)

    def _update_status(self) -> None:
        q = self.table.query_state
        shown = self.table.fetched
        if getattr(self.app, "rebuilding", False):  # the list fills again when it is done
            what = _("rebuilding the index…")
        elif self.table.fetching and not shown:
            what = "looking…"
        elif q.search:
            more = "+" if shown >= SEARCH_LIMIT else ""
            what = _("{shown}{more} found for “{search}”").format(shown=shown, more=more, search=q.search)
        elif q.computed_filter:  # counted as they are found: the index rows hold no tiers
            more = "" if self.table.complete else "+"
            what = ngettext("{shown}{more} of {total} customer · sorted by {order}",
                            "{shown}{more} of {total} customers · sorted by {order}", self.table.total).format(
                shown=shown, more=more, total=self.table.total, order=_(ORDERS.get(q.order, q.order)))
        else:
            more = "" if shown >= self.table.total else _(" (first {shown} loaded)").format(shown=shown)
            what = ngettext("{total} customer{more} · sorted by {order}", "{total} customers{more} · sorted by {order}",
                            self.table.total).format(
                total=self.table.total, more=more, order=_(ORDERS.get(q.order, q.order)))
        filters = [f"{k}: {v}" for k, v in (("tag", q.tag), ("tier", q.tier), ("owner", q.owner),
                                             ("attitude", q.attitude)) if v]
        if filters:
            what += " · " + ", ".join(filters)
        # kehu_core's counts and words, not the TUI's
        for left_out in (unlisted_message(self.table.unlisted), unread_folders(self.table.unread_folders)):
            if left_out:
                what += " · " + left_out
        self.query_one("#list-status", Static).update(what)

    # --- search -------------------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if event.value != event.input.value:
            return  # typed on since: the change that follows searches for all of it
        q = self.table.query_state
        self.table.reload(Query(event.value.strip(), q.order, q.tag, q.tier, q.owner, q.attitude))
        self._update_status()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search box opens the best match (the highlighted row)."""
        table = self.table
        if table.row_count:
            table.focus()
            table.action_select_cursor()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        box = self.query_one("#search", Input)
        if box.value:
            box.value = ""  # Input.Changed reloads the full list
        self.table.focus()

    # --- filters ------------------------------------------------------------------------

    def action_toggle_filters(self) -> None:
        bar = self.query_one(FilterBar)
        bar.toggle_class("hidden")
        if not bar.has_class("hidden"):
            bar.query_one("#filter-tag").focus()
        else:
            self.table.focus()

    @on(FiltersChanged)
    def _filters_changed(self, event: FiltersChanged) -> None:
        q = self.table.query_state
        if (q.tag, q.tier, q.owner, q.attitude) == (event.tag, event.tier, event.owner, event.attitude):
            return
        self.table.reload(Query(q.search, q.order, event.tag, event.tier, event.owner, event.attitude))
        self._update_status()

    @on(ListLoaded)
    def _list_loaded(self, event: ListLoaded) -> None:
        self._update_status()

    # --- actions on the selected customer -------------------------------------------------

    def _selected(self) -> str | None:
        cid = self.table.selected_id
        if cid is None:
            self.notify(_("no customer selected"), severity="warning")
        return cid

    def action_add_purchase(self) -> None:
        if cid := self._selected():
            self.app.add_interaction(cid, "purchase")  # type: ignore[attr-defined]

    def action_add_interaction(self) -> None:
        if cid := self._selected():
            self.app.add_interaction(cid, None)  # type: ignore[attr-defined]

    def action_edit(self) -> None:
        if cid := self._selected():
            self.app.edit_customer(cid)  # type: ignore[attr-defined]

    # --- keeping up with the store ------------------------------------------------------

    def on_store_changed(self, event: StoreChanged) -> None:
        self.table.follow_settings()  # kehu.yaml read again may turn a plugin on or off
        self.query_one(FilterBar).follow_settings()  # ... or rename the tiers it suggests
        self.table.forget_values()
        self.table.reload(keep_cursor=True)
        self._update_status()

    def on_customer_saved(self, event: CustomerSaved) -> None:
        self.table.forget_values(event.customer_id)
        self.table.reload(keep_cursor=True)
        self._update_status()

    def on_screen_resume(self) -> None:
        self.table.call_after_refresh(self.table.fill_visible)
