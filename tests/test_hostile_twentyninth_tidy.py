"""The twenty-ninth round's tidy findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kehu_core.models.purchase import LineItem, Purchase
from kehu_core.store.batch_state import SavedSales


class _PluginsOwn:
    """An object of a plugin's own, saved as an interaction: held as it is, never pickled."""

    def __init__(self, name: str) -> None:
        self.name = name


def test_a_batchs_saved_sales_come_back_as_the_sales_put_in() -> None:
    """A batch keeps the sales it is to tell the plugins of packed (pickled and compressed), in
    a list of its own: a loop over it, or an index into it, gave the packed bytes, not the sales
    (only its `pop` unpacked them), a trap for the next change. It is a class of its own now,
    whose one way to read what it holds gives back each sale as it was put in, in order."""
    sale = Purchase(id="p-1", date=dt.date(2026, 12, 7), items=[LineItem(name="茶", price=Decimal("12.50"))],
                    amount=Decimal("12.50"), text="张三买茶")
    own = _PluginsOwn("甲方")
    saved = SavedSales()
    saved.append(("c-1", sale, frozenset()))
    saved.append(("c-2", own, frozenset()))
    saved.append(("c-1", sale.model_copy(update={"id": "p-2"}), frozenset({"points"})))
    with pytest.raises(TypeError):
        iter(saved)  # type: ignore[call-overload]  # no loop that could give the packed form
    assert len(saved) == 3
    saved.truncate(2)  # what undo_on_error takes back of a plugin's saves
    told = list(saved.drain())
    assert told == [("c-1", sale, frozenset()), ("c-2", own, frozenset())]
    assert told[1][1] is own  # a plugin's object is its own, never a copy made by unpickling it
    assert len(saved) == 0 and not saved
