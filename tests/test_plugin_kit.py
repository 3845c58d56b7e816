"""The plugin author's kit: kehu_core.testing works without pytest and on its own, the
ReminderRule protocol declares everything the engine reads from a rule, and a plugin's
``validate_customer`` message is reported by ``kehu check`` at its field's line."""

from __future__ import annotations

import ast
import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

from kehu_core import hookimpl
from kehu_core.plugins import ReminderRule
from kehu_core.testing import make_store, reopen, run_kehu

ROOT = Path(__file__).resolve().parents[1]


def test_the_kit_imports_without_pytest_or_the_tui() -> None:
    code = (
        "import sys\n"
        "sys.modules['pytest'] = None  # importing pytest now raises ImportError\n"
        "import kehu_core.testing\n"
        "assert 'textual' not in sys.modules and 'kehu_tui' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _rule_attributes(path: Path) -> set[str]:
    """Attributes the code reads from a rule: ``rule.X`` and ``getattr(rule, "X", ...)`` (a rule
    is also called ``r`` in a getattr; a bare ``r.X`` is a Reminder there)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "rule":
            found.add(node.attr)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                and isinstance(node.args[0], ast.Name) and node.args[0].id in ("rule", "r")
                and isinstance(node.args[1], ast.Constant)):
            found.add(node.args[1].value)
    return found


def test_the_reminder_rule_protocol_declares_what_the_engine_reads() -> None:
    declared = set(ReminderRule.__annotations__) | {
        name for name, value in vars(ReminderRule).items() if callable(value) and not name.startswith("_")}
    read = _rule_attributes(ROOT / "kehu_core" / "reminder_engine.py") | _rule_attributes(
        ROOT / "plugins" / "reminders" / "cache.py")
    assert {"name", "due", "plugin", "outreach", "history_needs"} <= declared
    assert read <= declared, f"the engine reads {sorted(read - declared)} from a rule: declare them in ReminderRule"


class AddressCheck:
    """A plugin whose messages name a nested field, a top-level field, and no field."""

    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> list[str]:
        out = [f"addresses.{i}: give a city" for i, a in enumerate(customer.addresses) if "市" not in a]
        if customer.notes and "TODO" in customer.notes:
            out.append("notes: an unfinished note")
        if not customer.phones:
            out.append("no phone number: add one before the campaign")
        return out


def test_check_reports_a_plugin_message_at_its_fields_line(tmp_path: Path) -> None:
    store = make_store(tmp_path / "shop", today=dt.date(2026, 11, 20), plugins={"addresses": AddressCheck()})
    # a hand edit (the plugin refuses such a record when kehu writes it): check finds it
    profile = store.customer_file("c1zhaomin")
    profile.parent.mkdir(parents=True)
    profile.write_text("id: c1zhaomin\nname: 赵敏\naddresses:\n- 上海市黄浦区\n- 南京路 1 号\n"
                       "notes: TODO call back\n", encoding="utf-8")
    check = run_kehu(store, "check")
    assert check.code == 1
    lines = store.customer_file("c1zhaomin").read_text(encoding="utf-8").splitlines()

    def line_of(text: str) -> int:
        return next(n for n, line in enumerate(lines, 1) if text in line)

    reported = {line.split(": ", 1)[1]: line.split(": ", 1)[0].rsplit(":", 1)[1]
                for line in check.out.splitlines() if "(plugin addresses)" in line}
    assert reported == {
        "addresses.1: give a city (plugin addresses)": str(line_of("南京路 1 号")),
        "notes: an unfinished note (plugin addresses)": str(line_of("notes:")),
        "no phone number: add one before the campaign (plugin addresses)": "1",  # about no field
    }


def test_run_kehu_gives_the_exit_code_and_errors_and_reopen_sees_writes(tmp_path: Path) -> None:
    store = make_store(tmp_path / "shop", today="2027-02-28")
    missing = run_kehu(store, "customer", "show", "c1nobody")
    assert missing.code == 1 and "c1nobody" in missing.err
    added = run_kehu(store, "customer", "add", "--name", "周芷若")
    assert added.code == 0, added.err
    fresh = reopen(store)
    assert fresh.today == dt.date(2027, 2, 28)
    assert fresh.get(added.out.strip()).created == dt.date(2027, 2, 28)  # the store's day, not the clock's


def test_the_tui_under_the_kit_shows_rows_and_notifications(tmp_path: Path) -> None:
    import asyncio

    from kehu_core.testing import screen_text, tui, wait_until

    store = make_store(tmp_path / "shop", customers=[{"name": "赵敏"}])

    async def drive() -> None:
        async with tui(store) as pilot:
            await wait_until(pilot, lambda: "赵敏" in screen_text(pilot.app), what="the customer's row")
            assert "2026-11-20" in screen_text(pilot.app)  # the store's day, in the title bar
            pilot.app.notify("a plugin says hello")
            await wait_until(pilot, lambda: "a plugin says hello" in screen_text(pilot.app), what="the toast")

    asyncio.run(drive())
