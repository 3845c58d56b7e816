"""A form row: label, input, and the validation message right next to it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Static


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
                yield Checkbox(value=self.initial == "yes", id=f"field-{self.field_name}",
                               compact=True)
            else:
                yield Input(self.initial, placeholder=self.hint, id=f"field-{self.field_name}",
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

    def set_error(self, message: str | None) -> None:
        error = self.query_one(".form-error", Static)
        error.update(Text(f"✗ {message}") if message else "")
        self.set_class(bool(message), "invalid")

    @property
    def error(self) -> str:
        return str(self.query_one(".form-error", Static).render()).removeprefix("✗ ")
