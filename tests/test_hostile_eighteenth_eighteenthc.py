"""Eighteenth outside round, helper C (issue 16, kinds 2, 3 and 7: one reading of typed text at
every door, imports naming the place). Each failed on the code before its fix; see
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from kehu_core.store import open_store

from .conftest import kehu
from .test_hostile import tree_hash
from .test_hostile_limits import no_traceback
from .test_tui import SIZE, make_app, open_zhao_min, wait_for, zhao_min_id

#: two addresses typed as one text, the first holding what a list of tags is cut at (`,`, `/`, `|`)
FIRST, SECOND = "上海市徐汇区1号楼/2单元, 3室|东门", "杭州市西湖区文三路1号"


@pytest.mark.parametrize("typed", [f"{FIRST}; {SECOND}", f"{FIRST}；{SECOND}", f"{FIRST}\n{SECOND}",
                                   f"{FIRST}\u2028{SECOND}", f'["{FIRST}", "{SECOND}"]'])
def test_addresses_typed_as_one_text_are_cut_alike_at_every_door(tmp_path: Path, typed: str) -> None:
    """Addresses typed as one text were cut three ways: `customer set ID addresses=…` kept one
    address (`甲; 乙` was one), the TUI's form cut at `;`, `；` and `|` (an address holding `|`
    was two), the importer at `;`, `；` and a line feed (not a line's other ends). One reading,
    `models.typed_lists.typed_addresses`: written as a list, else cut at `;`, `；` and every line
    end, never at a list's `,`, `/`, `、`, `|` (an address holds them)."""
    from kehu_tui.widgets.forms.customer_form import FieldSpec, from_text

    shop = tmp_path / "shop"
    assert kehu("init", str(shop), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "赵敏", store=shop).out.strip()
    done = kehu("customer", "set", cid, f"addresses={typed}", store=shop)
    assert done.code == 0, done.err
    assert open_store(shop).get(cid).addresses == [FIRST, SECOND]
    assert from_text(FieldSpec("addresses", "addresses", "addresses"), typed) == [FIRST, SECOND]
    sheet = tmp_path / "sheet.csv"
    cell = typed.replace('"', '""')
    sheet.write_text(f'name,addresses\n钱多多,"{cell}"\n', encoding="utf-8")
    assert kehu("import", str(sheet), store=shop).code == 0
    (imported,) = [c for c in kehu("customer", "list", "--json", store=shop).json() if c["name"] == "钱多多"]
    assert open_store(shop).get(imported["id"]).addresses == [FIRST, SECOND]


async def saved_addresses(store: Path, change: Callable[[str], str]) -> None:
    """赵敏's form opened in the real app, its addresses field's text changed by ``change`` and saved."""
    from kehu_tui.screens.customer import CustomerScreen
    from kehu_tui.screens.edit import EditCustomerScreen

    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCustomerScreen), "the form")
        field = app.screen.query_one("#field-addresses")
        field.focus()
        field.value = change(field.value)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "saved")


@pytest.mark.asyncio
async def test_the_tui_form_reads_addresses_as_the_cli_does_and_shows_them_so(demo_copy: Path) -> None:
    """The TUI's customer form, in the real app: `甲|乙; 丙` typed in its addresses field was three
    addresses (its own cut at `|`), two by `customer set`; and a customer whose address holds `;`
    (`杭州市; 1号`, set as a list) was shown joined by `; `, so any edit of the field saved it as two.
    The form shows what `models.typed_lists.addresses_text` writes (a list when joining would
    change them) and reads with `typed_addresses`."""
    cid = zhao_min_id(demo_copy)
    await saved_addresses(demo_copy, lambda _shown: f"{FIRST}; {SECOND}")
    assert open_store(demo_copy).get(cid).addresses == [FIRST, SECOND]
    assert kehu("customer", "set", cid, 'addresses=["杭州市; 1号", "上海"]', store=demo_copy).code == 0
    await saved_addresses(demo_copy, lambda shown: shown.replace("上海", "上海市"))  # the second one edited
    assert open_store(demo_copy).get(cid).addresses == ["杭州市; 1号", "上海市"]


def test_a_sales_problem_found_after_its_row_was_read_names_its_cell(tmp_path: Path) -> None:
    """A sheet's sale dated after today, due before it was made, or paid on a day after today
    is found as the row's purchase is checked (its cells were each readable): the message named
    the row alone (`客户.xlsx:3: purchase date 2027-01-05 is after today`), where a bad value
    read from a cell names the cell. Now these too name the sheet, the cell and its heading
    (`sheet.cell_place`, through `ImportedContact.places`)."""
    from openpyxl import Workbook

    shop = tmp_path / "shop"
    assert kehu("init", str(shop), "--no-git").code == 0
    book = Workbook()
    sheet = book.active
    sheet.title = "销售"
    sheet.append(["姓名", "电话", "交易日期", "购买商品", "成交金额", "到期日", "付款记录"])
    sheet.append(["张三", "13912345678", "2026-11-01", "茶叶", 100, None, None])
    sheet.append(["李四", "13912345679", "2027-01-05", "茶叶", 100, None, None])
    sheet.append(["王五", "13912345670", "2026-11-02", "茶叶", 100, "2026-10-01", None])
    sheet.append(["赵六", "13912345671", "2026-11-02", "茶叶", 100, None, "2027-02-01 100.00"])
    book.save(tmp_path / "客户.xlsx")
    before = tree_hash(shop)
    done = kehu("import", str(tmp_path / "客户.xlsx"), "--dry-run", store=shop)
    assert done.code == 1, done.err
    no_traceback(done)
    assert tree_hash(shop) == before
    lines = done.err.splitlines()
    for row, cell in ((3, "C3 (交易日期)"), (4, "F4 (到期日)"), (5, "G5 (付款记录)")):
        (said,) = [line for line in lines if f"客户.xlsx:{row}:" in line]
        assert f"sheet '销售' cell {cell}:" in said, said


#: cards with a wrong value each, its property at the line said (a folded NOTE, a vCard 2.1
#: quoted-printable soft break and a grouped property before it: the lines are the file's)
CARDS = [("BEGIN:VCARD", "VERSION:3.0", "FN:张三", "NOTE:a", " long", "TEL:13912345678",
          "BDAY:1990-13-45", "END:VCARD"),
         ("BEGIN:VCARD", "VERSION:2.1", "FN:李四", "NOTE;ENCODING=QUOTED-PRINTABLE:abc=", "def",
          "EMAIL:ok@example.com", "item1.EMAIL:not-an-email", "END:VCARD"),
         ("BEGIN:VCARD", "VERSION:3.0", "FN:王五", "TEL:13912345670", "X-KEHU-CREDIT-LIMIT:abc", "END:VCARD"),
         ("BEGIN:VCARD", "VERSION:3.0", "FN:赵六", "TEL:13912345671", "TEL:12", "END:VCARD"),
         ("BEGIN:VCARD", "VERSION:3.0", "FN:钱七", "TITLE:" + "x" * 300, "END:VCARD")]


def refused_cards(shop: Path, card_file: Path, cards: Sequence[Sequence[str]]) -> list[str]:
    """`kehu import` of ``cards`` written to ``card_file`` (CRLF, as phones write them),
    refused whole: exit 1, no traceback, ``shop`` as it was; the lines it said."""
    card_file.write_text("\r\n".join(line for card in cards for line in card) + "\r\n", encoding="utf-8")
    before = tree_hash(shop)
    done = kehu("import", str(card_file), store=shop)
    assert done.code == 1, done.err
    no_traceback(done)
    assert tree_hash(shop) == before
    return done.err.splitlines()


def test_a_vcards_wrong_value_is_named_by_its_propertys_line(tmp_path: Path) -> None:
    """A card's wrong birthday, email, phone, kehu field or too long title was said at the
    line its card begins (`a.vcf:9: not an email address: …`), however far below the property
    stood. Now the property's own line too, counted in the file's text (vobject's own count is
    not the file's: folded lines and soft breaks), `line 15 (EMAIL)`, the card's `places`."""
    shop = tmp_path / "shop"
    assert kehu("init", str(shop), "--no-git").code == 0
    lines = refused_cards(shop, tmp_path / "a.vcf", CARDS)
    for card, (line, what) in ((1, (7, "BDAY")), (9, (15, "EMAIL")), (17, (21, "X-KEHU-CREDIT-LIMIT")),
                               (23, (27, "TEL")), (29, (32, "TITLE"))):
        (said,) = [said for said in lines if f"a.vcf:{card}:" in said]
        assert f"a.vcf:{card}: line {line} ({what}):" in said, said


LOOK_ALIKE = "\u0410nna"  # Аnna: a Cyrillic А, then Latin letters


@pytest.mark.asyncio
async def test_a_name_mixing_scripts_is_marked_in_the_tui_and_in_customer_show(tmp_path: Path) -> None:
    """Аnna (a Cyrillic А) and Anna: `kehu check` warned of the one and `kehu duplicates`
    grouped the two, but the TUI's list and customer card, and `customer show`, showed both
    alike. Now each shows what kehu_core says of such a name (`textsearch.mixed_script_note`,
    the wording of `check`'s warning; the list its `MIXED_SCRIPT_MARK`); Anna has no mark."""
    from kehu_tui.screens.customer import CustomerScreen
    from kehu_tui.widgets.customers.table import CustomerTable

    from .test_tui import text_of

    shop = tmp_path / "shop"
    assert kehu("init", str(shop), "--no-git").code == 0
    ids = {name: kehu("customer", "add", "--name", name, store=shop).out.strip() for name in ("Anna", LOOK_ALIKE)}
    shown = kehu("customer", "show", ids[LOOK_ALIKE], store=shop)
    assert shown.code == 0 and "⚠" in shown.out and "U+0410" in shown.out, shown.out
    assert "⚠" not in kehu("customer", "show", ids["Anna"], store=shop).out
    app = make_app(shop)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(CustomerTable)
        await wait_for(pilot, lambda: table.row_count == 2, "the list")
        rows = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert sorted(rows) == sorted(["Anna", f"{LOOK_ALIKE} ⚠"]), rows
        table.focus()
        table.move_cursor(row=rows.index(f"{LOOK_ALIKE} ⚠"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "the card")
        card = text_of(app.screen.query_one("#profile"))
        assert "⚠" in card and "U+0410" in card, card


def test_a_sale_like_another_customers_imported_before_is_imported_too(tmp_path: Path) -> None:
    """Two customers who bought the same on the same day for the same amount, in two imports
    (one sheet a week): the second import refused 李四's sale as "interaction … is a record of
    customer 张三 already … give it an id of its own" (an import's sale id was made from what
    was sold alone), named it at 李四's first row, not the sale's, and said "0 created" though
    李四 and the sale before were written. The id is made from the customer too; importing a
    sheet again still adds nothing."""
    shop = tmp_path / "shop"
    assert kehu("init", str(shop), "--no-git").code == 0
    heading = "姓名,电话,交易日期,购买商品,成交金额\n"
    first, second = tmp_path / "第一周.csv", tmp_path / "第二周.csv"
    first.write_text(heading + "张三,13912345678,2026-11-01,茶叶,100\n", encoding="utf-8")
    second.write_text(heading + "李四,13912345679,2026-10-01,茶杯,10\n李四,13912345679,2026-11-01,茶叶,100\n",
                      encoding="utf-8")
    assert kehu("import", str(first), store=shop).code == 0
    done = kehu("import", str(second), store=shop)
    assert done.code == 0, done.err
    listed = {c["name"]: c["id"] for c in kehu("customer", "list", "--json", store=shop).json()}
    assert len(open_store(shop).interactions(listed["李四"])) == 2
    for sheet in (first, second):
        again = kehu("import", str(sheet), "--json", store=shop)
        assert again.code == 0 and again.json()["purchases_added"] == 0, again.out
    assert kehu("check", store=shop).code == 0


def test_a_birthday_after_today_in_a_sheet_or_a_card_is_named_by_its_cell_or_line(tmp_path: Path) -> None:
    """A birthday after the store's day (2030 typed for 1930) was found only as the profile
    was written, and said at the customer's first row and the field (`客户.xlsx:2: birthday:
    2030-01-01 is after today`), never the cell or the vCard's line. It is asked as the row
    is read (`calendar.birthday_after`, the one rule; the write still asks it), at its place."""
    from openpyxl import Workbook

    shop = tmp_path / "shop"
    assert kehu("init", str(shop), "--no-git").code == 0
    book = Workbook()
    sheet = book.active
    sheet.title = "客户"
    sheet.append(["姓名", "电话", "生日"])
    sheet.append(["张三", "13912345678", "2030-01-01"])
    book.save(tmp_path / "客户.xlsx")
    card = tmp_path / "a.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:李四\r\nTEL:13912345679\r\nBDAY:2030-01-01\r\nEND:VCARD\r\n",
                    encoding="utf-8")
    before = tree_hash(shop)
    for path, place in ((tmp_path / "客户.xlsx", "客户.xlsx:2: sheet '客户' cell C2 (生日): birthday: 2030-01-01"),
                        (card, "a.vcf:1: line 5 (BDAY): birthday: 2030-01-01")):
        done = kehu("import", str(path), store=shop)
        assert done.code == 1 and place in done.err, done.err
        no_traceback(done)
    assert tree_hash(shop) == before
