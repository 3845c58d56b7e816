"""The TUI entirely in the viewer's language (issue 19): the main screens read through Pilot,
in Chinese with no English word and in English with no Chinese, outside the store's data
(names, products, tags, complaints); the names kehu gives tiers and holidays are in the
viewer's language too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kehu_core import i18n
from kehu_core.store import open_store
from kehu_core.testing import screen_text, tui, wait_until

from .i18nutil import user_text
from .test_tui_snapshots import settle

pytestmark = pytest.mark.asyncio

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
#: key names, as the footer shows them, and the product's name
KEYS = {"kehu", "abc", "rfm", "esc", "enter", "tab", "ctrl", "shift", "space", "pgup", "pgdn", "home", "end",
        "up", "down", "left", "right", "delete", "backspace", "id", "vip", "svg", "f", "zm"}
#: the screens and the keys that open them from the customer list
SCREENS = {
    "list": (),
    "customer": ("enter",),
    "today": ("t",),
    "dashboard": ("d",),
    "help": ("question_mark",),
    "commands": ("ctrl+p",),
    "purchase": ("p",),
    "interaction": ("i",),
    "edit": ("e",),
    "week": ("t", "w"),
    "credit": ("d", "c"),  # escape goes back to the dashboard
    "referrals": ("f",),
    "filters": ("escape", "f"),  # from the dashboard back to the list, its filter bar
}


def _data(store: Path) -> str:
    """What a person wrote into the store (tests/i18nutil.py): not the codes kehu keeps in the
    records (``kind: visit``, ``reason: purchase``) nor the names kehu gives tiers and holidays,
    which the screens show in the viewer's language."""
    return user_text(store)


async def _screens(store: Path) -> dict[str, str]:
    shown = {}
    async with tui(open_store(store), size=(160, 45)) as pilot:
        for name, keys in SCREENS.items():
            await pilot.press(*keys)
            await settle(pilot)
            if name == "commands":
                await wait_until(pilot, lambda: "🔎" in screen_text(pilot.app), what="the command palette")
            shown[name] = screen_text(pilot.app)
            await pilot.press("escape")
            await settle(pilot)
    return shown


def _latin_outside(text: str, data: str) -> list[str]:
    text = re.sub(r"\S*[@./:_$]\S*", " ", text)  # e-mails, files, $EDITOR, times, ¥1,234.00
    text = re.sub(r"[\w-]*\d[\w-]*", " ", text)  # ids, dates, amounts
    words = set(re.findall(r"[A-Za-z][A-Za-z-]*", text))
    known = set(re.findall(r"[A-Za-z][A-Za-z-]*", data))
    cut = {k[:n] for k in known for n in range(2, len(k))}  # a name a cell or a dialog cuts short
    return sorted(w for w in words if w not in known | cut and w.lower() not in KEYS and len(w) > 1)


async def test_the_chinese_tui_has_no_english_outside_the_data(demo_copy: Path) -> None:
    i18n.set_language("zh_CN")
    data = _data(demo_copy)
    shown = await _screens(demo_copy)
    assert "客户等级" in shown["list"] and "今日清单" in shown["today"] and "搜索命令" in shown["commands"]
    foreign = {name: words for name, text in shown.items() if (words := _latin_outside(text, data))}
    assert foreign == {}


async def test_the_english_tui_has_no_chinese_outside_the_data(demo_copy: Path) -> None:
    i18n.set_language("en")
    data = _data(demo_copy)
    shown = await _screens(demo_copy)
    assert "Tier" in shown["list"] and "Search for commands" in shown["commands"]
    # a run of Chinese on screen is data when the store holds it (a cell may cut it short)
    foreign = {name: sorted({run for run in CJK.findall(text) if run not in data and run[:-1] not in data})
               for name, text in shown.items()}
    assert {name: runs for name, runs in foreign.items() if runs} == {}


@pytest.mark.parametrize(("language", "words"), [("zh_CN", "没有找到"), ("en", "No matches found")])
async def test_the_command_palette_says_no_match_in_the_viewers_language(
        demo_copy: Path, language: str, words: str) -> None:
    """Textual writes "No matches found" in its own code (tui.i18n.KehuCommandPalette)."""
    i18n.set_language(language)
    async with tui(open_store(demo_copy), size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: "🔎" in screen_text(pilot.app), what="the command palette")
        await pilot.press(*"qqxqzz")
        await wait_until(pilot, lambda: words in screen_text(pilot.app), what=words)
        assert ("No matches" in screen_text(pilot.app)) == (language == "en")


#: the dialogs, each opened in an app of its own (closing one leaves another screen under it)
DIALOGS = {
    "snooze": ("t", "s"),
    "visit outcome": ("t", "o"),
    "pay": ("enter", "dollar_sign"),
    "complaint": ("enter", "a"),
    "merge": ("enter", "M"),
    "dashboard's week": ("d", "w"),
    "dashboard's rep": ("d", "o"),
}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_the_dialogs_speak_one_language(demo_copy: Path, language: str) -> None:
    i18n.set_language(language)
    data = _data(demo_copy)
    shown = {}
    for name, keys in DIALOGS.items():
        async with tui(open_store(demo_copy), size=(160, 45)) as pilot:
            await settle(pilot)
            *first, last = keys
            for key in first:
                await pilot.press(key)
                await settle(pilot)
            before = screen_text(pilot.app)
            await pilot.press(last)  # a dialog keeps its screen's work going: wait for it to show
            await wait_until(pilot, lambda before=before: screen_text(pilot.app) != before, what=name)
            await pilot.pause()
            shown[name] = screen_text(pilot.app)
    assert ("推迟到" if language == "zh_CN" else "until") in shown["snooze"]  # the dialog is open
    if language == "zh_CN":
        foreign = {name: words for name, text in shown.items() if (words := _latin_outside(text, data))}
    else:
        foreign = {name: runs for name, text in shown.items()
                   if (runs := sorted({r for r in CJK.findall(text) if r not in data and r[:-1] not in data}))}
    assert foreign == {}
