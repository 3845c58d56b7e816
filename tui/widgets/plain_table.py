"""A DataTable whose text cells are text: Textual reads a ``str`` cell as markup, so a customer
named ``[/]`` (or an item, an owner, a note like ``[vip] 张三``) ended the TUI at start in
``MarkupError``, or styled the row. Every table of kehu's TUI is one of these. A cell's text is
shown as every list shows it (``plain_text.shown``: an invisible character as U+FFFD)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from .plain_text import shown


def _plain(value: Any) -> Any:
    return Text(shown(value), end="") if isinstance(value, str) else shown(value)


class PlainTable(DataTable):
    """``DataTable`` with every ``str`` cell shown as written (kehu styles its own cells with
    ``Text``)."""

    def add_row(self, *cells: Any, height: int | None = 1, key: str | None = None,  # type: ignore[override]
                label: Any = None) -> Any:
        return super().add_row(*map(_plain, cells), height=height, key=key, label=label)

    def update_cell(self, row_key: Any, column_key: Any, value: Any, *,  # type: ignore[override]
                    update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, _plain(value), update_width=update_width)

    def update_cell_at(self, coordinate: Any, value: Any, *,  # type: ignore[override]
                       update_width: bool = False) -> None:
        super().update_cell_at(coordinate, _plain(value), update_width=update_width)
