"""The TUI driven through Textual's Pilot, on a writable copy of the demo store.

Everything is real: the store on disk, its index, the plugins, the CLI run by "another
process" (in-process, with its own store object), and ``$EDITOR`` as a real subprocess.
"""

from __future__ import annotations

import difflib
import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from kehu_tui.app import KehuApp
from kehu_tui.screens.customer import CustomerScreen
from kehu_tui.screens.customers import CustomersScreen
from kehu_tui.screens.dashboard import DashboardScreen
from kehu_tui.screens.edit import EditCustomerScreen
from kehu_tui.screens.help import HelpScreen
from kehu_tui.screens.interaction import AddInteractionScreen
from kehu_tui.widgets.customers.table import CustomerTable
from kehu_tui.widgets.forms.field import FormField
from rich.console import Console

from kehu_core.demo import TODAY
from kehu_core.store import open_store

from .conftest import kehu

pytestmark = pytest.mark.asyncio
SIZE = (140, 40)


def make_app(path: Path, **kwargs: object) -> KehuApp:
    kwargs.setdefault("watch_interval", 0)
    return KehuApp(open_store(path), today=TODAY, **kwargs)  # type: ignore[arg-type]


async def wait_for(pilot, condition: Callable[[], bool], what: str, rounds: int = 600) -> None:
    """Let the app run until ``condition`` holds (the app works asynchronously). The rounds are
    a deadline for a machine busy with the rest of the suite (200, ten seconds and more, ended
    the deep referral chain's drawing on a loaded CI machine), never a measure of speed."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def open_today(pilot, app):
    """Today, from the list, once its reminders are on screen: its reminder table."""
    from kehu_tui.screens.today import TodayScreen
    from kehu_tui.widgets.reminders.table import ReminderTable

    await pilot.press("t")
    await wait_for(pilot, lambda: isinstance(app.screen, TodayScreen), "today")
    table = app.screen.query_one(ReminderTable)
    await wait_for(pilot, lambda: table.row_count > 0, "reminders")
    return table


def text_of(widget) -> str:
    """What a Static shows, as plain text (its content may be any Rich renderable)."""
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()


def names(table: CustomerTable) -> list[str]:
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def zhao_min_id(path: Path) -> str:
    found = kehu("search", "赵敏", "--json", store=path).json()
    return found[0]["id"]


async def open_zhao_min(pilot) -> None:
    """赵敏's detail screen as a user opens it: the list up, `/zm`, her row first, Enter. (Keys
    pressed before the list was up went to no search on a loaded machine, and Enter opened the
    first customer of the whole list.)"""
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, CustomersScreen) and app.screen.table.row_count > 0,
                   "the list")
    await pilot.press("slash", "z", "m")
    await wait_for(pilot, lambda: names(app.screen.table)[:1] == ["赵敏"], "赵敏 found first")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CustomerScreen), "the detail screen")


async def open_purchase_form(pilot) -> None:
    """赵敏's detail screen, then its purchase form (p)."""
    await open_zhao_min(pilot)
    await pilot.press("p")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, AddInteractionScreen), "the form")


async def open_pay_dialog(pilot) -> None:
    """赵敏's detail screen, then the dialog that pays her newest purchase ($)."""
    from kehu_tui.screens.pay import PayScreen

    await open_zhao_min(pilot)
    await pilot.press("dollar_sign")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PayScreen), "the pay dialog")


async def test_list_shows_names_on_first_screen(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(CustomerTable)
        shown = names(table)
        assert len(shown) >= 30
        stored = {c["name"] for c in kehu("customer", "list", "--json", store=demo_copy).json()}
        assert set(shown) <= stored
        assert table.has_focus  # keys work at once, no click needed
        # what plugins compute is filled in for the visible rows (tier column), in the background
        await wait_for(pilot, lambda: str(table.get_row_at(0)[2]) not in ("", "…"), "tiers")


async def test_slash_search_zm_finds_zhao_min_and_esc_clears(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(CustomerTable)
        full = table.row_count
        await pilot.press("slash")
        assert app.focused is not None and app.focused.id == "search"
        await pilot.press("z", "m")
        await pilot.pause()
        assert names(table)[0] == "赵敏"
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == full
        assert table.has_focus


async def test_search_by_phone_digits_and_tag(demo_copy: Path) -> None:
    customer = kehu("customer", "show", zhao_min_id(demo_copy), "--json", store=demo_copy).json()
    digits = customer["phones"][0][-8:]
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *digits)
        await pilot.pause()
        assert names(app.screen.query_one(CustomerTable)) == ["赵敏"]


async def test_enter_opens_customer_with_timeline_and_values(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        screen = app.screen
        assert screen.customer_id == zhao_min_id(demo_copy)
        profile = text_of(screen.query_one("#profile"))
        assert "赵敏" in profile
        history = kehu("customer", "show", screen.customer_id, "--json", store=demo_copy).json()
        assert screen.query_one("#timeline").row_count == len(history["purchases"]) + len(
            history["interactions"])
        await wait_for(pilot, lambda: "Tier" in text_of(screen.query_one("#values")), "values")
        await pilot.press("escape")
        assert isinstance(app.screen, CustomersScreen)


async def test_edit_field_and_save_changes_that_line_only(demo_copy: Path) -> None:
    cid = zhao_min_id(demo_copy)
    path = open_store(demo_copy).customer_file(cid)
    path.write_text("# 老客户，只喝明前龙井\n" + path.read_text(encoding="utf-8") + "wechat: zm_1990\n",
                    encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCustomerScreen), "the form")
        field = app.screen.query_one("#field-personality")
        field.focus()
        field.value = ""
        await pilot.press(*"爱喝龙井")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "back on detail")
        assert "爱喝龙井" in text_of(app.screen.query_one("#profile"))
    after = path.read_text(encoding="utf-8")
    changed = [line for line in difflib.ndiff(before.splitlines(), after.splitlines())
               if line[:1] in "+-"]
    assert changed[0].startswith("- personality:")
    assert changed[1:] == ["+ personality: 爱喝龙井"]
    assert after.startswith("# 老客户") and "wechat: zm_1990" in after


async def saved_with(app: KehuApp, pilot, field: str, text: str) -> FormField:
    """Zhao Min's form opened, ``text`` typed into ``field`` and saved (enter): the field's row."""
    await open_zhao_min(pilot)
    await pilot.press("e")
    await wait_for(pilot, lambda: isinstance(app.screen, EditCustomerScreen), "the form")
    app.screen.query_one(f"#field-{field}").focus()
    await pilot.press(*text)
    await pilot.press("enter")
    await pilot.pause()
    return app.screen.query_one(f"#row-{field}", FormField)


async def test_invalid_field_shows_message_next_to_it_and_writes_nothing(demo_copy: Path) -> None:
    cid = zhao_min_id(demo_copy)
    path = open_store(demo_copy).customer_file(cid)
    before = path.read_text(encoding="utf-8")
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        row = await saved_with(app, pilot, "birthday", "1990-13-45")
        assert isinstance(app.screen, EditCustomerScreen)  # not saved, still editing
        assert "birthday" in row.error and "1990-13-45" in row.error
        assert row.has_class("invalid")
        assert app.screen.query_one("#field-birthday").value == "1990-13-45"  # typing kept
    assert path.read_text(encoding="utf-8") == before


async def test_conflicting_save_is_refused_and_typing_kept(demo_copy: Path) -> None:
    cid = zhao_min_id(demo_copy)
    path = open_store(demo_copy).customer_file(cid)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCustomerScreen), "the form")
        form = app.screen
        form.query_one("#field-notes").focus()
        await pilot.press(*"送礼客户")
        # meanwhile another rep changes the same customer with the CLI
        assert kehu("customer", "set", cid, "family=单身", store=demo_copy).code == 0
        await pilot.press("ctrl+s")
        banner = form.query_one("#edit-banner")
        # the save is refused off the screen's thread: wait for its word, not one pause (a loaded machine)
        await wait_for(pilot, lambda: not banner.has_class("hidden"), "the refusal")
        assert app.screen is form
        assert "changed by someone else" in str(banner.render())
        assert form.query_one("#field-notes").value == "送礼客户"
        on_disk = path.read_text(encoding="utf-8")
        assert "family: 单身" in on_disk and "送礼客户" not in on_disk
        # take their version, keep mine, save: both changes are in the file
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: form.query_one("#field-family").value == "单身", "their version")
        assert form.query_one("#field-notes").value == "送礼客户"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "saved")
    on_disk = path.read_text(encoding="utf-8")
    assert "family: 单身" in on_disk and "notes: 送礼客户" in on_disk


async def test_add_purchase_from_the_list_in_a_few_keys(demo_copy: Path) -> None:
    cid = zhao_min_id(demo_copy)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", "z", "m", "tab")  # Tab: from the search box to the results
        await pilot.pause()
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, AddInteractionScreen), "the form")
        await pilot.press(*"龙井茶礼盒", "tab", "2", "tab", *"1288", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomersScreen), "saved")
    shown = kehu("customer", "show", cid, "--json", store=demo_copy).json()
    newest = [p for p in shown["purchases"] if p["date"] == TODAY.isoformat()
              and p["items"][0]["name"] == "龙井茶礼盒"]
    assert len(newest) == 1
    assert newest[0]["amount"] == "2576.00" and newest[0]["items"][0]["qty"] == "2"


async def test_add_interaction_validates_before_writing(demo_copy: Path) -> None:
    cid = zhao_min_id(demo_copy)
    folder = open_store(demo_copy).interactions_dir(cid)
    files_before = sorted(folder.iterdir())
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, AddInteractionScreen), "the form")
        form = app.screen
        form.query_one("#kind").value = "feedback"
        await pilot.pause()
        form.query_one("#field-text").focus()
        await pilot.press(*"很好喝")
        form.query_one("#field-rating").focus()
        await pilot.press("9", "enter")
        await pilot.pause()
        assert app.screen is form
        assert "less than or equal to 5" in form.query_one("#row-rating", FormField).error
        assert sorted(folder.iterdir()) == files_before
        form.query_one("#field-rating").value = "5"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "saved")
        assert "很好喝" in str(app.screen.query_one("#timeline").get_row_at(0))
    new = sorted(set(folder.iterdir()) - set(files_before))
    assert len(new) == 1 and "rating: 5" in new[0].read_text(encoding="utf-8")


async def test_change_by_another_process_is_noticed(demo_copy: Path) -> None:
    app = make_app(demo_copy, watch_interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(CustomerTable)
        total = table.total
        # the CLI, as another process would, adds a customer whose name sorts first
        assert kehu("customer", "add", "--name", "Aaron Abbott", store=demo_copy).code == 0
        await wait_for(pilot, lambda: table.total == total + 1, "the new customer")
        assert names(table)[0] == "Aaron Abbott"


async def test_edit_in_editor_reopens_on_error(demo_copy: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The editor first saves a bad birthday; kehu says so and opens it again; then it's fixed."""
    runs = tmp_path / "runs"
    script = tmp_path / "fake_editor.py"
    script.write_text(
        "import pathlib, sys\n"
        f"runs = pathlib.Path({str(runs)!r})\n"
        "n = int(runs.read_text()) + 1 if runs.exists() else 1\n"
        "runs.write_text(str(n))\n"
        "path = pathlib.Path(sys.argv[1])\n"
        "text = path.read_text(encoding='utf-8')\n"
        "lines = [l for l in text.splitlines() if not l.startswith('birthday:')]\n"
        "lines.append('birthday: 1990-02-30' if n == 1 else 'birthday: 1990-02-28')\n"
        "path.write_text('\\n'.join(lines) + '\\n', encoding='utf-8')\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    cid = zhao_min_id(demo_copy)
    path = open_store(demo_copy).customer_file(cid)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        detail = app.screen
        await pilot.press("E")
        await wait_for(pilot, lambda: app.screen is not detail, "the error question")
        question = text_of(app.screen.query_one(".dialog-detail"))
        assert "customer.yaml:" in question and "1990-02-30" in question
        assert "1990-02-30" not in path.read_text(encoding="utf-8")  # nothing written yet
        await pilot.press("y")
        await wait_for(pilot, lambda: "1990-02-28" in path.read_text(encoding="utf-8"), "saved")
        await wait_for(pilot, lambda: "1990-02-28" in text_of(detail.query_one("#profile")),
                       "the detail screen to show the new birthday")
    assert runs.read_text() == "2"


async def test_dashboard_opens_with_charts(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
        # the cards are filled one after another on the reports thread: on a busy machine the
        # products card was still empty when the pyramid had been read
        await wait_for(pilot, lambda: not app.screen.loading_cards, "every card's figures")
        pyramid = text_of(app.screen.query_one("#pyramid"))
        assert "Key customers" in pyramid and "Small customers" in pyramid  # 重要客户, 小客户 in English
        products = text_of(app.screen.query_one("#products"))
        assert "hot sellers" in products
        receivables = app.screen.query_one("#receivables")
        assert "unpaid" in str(receivables.border_subtitle)
        await pilot.press("escape")
        assert isinstance(app.screen, CustomersScreen)


async def test_help_lists_every_binding(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        text = text_of(app.screen.query_one("#help-keys"))
        for words in ("Search", "Open", "Edit", "Purchase", "Today", "Dashboard", "Quit",
                      "Snooze", "Command palette"):
            assert words in text
        await pilot.press("escape")
        assert isinstance(app.screen, CustomersScreen)
        await pilot.press("q")
    assert app.return_code == 0


async def test_sort_by_owner_and_filter_by_tag(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(CustomerTable)
        await pilot.press("s")  # name → owner
        await pilot.pause()
        owner = table.get_column_index("owner")
        owners = [str(table.get_row_at(i)[owner]) for i in range(table.row_count)]
        assert owners == sorted(owners)
        await pilot.press("f")
        app.screen.query_one("#filter-tag").value = "VIP"
        await pilot.pause()
        vip = {c["name"] for c in kehu("customer", "list", "--tag", "VIP", "--json",
                                       store=demo_copy).json()}
        assert 0 < table.row_count == len(vip)
        assert set(names(table)) == vip


async def test_sort_by_a_plugin_column_is_the_clis_order(demo_copy: Path) -> None:
    """A click on the Points (or Tier, Next reminder) header sorts the whole list by what the
    plugins compute, read from the index: the order `kehu customer list --sort points` gives."""
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(CustomerTable)
        for order in ("points", "tier"):
            table.sort_by(order)  # what a click on its header does
            await wait_for(pilot, lambda: not table.fetching and table.row_count > 0, f"the list by {order}")
            cli = kehu("customer", "list", "--sort", order, "--json", store=demo_copy).json()
            shown = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]
            assert shown == [c["id"] for c in cli][:table.row_count]
            assert "▼" in str(table.columns[order].label)


async def test_theme_toggles_light_and_dark(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"


async def test_command_palette_opens_a_customer(demo_copy: Path) -> None:
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"赵敏")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "the customer")
        assert app.screen.customer_id == zhao_min_id(demo_copy)


async def test_today_mark_reminder_done_and_snooze(demo_copy: Path) -> None:
    from kehu_tui.screens.today import TodayScreen

    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        table = await open_today(pilot, app)
        first = table.selected
        await pilot.press("x")
        await wait_for(pilot, lambda: first.key not in table.reminders, "the done one to go")
        # the next one: snooze it by a week
        second = table.selected
        await pilot.press("s")
        await pilot.pause()
        box = app.screen.query_one("#snooze-until")
        box.value = "+7"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TodayScreen), "back on today")
    store = open_store(demo_copy)
    done = [e for e in store.ledger(first.customer_id, "reminders") if e["key"] == first.key]
    assert [e["action"] for e in done] == ["done"]
    notes = [i for i in store.interactions(first.customer_id)
             if i.kind == "note" and getattr(i, "reminder", None) == first.key]
    assert len(notes) == 1
    snoozed = [e for e in store.ledger(second.customer_id, "reminders") if e["key"] == second.key]
    assert [e["action"] for e in snoozed] == ["snooze"]
