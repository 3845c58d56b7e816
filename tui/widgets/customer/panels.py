"""Panels plugins add to the detail screen (``tui_panels`` hook)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import Vertical

from kehu_core.i18n import _

from ..plain_text import Static

if TYPE_CHECKING:
    from kehu_core.models import Customer
    from kehu_core.plugins import Panel
    from kehu_core.store import Store


class PluginPanels(Vertical):
    """One bordered box per plugin panel; a panel that fails says so and the rest still show."""

    def show(self, store: Store, customer: Customer, panels: list[Panel]) -> None:
        self.remove_children()
        boxes = []
        for panel in panels:
            try:
                content = panel.render(store, customer)
            except Exception as exc:
                content = Text(_("plugin panel failed: {exc}").format(exc=exc), style="bold red")
            box = Static(Text(content) if isinstance(content, str) else content,
                         classes="card plugin-panel")
            box.border_title = _(panel.title)
            boxes.append(box)
        self.display = bool(boxes)
        if boxes:
            self.mount_all(boxes)
