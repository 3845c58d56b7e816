"""Ninth round, the lead's finds (issue 16): what the outside rounds left open."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile_limits import base, no_traceback, store  # noqa: F401 (fixtures)

_LONG = ["big: 123456789012345678901234567890.123456789", "sci: 1.2345678901234567890123e5",
         "fine: 0.10000000000000000555"]


def _lines_changed(before: str, after: str) -> set[str]:
    return set(before.splitlines()) ^ set(after.splitlines())


def _only_title_changes(path: Path, cid: str, added: str, title: str = "店长") -> Path:
    """Add ``added`` to the profile by hand (`check` takes it), `customer set` its title: the
    title's line is the only one changed. The profile's path."""
    profile = next((path / "customers").rglob(f"{cid}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + added, encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 0, checked.out
    before = profile.read_text(encoding="utf-8")
    edited = kehu("customer", "set", cid, f"title={title}", store=path)
    no_traceback(edited)
    assert edited.code == 0, edited.err
    after = profile.read_text(encoding="utf-8")
    assert {line.split(":")[0] for line in _lines_changed(before, after)} == {"title"}, (before, after)
    return profile


def test_an_edit_keeps_a_long_number_it_did_not_touch_as_it_was_written(store: tuple[Path, str]) -> None:  # noqa: F811
    """A field of more digits than a float keeps (an account balance kept by hand, a serial
    number typed without quotes): `customer set` of another field rewrote it with the float's
    digits (`123456789012345677877719597056.000000000`), and so did `purchase pay` in a
    purchase, though neither edit was about it, and `kehu check` said ok before and after."""
    path, cid = store
    profile = _only_title_changes(path, cid, "\n".join(_LONG) + "\n")
    assert all(line in profile.read_text(encoding="utf-8") for line in _LONG)
    shown = kehu("customer", "show", cid, "--json", store=path).json()
    assert str(shown["big"]) == "123456789012345678901234567890.123456789"

    added = kehu("purchase", "add", cid, "--item", "茶", "--price", "100", "--date", "2026-05-01", "--credit",
                 store=path)
    assert added.code == 0, added.err
    record = next((path / "customers").rglob("interactions/*.yaml"))
    record.write_text(record.read_text(encoding="utf-8") + _LONG[0] + "\n", encoding="utf-8")
    paid = kehu("purchase", "pay", cid, "--date", "2026-05-02", store=path)
    assert paid.code == 0, paid.err
    after = record.read_text(encoding="utf-8")
    assert _LONG[0] in after, after
    assert kehu("check", store=path).code == 0


_SCALARS = ["und: 1_000.5", "bin: 0b101", "sci: .5e3", "room: 017", "floor: 08", "hexed: 0x1F"]


@pytest.mark.parametrize("extra", [[], ["long: 0.1000000000000000055511151231257827"]],
                         ids=["yaml-rs", "pyyaml"])  # a long number sends the file to PyYAML
def test_every_loader_reads_a_plain_scalar_alike_and_an_edit_keeps_it(
        store: tuple[Path, str], extra: list[str]) -> None:  # noqa: F811
    """`und: 1_000.5` is text to the scan (YAML 1.2) and was the number 1000.5 to the round-trip
    editor, so `customer set` of another field rewrote it as `01000.5`, a number; `.5e3` came
    back `50.e1`; `017` was 15 to PyYAML (the scan of a file yaml-rs does not read, `show`)
    and 17 to yaml-rs and the editor; `08` was no number to PyYAML, so `check` refused the
    file as "a whole number of more than 18 digits". One table of plain scalars now."""
    path, cid = store
    _only_title_changes(path, cid, "\n".join(_SCALARS + extra) + "\n")
    shown = kehu("customer", "show", cid, "--json", store=path).json()
    assert {k: shown[k] for k in ("und", "bin", "sci", "room", "floor", "hexed")} == {
        "und": "1_000.5", "bin": "0b101", "sci": 500.0, "room": 17, "floor": 8, "hexed": 31}, shown


def test_a_field_named_by_a_date_passes_every_door_alike(store: tuple[Path, str]) -> None:  # noqa: F811
    """`2026-01-01: 送礼` in a profile by hand (a shop keeping a gift log by date): `kehu check`
    and `customer show` read the key as text, the editor as a date, so `customer set` of any
    field refused the profile ("datetime.date(2026, 1, 1): Keys should be strings", at line 1)."""
    path, cid = store
    _only_title_changes(path, cid, "2026-01-01: 送礼\ngifts:\n  2026-02-01: 茶叶\n")
    shown = kehu("customer", "show", cid, "--json", store=path).json()
    assert shown["2026-01-01"] == "送礼" and shown["gifts"] == {"2026-02-01": "茶叶"} and shown["title"] == "店长"


@pytest.mark.asyncio
async def test_the_tui_shows_a_long_number_of_a_field_it_does_not_know_as_written(demo_copy: Path) -> None:
    """`big: 123456789012345678901234567890.123456789` (a field kehu does not know) showed in the
    profile as money rounded to the fen, `¥123,456,…,567,890.12`: the exact number is read as a
    Decimal, and the TUI took every Decimal for an amount."""
    from .test_tui import SIZE, make_app, open_zhao_min, text_of, zhao_min_id

    cid = zhao_min_id(demo_copy)
    profile = next((demo_copy / "customers").rglob(f"{cid}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + _LONG[0] + "\n", encoding="utf-8")
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        shown = text_of(app.screen.query_one("#profile"))
        assert "123456789012345678901234567890.123456789" in shown, shown
        assert "¥123" not in shown


@pytest.mark.parametrize(("section", "field"), [
    ("purchases:\n  credit_days: true\n", "purchases.credit_days: true is yes or no, not a number"),
    ("complaints:\n  resolve_within_days: false\n", "complaints.resolve_within_days: false is yes or no"),
    ("plugins:\n  points:\n    expiry_days: true\n", "plugins.points.expiry_days: true is yes or no"),
    ("plugins:\n  points:\n    per_amount: 1.0e-30\n", "plugins.points.per_amount: "),
    ("plugins:\n  points:\n    unit: 1.0e+300\n", "plugins.points.unit: "),
])
def test_a_setting_no_sale_can_use_is_a_problem_of_check(
        store: tuple[Path, str], section: str, field: str) -> None:  # noqa: F811
    """kehu.yaml's `credit_days: true` was one day's credit, a points `expiry_days: true` one
    day, `per_amount: 1e-30` or `unit: 1e300` earned no point on any sale: `kehu check` ok.
    A number is no yes/no in any setting, kehu's or a plugin's (one rule over every settings
    model), and the points settings keep to what a sale can earn."""
    path, _cid = store
    config = path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    if section.startswith("plugins:") and "\nplugins:" in text:
        text = "\n".join(line for line in text.splitlines() if not line.startswith(("plugins:", "  disabled:")))
    config.write_text(text.rstrip("\n") + "\n" + section, encoding="utf-8")
    line = len(config.read_text(encoding="utf-8").splitlines())
    checked = kehu("check", store=path)
    no_traceback(checked)
    assert checked.code == 1, checked.out + checked.err
    assert f"{config}:{line}: {field}" in checked.out + checked.err, checked.out + checked.err
