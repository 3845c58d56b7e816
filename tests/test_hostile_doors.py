"""Issue 16's "one set of rules for every door", at the two doors the CLI does not go through:
``kehu serve`` (a phone PUTs a vCard; the real server, a real HTTP client) and the TUI's forms
(the real Textual app, driven by Pilot). Each test failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import vobject

from .conftest import kehu
from .test_hostile import tree_hash
from .test_serve import DAY, Server, multiget, propfind_hrefs, serving


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "doors") as running:
        yield running


def _put_new(server: Server, login: str, href: str, body: bytes):  # type: ignore[no-untyped-def]
    return server.session(login).put(f"{server.book(login)}{href}", data=body,
                                     headers={"Content-Type": "text/vcard", "If-None-Match": "*"})


def _no_trouble_after(root: Path) -> None:
    """What the door let in breaks no later command."""
    for argv in (["check"], ["customer", "list"], ["reminders"],
                 ["export", "--format", "csv", str(root.parent / "o.csv")]):
        result = kehu("--today", DAY, *argv, store=root)
        assert result.code == 0 and "Traceback" not in result.err, (argv, result.out, result.err)


# --- kehu serve -------------------------------------------------------------------------------


def test_a_card_in_gbk_from_an_old_phone_is_read_as_kehu_import_reads_it(server: Server, tmp_path: Path) -> None:
    """An old Chinese phone sends its contacts in GBK. `kehu import` reads such a card as
    王小芳; kehu serve (Radicale's own decoding: the declared charset, UTF-8, then Latin-1)
    stored the same bytes as the customer "ÍõÐ¡·¼" with 201."""
    card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:old-phone-1\r\nFN:王小芳\r\nNOTE:老客户\r\n"
            "TEL;TYPE=CELL:13600006666\r\nEND:VCARD\r\n").encode("gbk")
    answer = _put_new(server, "wangfang", "old-phone-1.vcf", card)
    assert answer.status_code == 201, answer.text
    found = json.loads(kehu("--today", DAY, "search", "13600006666", "--json", store=server.root).out)
    assert [(c["name"], c["notes"]) for c in found] == [("王小芳", "老客户")]
    # the other door, for the same bytes
    sheet = tmp_path / "old.vcf"
    sheet.write_bytes(card)
    plan = kehu("--today", DAY, "import", str(sheet), "--dry-run", store=server.root)
    assert "王小芳" in plan.out, plan.out
    # a body that is no text in any encoding kehu reads is refused, as the import refuses it
    count = len(list(server.root.glob("customers/*/*/customer.yaml")))
    before = tree_hash(server.root / "customers")
    mixed = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:old-phone-2\r\nFN:王小芳二\r\n".encode() + \
        b"NOTE:\x80\xff\xfe\r\nEND:VCARD\r\n"
    refused = _put_new(server, "wangfang", "old-phone-2.vcf", mixed)
    assert refused.status_code == 400 and "neither UTF-8 nor GBK" in refused.text, refused.text
    assert len(list(server.root.glob("customers/*/*/customer.yaml"))) == count
    assert tree_hash(server.root / "customers") == before
    _no_trouble_after(server.root)


def test_a_new_contact_cannot_take_the_uid_of_another_reps_customer(server: Server) -> None:
    """王芳's phone creates a contact whose UID is the id of 李雷's customer 张三 (a card copied
    from a colleague's phone, or a hostile client). Radicale refuses a UID already in the same
    address book, and 张三 is not in 王芳's: the card became a second customer with 张三's UID,
    so a supervisor's address book held two cards of one UID (RFC 6352 forbids it; a client
    keeps one of them, vdirsyncer stops on it)."""
    before = tree_hash(server.root / "customers")
    taken = server.ids["张三"]
    card = (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{taken}\r\nFN:假张三\r\nTEL:13600009999\r\n"
            "END:VCARD\r\n").encode()
    answer = _put_new(server, "wangfang", "copied.vcf", card)
    assert answer.status_code == 409, answer.text
    assert "UID" in answer.text and "nothing was added" in answer.text, answer.text
    assert tree_hash(server.root / "customers") == before
    # nor the file name of his card: in the supervisor's book one of the two hid the other
    named = _put_new(server, "wangfang", f"{taken}.vcf",
                     b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:fresh-uid-1\r\nFN:Other\r\nEND:VCARD\r\n")
    assert named.status_code == 409, named.text
    assert tree_hash(server.root / "customers") == before
    boss = server.session("boss")
    cards = multiget(boss, server.book("boss"), list(propfind_hrefs(boss, server.book("boss"))))
    uids = [vobject.readOne(text).uid.value for text in cards.values()]
    assert len(uids) == len(set(uids)), uids
    # a UID a phone gave a contact it made is taken too, by the next contact of another phone
    first = _put_new(server, "wangfang", "phone-made-9.vcf",
                     b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-made-9\r\nFN:Nine\r\nEND:VCARD\r\n")
    assert first.status_code == 201, first.text
    again = _put_new(server, "lilei", "phone-made-9.vcf",
                     b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-made-9\r\nFN:Nine too\r\nEND:VCARD\r\n")
    assert again.status_code == 409, again.text
    _no_trouble_after(server.root)


@pytest.mark.parametrize(("line", "said"), [
    ("FN:赵\x1b[2J敏", "name: holds the control character U+001B"),
    ("NOTE:好\x00客户", "notes: holds the control character U+0000"),
    ("ORG:茶\x07庄", "organization: holds the control character U+0007"),  # on a new contact only
])
def test_a_control_character_in_a_card_is_refused_as_kehu_import_refuses_it(
        server: Server, tmp_path: Path, line: str, said: str) -> None:
    """ESC, NUL or BEL in a card: `kehu import` refuses the card naming the field, the CLI
    refuses the value; kehu serve stored the card with the character silently taken out
    (Radicale drops C0 controls from what it parses), so 赵\x1b[2J敏 became 赵[2J敏 with 201,
    on a new contact and on an edit of an existing one alike."""
    before = tree_hash(server.root / "customers")
    uid = f"ctl-{abs(hash(line))}"
    body = f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:控制\r\n{line}\r\nEND:VCARD\r\n".encode()
    answer = _put_new(server, "wangfang", f"{uid}.vcf", body)
    # said at the property's line, in the words of `kehu import` (nineteenth round)
    placed = f"({line.split(':')[0]}): {said.split(': ', 1)[1]}"
    assert answer.status_code == 422 and f"line 5 {placed}" in answer.text, (answer.status_code, answer.text)
    if not line.startswith("ORG"):  # an edit takes the name and the note back (docs/serve.md)
        session = server.session("wangfang")
        url = f"{server.book('wangfang')}{server.ids['李四']}.vcf"
        got = session.get(url)
        edited = got.text.replace("FN:李四", line if line.startswith("FN") else f"FN:李四\r\n{line}")
        answer = session.put(url, data=edited.encode(), headers={"If-Match": got.headers["ETag"],
                                                                  "Content-Type": "text/vcard"})
        # (the card holds its own NOTE too: of two NOTE lines the one holding it is named, as in
        # an import: twentieth round)
        assert answer.status_code == 422 and placed in answer.text, (answer.status_code, answer.text)
        assert "line 6 (NOTE)" in answer.text or not line.startswith("NOTE"), answer.text
    assert tree_hash(server.root / "customers") == before
    sheet = tmp_path / "same.vcf"
    sheet.write_bytes(body)
    imported = kehu("--today", DAY, "import", str(sheet), store=server.root)
    # the import names the card's property at its line (its place) and says why
    at = f"same.vcf:1: line 5 ({line.split(':')[0]}): {said.split(': ', 1)[1]}"
    assert imported.code == 1 and at in imported.err + imported.out, (imported.out, imported.err)


@pytest.mark.parametrize(("bday", "stored"), [
    ("BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15", "--04-15"),  # an iPhone's birthday without a year
    ("BDAY:--0415", "--04-15"),  # vCard 4.0 (RFC 6350), as DAVx5 and Thunderbird write it
    ("BDAY:19900415", "1990-04-15"),  # the basic format of RFC 6350 and of vCard 2.1 phones
])
def test_a_new_contacts_values_are_read_as_kehu_import_reads_them(
        server: Server, tmp_path: Path, bday: str, stored: str) -> None:
    """A contact made on a phone with a birthday in a vCard form: `kehu import` stores it as
    kehu's date; kehu serve gave the card's text to the model as it was, so the whole contact
    was refused with 422 ("1604-04-15 is outside the dates kehu keeps", "expected YYYY-MM-DD").
    (The same phone given twice is one phone, as the import has it.)"""
    n = len(bday) % 90 + 10  # one number of each case
    uid = f"bday-{n}"
    body = (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:生日{n}\r\n{bday}\r\n"
            f"TEL;TYPE=CELL:135 0000 {n}01\r\nTEL;TYPE=WORK:+86 135-0000-{n}01\r\n"
            "END:VCARD\r\n").encode()
    answer = _put_new(server, "wangfang", f"{uid}.vcf", body)
    assert answer.status_code == 201, answer.text
    found = json.loads(kehu("--today", DAY, "search", f"生日{n}", "--json", store=server.root).out)
    assert [(c["birthday"], c["phones"]) for c in found] == [(stored, [f"+861350000{n}01"])], found
    sheet = tmp_path / "same.vcf"
    sheet.write_bytes(body.replace(b"UID:", b"UID:x"))
    plan = kehu("--today", DAY, "import", str(sheet), "--dry-run", "--json", store=server.root)
    assert plan.code == 0, plan.err
    _no_trouble_after(server.root)


@pytest.mark.parametrize(("prop", "field"), [
    ("X-KEHU-PHONES:5", "phones"),
    ("X-KEHU-TAGS:5", "tags"),
    ("X-KEHU-ADDRESSES:{\"a\": 1}", "addresses"),
    ('X-KEHU-EXTRA_FIELDS:{"emails": 5}', "emails"),
    ("X-KEHU-NOTES:5", "notes"),
])
def test_an_x_kehu_value_of_the_wrong_shape_is_refused_with_its_field(
        server: Server, tmp_path: Path, prop: str, field: str) -> None:
    """`X-KEHU-*` values are JSON (what `kehu export --format vcard` writes), so a card can
    give a list field a number. `kehu import` ended in "internal error: TypeError: 'int'
    object is not iterable", and kehu serve answered 500 with a traceback in its log (the
    note: on a new contact and on an edit alike), where the model's own check says which
    field wants what."""
    before = tree_hash(server.root / "customers")
    uid = f"shape-{field}"
    body = f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:形状\r\n{prop}\r\nEND:VCARD\r\n".encode()
    answer = _put_new(server, "wangfang", f"{uid}.vcf", body)
    # the property that gives the field, at its line (nineteenth round: the import's words)
    placed = f"({prop.split(':')[0]}): "
    assert answer.status_code == 422 and f"line 5 {placed}" in answer.text, (answer.status_code, answer.text)
    if field == "notes":  # an edit takes the note back
        session = server.session("wangfang")
        url = f"{server.book('wangfang')}{server.ids['赵敏']}.vcf"
        got = session.get(url)
        edited = got.text.replace("END:VCARD", prop + "\r\nEND:VCARD")
        answer = session.put(url, data=edited.encode(), headers={"If-Match": got.headers["ETag"],
                                                                  "Content-Type": "text/vcard"})
        assert answer.status_code == 422 and placed in answer.text, (answer.status_code, answer.text)
    assert tree_hash(server.root / "customers") == before
    sheet = tmp_path / "shape.vcf"
    sheet.write_bytes(body)
    imported = kehu("--today", DAY, "import", str(sheet), store=server.root)
    assert imported.code == 1 and f"{sheet}:1: line 5 ({prop.split(':')[0]}): " in imported.err, imported.err
    assert tree_hash(server.root / "customers") == before


@pytest.mark.parametrize("prop", ["X-KEHU-NAME:[1]", "X-KEHU-NAME:5", "X-KEHU-NAME:true",
                                  'X-KEHU-EXTRA_FIELDS:{"name": {"a": 1}}'])
def test_an_edit_whose_name_is_no_text_is_refused_not_a_server_error(server: Server, prop: str) -> None:
    """An edited card whose X-KEHU-NAME is JSON that is no text: kehu serve answered 500 (a
    traceback in its log: the name's ``strip``), where a new contact with it is refused with
    422 by the model."""
    before = tree_hash(server.root / "customers")
    session = server.session("wangfang")
    url = f"{server.book('wangfang')}{server.ids['李四']}.vcf"
    got = session.get(url)
    answer = session.put(url, data=got.text.replace("END:VCARD", prop + "\r\nEND:VCARD").encode(),
                         headers={"If-Match": got.headers["ETag"], "Content-Type": "text/vcard"})
    # the property that gave the name, at its line (nineteenth round: the import's words)
    assert answer.status_code == 422 and f"({prop.split(':')[0]}): " in answer.text, (answer.status_code, answer.text)
    assert tree_hash(server.root / "customers") == before


def test_a_card_sent_in_chunks_without_a_length_is_refused_with_the_reason(server: Server) -> None:
    """A PUT sent with ``Transfer-Encoding: chunked`` and no Content-Length: the body was read
    as empty and refused with "it is not one well-formed vCard", which blames the card."""
    before = tree_hash(server.root / "customers")
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:chunked-1\r\nFN:Chunked\r\nEND:VCARD\r\n"
    answer = server.session("wangfang").put(f"{server.book('wangfang')}chunked-1.vcf", data=iter([card]),
                                            headers={"Content-Type": "text/vcard"})
    assert answer.status_code == 411 and "Content-Length" in answer.text, (answer.status_code, answer.text)
    assert tree_hash(server.root / "customers") == before


# --- the TUI's forms ----------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(("form", "field", "typed"), [
    ("edit", "tags", "VIP, a\x1b[2Jb"),
    ("edit", "notes", "x\x00y"),
    ("purchase", "item", "龙井\x1b[31m"),
    ("complaint", "text", "太慢\x07"),
    ("complaint", "resolution", "r\x00"),
])
async def test_a_control_character_is_refused_at_the_field_it_was_typed_in(
        demo_copy: Path, form: str, field: str, typed: str) -> None:
    """The model refuses a control character wherever it is (one rule for every door), but it
    finds it in the whole record, and the forms put a problem with no field under the name
    (the edit form) or under Amount (the record form): a complaint's form, which shows no
    Amount, refused the save with no word at all, and the others named the wrong field."""
    from kehu_tui.screens.edit import EditCustomerScreen
    from kehu_tui.screens.interaction import AddInteractionScreen
    from kehu_tui.widgets.forms.field import FormField

    from .test_tui import SIZE, make_app, open_zhao_min, wait_for

    before = tree_hash(demo_copy)
    app = make_app(demo_copy)
    screen = EditCustomerScreen if form == "edit" else AddInteractionScreen
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        await pilot.press("e" if form == "edit" else "p" if form == "purchase" else "i")
        await wait_for(pilot, lambda: isinstance(app.screen, screen), "the form")
        dialog = app.screen
        if form == "complaint":
            dialog.query_one("#kind").value = "complaint"
            await pilot.pause()
            dialog.query_one("#field-text").value = "投诉"
        if form == "purchase":
            dialog.query_one("#field-price").value = "10"
        dialog.query_one(f"#field-{field}").value = typed
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # not saved, the typing kept
        row = dialog.query_one(f"#row-{field}", FormField)
        assert row.display and "control character" in (row.error or ""), (field, row.error)
        others = [r.id for r in dialog.query(FormField) if r is not row and r.error]
        assert others == [], others
    assert tree_hash(demo_copy) == before


def test_the_field_of_a_located_problem_is_said_once_in_chinese(store_path: Path) -> None:
    """The reason under a form's field (and after `customer add`'s field label) is the problem
    without its location; in Chinese the location ends in a full-width colon, which was kept:
    标签：第 1 项：tags.0：含有控制字符 U+001B."""
    before = tree_hash(store_path)
    result = kehu("--lang", "zh_CN", "customer", "add", "--name", "赵敏", "--tag", "x\x1by", store=store_path)
    assert result.code == 1 and "第 1 项：含有控制字符 U+001B" in result.err, result.err
    assert "tags.0" not in result.err, result.err
    assert tree_hash(store_path) == before
