"""Eleventh round, the lead's finds (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile import tree_hash
from .test_hostile_limits import base, no_traceback, store  # noqa: F401 (fixtures)


def test_check_counts_one_customer_in_the_singular(store: tuple[Path, str]) -> None:  # noqa: F811
    """`kehu check` on a store of one customer said "ok: 1 customers" and, with a problem,
    "1 customers load fine": a count is said in the language's plural form."""
    path, _cid = store
    fine = kehu("check", store=path)
    assert fine.code == 0 and "ok: 1 customer, no problems" in fine.err, fine.err
    second = kehu("customer", "add", "--name", "韩梅梅", store=path).out.strip()
    next((path / "customers").rglob(f"{second}/customer.yaml")).write_text(
        f"id: {second}\nname: [unclosed\n", encoding="utf-8")
    broken = kehu("check", store=path)
    no_traceback(broken)
    assert broken.code == 1 and "1 problem; 1 customer loads fine" in broken.err, broken.err
    reindexed = kehu("reindex", store=path)
    assert reindexed.code == 0 and reindexed.err.endswith("re-read, 1 customer\n"), reindexed.err
    handed = kehu("handover", "王芳", "张伟", "--no-commit", store=path)
    assert handed.code == 0 and "reassigned 1 customer from 王芳 to 张伟" in handed.out, handed


@pytest.mark.asyncio
async def test_the_sale_form_keeps_no_price_without_its_item(demo_copy: Path) -> None:
    """A price (or a qty) typed in the TUI's sale form with no item was dropped without a word,
    and the sale saved as its amount alone; `purchase add --price` without `--item` is
    refused. The form now names the missing item and saves nothing."""
    from kehu_tui.widgets.forms.field import FormField

    from .test_tui import SIZE, make_app, wait_for
    from .test_tui_item8 import open_form

    before = tree_hash(demo_copy)
    app = make_app(demo_copy)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot, "p")
        screen.query_one("#field-price").focus()
        await pilot.press(*"3360")
        screen.query_one("#field-amount").focus()
        await pilot.press(*"5", "enter")
        row = screen.query_one("#row-item", FormField)
        await wait_for(pilot, lambda: bool(row.error), "the item's error")
        assert app.screen is screen and "name the item" in row.error
    assert tree_hash(demo_copy) == before


def _gone(path: Path, cid: str) -> str:
    import shutil

    shutil.rmtree(path.parent)
    return f"no customer with id '{cid}'"


def _broken(path: Path, cid: str) -> str:
    path.write_text(f"id: {cid}\nname: [unclosed\n", encoding="utf-8")
    return "customer.yaml:2"


@pytest.mark.asyncio
@pytest.mark.parametrize("change", [_gone, _broken])
async def test_the_tui_says_so_when_the_customer_shown_is_gone_or_broken(demo_copy: Path, change) -> None:
    """A customer merged away or removed in another window (a colleague's change coming in by
    `kehu sync`), or their profile broken by hand, while the TUI shows them: `p`, `i`, `$` (on an
    unpaid sale, still readable) and `E` read the file as their dialog was drawn and ended the
    app with a traceback. Each now says why, and the app goes on."""
    from kehu_tui.app import KehuApp
    from kehu_tui.screens.customer import CustomerScreen

    from kehu_core.store import open_store

    from .test_tui import open_zhao_min, wait_for, zhao_min_id

    cid = zhao_min_id(demo_copy)
    sale = kehu("purchase", "add", cid, "--amount", "100", "--credit", store=demo_copy).out.split()[-1]
    shop = open_store(demo_copy)
    app = KehuApp(shop, today=shop.today, watch_interval=0)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await open_zhao_min(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        timeline = screen.query_one("#timeline")
        await wait_for(pilot, lambda: timeline.row_count > 0, "the timeline")
        timeline.move_cursor(row=timeline.get_row_index(sale))
        said = change(shop.customer_file(cid), cid)
        before = tree_hash(demo_copy)
        for key in ("$", "p", "i", "E"):
            app.clear_notifications()
            await pilot.press(key)
            await wait_for(pilot, lambda: any(said in str(n.message) for n in app._notifications), f"{key}'s message")
            assert app.is_running and app.screen is screen, key
    assert tree_hash(demo_copy) == before


@pytest.mark.parametrize(("text", "said"), [
    ("{{ 1/0 }}", "ZeroDivisionError: division by zero"),
    ("{{ name + 1 }}", "TypeError: can only concatenate str"),
    ("{{ name|truncate(-5) }}", "AssertionError: expected length >= 3, got -5"),
    ("{{ name|wordwrap(-1) }}", "ValueError: invalid width -1"),
    ("{{ range(10**9)|list|length }}", "OverflowError: Range too big"),
    ("{{ name|money }}", "ValueError: could not convert string to float"),
])
def test_a_template_whose_expression_fails_is_named_at_its_line(
        store: tuple[Path, str], text: str, said: str) -> None:  # noqa: F811
    """A colleague's template whose expression fails on the values given (Python's own
    errors, not Jinja's) ended `kehu send` in "internal error"; it is the template's error at
    its line, as a Jinja error is, and nothing is sent or recorded."""
    path, cid = store
    assert kehu("customer", "set", cid, "emails=lilei@example.com", store=path).code == 0
    (path / "templates").mkdir(exist_ok=True)
    (path / "templates" / "t.j2").write_text(f"Subject: 你好\n\n{text}\n", encoding="utf-8")
    before = tree_hash(path)
    for dry in (["--dry-run"], []):
        sent = kehu("send", "--segment", "all", "--template", "t", *dry, store=path)
        no_traceback(sent)
        assert sent.code == 1 and f"t.j2:3: template error: {said}" in sent.err, sent
    assert tree_hash(path) == before


@pytest.mark.parametrize("text", [
    "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
    "{% if 1 %}" * 3000 + "x" + "{% endif %}" * 3000,
    "{{ 1" + "+1" * 9000 + " }}",  # (under template_files.MAX_TOKENS: nested, not long)
])
def test_a_template_nested_past_what_jinja_compiles_is_named(store: tuple[Path, str], text: str) -> None:  # noqa: F811
    """Jinja's compiler recurses once per level: a template nested 3 000 deep ended `kehu send`
    in "internal error: RecursionError". It is the template's error, named at its file."""
    path, _cid = store
    (path / "templates").mkdir(exist_ok=True)
    (path / "templates" / "t.j2").write_text(text + "\n", encoding="utf-8")
    sent = kehu("send", "--segment", "all", "--template", "t", "--dry-run", store=path)
    no_traceback(sent)
    assert sent.code == 1 and "t.j2:1: template error: nested deeper than a template can be read" in sent.err, sent


def test_check_names_a_template_send_refuses(store: tuple[Path, str]) -> None:  # noqa: F811
    """`kehu check` said ok of a template `kehu send` refused (a Jinja syntax error, nesting
    past what Jinja compiles, text not in UTF-8), so `kehu sync` shared it. Check names each at
    its line as send does; a file of templates/ that is no template (no `.j2`) is not read as one."""
    path, _cid = store
    folder = path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "bad.j2").write_text("Subject: 你好\n\n{{ name }} {% if %}\n", encoding="utf-8")
    (folder / "deep.j2").write_text("{{ " + "(" * 300 + "1" + ")" * 300 + " }}\n", encoding="utf-8")
    (folder / "gbk.j2").write_bytes("Subject: 你好\n\n".encode() + "赵敏您好\n".encode("gbk"))
    (folder / "notes.txt").write_text("{% if %}\n", encoding="utf-8")
    checked = kehu("check", store=path)
    no_traceback(checked)
    assert checked.code == 1
    for name, said in (("bad", "bad.j2:3: template error: Expected an expression"),
                       ("deep", "deep.j2:1: template error: nested deeper than a template can be read"),
                       ("gbk", "gbk.j2:3: not valid UTF-8 (byte 17); a template is text")):
        assert said in checked.out, checked
        sent = kehu("send", "--segment", "all", "--template", name, "--dry-run", store=path)
        assert sent.code == 1 and "template" in sent.err, sent
    assert "notes.txt" not in checked.out


def test_a_sheet_quoting_a_vcard_is_read_as_a_sheet(store: tuple[Path, str], tmp_path: Path) -> None:  # noqa: F811
    """kehu's own CSV export of a customer whose note quotes a contact card (pasted from a
    phone) was imported as a vCard file, BEGIN:VCARD being somewhere in its first 4 KB: one
    "customer" named after the note's FN line was made, and the customer was lost. A vCard file
    is one that begins with BEGIN:VCARD (after a byte order mark and blank lines)."""
    path, cid = store
    note = "名片:\nBEGIN:VCARD\nFN:假名字\nEND:VCARD"
    assert kehu("customer", "set", cid, f"notes={note}", store=path).code == 0
    sheet = tmp_path / "out.csv"
    assert kehu("export", "--format", "csv", str(sheet), store=path).code == 0
    fresh = tmp_path / "fresh"
    assert kehu("init", str(fresh), "--no-git").code == 0
    imported = kehu("import", str(sheet), store=fresh)
    assert imported.code == 0, imported
    [customer] = kehu("customer", "list", "--json", store=fresh).json()
    assert (customer["name"], customer["notes"]) == ("李雷", note)
    card = tmp_path / "card.vcf"
    card.write_bytes("\ufeff\r\n\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:韩梅梅\r\nEND:VCARD\r\n".encode())
    assert kehu("import", str(card), store=fresh).code == 0
    assert {c["name"] for c in kehu("customer", "list", "--json", store=fresh).json()} == {"李雷", "韩梅梅"}


@pytest.mark.parametrize("argv", [
    ["purchase", "add", "{cid}", "--amount", "7", "--paid"],
    ["interaction", "add", "{cid}", "--kind", "visit", "--text", "拜访"],
    ["visits", "done", "{cid}", "--outcome", "谈妥了"],
])
@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_by_is_refused_as_a_blank_owner_is(store: tuple[Path, str], argv: list[str], blank: str) -> None:  # noqa: F811
    """`--by "$REP"` with REP unset stored `by: ''` (the sale then counted for the customer's
    owner without a word), where `--owner ""` is refused: every `--by` names a rep, or is left out."""
    path, cid = store
    before = tree_hash(path)
    result = kehu(*[a.format(cid=cid) for a in argv], "--by", blank, store=path)
    no_traceback(result)
    assert result.code == 2 and "--by" in result.err and "expected a rep's name" in result.err, result
    assert tree_hash(path) == before
    taken = kehu(*[a.format(cid=cid) for a in argv], "--by", f" 李强{blank}", store=path)
    assert taken.code == 0, taken
