"""Edit a customer's profile in a form.

Saving goes through ``store.update_customer(..., expect_version=...)``: only changed lines of
the YAML file change, comments and unknown fields stay, and a save is refused if another
process changed the file since the form was filled. A refused or invalid save keeps every
character the user typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Header, Input

from kehu_core.confidential import LOCK, revealed
from kehu_core.errors import ConflictError, KehuError, NotFound, RecordError
from kehu_core.i18n import N_, _
from kehu_core.shown import visible

from ..messages import CustomerSaved, StoreChanged
from ..widgets.forms.customer_form import changes_of, field_errors, form_fields, to_text
from ..widgets.forms.field import FormField
from ..widgets.plain_text import Static

if TYPE_CHECKING:
    from kehu_core.models import Customer
    from kehu_core.store import Store


class EditCustomerScreen(Screen):
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save")),
        Binding("escape", "cancel", N_("Cancel")),
        Binding("ctrl+r", "reload_keep_mine", N_("Load theirs, keep mine")),
    ]

    def __init__(self, store: Store, customer_id: str) -> None:
        super().__init__()
        self.store = store
        self.customer_id = customer_id
        self.specs = form_fields(store)
        self.original: Customer | None = None
        self.version: str | None = None
        self._discard_armed = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="edit-banner", classes="banner hidden")
        with VerticalScroll(id="edit-form"):
            for spec in self.specs:
                yield FormField(spec.name, spec.label, hint=spec.hint, checkbox=spec.kind == "bool")
        yield Static(Text(_("Enter or ctrl+s saves · Esc cancels"), style="dim"), id="edit-help")
        yield Footer()

    def on_mount(self) -> None:
        try:
            self._load_from_disk()
        except KehuError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            self.app.pop_screen()
            return
        self.query_one("#field-name").focus()

    def _load_from_disk(self) -> None:
        # confidential fields in plain where the user's key opens them; the others locked
        opened = revealed(self.store, self.store.get(self.customer_id))
        self.original = opened.customer
        self.version = self.store.file_version(self.customer_id)
        self.sub_title = _("edit {name} ({id})").format(name=visible(self.original.name), id=self.customer_id)
        for spec in self.specs:
            row = self.field(spec.name)
            row.set_locked(spec.name in opened.locked,
                           f"{LOCK} " + _("encrypted: your key cannot open it; kept as it is"))
            if spec.name not in opened.locked:
                row.value = to_text(spec, getattr(self.original, spec.name, None))

    def field(self, name: str) -> FormField:
        return self.query_one(f"#row-{name}", FormField)

    def typed(self) -> dict[str, str]:
        return {spec.name: self.field(spec.name).value for spec in self.specs if not self.field(spec.name).locked}

    @property
    def changes(self) -> dict[str, object]:
        assert self.original is not None
        return changes_of(self.specs, self.original, self.typed())

    # --- validation as you type -----------------------------------------------------------

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _revalidate(self) -> None:
        self._discard_armed = False
        if self.original is not None:
            self._show_errors(field_errors(self.store, self.original, self.changes))

    def _show_errors(self, errors: dict[str, str]) -> None:
        for spec in self.specs:
            self.field(spec.name).set_error(errors.get(spec.name))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    # --- saving ---------------------------------------------------------------------------

    def action_save(self) -> None:
        assert self.original is not None
        changes = self.changes
        if not changes:
            self.notify(_("nothing changed"))
            self.app.pop_screen()
            return
        errors = field_errors(self.store, self.original, changes)
        if errors:
            self._show_errors(errors)
            first = next(s.name for s in self.specs if s.name in errors)
            self.query_one(f"#field-{first}").focus()
            self.notify(_("not saved: {first}: {first2}").format(first=first, first2=errors[first]), severity="error")
            return
        try:
            self.store.update_customer(self.customer_id, changes, expect_version=self.version)
        except ConflictError as exc:
            self._banner(_("Not saved: {exc}. Your typing is kept: ctrl+r loads their version and puts "
                           "your changes on top, then save again.").format(exc=exc))
            self.notify(_("not saved: changed by someone else"), severity="error")
            return
        except RecordError as exc:
            self._banner(_("Not saved: {exc}").format(exc="; ".join(p.render() for p in exc.problems)))
            return
        except (NotFound, KehuError) as exc:
            self._banner(_("Not saved: {exc}").format(exc=exc))
            return
        self.app.broadcast(CustomerSaved(self.customer_id))  # type: ignore[attr-defined]
        self.app.pop_screen()
        self.app.notify(_("saved {changes}").format(changes=', '.join(changes)))

    def _banner(self, message: str | None) -> None:
        banner = self.query_one("#edit-banner", Static)
        banner.update(Text(message or ""))
        banner.set_class(not message, "hidden")

    def action_reload_keep_mine(self) -> None:
        """Take the version on disk, then re-apply the fields this user changed."""
        assert self.original is not None
        mine = {name: self.typed()[name] for name in self.changes}
        try:
            self._load_from_disk()
        except KehuError as exc:
            self._banner(_("Cannot reload: {exc}").format(exc=exc))
            return
        for name, text in mine.items():
            self.field(name).value = text
        self._banner(None)
        self.notify(_("loaded the version on disk; kept your changes to {nothing}").format(
            nothing=', '.join(mine) or 'nothing'))

    def action_cancel(self) -> None:
        if self.original is not None and self.changes and not self._discard_armed:
            self._discard_armed = True
            self.notify(_("unsaved changes: ctrl+s saves, Esc again discards them"), severity="warning")
            return
        self.app.pop_screen()

    # --- someone else changed the file ----------------------------------------------------

    def on_store_changed(self, event: StoreChanged) -> None:
        try:
            version = self.store.file_version(self.customer_id)
        except OSError:
            self._banner(_("This customer's file was deleted by someone else."))
            return
        except KehuError as exc:  # a link or a FIFO in its place
            self._unreadable(exc)
            return
        if version == self.version:
            return
        if self.original is not None and self.changes:
            self._banner(_("Someone else changed this customer while you were editing. Saving would be refused: "
                           "ctrl+r loads their version and keeps your changes."))
            return
        try:
            self._load_from_disk()
        except KehuError as exc:
            # a sync stopped with git's markers in it, a hand edit half done: it ended the app in
            # a traceback while the form was open
            self._unreadable(exc)
            return
        self._banner(None)
        self.notify(_("this customer was changed outside this window; reloaded"))

    def _unreadable(self, exc: KehuError) -> None:
        """The profile on disk, changed by another process, is one kehu cannot read: said, the
        form kept as it is; a save is refused (the file is not the version the form was filled
        from) until it is mended and ctrl+r loads it."""
        why = "; ".join(p.render() for p in exc.problems) if isinstance(exc, RecordError) else str(exc)
        self._banner(_("This customer's file was changed outside this window and cannot be read now: {why}. "
                       "Nothing is saved over it; once it is mended (`kehu check` shows where), ctrl+r loads it "
                       "and keeps your typing.").format(why=why))

    def on_customer_saved(self, event: CustomerSaved) -> None:
        if event.customer_id == self.customer_id:
            self.on_store_changed(StoreChanged(1))
