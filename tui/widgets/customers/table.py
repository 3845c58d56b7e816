"""The customer list: a DataTable fed page by page from the index.

With 100 000 customers nothing may walk every record: rows come from ``store.index.list`` a
page at a time as the user scrolls, and what plugins compute (tier, points, next reminder,
plugin columns) is asked for only for the rows on screen, once per customer, then cached.

Rows fetched from the index are put on screen a screenful at a time: the DataTable measures
every cell of every row it is given, so rows nobody scrolled to yet wait in a buffer.

A tier filter, or an order by a value plugins compute (tier, points, next reminder), reads
the values the index keeps; an attitude filter needs computed values (:mod:`.pages`: the query,
its pages, the values). After a change of the records the values may first be computed again,
so these pages are fetched on the app's background thread (``fetch_page``); the table shows a
loading state meanwhile, and a newer reload makes an older fetch stop and its answer be dropped.

The attitude column and filter read ``kehu_core.attitude.attitudes`` (loyal, switching, no
loyalty), the answer ``customer list --attitude`` and segments use, kept by the index for its
generation and the day: the TUI computes nothing itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.widgets import DataTable

from kehu_core.i18n import N_, _

from ...background import saying_errors
from ...messages import ListLoaded, OpenCustomer
from ..plain_table import PlainTable
from .cells import BUILTIN_COLUMNS, ORDERS, column_width, row_cells, value_cell
from .pages import VALUE_ORDERS, ListColumn, Page, Query, attitude_values, compute_values, fetch_page

if TYPE_CHECKING:
    from kehu_core.index import Row
    from kehu_core.plugins import Column
    from kehu_core.store import Store

SHOW = 50  # rows put on screen at a time (at least a screenful more than is visible)


class CustomerTable(PlainTable):
    """Customers from the index; Enter opens one, clicking a header sorts by it."""

    BINDINGS = [
        Binding("enter", "select_cursor", N_("Open"), show=True),
        Binding("s", "cycle_sort", N_("Sort")),
    ]

    def __init__(self, store: Store, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.store = store
        self.query_state = Query()
        self._seq = 0  # bumped by every reload: a fetch started before it is stale
        self._offset = 0
        self._exhausted = False
        self._buffer: list[Row] = []  # fetched, not on screen yet
        self._wanted = SHOW  # rows the screen should have once fetching is done
        self._filling = False  # adding a row moves the cursor, whose watcher asks for more
        self.fetching = False  # a page is being fetched in the background
        self._reselect: str | None = None  # the customer to put the cursor on again
        self._values: dict[str, dict[str, Any]] = {}
        self._stale: dict[str, dict[str, Any]] = {}
        self._asked: set[str] = set()
        self._epoch = 0  # bumped when values go stale, so late answers are not taken as fresh
        self._plugin_columns: list[tuple[ListColumn, Column]] = []
        self._headed: list[tuple[str, str]] = []  # the columns on screen: key and title
        self._rows_by_id: dict[str, Row] = {}
        self.total = 0
        self.unlisted = 0  # customers no list shows: their customer.yaml has a problem
        self.unread_folders = 0  # folders of customers that cannot be read (Index.unread_folders)

    # --- set-up -----------------------------------------------------------------------

    def on_mount(self) -> None:
        self._plugin_columns = self._columns_of_plugins()
        self._add_columns()

    def _columns_of_plugins(self) -> list[tuple[ListColumn, Column]]:
        """The columns the store's plugins add now (kehu.yaml's settings as last read)."""
        if self.store.plugins is None:
            return []
        builtin = {c.key for c in BUILTIN_COLUMNS}
        found = []
        for i, column in enumerate(self.store.plugins.collect("tui_columns", store=self.store)):
            if column.key in builtin:  # e.g. the tiering plugin's "tier": shown already
                continue
            # (a column without a key by its place: never the key another plugin's column has,
            # which two columns of one key ended the TUI with Textual's DuplicateKey)
            found.append((ListColumn(f"plugin:{column.key}" if column.key else f"plugin:#{i}", column.title,
                                     max(len(column.title), 8)), column))
        return found

    def _headings(self) -> list[tuple[str, str]]:
        return [(c.key, c.title) for c in self.columns_spec]

    def _add_columns(self) -> None:
        self._headed = self._headings()
        for column in BUILTIN_COLUMNS:
            self.add_column(Text(_(column.title)), width=column_width(self.store, column), key=column.key)
        for spec, _column in self._plugin_columns:
            self.add_column(Text(spec.title), width=spec.width, key=spec.key)
        self._show_sort_marker()

    def follow_settings(self) -> None:
        """The plugins' columns as kehu.yaml now enables them, after the app read it again (a
        sync pulled a colleague's settings): a plugin turned on had no column, one turned off
        kept its own. Shown from the next :meth:`reload` on."""
        self._plugin_columns = self._columns_of_plugins()  # the cells asked of the plugins as they are now

    @property
    def columns_spec(self) -> list[ListColumn]:
        return [*BUILTIN_COLUMNS, *(spec for spec, _plugin in self._plugin_columns)]

    # --- loading ----------------------------------------------------------------------

    @property
    def fetched(self) -> int:
        """Rows fetched so far: on screen and buffered."""
        return self.row_count + len(self._buffer)

    @property
    def complete(self) -> bool:
        """Every row of the query is fetched."""
        return self._exhausted and not self.fetching

    def reload(self, query: Query | None = None, *, keep_cursor: bool = False) -> None:
        """Start over from the first page (a new search, filter or sort, or changed files)."""
        if query is not None:
            self.query_state = query
        self._reselect = self.selected_id if keep_cursor else None
        self._wanted = max(self.row_count, self._chunk) if keep_cursor else self._chunk
        self._seq += 1
        # values asked for rows that are going away: not computed unless already started
        self.workers.cancel_group(self, "values")
        self._asked.clear()
        self._rows_by_id.clear()
        self._buffer = []
        self._offset = 0
        self.fetching = False
        self.loading = False
        self._exhausted = True  # clear() scrolls to the top, which must not load rows yet
        # a column of another key, or of another title under its key (a plugin's label, read
        # again from kehu.yaml), is made anew: the rows go anyway, the titles stayed as they were
        self.clear(columns=self._headed != self._headings())
        if not self.columns:  # the plugins' columns changed with kehu.yaml (follow_settings)
            self._add_columns()
        self._exhausted = False
        if not self.query_state.search:  # only the full list says how many there are
            self.total = self.store.index.count()
        self.unlisted = self.store.index.unlisted()  # said under the list, as `customer list` does
        self.unread_folders = self.store.index.unread_folders()
        self._fill()

    @property
    def _chunk(self) -> int:
        return max(SHOW, self.size.height + 10)

    def load_more(self) -> None:
        """Put another screenful of rows on screen (fetching them if need be)."""
        if self._filling or (self._exhausted and not self._buffer):
            return
        self._wanted = max(self._wanted, self.row_count + self._chunk)
        self._fill()

    def _fill(self) -> None:
        """Show rows until the screen has the rows it wants, or there are no more."""
        if self._filling or self.fetching:
            return  # a running fetch goes on to the rows wanted now
        self._filling = True
        try:
            while self.row_count < self._wanted and (self._buffer or not self._exhausted):
                if not self._buffer:
                    if self.query_state.computed_filter or self.query_state.order in VALUE_ORDERS:
                        self.fetching = True
                        self._fetch_in_background(self._seq)
                        return
                    self._take(fetch_page(self.store, self.query_state, self._offset,
                                          self._plugin_columns))
                self._show_buffered()
        finally:
            self._filling = False
        self._done_filling()

    def _take(self, page: Page) -> None:
        self._offset = page.offset
        self._exhausted = page.exhausted
        self._stale.update(page.known)
        self._buffer += page.rows
        self._stale.update(page.values)
        if page.values:
            self._values.update(page.values)

    def _show_buffered(self) -> None:
        take = max(self._wanted - self.row_count, 0)
        rows, self._buffer = self._buffer[:take], self._buffer[take:]
        for row in rows:
            self._add(row)

    def _done_filling(self) -> None:
        if self._reselect is not None and self._reselect in self._rows_by_id:
            self.move_cursor(row=self.get_row_index(self._reselect), animate=False)
            self._reselect = None
        self.call_after_refresh(self.fill_visible)
        self.post_message(ListLoaded(done=True))

    @work(group="list-fetch", exclusive=True, exit_on_error=False)
    async def _fetch_in_background(self, seq: int) -> None:
        """Fetch pages for a tier or attitude filter off the screen's thread until the screen
        is full."""
        if seq != self._seq:
            return  # reloaded before this worker even started
        query = dataclasses.replace(self.query_state)  # the fetch must not see later changes
        if not self.row_count:
            self.loading = True
        self.post_message(ListLoaded(done=False))
        epoch = self._epoch
        try:
            while True:
                page = await self._run(fetch_page, query, self._offset, self._plugin_columns,
                                       lambda: self._seq != seq)
                if seq != self._seq:
                    return  # the user moved on: the rows of another query, dropped
                if epoch != self._epoch:
                    page.values.clear()  # computed before the data changed: asked again
                self._take(page)
                self._filling = True
                try:
                    self._show_buffered()
                finally:
                    self._filling = False
                if self.row_count >= self._wanted or self._exhausted:
                    break
        except Exception as exc:  # e.g. a plugin failing: say so, keep what is shown
            if seq == self._seq:
                self.notify(_("could not load the list: {exc}").format(exc=exc), severity="error")
        finally:
            if seq == self._seq:
                self.fetching = False
                self.loading = False
        if seq == self._seq:
            self._done_filling()

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(store, *args)`` on the app's background thread (inline without one)."""
        background = getattr(self.app, "background", None)
        if background is None:
            return fn(self.store, *args)
        return await background.run(fn, *args)

    def forget_values(self, customer_id: str | None = None) -> None:
        """Drop cached plugin values (all, or one customer's) so they are asked for again."""
        if customer_id is None:
            self._values.clear()
        else:
            self._values.pop(customer_id, None)
        self._asked.clear()
        self._epoch += 1

    def _add(self, row: Row) -> None:
        c = row.customer
        if c.id in self._rows_by_id:
            return
        self._rows_by_id[c.id] = row
        # until fresh values arrive, a row shows what was last known (no flicker on reload)
        known = self._values.get(c.id) or self._stale.get(c.id)
        self.add_row(*row_cells(self.store, row, self.columns_spec, known), key=c.id)

    # --- plugin values, for visible rows only -----------------------------------------

    def visible_ids(self) -> list[str]:
        first = int(self.scroll_y)
        last = min(self.row_count, first + max(self.size.height, 1))
        return [self.coordinate_to_cell_key((i, 0)).row_key.value or "" for i in range(first, last)]

    def fill_visible(self) -> None:
        """Ask for the plugin values of the rows on screen that do not have them yet."""
        wanted = [cid for cid in self.visible_ids()
                  if cid and cid not in self._values and cid not in self._asked]
        if wanted:
            self._asked.update(wanted)
            self._request_values(wanted)

    @work(group="values")
    @saying_errors
    async def _request_values(self, ids: list[str]) -> None:
        try:
            await self._fill_values(ids)
        except BaseException:
            self._asked.difference_update(ids)  # asked again on the next scroll or change
            raise

    async def _fill_values(self, ids: list[str]) -> None:
        epoch = self._epoch
        values = await self._run(compute_values, ids, self._plugin_columns, None, False)
        self._stale.update(values)
        if epoch == self._epoch:  # else the data changed meanwhile: shown, but asked again
            self._values.update(values)
        self._show_values(values)
        # then the attitudes: their first pass over the window's purchases (about 0.8 s CPU
        # at 10 000 customers) must not hold back tier and points
        found = await self._run(attitude_values, ids)
        for cid, attitude in found.items():
            for known in (values.get(cid), self._stale.get(cid)):
                if known is not None:
                    known["attitude"] = attitude
        if epoch == self._epoch:
            self._asked.difference_update(ids)
        self._show_values({cid: v for cid, v in values.items() if "attitude" in v})
        if epoch != self._epoch:
            self.fill_visible()

    def _show_values(self, values: dict[str, dict[str, Any]]) -> None:
        value_columns = [c for c in self.columns_spec
                         if c.key not in ("name", "phone", "owner", "last_contact")]
        for cid, known in values.items():
            if cid not in self._rows_by_id:
                continue
            for column in value_columns:
                self.update_cell(cid, column.key, value_cell(self.store, column, known))

    @property
    def values_pending(self) -> bool:
        return bool(self._asked) or self.fetching

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value + self.size.height * 2 >= self.row_count:
            self.load_more()
        self.call_after_refresh(self.fill_visible)

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:
        super().watch_cursor_coordinate(old, new)
        if new.row >= self.row_count - 5:
            self.load_more()

    def on_resize(self) -> None:
        self.call_after_refresh(self.fill_visible)
    # --- selection and sorting ----------------------------------------------------------

    @property
    def selected_id(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        return key

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(OpenCustomer(event.row_key.value))

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(str(event.column_key.value))

    def sort_by(self, column_key: str) -> None:
        column = next((c for c in self.columns_spec if c.key == column_key), None)
        if column is None or column.order is None:
            sortable = ", ".join(ORDERS.values())
            self.notify(_("the list can be sorted by {sortable}").format(sortable=sortable), severity="warning")
            return
        if self.query_state.search:
            self.notify(_("clear the search (Esc) to sort the whole list"), severity="warning")
            return
        self.query_state.order = column.order
        self._show_sort_marker()
        self.reload(keep_cursor=False)

    def action_cycle_sort(self) -> None:
        keys = list(ORDERS)
        current = keys.index(self.query_state.order) if self.query_state.order in keys else -1
        self.sort_by(keys[(current + 1) % len(keys)])

    def _show_sort_marker(self) -> None:
        for column in self.columns_spec:
            label = _(column.title) + (" ▼" if column.order == self.query_state.order else "")
            key = self.columns.get(column.key)  # type: ignore[call-overload]
            if key is not None:
                key.label = Text(label)
        self.refresh()
