"""How long a profile's texts and lists may be (issue 16): one set of limits, in the model
(``kehu_core.models``: ``MAX_SHORT``, ``MAX_TAGS`` ...), held by every door — ``customer add``
and ``set``, a sheet and a vCard import, a hand edit read by ``kehu check``, the TUI's form and
a ``kehu serve`` PUT. 16 000 tags, a 1 MB tag or a 1 000-character owner used to be stored with
exit 0 and then carried by every list, search and screen. Each refusal names the field and the
limit, exit 1, the store left as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kehu_core.models import MAX_SHORT, MAX_TAGS, MAX_TEXT
from kehu_core.store import open_store

from .conftest import kehu
from .test_hostile import tree_hash

LONG_OWNER = "王" * (MAX_SHORT + 1)
TOO_MANY_TAGS = [f"t{i}" for i in range(MAX_TAGS + 1)]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("limits") / "base"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "李雷", "--phone", "13800138000", "--owner", "王芳",
               "--tag", "VIP", store=path).out.strip()
    shutil.rmtree(path / ".kehu", ignore_errors=True)
    return path, cid


@pytest.fixture
def store(base: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "store"
    shutil.copytree(base[0], path)
    return path, base[1]


def no_traceback(result: object) -> None:
    text = result.out + result.err  # type: ignore[attr-defined]
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]


def test_the_demo_store_is_well_within_the_limits(demo_copy: Path) -> None:
    assert kehu("check", store=demo_copy).code == 0


REFUSED = [
    (["customer", "add", "--name", "韩梅梅", "--owner", LONG_OWNER], f"at most {MAX_SHORT} characters"),
    (["customer", "add", "--name", "韩梅梅", "--tag", "x" * (MAX_SHORT + 1)], f"at most {MAX_SHORT} characters"),
    (["customer", "add", "--name", "韩梅梅", *[a for t in TOO_MANY_TAGS for a in ("--tag", t)]],
     f"at most {MAX_TAGS} items"),
    (["customer", "add", "--name", "韩梅梅", "--organization", "o" * (MAX_TEXT + 1)], f"at most {MAX_TEXT} characters"),
    (["customer", "set", "{id}", f"owner={LONG_OWNER}"], f"owner: String should have at most {MAX_SHORT} characters"),
    (["customer", "set", "{id}", "tags=" + ",".join(TOO_MANY_TAGS)], f"tags: List should have at most {MAX_TAGS}"),
    (["customer", "set", "{id}", "tags+=" + "y" * 1_000_000], f"tags.1: String should have at most {MAX_SHORT}"),
    (["customer", "set", "{id}", "interests=" + ",".join(TOO_MANY_TAGS)], f"at most {MAX_TAGS} items"),
    (["customer", "set", "{id}", "level=" + "金" * 100], f"level: String should have at most {MAX_SHORT}"),
    (["customer", "set", "{id}", "family=" + "家" * 10_001], "family: String should have at most 10000"),
]


DOORS = ["add-owner", "add-tag", "add-tags", "add-organization", "set-owner", "set-tags", "add-a-1MB-tag",
         "set-interests", "set-level", "set-family"]


@pytest.mark.parametrize("argv", [a for a, _ in REFUSED], ids=DOORS)
def test_the_cli_refuses_a_text_or_list_over_its_limit(argv: list[str], store: tuple[Path, str]) -> None:
    path, cid = store
    message = dict((tuple(a), m) for a, m in REFUSED)[tuple(argv)]
    before = tree_hash(path)
    result = kehu(*[a.replace("{id}", cid) for a in argv], store=path)
    no_traceback(result)
    assert result.code == 1, result
    assert message in result.err, result.err[:500]
    assert tree_hash(path) == before


@pytest.mark.parametrize(("tags", "line", "message"), [
    ([f"t{i}" for i in range(16_000)], 4, f"tags: List should have at most {MAX_TAGS} items"),
    (["VIP", "y" * 1_000_000], 6, f"tags.1: String should have at most {MAX_SHORT} characters"),
])
def test_a_hand_edit_over_a_limit_is_found_by_check_at_its_line(
        tags: list[str], line: int, message: str, store: tuple[Path, str]) -> None:
    path, cid = store
    other = kehu("customer", "add", "--name", "韩梅梅", store=path).out.strip()
    record = open_store(path).customer_file(cid)
    record.write_text(f"id: {cid}\nname: 李雷\nowner: {LONG_OWNER}\ntags:\n"
                      + "".join(f"- {t}\n" for t in tags), encoding="utf-8")
    before = tree_hash(path)
    check = kehu("check", store=path)
    no_traceback(check)
    assert check.code == 1
    said = check.out + check.err
    assert f"{record}:3: owner: String should have at most {MAX_SHORT} characters" in said
    assert f"{record}:{line}: {message}" in said, said[:2000]
    show = kehu("customer", "show", cid, store=path)
    no_traceback(show)
    assert show.code == 1 and f"{record}:3: owner" in show.err
    assert kehu("customer", "show", other, store=path).code == 0  # the rest of the store goes on
    assert tree_hash(path) == before


def test_a_sheet_row_and_a_vcard_over_a_limit_are_refused_at_their_line(
        store: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = store
    sheet = tmp_path / "客户.csv"
    sheet.write_text("name,phone,owner,tags\n"
                     f"张三,13912345678,{LONG_OWNER},VIP\n"
                     f"王五,13612340000,王芳,\"{','.join(TOO_MANY_TAGS)}\"\n", encoding="utf-8")
    cards = tmp_path / "通讯录.vcf"
    cards.write_bytes(("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:赵六\r\nTEL:13512340000\r\n"
                       f"CATEGORIES:{','.join(TOO_MANY_TAGS)}\r\nEND:VCARD\r\n"
                       "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:钱七\r\nTEL:13512340001\r\n"
                       f"CATEGORIES:VIP,{'c' * (MAX_SHORT + 1)}\r\nEND:VCARD\r\n").encode())
    before = tree_hash(path)
    result = kehu("import", str(sheet), store=path)
    no_traceback(result)
    assert result.code == 1
    assert f"{sheet}:2: column C (owner): String should have at most {MAX_SHORT} characters" in result.err, result.err
    assert f"{sheet}:3: column D (tags): List should have at most {MAX_TAGS} items" in result.err
    result = kehu("import", str(cards), store=path)
    no_traceback(result)
    assert result.code == 1
    # each named at its CATEGORIES line too, as a sheet's at its column (5e6166a2)
    assert f"{cards}:1: line 5 (CATEGORIES): List should have at most {MAX_TAGS} items" in result.err, result.err
    assert f"{cards}:7: line 11 (CATEGORIES): tags.1: String should have at most {MAX_SHORT} characters" in result.err
    assert tree_hash(path) == before


@pytest.mark.asyncio
async def test_the_tui_form_refuses_an_owner_over_the_limit_next_to_it(store: tuple[Path, str]) -> None:
    from kehu_tui.screens.edit import EditCustomerScreen
    from kehu_tui.widgets.forms.field import FormField

    from .test_tui import SIZE, make_app, wait_for

    path, cid = store
    before = tree_hash(path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"李雷", "enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCustomerScreen), "the form")
        field = app.screen.query_one("#field-owner")
        field.focus()
        field.value = LONG_OWNER
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EditCustomerScreen)  # not saved, still editing
        row = app.screen.query_one("#row-owner", FormField)
        assert f"at most {MAX_SHORT} characters" in row.error
    assert tree_hash(path) == before
    assert kehu("customer", "show", cid, "--json", store=path).json()["owner"] == "王芳"


def test_a_new_contact_put_to_kehu_serve_over_a_limit_is_refused(tmp_path_factory: pytest.TempPathFactory) -> None:
    from .test_serve import serving

    with serving(tmp_path_factory, "limits-serve") as server:
        session = server.session("wangfang")
        before = tree_hash(server.root)
        card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-made-limits\r\nFN:周芷若\r\nTEL:136 1234 5678\r\n"
                f"CATEGORIES:{','.join(TOO_MANY_TAGS)}\r\nEND:VCARD\r\n")
        answer = session.put(f"{server.book('wangfang')}phone-made-limits.vcf", data=card.encode(),
                             headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
        assert answer.status_code == 422, answer.text
        # at the CATEGORIES line, as `kehu import` names it (nineteenth round)
        assert f"line 6 (CATEGORIES): List should have at most {MAX_TAGS} items" in answer.text, answer.text
        assert tree_hash(server.root) == before
