"""The findings the seventh outside round left open (docs/reliability.md, "seventh round"),
each with a test that failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from kehu_core.store import open_store
from kehu_core.testing import tui, wait_until

from . import test_hostile_limits
from .conftest import kehu
from .test_hostile import tree_hash

base, store = test_hostile_limits.base, test_hostile_limits.store
no_traceback = test_hostile_limits.no_traceback


@pytest.mark.parametrize(("section", "line"), [("enabled: [pointz]", 7), ("enabled:\n    - pointz", 8)])
def test_a_plugin_name_no_installed_plugin_has_is_said_by_every_command(
        store: tuple[Path, str], section: str, line: int) -> None:
    """kehu.yaml's `plugins: enabled: [pointz]` (a typo of points) turned every built-in plugin
    off for the whole team — points, tiers, reminders — with `kehu check` ok and no word. A
    name no installed plugin has is a warning at its line on every command's stderr, listed by
    `check` (whose exit code it leaves: a clone lacking a third-party plugin the team enabled
    still syncs) and by `kehu plugins`, with the name meant and what `enabled:` turned off."""
    path, cid = store
    config = path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("disabled: []", section), encoding="utf-8")
    at = f"{config}:{line}: warning: plugins.enabled: "
    checked = kehu("check", store=path)
    assert checked.code == 0, checked.out + checked.err
    assert f"{at}no installed plugin is named 'pointz'" in checked.out, checked.out
    said = checked.out
    assert "did you mean 'points'?" in said and "outbox, points, reminders, tiering" in said, said
    assert "`enabled:` runs only the plugins it names" in said and "are off" in said, said
    assert said.count("pointz") == 1 and "pointz" not in checked.err, checked.err  # said once
    assert "1 warning" in checked.err, checked.err
    # a list and a search twice: the second answered from the index alone, no plugin loaded
    for argv in (["customer", "show", cid], ["customer", "list"], ["customer", "list"], ["search", "李"],
                 ["search", "李"], ["customer", "show", cid], ["plugins"], ["reminders"]):
        result = kehu(*argv, store=path)
        # (a command of a plugin turned off says so, after the warning saying why)
        assert result.code == (1 if argv == ["reminders"] else 0), (argv, result.err)
        assert f"kehu: {at}no installed plugin is named 'pointz'" in result.err, (argv, result.err)
        assert result.err.count("pointz") == 1, result.err
        no_traceback(result)


def test_a_disabled_name_and_a_plugin_this_clone_lacks_are_warnings_too(store: tuple[Path, str]) -> None:
    """`disabled: [pointz]` turns nothing off (points still runs); `enabled:` naming a third-party
    plugin the team uses that this clone lacks is said, no name guessed, and `check` stays ok."""
    path, _cid = store
    config = path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("disabled: []", "disabled: [pointz]"), encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 0
    assert f"{config}:7: warning: plugins.disabled: no installed plugin is named 'pointz'" in checked.out
    assert "did you mean 'points'?" in checked.out and "turns nothing off" in checked.out, checked.out
    config.write_text(text.replace("disabled: []", "enabled: [points, reminders, tiering, outbox, acme_crm]"),
                      encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 0
    assert f"{config}:7: warning: plugins.enabled: no installed plugin is named 'acme_crm'" in checked.out
    assert "did you mean" not in checked.out and "are off" not in checked.out, checked.out
    listed = kehu("plugins", store=path)
    assert "acme_crm" in listed.err and listed.out.startswith("outbox:"), listed.out


@pytest.mark.asyncio
async def test_the_tui_says_a_plugin_name_no_installed_plugin_has(store: tuple[Path, str]) -> None:
    """`kehu tui` said nothing either: its screen covers what the command said on stderr."""
    path, _cid = store
    config = path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("disabled: []", "enabled: [pointz]"),
                      encoding="utf-8")
    async with tui(open_store(path)) as pilot:
        app = pilot.app
        await wait_until(pilot, lambda: any("pointz" in str(n.message) for n in app._notifications),
                         what="a warning naming pointz")
        note = next(n for n in app._notifications if "pointz" in str(n.message))
        assert note.severity == "warning" and "did you mean 'points'?" in str(note.message)


LONG = "99.999999999999999999999999999"  # YAML reads it as the float 100.0


@pytest.mark.parametrize(("edit", "line", "field"), [
    (("amount: 100.00", f"amount: {LONG}"), 7, "amount"),
    (("price: 100.00", f"price: {LONG}"), 6, "items.0.price"),
    (("paid: false", "paid: false\npayments:\n- date: 2026-05-02\n  amount: 0.1000000000000000000001"),
     12, "payments.0.amount"),
])
def test_a_hand_written_amount_of_more_digits_than_a_float_keeps_is_a_problem(
        store: tuple[Path, str], edit: tuple[str, str], line: int, field: str) -> None:
    """`amount: 99.999999999999999999999999999` by hand passed `kehu check` as ¥100.00: YAML
    read it as a float before kehu saw its digits, while every door that takes a typed amount
    refuses more than 2 digits after the point. Now check names it at its line, with its field."""
    path, cid = store
    added = kehu("purchase", "add", cid, "--item", "茶", "--price", "100", "--date", "2026-05-01", "--credit",
                 store=path)
    assert added.code == 0, added.err
    record = next((path / "customers").rglob("interactions/*.yaml"))
    text = record.read_text(encoding="utf-8")
    assert edit[0] in text, text
    record.write_text(text.replace(*edit), encoding="utf-8")
    checked = kehu("check", store=path)
    no_traceback(checked)
    assert checked.code == 1, checked.out + checked.err
    assert f"{record}:{line}: {field}: " in checked.out, checked.out
    assert "at most 2 digits after the point" in checked.out, checked.out
    # the same digits with only zeros past the fen are the amount they say, as `--amount` takes them
    record.write_text(text.replace("amount: 100.00", "amount: 100.000000000000000000000"), encoding="utf-8")
    assert kehu("check", store=path).code == 0


def test_a_sale_on_credit_whose_due_day_kehu_cannot_keep_names_the_date_typed(store: tuple[Path, str]) -> None:
    """`purchase add ID --date 2199-12-31 --item x --amount 1` was refused with "due: 2200-01-30
    is outside the dates kehu keeps", a day nobody typed (the due day kehu computed, 30 days of
    credit on). The refusal names the purchase date given and why, and what to do; a date after
    today is said so first, as for any sale."""
    path, cid = store
    before = tree_hash(path)
    sale = ["purchase", "add", cid, "--date", "2199-12-31", "--item", "x", "--amount", "1", "--credit"]
    refused = kehu(*sale, "--allow-future", store=path)
    assert refused.code == 1, refused.err
    said = refused.err
    assert "purchase date 2199-12-31" in said and "30 days" in said and "2200-01-30" in said, said
    assert "the last date kehu keeps (2199-12-31)" in said and "paid" in said, said
    assert not said.startswith("due:") and "(new)" not in said, said
    no_traceback(refused)
    future = kehu(*sale, store=path)
    assert future.code == 1 and "purchase date 2199-12-31 is after today" in future.err, future.err
    assert "2200-01-30" not in future.err, future.err
    assert tree_hash(path) == before
    # with a due day kehu keeps, or paid, the same sale is taken
    assert kehu(*sale, "--allow-future", "--due", "2199-12-31", store=path).code == 0
    paid = kehu(*sale[:-1], "--paid", "--allow-future", store=path)
    assert paid.code == 0, paid.err
