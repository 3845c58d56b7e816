"""Snapshots of the main TUI screens on the demo store (pytest-textual-snapshot).

Deterministic: fixed terminal size, the demo's "today" (``kehu_core.demo.TODAY``) for the app
and the tiering plugin, no clock, no watcher. The reminders plugin's "next reminder" column
counts from the real date, so it is switched off except for the Today screen, whose list
depends only on the day the app is given.

After an intended change of a screen (or of the demo store):
``.venv/bin/pytest tests/test_tui_snapshots.py --snapshot-update``, then look at the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kehu_tui.app import KehuApp
from kehu_tui.widgets.customers.table import CustomerTable

from kehu_core.demo import TODAY
from kehu_core.store import open_store

SIZE = (130, 36)


def _config(path: Path, reminders: bool) -> None:
    config = path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    disabled = "[]" if reminders else "[reminders]"
    text = text.replace("  disabled: []\n", f"  disabled: {disabled}\n"
                        f"  tiering: {{as_of: {TODAY.isoformat()}}}\n")
    config.write_text(text, encoding="utf-8")


@pytest.fixture
def snap_store(demo_copy: Path) -> Path:
    _config(demo_copy, reminders=False)
    return demo_copy


def app_on(path: Path) -> KehuApp:
    return KehuApp(open_store(path), today=TODAY, watch_interval=0)


async def settle(pilot) -> None:
    """Wait until the background work (plugin values) has landed on screen."""
    for _ in range(400):
        await pilot.pause(0.02)
        tables = pilot.app.screen.query(CustomerTable)
        values = pilot.app.screen.query("#values")
        busy = any(t.values_pending for t in tables) or any(
            getattr(v, "values", {}) is None for v in values)
        if not busy and not any(w.is_running for w in pilot.app.workers):
            _steady_cursors(pilot.app)
            await pilot.pause()
            return
    raise AssertionError("the app did not settle")


def _steady_cursors(app) -> None:
    """A focused input's cursor blinks every half second: how long the app took to settle
    decided whether the picture had it (test_edit_form_with_error failed on a loaded machine).
    Without blinking the cursor of the focused input is always drawn."""
    for widget in app.screen.query("*"):
        if hasattr(widget, "cursor_blink"):
            widget.cursor_blink = False


def test_list(snap_compare, snap_store: Path) -> None:
    assert snap_compare(app_on(snap_store), terminal_size=SIZE, run_before=settle)


def test_search_zm(snap_compare, snap_store: Path) -> None:
    async def run_before(pilot) -> None:
        await pilot.press("slash", "z", "m")
        await settle(pilot)

    assert snap_compare(app_on(snap_store), terminal_size=SIZE, run_before=run_before)


async def _open_zhao_min(pilot) -> None:
    await pilot.press("slash", "z", "m", "enter")
    await settle(pilot)


def test_customer_detail(snap_compare, snap_store: Path) -> None:
    assert snap_compare(app_on(snap_store), terminal_size=SIZE, run_before=_open_zhao_min)


def test_edit_form_with_error(snap_compare, snap_store: Path) -> None:
    async def run_before(pilot) -> None:
        await _open_zhao_min(pilot)
        await pilot.press("e")
        for _ in range(200):  # the form is mounted
            if pilot.app.screen.query("#field-birthday"):
                break
            await pilot.pause(0.02)
        pilot.app.screen.query_one("#field-birthday").focus()
        await pilot.press(*"1990-13-01")
        await settle(pilot)

    assert snap_compare(app_on(snap_store), terminal_size=SIZE, run_before=run_before)


def test_add_purchase(snap_compare, snap_store: Path) -> None:
    async def run_before(pilot) -> None:
        await _open_zhao_min(pilot)
        await pilot.press("p", *"龙井茶礼盒", "tab", "2")
        await settle(pilot)

    assert snap_compare(app_on(snap_store), terminal_size=SIZE, run_before=run_before)


def test_today(snap_compare, demo_copy: Path) -> None:
    _config(demo_copy, reminders=True)

    async def run_before(pilot) -> None:
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(app_on(demo_copy), terminal_size=SIZE, run_before=run_before)


def test_dashboard(snap_compare, snap_store: Path) -> None:
    async def run_before(pilot) -> None:
        await pilot.press("d")
        await settle(pilot)

    assert snap_compare(app_on(snap_store), terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare, snap_store: Path) -> None:
    async def run_before(pilot) -> None:
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app_on(snap_store), terminal_size=SIZE, run_before=run_before)


def test_light_theme_list(snap_compare, snap_store: Path) -> None:
    async def run_before(pilot) -> None:
        await pilot.press("ctrl+t")
        await settle(pilot)

    assert snap_compare(app_on(snap_store), terminal_size=SIZE, run_before=run_before)


# --- the same screens in Chinese (issue 19: the TUI in the user's language) --------------------


@pytest.fixture
def chinese():
    from kehu_core import i18n

    i18n.set_language("zh_CN")
    yield
    i18n.defer(None)


ZH_SCREENS = {
    "list": (),
    "customer": ("slash", "z", "m", "enter"),
    "purchase": ("slash", "z", "m", "enter", "p", *"龙井茶礼盒", "tab", "2"),
    "dashboard": ("d",),
    "help": ("question_mark",),
}


@pytest.mark.parametrize("screen", list(ZH_SCREENS))
def test_chinese(snap_compare, snap_store: Path, chinese: None, screen: str) -> None:
    async def run_before(pilot) -> None:
        await pilot.press(*ZH_SCREENS[screen])
        await settle(pilot)

    assert snap_compare(app_on(snap_store), terminal_size=SIZE, run_before=run_before)


def test_chinese_today(snap_compare, demo_copy: Path, chinese: None) -> None:
    _config(demo_copy, reminders=True)

    async def run_before(pilot) -> None:
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(app_on(demo_copy), terminal_size=SIZE, run_before=run_before)
