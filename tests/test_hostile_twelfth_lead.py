"""Twelfth round, the lead's finds (issue 16). Each failed on the code before its fix; see
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile import tree_hash
from .test_hostile_limits import base, no_traceback, store  # noqa: F401 (fixtures)


def _interaction_files(path: Path) -> list[Path]:
    return sorted((path / "customers").rglob("interactions/*.yaml"))


@pytest.mark.parametrize("typed", ["", "  ", "\u3000"])
def test_a_channel_of_nothing_is_no_channel(store: tuple[Path, str], typed: str) -> None:  # noqa: F811
    """`interaction add --kind message --channel ""` (a script's unset variable) stored
    `channel: ''`, which `customer show` listed as a channel; the TUI's form leaves an empty
    field out. A channel of nothing is none at every door, a hand edit's too."""
    path, cid = store
    added = kehu("interaction", "add", cid, "--kind", "message", "--text", "问候", "--channel", typed, store=path)
    assert added.code == 0, added.err
    (written,) = _interaction_files(path)
    assert "channel" not in written.read_text(encoding="utf-8")
    written.write_text(written.read_text(encoding="utf-8") + "channel: ''\n", encoding="utf-8")
    shown = kehu("customer", "show", cid, "--json", store=path)
    assert shown.code == 0, shown.err
    (message,) = [i for i in shown.json()["interactions"] if i["kind"] == "message"]
    assert message.get("channel") is None, message


def test_a_resolution_belongs_to_a_resolved_complaint(store: tuple[Path, str]) -> None:  # noqa: F811
    """`interaction add --kind complaint --text 坏了 --resolution 已换` (no `--status resolved`)
    stored an open complaint with a resolution: `customer show` said how it was resolved while
    the reminders had it overdue and the reports counted it open. It is refused at the
    argument, nothing written; `kehu check` names a hand edit that does it, at its line; with
    `--status resolved` it is recorded as before."""
    path, cid = store
    before = tree_hash(path)
    refused = kehu("interaction", "add", cid, "--kind", "complaint", "--text", "坏了", "--resolution", "已换",
                   store=path)
    no_traceback(refused)
    assert refused.code == 1 and refused.err.startswith("kehu: --resolution: "), refused.err
    assert "resolve" in refused.err
    assert tree_hash(path) == before
    resolved = kehu("interaction", "add", cid, "--kind", "complaint", "--text", "坏了", "--resolution", "已换",
                    "--status", "resolved", store=path)
    assert resolved.code == 0, resolved.err
    opened = kehu("interaction", "add", cid, "--kind", "complaint", "--text", "又坏了", store=path)
    assert opened.code == 0, opened.err
    hand = next(p for p in _interaction_files(path) if "又坏了" in p.read_text(encoding="utf-8"))
    lines = hand.read_text(encoding="utf-8").splitlines()
    hand.write_text("\n".join([*lines, "resolution: 换了"]) + "\n", encoding="utf-8")
    checked = kehu("check", store=path)
    no_traceback(checked)
    assert checked.code == 1, checked.err
    assert f"{hand.name}:{len(lines) + 1}: resolution: a resolution is for a resolved complaint" in checked.out, \
        checked.out


@pytest.mark.asyncio
async def test_the_complaint_form_names_a_resolution_of_an_open_complaint(demo_copy: Path) -> None:
    """In the TUI's form a resolution typed with no status saved an open complaint holding it.
    The form names the problem under Resolution and saves nothing."""
    from kehu_tui.widgets.forms.field import FormField

    from .test_tui import SIZE, make_app, wait_for
    from .test_tui_item8 import open_form

    before = tree_hash(demo_copy)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, "i")
        screen.query_one("#kind").value = "complaint"
        await pilot.pause()
        screen.query_one("#field-text").value = "茶叶受潮"
        screen.query_one("#field-resolution").value = "换了一罐新的"
        await pilot.press("ctrl+s")
        row = screen.query_one("#row-resolution", FormField)
        await wait_for(pilot, lambda: bool(row.error), "the resolution's error")
        assert app.screen is screen and "resolved complaint" in (row.error or ""), row.error
    assert tree_hash(demo_copy) == before


@pytest.mark.parametrize("typed", ["", "  "])
def test_a_record_that_says_nothing_is_refused_at_the_command(store: tuple[Path, str], typed: str) -> None:  # noqa: F811
    """`interaction add --kind note --text " "` stored a note of spaces (`--text "$NOTE"` with NOTE
    unset, an empty one): nothing to read later. Refused at `--text`, nothing written."""
    path, cid = store
    before = tree_hash(path)
    refused = kehu("interaction", "add", cid, "--kind", "note", "--text", typed, store=path)
    no_traceback(refused)
    assert refused.code == 2 and "--text" in refused.err and "say what happened" in refused.err, refused.err
    assert tree_hash(path) == before


@pytest.mark.asyncio
async def test_a_stray_enter_in_the_record_form_saves_no_empty_visit(demo_copy: Path) -> None:
    """The record form opens on its Text field, and Enter saves: an Enter pressed at once (to
    open the kind's list, or by habit) saved a visit with no text at all, where the CLI's
    `--text` is required. The form names the empty Text and saves nothing."""
    from kehu_tui.widgets.forms.field import FormField

    from .test_tui import SIZE, make_app, wait_for
    from .test_tui_item8 import open_form

    before = tree_hash(demo_copy)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, "i")
        await pilot.press("enter")
        row = screen.query_one("#row-text", FormField)
        await wait_for(pilot, lambda: bool(row.error), "the text's error")
        assert app.screen is screen and "say what happened" in (row.error or ""), row.error
    assert tree_hash(demo_copy) == before


def test_removing_a_customers_name_is_named_as_the_argument(store: tuple[Path, str]) -> None:  # noqa: F811
    """`customer set ID name=` ("an empty value removes a field") said
    `…/customer.yaml:2: name: Field required`, as if the file were wrong. It names `name=` and
    why, nothing written."""
    path, cid = store
    before = tree_hash(path)
    refused = kehu("customer", "set", cid, "name=", store=path)
    no_traceback(refused)
    assert refused.code == 1 and refused.err.startswith("kehu: name=: a customer's name cannot be removed"), \
        refused.err
    assert "customer.yaml" not in refused.err and "Field required" not in refused.err
    assert tree_hash(path) == before


def test_a_set_that_changes_nothing_says_so(store: tuple[Path, str]) -> None:  # noqa: F811
    """`customer set ID phones+=N` of a number the customer has (or `level=` of the level it has)
    said "updated ID: phones" though nothing was. It says nothing changed, and names only what
    did when some of it did."""
    path, cid = store
    phone = kehu("customer", "show", cid, "--json", store=path).json()["phones"][0]
    same = kehu("customer", "set", cid, f"phones+={phone}", store=path)
    assert same.code == 0 and "nothing to change" in same.err and "updated" not in same.err, same.err
    some = kehu("customer", "set", cid, f"phones+={phone}", "nickname=小雷", store=path)
    assert some.code == 0 and some.err.strip().endswith(f"updated {cid}: nickname"), some.err


def test_a_sheets_phone_written_as_a_spreadsheet_number(tmp_path: Path) -> None:
    """A CSV whose phone column a spreadsheet or pandas wrote as numbers: `13800138002.0` was
    refused as "not a valid number for region CN" though it is the whole number, and
    `1.38001E+10` as "it is not a number", which says nothing of what happened (its last digits
    are gone). The first is the number; the second is named for what it is, the row left out."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("姓名,手机\n张三,1.38001E+10\n李四,13800138002.0\n", encoding="utf-8")
    result = kehu("import", str(sheet), store=path)
    no_traceback(result)
    assert result.code == 1, result.err
    said = f"{sheet}:2: column B (手机): phone 1.38001E+10: a spreadsheet wrote the number in scientific notation"
    assert said in result.err, result.err
    listed = kehu("customer", "list", "--json", store=path).json()
    assert [(c["name"], c["phones"]) for c in listed] == [("李四", ["+8613800138002"])]


def test_a_redemptions_reason_of_spaces_is_none(demo_copy: Path) -> None:
    """`points redeem ID 100 --reason "   "` kept `note: '   '` on the ledger's line (an empty
    reason was left out): spaces say nothing, and are left out as an empty reason is."""
    zhao = kehu("search", "赵敏", "--json", store=demo_copy).json()[0]["id"]
    redeemed = kehu("points", "redeem", zhao, "100", "--reason", "   ", store=demo_copy)
    assert redeemed.code == 0, redeemed.err
    ledger = next((demo_copy / "customers").rglob(f"{zhao}/points.ledger.yaml")).read_text(encoding="utf-8")
    last = ledger.splitlines()[-1]
    assert "delta: -100" in last and "note" not in last, last


def test_a_complaint_move_or_a_void_of_spaces_says_nothing(store: tuple[Path, str]) -> None:  # noqa: F811
    """`complaint ack|resolve --text "  "` kept the spaces on the move and as the resolution,
    and `purchase void --reason "  "` as the reason ("voided …:   "): spaces are no text, left
    out as an empty one is."""
    path, cid = store
    complaint = kehu("interaction", "add", cid, "--kind", "complaint", "--text", "受潮", store=path).out.strip()
    assert kehu("complaint", "ack", cid, complaint, "--text", "  ", store=path).code == 0
    assert kehu("complaint", "resolve", cid, complaint, "--text", " \u3000", store=path).code == 0
    written = next((path / "customers").rglob(f"interactions/{complaint}.yaml")).read_text(encoding="utf-8")
    assert "text: ' " not in written and "resolution" not in written, written
    purchase = kehu("purchase", "add", cid, "--item", "茶", "--price", "5", store=path).out.strip()
    voided = kehu("purchase", "void", cid, purchase, "--reason", "  ", store=path)
    assert voided.code == 0, voided.err
    sale = next((path / "customers").rglob(f"interactions/{purchase}.yaml")).read_text(encoding="utf-8")
    assert "voided:" in sale and "reason" not in sale, sale
