"""Messages the screens and widgets of the TUI send each other.

They carry ids, never whole records: whoever handles one reads what it needs from the store,
so a view can never show a copy that is older than the file.
"""

from __future__ import annotations

from textual.message import Message


class StoreChanged(Message):
    """Files of the store changed behind our back (the CLI, a ``git pull``, another app)."""

    def __init__(self, files: int) -> None:
        super().__init__()
        self.files = files


class CustomerSaved(Message):
    """This app wrote the profile, an interaction or a reminder of a customer."""

    def __init__(self, customer_id: str) -> None:
        super().__init__()
        self.customer_id = customer_id


class OpenCustomer(Message):
    """Show the detail screen of a customer."""

    def __init__(self, customer_id: str) -> None:
        super().__init__()
        self.customer_id = customer_id


class FiltersChanged(Message):
    """The tag / tier / owner / attitude filters of the customer list changed."""

    def __init__(self, tag: str | None, tier: str | None, owner: str | None,
                 attitude: str | None = None) -> None:
        super().__init__()
        self.tag = tag
        self.tier = tier
        self.owner = owner
        self.attitude = attitude


class ListLoaded(Message):
    """The customer list started fetching rows in the background (``done=False``) or put
    rows on screen (``done=True``): its status line has news."""

    def __init__(self, done: bool) -> None:
        super().__init__()
        self.done = done
