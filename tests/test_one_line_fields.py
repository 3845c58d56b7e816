"""A name, a tag, an item ... is one line of text at every door: no line break (it broke every
listing of one row per customer, CSV readers and a vCard's FN) and no direction control (U+202E
turned a name around in the TUI and the reports). Texts of many lines (notes) keep their line
breaks. The CLI, an import, the TUI's form (Pilot), ``kehu serve`` (a real server and HTTP
client) and a hand edit (``kehu check``) say the same. Each test failed before the rule."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile import tree_hash
from .test_serve import DAY, Server, serving


@pytest.mark.parametrize(("argv", "said"), [
    (["customer", "add", "--name", "王\n芳"], "holds the line break U+000A"),
    (["customer", "add", "--name", "王\r芳"], "holds the line break U+000D"),
    (["customer", "add", "--name", "\u202egnp.exe"], "holds U+202E, a control that reverses"),
    (["customer", "add", "--name", "赵敏", "--organization", "茶\u2029庄"], "holds the line break U+2029"),
    (["customer", "add", "--name", "赵敏", "--tag", "a\u2028b"], "holds the line break U+2028"),
    (["customer", "add", "--name", "赵敏", "--title", "经\u2066理"], "holds U+2066"),
    (["customer", "add", "--name", "赵敏", "--set", "nickname=小\x85敏"], "holds the line break U+0085"),
])
def test_the_cli_refuses_a_line_break_or_a_direction_control_in_a_one_line_field(
        store_path: Path, argv: list[str], said: str) -> None:
    before = tree_hash(store_path)
    result = kehu(*argv, store=store_path)
    assert result.code == 1 and said in result.err and "Traceback" not in result.err, (result.out, result.err)
    assert tree_hash(store_path) == before


def test_notes_keep_their_lines_and_an_items_name_is_one_line(store_path: Path) -> None:
    added = kehu("customer", "add", "--name", "赵敏\n", "--organization", "茶庄\r\n", "--note", "第一行\n第二行",
                 store=store_path)
    assert added.code == 0, added.err
    cid = added.out.strip()
    shown = json.loads(kehu("customer", "show", cid, "--json", store=store_path).out)
    # a line break at an end only is taken off (a pasted line's), as the name's spaces are
    assert (shown["name"], shown["organization"], shown["notes"]) == ("赵敏", "茶庄", "第一行\n第二行")
    before = tree_hash(store_path)
    bought = kehu("--today", DAY, "purchase", "add", cid, "--item", "龙井\n茶", "--price", "10", store=store_path)
    assert bought.code == 1 and "holds the line break U+000A" in bought.err, (bought.out, bought.err)
    assert tree_hash(store_path) == before


def test_an_import_refuses_a_name_of_two_lines_naming_its_row(store_path: Path, tmp_path: Path) -> None:
    """A spreadsheet's cell may hold a line break (Alt+Enter in Excel): the import stored
    王\\n芳 as a customer's name, listed on two lines."""
    sheet = tmp_path / "two-lines.csv"
    sheet.write_text('name,organization\n"王\n芳",茶庄\n李雷,"茶\u202e庄"\n', encoding="utf-8")
    before = tree_hash(store_path)
    result = kehu("import", str(sheet), store=store_path)
    said = result.out + result.err
    assert result.code == 1, said
    assert "holds the line break U+000A" in said and "holds U+202E" in said, said
    assert tree_hash(store_path) == before


def test_a_hand_edited_name_of_two_lines_is_named_by_check_at_its_line(store_path: Path) -> None:
    added = kehu("customer", "add", "--name", "赵敏", "--tag", "vip", store=store_path)
    cid = added.out.strip()
    (path,) = store_path.glob(f"customers/*/{cid}/customer.yaml")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("赵敏", '"赵\\u202e敏"').replace("- vip", '- "v\\nip"'), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    name_line = next(n for n, line in enumerate(lines, 1) if line.startswith("name:"))
    tag_line = next(n for n, line in enumerate(lines, 1) if "v\\nip" in line)
    result = kehu("check", store=store_path)
    assert result.code == 1, result.out
    said = result.out + result.err
    assert f"customer.yaml:{name_line}: name: holds U+202E" in said, said
    assert f"customer.yaml:{tag_line}: tags.0: holds the line break U+000A" in said, said


def test_the_demo_store_holds_no_such_field(demo_copy: Path) -> None:
    result = kehu("check", store=demo_copy)
    assert result.code == 0, result.out + result.err


def test_the_shop_name_refuses_a_direction_control_as_a_customers_name(store_path: Path) -> None:
    config = store_path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    name = next(line for line in text.splitlines() if line.startswith("name:"))
    config.write_text(text.replace(name, 'name: "\\u202e茶庄"'), encoding="utf-8")
    result = kehu("check", store=store_path)
    assert result.code == 1 and "U+202E" in result.out + result.err, result.out + result.err


@pytest.mark.asyncio
@pytest.mark.parametrize(("field", "typed", "said"), [
    ("name", "赵\u202e敏", "holds U+202E"),
    ("tags", "VIP, a\u2028b", "holds the line break U+2028"),
])
async def test_the_edit_form_refuses_it_under_the_field(demo_copy: Path, field: str, typed: str, said: str) -> None:
    """A paste into the TUI's form (an Input keeps U+2028 and U+202E)."""
    from kehu_tui.screens.edit import EditCustomerScreen
    from kehu_tui.widgets.forms.field import FormField

    from .test_tui import SIZE, make_app, open_zhao_min, wait_for

    before = tree_hash(demo_copy)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCustomerScreen), "the form")
        dialog = app.screen
        dialog.query_one(f"#field-{field}").value = typed
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # not saved, the typing kept
        row = dialog.query_one(f"#row-{field}", FormField)
        assert said in (row.error or ""), (field, row.error)
    assert tree_hash(demo_copy) == before


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "oneline") as running:
        yield running


@pytest.mark.parametrize(("line", "said"), [
    ("FN:王\\n芳", "name: holds the line break U+000A"),  # vCard's escaped line break
    ("FN:\u202egnp.exe", "name: holds U+202E"),
    ("ORG:茶\u2028庄", "organization: holds the line break U+2028"),
])
def test_kehu_serve_refuses_a_card_whose_name_is_two_lines(server: Server, line: str, said: str) -> None:
    before = tree_hash(server.root / "customers")
    uid = f"one-line-{abs(hash(line))}"
    body = f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:新客\r\n{line}\r\nNOTE:第一行\\n第二行\r\nEND:VCARD\r\n"
    answer = server.session("wangfang").put(f"{server.book('wangfang')}{uid}.vcf", data=body.encode(),
                                            headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
    # at the property's line, in the words of `kehu import` (nineteenth round)
    placed = f"line 5 ({line.split(':')[0]}): {said.split(': ', 1)[1]}"
    assert answer.status_code == 422 and placed in answer.text, (answer.status_code, answer.text)
    assert tree_hash(server.root / "customers") == before
