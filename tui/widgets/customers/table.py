"""The customer list: a DataTable fed page by page from the index.

With 100 000 customers nothing may walk every record: rows come from ``store.index.list`` a
page at a time as the user scrolls, and what plugins compute (tier, points, next reminder,
plugin columns) is asked for only for the rows on screen, once per customer, then cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.widgets import DataTable

from ... import formatting
from ...messages import OpenCustomer

if TYPE_CHECKING:
    from kehu_core.index import Row
    from kehu_core.models import Customer
    from kehu_core.plugins import Column
    from kehu_core.store import Store

PAGE = 100
SEARCH_LIMIT = 100  # the best matches; typing more narrows them
# A tier filter needs plugin values, which the index does not hold: scan at most this many
# index pages per load so that a rare tier cannot freeze the screen; scrolling loads more.
TIER_SCAN_PAGES = 20


@dataclass(frozen=True)
class ListColumn:
    key: str
    title: str
    width: int
    order: str | None = None  # the index order this column sorts by, if any
    value_key: str | None = None  # a key of store.plugins.values(...)


BUILTIN_COLUMNS = (
    ListColumn("name", "Name", 16, order="name"),
    ListColumn("phone", "Phone", 15),
    ListColumn("tier", "Tier", 9, value_key="tier"),
    ListColumn("points", "Points", 7, value_key="points"),
    ListColumn("owner", "Owner", 7, order="owner"),
    ListColumn("last_contact", "Last contact", 12, order="last_contact"),
    ListColumn("next_reminder", "Next reminder", 24, value_key="next_reminder"),
)
ORDERS = {"name": "name", "owner": "owner", "last_contact": "last contact"}
PENDING = "…"


@dataclass
class Query:
    """What the list shows: a search, or the whole index in some order, and the filters."""

    search: str = ""
    order: str = "name"
    tag: str | None = None
    tier: str | None = None
    owner: str | None = None


class CustomerTable(DataTable):
    """Customers from the index; Enter opens one, clicking a header sorts by it."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open", show=True),
        Binding("s", "cycle_sort", "Sort"),
    ]

    def __init__(self, store: Store, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.store = store
        self.query_state = Query()
        self._offset = 0  # index rows consumed so far (tier filtering skips some)
        self._exhausted = False
        self._loading = False
        self._values: dict[str, dict[str, Any]] = {}
        self._stale: dict[str, dict[str, Any]] = {}
        self._asked: set[str] = set()
        self._epoch = 0  # bumped when values go stale, so late answers are not taken as fresh
        self._plugin_columns: list[tuple[ListColumn, Column]] = []
        self._rows_by_id: dict[str, Row] = {}
        self.total = 0

    # --- set-up -----------------------------------------------------------------------

    def on_mount(self) -> None:
        for column in BUILTIN_COLUMNS:
            self.add_column(Text(column.title), width=column.width, key=column.key)
        if self.store.plugins is not None:
            builtin = {c.key for c in BUILTIN_COLUMNS}
            for i, column in enumerate(self.store.plugins.collect("tui_columns", store=self.store)):
                if column.key in builtin:  # e.g. the tiering plugin's "tier": shown already
                    continue
                spec = ListColumn(f"plugin:{column.key or i}", column.title, max(len(column.title), 8))
                self._plugin_columns.append((spec, column))
                self.add_column(Text(spec.title), width=spec.width, key=spec.key)
        self._show_sort_marker()

    @property
    def columns_spec(self) -> list[ListColumn]:
        return [*BUILTIN_COLUMNS, *(spec for spec, _ in self._plugin_columns)]

    # --- loading ----------------------------------------------------------------------

    def reload(self, query: Query | None = None, *, keep_cursor: bool = False) -> None:
        """Start over from the first page (a new search, filter or sort, or changed files)."""
        if query is not None:
            self.query_state = query
        selected = self.selected_id if keep_cursor else None
        wanted = max(self.row_count, PAGE) if keep_cursor else PAGE
        self._rows_by_id.clear()
        self._offset = 0
        self._exhausted = True  # clear() scrolls to the top, which must not load rows yet
        self.clear()
        self._exhausted = False
        self.total = self.store.index.count()
        while not self._exhausted and self.row_count < wanted:
            self.load_more()
        if selected is not None and selected in self._rows_by_id:
            self.move_cursor(row=self.get_row_index(selected), animate=False)
        self.call_after_refresh(self.fill_visible)

    def forget_values(self, customer_id: str | None = None) -> None:
        """Drop cached plugin values (all, or one customer's) so they are asked for again."""
        if customer_id is None:
            self._values.clear()
        else:
            self._values.pop(customer_id, None)
        self._asked.clear()
        self._epoch += 1

    def load_more(self) -> None:
        """Append the next page of rows (a search loads all its results at once)."""
        if self._exhausted or self._loading:
            return
        self._loading = True  # adding a row moves the cursor, whose watcher asks for more
        try:
            self._load_page()
        finally:
            self._loading = False

    def _load_page(self) -> None:
        q = self.query_state
        if q.search:
            rows = [r for r in self.store.index.search(q.search, SEARCH_LIMIT) if self._keep(r)]
            self._exhausted = True
        else:
            rows = []
            for _ in range(TIER_SCAN_PAGES if q.tier else 1):
                page = self.store.index.list(
                    tag=q.tag, owner=q.owner, order=q.order, limit=PAGE, offset=self._offset
                )
                self._offset += len(page)
                if len(page) < PAGE:
                    self._exhausted = True
                rows += [r for r in page if self._keep(r)]
                if self._exhausted or len(rows) >= PAGE:
                    break
        for row in rows:
            self._add(row)

    def _keep(self, row: Row) -> bool:
        q = self.query_state
        c = row.customer
        if q.tag and q.tag not in c.tags:
            return False
        if q.owner and c.owner != q.owner:
            return False
        if q.tier:
            tier = self.values_of(c.id, row).get("tier")
            return formatting.text(tier).lower() == q.tier.lower()
        return True

    def _add(self, row: Row) -> None:
        c = row.customer
        if c.id in self._rows_by_id:
            return
        self._rows_by_id[c.id] = row
        # until fresh values arrive, a row shows what was last known (no flicker on reload)
        known = self._values.get(c.id) or self._stale.get(c.id)
        cells: list[Any] = []
        for column in self.columns_spec:
            if column.key == "name":
                cells.append(Text(c.name, style="bold"))
            elif column.key == "phone":
                cells.append(formatting.phone(c.phones[0] if c.phones else None))
            elif column.key == "owner":
                cells.append(c.owner or "")
            elif column.key == "last_contact":
                cells.append(row.last_contact or "")
            elif known is not None:
                cells.append(self._value_cell(column, known))
            else:
                cells.append(PENDING)
        self.add_row(*cells, key=c.id)

    # --- plugin values, for visible rows only -----------------------------------------

    def values_of(self, customer_id: str, row: Row | None = None) -> dict[str, Any]:
        """Plugin values of one customer, computed here and now (the tier filter needs them
        before it can decide which rows to show)."""
        if customer_id in self._values:
            return self._values[customer_id]
        row = row or self._rows_by_id.get(customer_id)
        if row is None:
            return {}
        values = compute_values(self.store, [customer_id], self._plugin_columns,
                                {customer_id: row.customer})[customer_id]
        self._values[customer_id] = values
        return values

    def _value_cell(self, column: ListColumn, values: dict[str, Any]) -> Any:
        value = values.get(column.value_key or column.key)
        if column.key == "next_reminder":
            return formatting.reminder(value)
        if column.key == "points" and value is not None:
            return Text(formatting.text(value), justify="right")
        return formatting.text(value)

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
    async def _request_values(self, ids: list[str]) -> None:
        epoch = self._epoch
        background = getattr(self.app, "background", None)
        if background is None:
            values = compute_values(self.store, ids, self._plugin_columns)
        else:
            values = await background.run(compute_values, ids, self._plugin_columns)
        self._stale.update(values)
        if epoch == self._epoch:  # else the data changed meanwhile: shown, but asked again
            self._asked.difference_update(ids)
            self._values.update(values)
        self._show_values(values)
        if epoch != self._epoch:
            self.fill_visible()

    def _show_values(self, values: dict[str, dict[str, Any]]) -> None:
        value_columns = [c for c in self.columns_spec
                         if c.key not in ("name", "phone", "owner", "last_contact")]
        for cid, known in values.items():
            if cid not in self._rows_by_id:
                continue
            for column in value_columns:
                self.update_cell(cid, column.key, self._value_cell(column, known))

    @property
    def values_pending(self) -> bool:
        return bool(self._asked)

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
            self.notify(f"the list can be sorted by {sortable}", severity="warning")
            return
        if self.query_state.search:
            self.notify("clear the search (Esc) to sort the whole list", severity="warning")
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
            label = column.title + (" ▼" if column.order == self.query_state.order else "")
            key = self.columns.get(column.key)  # type: ignore[call-overload]
            if key is not None:
                key.label = Text(label)
        self.refresh()


def compute_values(
    store: Store, ids: list[str], columns: list[tuple[ListColumn, Column]],
    customers: dict[str, Customer] | None = None,
) -> dict[str, dict[str, Any]]:
    """What plugins compute for these customers: ``customer_values`` and plugin columns.

    Runs on the background thread (with its own store) or, for the tier filter, right here.
    """
    out: dict[str, dict[str, Any]] = {}
    for cid in ids:
        customer = (customers or {}).get(cid)
        if customer is None:
            row = store.index.get(cid)
            if row is None:
                continue
            customer = row.customer
        values = dict(store.plugins.values(store, customer)) if store.plugins else {}
        for spec, column in columns:
            try:
                values[spec.key] = column.value(store, customer)
            except Exception as exc:  # a broken plugin column must not break the list
                values[spec.key] = f"error: {exc}"
        out[cid] = values
    return out
