"""The profile card of the detail screen: every field that is set, unknown ones included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from kehu_core.confidential import LOCK
from kehu_core.i18n import _
from kehu_core.labels import field_label
from kehu_core.lookalike import MIXED_SCRIPT_MARK, mixed_script_note
from kehu_core.shown import visible

from ... import formatting
from ..plain_text import Static

if TYPE_CHECKING:
    from kehu_core.models import Customer


def label(field: str) -> str:
    """A field's label in the user's language (kehu_core.labels; a field kehu does not know: its name)."""
    return field_label(field)


class ProfileCard(Static):
    """Field / value pairs; fields kehu does not know are shown after the rest, as they are."""

    def show(self, customer: Customer, referrer_name: str | None = None, *, region: str,
             locked: Sequence[str] = ()) -> None:
        """``locked``: encrypted fields the user's key cannot open, shown as a lock mark."""
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        data: dict[str, Any] = customer.model_dump(mode="python")
        for key, value in data.items():
            if key in locked:
                grid.add_row(label(key), Text(f"{LOCK} " + _("encrypted"), style="dim"))
                continue
            if value in (None, [], "", False):
                continue
            if key == "phones":
                shown = ", ".join(formatting.phone(p, region) for p in value)
            elif key == "referrer" and referrer_name:
                shown = f"{referrer_name} ({value})"
            else:
                shown = formatting.text(value, amounts=key not in (customer.model_extra or {}))
            grid.add_row(label(key), Text(visible(shown)))  # as every list shows it: 张\ufffd三
            if key == "name" and (note := mixed_script_note(value)) is not None:
                grid.add_row(MIXED_SCRIPT_MARK, Text(note, style="bold yellow"))  # Аnna looks like Anna
        self.update(grid)
