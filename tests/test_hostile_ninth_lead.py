"""Ninth round, the lead's finds (issue 16): what the outside rounds left open."""

from __future__ import annotations

from pathlib import Path

from .conftest import kehu
from .test_hostile_limits import base, no_traceback, store  # noqa: F401 (fixtures)

_LONG = ["big: 123456789012345678901234567890.123456789", "sci: 1.2345678901234567890123e5",
         "fine: 0.10000000000000000555"]


def _lines_changed(before: str, after: str) -> set[str]:
    return set(before.splitlines()) ^ set(after.splitlines())


def test_an_edit_keeps_a_long_number_it_did_not_touch_as_it_was_written(store: tuple[Path, str]) -> None:  # noqa: F811
    """A field of more digits than a float keeps (an account balance kept by hand, a serial
    number typed without quotes): `customer set` of another field rewrote it with the float's
    digits (`123456789012345677877719597056.000000000`), and so did `purchase pay` in a
    purchase, though neither edit was about it, and `kehu check` said ok before and after."""
    path, cid = store
    profile = next((path / "customers").rglob(f"{cid}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + "\n".join(_LONG) + "\n", encoding="utf-8")
    assert kehu("check", store=path).code == 0
    before = profile.read_text(encoding="utf-8")
    edited = kehu("customer", "set", cid, "title=店长", store=path)
    no_traceback(edited)
    assert edited.code == 0, edited.err
    after = profile.read_text(encoding="utf-8")
    assert all(line in after for line in _LONG), after
    assert {line.split(":")[0] for line in _lines_changed(before, after)} == {"title"}, (before, after)
    shown = kehu("customer", "show", cid, "--json", store=path).json()
    assert str(shown["big"]) == "123456789012345678901234567890.123456789"

    added = kehu("purchase", "add", cid, "--item", "茶", "--price", "100", "--date", "2026-05-01", "--credit",
                 store=path)
    assert added.code == 0, added.err
    record = next((path / "customers").rglob("interactions/*.yaml"))
    record.write_text(record.read_text(encoding="utf-8") + _LONG[0] + "\n", encoding="utf-8")
    before = record.read_text(encoding="utf-8")
    paid = kehu("purchase", "pay", cid, "--date", "2026-05-02", store=path)
    assert paid.code == 0, paid.err
    after = record.read_text(encoding="utf-8")
    assert _LONG[0] in after, after
    assert kehu("check", store=path).code == 0
