"""``Static`` and ``Label`` that show a ``str`` as written. Textual reads a str as content
markup: a customer, a product, a rep or a note named ``[/]`` (or ``[vip] 张三``, ``[b]王``) ended
a screen in ``MarkupError`` or was drawn styled. kehu's screens never style with markup (they
use ``Text``), so every Static and Label of the TUI is one of these (imported under Textual's
names, so the stylesheet's ``Static`` and ``Label`` rules still apply; see
``tests/test_architecture.py``).

Both, and every table's cell (``plain_table``), show text by the rule of the CLI's lists
(:func:`kehu_core.shown.visible`): an invisible format character or a control one as U+FFFD.
A second 张三 whose name held a zero-width space showed in the TUI exactly as the first (the
list, the today list, the customer's screen) where every CLI list shows ``张\ufffd三``."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import widgets

from kehu_core.shown import visible


def shown(content: Any) -> Any:
    """A ``str`` or a rich ``Text`` as the screen shows it (:func:`visible`: one character for
    one, so a Text's styles stay where they were); anything else as it is."""
    if isinstance(content, str):
        return visible(content)
    if isinstance(content, Text) and not content.plain.isprintable():
        copy = content.copy()
        copy.plain = visible(content.plain)
        return copy
    return content


class Static(widgets.Static):
    def __init__(self, content: Any = "", *, markup: bool = False, **kwargs: Any) -> None:
        super().__init__(shown(content), markup=markup, **kwargs)

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        super().update(shown(content), layout=layout)


class Label(widgets.Label):
    def __init__(self, content: Any = "", *, markup: bool = False, **kwargs: Any) -> None:
        super().__init__(shown(content), markup=markup, **kwargs)

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        super().update(shown(content), layout=layout)
