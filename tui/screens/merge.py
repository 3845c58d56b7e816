"""Pick the customer to merge into the one on screen (by id, name, pinyin, phone ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from kehu_core.i18n import N_, _

from ..widgets.plain_text import Static

if TYPE_CHECKING:
    from kehu_core.store import Store


class MergeScreen(ModalScreen[str | None]):
    """Type an id or search as in the list; Enter picks (the only match, or the highlighted
    one below). Dismissed with the other customer's id, or None."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, store: Store, keep_id: str, keep_name: str) -> None:
        super().__init__()
        self.store = store
        self.keep_id = keep_id
        self.keep_name = keep_name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="merge-dialog"):
            yield Static(Text(_("Merge another customer into {name} ({id})").format(
                name=self.keep_name, id=self.keep_id), style="bold"),
                         classes="dialog-title")
            yield Input(placeholder=_("id, name, pinyin, phone, email ..."), id="merge-query")
            yield OptionList(id="merge-matches")
            yield Static("", classes="form-error", id="merge-error")
            yield Static(Text(_("Enter picks · ↓ to choose among several · Esc cancels"), style="dim"))

    def _matches(self, query: str) -> list[tuple[str, str]]:
        query = query.strip()
        found: list[tuple[str, str]] = []
        if not query:
            return found
        row = self.store.index.get(query)
        if row is not None and row.customer.id != self.keep_id:
            found.append((row.customer.id, self._label(row.customer.id, row.customer.name, row.customer.phones)))
        for r in self.store.index.search(query, 20):
            c = r.customer
            if c.id != self.keep_id and all(c.id != cid for cid, _name in found):
                found.append((c.id, self._label(c.id, c.name, c.phones)))
        return found

    @staticmethod
    def _label(cid: str, name: str, phones: list[str]) -> str:
        return f"{name}  {cid}  {phones[0] if phones else ''}".rstrip()

    @on(Input.Changed, "#merge-query")
    def _changed(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(label, id=cid) for cid, label in self._matches(event.value)])
        self.query_one("#merge-error", Static).update("")

    @on(Input.Submitted, "#merge-query")
    def _submitted(self, event: Input.Submitted) -> None:
        matches = self._matches(event.value)
        error = self.query_one("#merge-error", Static)
        if not matches:
            error.update(Text(_("✗ no other customer matches {strip!r}").format(strip=event.value.strip())))
        elif len(matches) == 1 or matches[0][0] == event.value.strip():
            self.dismiss(matches[0][0])
        else:
            error.update(Text(_("✗ {matches} customers match: pick one with ↓ and Enter").format(matches=len(matches))))
            options = self.query_one(OptionList)
            options.focus()
            options.highlighted = 0

    @on(OptionList.OptionSelected, "#merge-matches")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
