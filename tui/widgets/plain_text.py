"""``Static`` and ``Label`` that show a ``str`` as written. Textual reads a str as content
markup: a customer, a product, a rep or a note named ``[/]`` (or ``[vip] 张三``, ``[b]王``) ended
a screen in ``MarkupError`` or was drawn styled. kehu's screens never style with markup (they
use ``Text``), so every Static and Label of the TUI is one of these (imported under Textual's
names, so the stylesheet's ``Static`` and ``Label`` rules still apply; see
``tests/test_architecture.py``)."""

from __future__ import annotations

from typing import Any

from textual import widgets


class Static(widgets.Static):
    def __init__(self, content: Any = "", *, markup: bool = False, **kwargs: Any) -> None:
        super().__init__(content, markup=markup, **kwargs)


class Label(widgets.Label):
    def __init__(self, content: Any = "", *, markup: bool = False, **kwargs: Any) -> None:
        super().__init__(content, markup=markup, **kwargs)
