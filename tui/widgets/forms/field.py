"""A form row: label, input, and the validation message right next to it."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input

from kehu_core.i18n import _

from ..plain_text import Label, Static


class FormInput(Input):
    """A form's text box. Pasted text with tabs (a row copied from a spreadsheet or a chat:
    ``安吉白茶 250g⇥1⇥3360``) fills this field and the text fields after it, one part each,
    as typing it with Tab would; the focus ends in the last one filled."""

    def _on_paste(self, event: events.Paste) -> None:
        line = event.text.splitlines()[0] if event.text else ""
        if "\t" not in line:
            return  # Input's own paste
        event.prevent_default()
        event.stop()
        first, *rest = line.split("\t")
        self.insert_text_at_cursor(first)
        target: Input = self
        for part in rest:
            following = _next_input(target)
            if following is None:
                break
            following.value = part
            target = following
        target.focus()


def _next_input(widget: Input) -> Input | None:
    """The next text field the focus would reach with Tab (skipping boxes and lists)."""
    chain = widget.screen.focus_chain
    after = chain[chain.index(widget) + 1:] if widget in chain else []
    return next((w for w in after if isinstance(w, Input)), None)


class FormField(Vertical):
    """One field; ``value`` is the text typed, ``set_error`` shows or clears a message."""

    def __init__(self, name: str, label: str, value: str = "", *, hint: str = "",
                 checkbox: bool = False, **kwargs: object) -> None:
        super().__init__(classes="form-field", id=f"row-{name}", **kwargs)  # type: ignore[arg-type]
        self.field_name = name
        self.label = label
        self.initial = value
        self.hint = hint
        self.checkbox = checkbox

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-line"):
            yield Label(self.label, classes="form-label")
            if self.checkbox:
                yield Checkbox(_("space toggles"), value=self.initial == "yes",
                               id=f"field-{self.field_name}", compact=True)
            else:
                yield FormInput(self.initial, placeholder=self.hint, id=f"field-{self.field_name}",
                            compact=True)
        yield Static("", classes="form-error")

    @property
    def value(self) -> str:
        widget = self.query_one(f"#field-{self.field_name}")
        if isinstance(widget, Checkbox):
            return "yes" if widget.value else ""
        assert isinstance(widget, Input)
        return widget.value

    @value.setter
    def value(self, text: str) -> None:
        widget = self.query_one(f"#field-{self.field_name}")
        if isinstance(widget, Checkbox):
            widget.value = text == "yes"
        else:
            assert isinstance(widget, Input)
            widget.value = text

    @property
    def locked(self) -> bool:
        return self.has_class("locked")

    def set_locked(self, locked: bool, text: str = "") -> None:
        """An encrypted field the user's key cannot open: shown as ``text`` (the lock mark),
        not editable, and left out of what the form saves (the encrypted value is kept)."""
        widget = self.query_one(f"#field-{self.field_name}")
        widget.disabled = locked
        self.set_class(locked, "locked")
        if locked:
            self.value = text

    def set_error(self, message: str | None) -> None:
        error = self.query_one(".form-error", Static)
        error.update(Text(f"✗ {message}") if message else "")
        self.set_class(bool(message), "invalid")

    @property
    def error(self) -> str:
        return str(self.query_one(".form-error", Static).render()).removeprefix("✗ ")
