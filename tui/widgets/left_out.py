"""The line a screen shows under its figures when they leave customers out because their
``customer.yaml`` has a problem: kehu_core counts them (``Index.unlisted``) and says it
(:mod:`kehu_core.left_out`), as the CLI does on stderr; the screen only shows the line, and
hides it when there is nothing to say (issue 16)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kehu_core.left_out import COUNTED, REMINDED, left_out, unread_folders, unread_records

from .plain_text import Static

if TYPE_CHECKING:
    from kehu_core.store import Store


class LeftOutNotice(Static):
    DEFAULT_CSS = """
    LeftOutNotice {
        height: auto;
        padding: 0 2;
        color: $warning;
    }
    """

    def __init__(self, kind: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind  # which output it is: kehu_core.left_out's kinds
        self.display = False

    def show_for(self, store: Store) -> None:
        """Read the count again (the screen's load: on mount, a reload, a change to the store)."""
        lines = [left_out(store.index.unlisted(), self.kind), unread_folders(store.index.unread_folders())]
        if self.kind in (COUNTED, REMINDED):  # figures and reminders made of records: a broken one is said
            lines.append(unread_records(store.index.unread_records()))
        message = "\n".join(line for line in lines if line)
        self.update(message)
        self.display = bool(message)
