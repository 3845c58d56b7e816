"""One set of rules for every door that takes a vCard (issue 16, twentieth round): `kehu import`
of a .vcf and `kehu serve`'s CardDAV PUT read a card alike and name its problem at the line of
the property that holds it. The real server and real HTTP requests (as tests/test_serve.py), and
the real import."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import kehu

from .test_hostile import tree_hash
from .test_hostile_values import no_traceback
from .test_serve import DAY, Server, card_url, serving, show

_NUMBERS = itertools.count(13600001000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "twentiethd") as running:
        yield running


def imported(tmp_path: Path, name: str, body: bytes) -> tuple[int, str, Path]:
    """`kehu import` of ``body`` as the file ``name`` into a new store (made once per test):
    exit code, what it said, the store; nothing written when it refuses. The twenty-first
    round's encoding tests use it too."""
    path = tmp_path / name
    path.write_bytes(body)
    shop = tmp_path / "shop"
    if not shop.exists():
        assert kehu("init", str(shop), "--no-git").code == 0
    before = tree_hash(shop / "customers") if (shop / "customers").exists() else None
    done = kehu("--today", DAY, "import", str(path), store=shop)
    no_traceback(done)
    if done.code != 0 and before is not None:
        assert tree_hash(shop / "customers") == before
    return done.code, done.out + done.err, shop


def _put(server: Server, name: str, body: bytes, **headers: str):  # type: ignore[no-untyped-def]
    return server.session("wangfang").put(f"{server.book('wangfang')}{name}", data=body,
                                          headers={"Content-Type": "text/vcard", **headers})


def _card(*lines: str, end: str = "\r\n") -> bytes:
    return (end.join(lines) + end).encode()


def test_a_problem_of_notes_from_two_note_lines_is_named_at_its_line(server: Server, tmp_path: Path) -> None:
    """A card with two NOTE lines, one holding ESC: `kehu import` said `notes: holds the control
    character U+001B` and `kehu serve` the same with 422, naming no line (one NOTE line was
    named). Now the line of the NOTE that holds it, in both doors and in a phone's edit."""
    for bad in (7, 6):
        phone = next(_NUMBERS)
        notes = ["NOTE:first", "NOTE:second"]
        notes[bad - 6] = notes[bad - 6] + "\x1b[31m"
        body = _card("BEGIN:VCARD", "VERSION:3.0", f"UID:notes-{bad}", f"FN:两条备注 {bad}", f"TEL:{phone}",
                     *notes, "END:VCARD")
        said = f"line {bad} (NOTE): holds the control character U+001B"
        code, out, _shop = imported(tmp_path, "card.vcf", body)
        assert code == 1 and f"card.vcf:1: {said}" in out, out
        before = tree_hash(server.root / "customers")
        answer = _put(server, f"notes-{bad}.vcf", body, **{"If-None-Match": "*"})
        assert answer.status_code == 422 and said in answer.text, answer.text
        assert tree_hash(server.root / "customers") == before
    # a phone's edit of a customer's card, its note given on two lines
    session = server.session("wangfang")
    url = card_url(server, "wangfang", "李四")
    got = session.get(url)
    # (the phone's own lines before kehu's block, which is taken off what comes back)
    edited = got.text.replace("NOTE:—— kehu", "NOTE:plain\r\nNOTE:bad\x1b[31m\r\nNOTE:—— kehu")
    assert edited != got.text
    line = edited.replace("\r\n ", "").split("\r\n").index("NOTE:bad\x1b[31m") + 1
    answer = session.put(url, data=edited.encode(), headers={"If-Match": got.headers["ETag"],
                                                             "Content-Type": "text/vcard"})
    assert answer.status_code == 422, answer.text
    assert f"line {line} (NOTE): holds the control character U+001B" in answer.text, answer.text
    assert show(server, server.ids["李四"]).get("notes") in (None, "")


def _customer_named(server: Server, name: str) -> dict:
    listed = kehu("--today", DAY, "customer", "list", "--json", store=server.root)
    (found,) = [c for c in json.loads(listed.out) if c["name"] == name]
    return show(server, found["id"])


@pytest.mark.parametrize("case", ["2.1 without FN", "CR line ends"])
def test_a_card_the_import_reads_kehu_serve_takes_too(server: Server, tmp_path: Path, case: str) -> None:
    """A phone's vCard 2.1 export has no FN (the name is in N), an old Mac's cards end their
    lines in CR alone: `kehu import` read both, and `kehu serve` refused both with 400 "not one
    well-formed vCard" (Radicale's own reading, before kehu's). Now one rule reads a card sent
    as it reads a file's: taken by both doors, alike."""
    phone = next(_NUMBERS)
    uid = f"door-{phone}"
    given = "小芳" if case.startswith("2.1") else "老麦"
    lines = ["BEGIN:VCARD", "VERSION:2.1" if case.startswith("2.1") else "VERSION:3.0", f"UID:{uid}",
             f"N;CHARSET=UTF-8:王;{given};;;", f"TEL;CELL:{phone}", "END:VCARD"]
    body = _card(*lines, end="\r\n" if case.startswith("2.1") else "\r")
    code, out, _shop = imported(tmp_path, "card.vcf", body)
    assert code == 0 and "1 created" in out, out
    answer = _put(server, f"{uid}.vcf", body, **{"If-None-Match": "*"})
    assert answer.status_code == 201, answer.text
    assert _customer_named(server, f"王{given}")["phones"] == [f"+86{phone}"]


def test_a_card_within_a_card_is_refused_by_both_doors_at_its_line(server: Server, tmp_path: Path) -> None:
    """A card inside another (vCard 2.1's AGENT, a paste gone wrong): `kehu import` cut the
    outer card at the inner BEGIN, made both customers and dropped the outer's TEL after the
    inner END without a word, exit 0; `kehu serve` said "kehu cannot read this vCard: value".
    Now both refuse it with the one reason, at the inner BEGIN's line, nothing written."""
    outer, inner = next(_NUMBERS), next(_NUMBERS)
    body = _card("BEGIN:VCARD", "VERSION:3.0", "UID:outer-1", "FN:外层", "BEGIN:VCARD", "VERSION:3.0",
                 "UID:inner-1", "FN:内层", f"TEL:{inner}", "END:VCARD", f"TEL:{outer}", "END:VCARD")
    said = "line 5: BEGIN:VCARD inside the card begun at line 1"
    code, out, _shop = imported(tmp_path, "card.vcf", body)
    assert code == 1 and f"card.vcf:1: {said}" in out and "0 created" in out, out
    before = tree_hash(server.root / "customers")
    answer = _put(server, "outer-1.vcf", body, **{"If-None-Match": "*"})
    assert answer.status_code == 400 and said in answer.text, answer.text
    assert tree_hash(server.root / "customers") == before
    # a card only lacking its END before the next begins is read as before, by the import
    code, out, _shop = imported(tmp_path, "card.vcf", body.replace(f"TEL:{outer}\r\nEND:VCARD\r\n".encode(), b""))
    assert code == 0 and "2 created" in out, out


def test_a_card_without_uid_sent_to_kehu_serve_is_refused_naming_it(server: Server) -> None:
    """The one rule of a card that is not the import's: a card sent to an address book has a
    UID (RFC 6352), which says which contact it is. It was refused as "not one well-formed vCard"."""
    answer = _put(server, "no-uid.vcf", _card("BEGIN:VCARD", "VERSION:3.0", "FN:无名", f"TEL:{next(_NUMBERS)}",
                                              "END:VCARD"), **{"If-None-Match": "*"})
    assert answer.status_code == 400 and "the vCard has no UID" in answer.text, answer.text


@pytest.mark.parametrize("inside", ["BEGIN:VCALENDAR\r\nEND:VCALENDAR", "BEGIN:VEVENT", "BEGIN:X-ANY\r\nEND:X-ANY"])
def test_an_object_within_a_card_is_refused_by_both_doors_at_its_line(
        server: Server, tmp_path: Path, inside: str) -> None:
    """Found by fuzzing both doors: a card holding `BEGIN:VCALENDAR`…`END:VCALENDAR` (or any
    object) was "internal error: AttributeError: value" in `kehu import`, stopping the whole
    file, and a 500 from `kehu serve`. Now each refuses the card at the BEGIN's line."""
    uid = f"obj-{abs(hash(inside)) % 10_000}"
    body = _card("BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", "FN:对象", f"TEL:{next(_NUMBERS)}", inside, "END:VCARD")
    said = f"line 6: {inside.split(chr(13))[0]} inside the card begun at line 1"
    code, out, _shop = imported(tmp_path, "card.vcf", body)
    assert code == 1 and f"card.vcf:1: {said}" in out, out
    answer = _put(server, f"{uid}.vcf", body, **{"If-None-Match": "*"})
    assert answer.status_code == 400 and said in answer.text, answer.text


@pytest.mark.parametrize(("lines", "said"), [
    (("FN:标签", "X-KEHU-TAGS:{}", "CATEGORIES:VIP"), "line 5 (X-KEHU-TAGS): tags: expected a list"),
    (('FN:额外', 'X-KEHU-EXTRA-FIELDS:{"phones": 5}', "TEL:{phone}"),
     "line 5 (X-KEHU-EXTRA-FIELDS): phones: expected a list"),
    (('X-KEHU-PHONES:{"a": 1}',), "contact has no name, phone or email"),
])
def test_a_kehu_list_field_given_no_list_is_refused_at_its_line_by_both_doors(
        server: Server, tmp_path: Path, lines: tuple[str, ...], said: str) -> None:
    """Found by fuzzing both doors: a card whose `X-KEHU-TAGS` (or `X-KEHU-PHONES`, a field in
    `X-KEHU-EXTRA-FIELDS`) is JSON of no list, then a CATEGORIES or TEL line, or no name at all:
    `kehu import` stopped the whole file ("internal error: AttributeError: 'dict' object has no
    attribute 'append'", KeyError), `kehu serve` answered 500. Now both refuse the card, at the
    line of the value that is no list."""
    phone = next(_NUMBERS)
    uid = f"list-{phone}"
    body = _card("BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", *(line.replace("{phone}", str(phone)) for line in lines),
                 "END:VCARD")
    code, out, _shop = imported(tmp_path, "card.vcf", body)
    assert code == 1 and f"card.vcf:1: {said}" in out, out
    before = tree_hash(server.root / "customers")
    answer = _put(server, f"{uid}.vcf", body, **{"If-None-Match": "*"})
    assert answer.status_code in (400, 422) and said in answer.text, answer.text
    assert tree_hash(server.root / "customers") == before


@pytest.mark.parametrize(("encoding", "declared", "photo"), [
    ("utf-8-sig", "utf-8", False), ("utf-16", "latin-1", False), ("utf-16", "", True)])
def test_a_cards_byte_order_mark_says_its_encoding_at_both_doors(
        server: Server, tmp_path: Path, encoding: str, declared: str, photo: bool) -> None:
    """Found by fuzzing both doors: `kehu import` reads a file by its byte order mark; `kehu
    serve` took a declared charset first (a UTF-8 card with its mark sent as `charset=utf-8`
    kept the mark before BEGIN:VCARD: "no BEGIN:VCARD found"; a UTF-16 one declared Latin-1
    was read as Latin-1) and screened a UTF-16 body as bytes, its PHOTO taken for a text line
    over `vcard_property_mb` (413), which the import skips unread. Now the mark says the
    encoding at both doors, and a body is screened as a file is."""
    phone = next(_NUMBERS)
    uid = f"bom-{phone}"
    extra = ["PHOTO;ENCODING=b;TYPE=JPEG:" + "QUJD" * (700 * 1024)] if photo else []  # 2.8 MB
    body = f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:标记 {phone}\r\nTEL:{phone}\r\n" \
           + "".join(f"{line}\r\n" for line in extra) + "END:VCARD\r\n"
    data = body.encode(encoding)
    code, out, _shop = imported(tmp_path, "card.vcf", data)
    assert code == 0 and "1 created" in out, out
    headers = {"If-None-Match": "*", "Content-Type": "text/vcard" + (f"; charset={declared}" if declared else "")}
    answer = server.session("wangfang").put(f"{server.book('wangfang')}{uid}.vcf", data=data, headers=headers)
    assert answer.status_code == 201, answer.text
    assert show(server, _customer_named(server, f"标记 {phone}")["id"])["phones"] == [f"+86{phone}"]


@pytest.mark.parametrize(("name", "declared"), [("José Ruiz", "latin-1"), ("Ann Lee", "punycode"),
                                                ("赵小红", "utf-16")])
def test_a_utf8_card_is_read_as_utf8_whatever_charset_is_declared(
        server: Server, tmp_path: Path, name: str, declared: str) -> None:
    """Found by fuzzing both doors: `kehu import` reads UTF-8 bytes as UTF-8; `kehu serve`
    took the charset a request declared first: a UTF-8 card declared Latin-1 (a client's
    mistake) stored José as JosÃ© with 201, one declared UTF-16 was refused, and
    `charset=punycode` (no character set; its decoding takes time growing with the square of
    the length) decoded the body so. Now bytes that are UTF-8 are read as UTF-8, as a file's;
    a declared charset reads only what is not."""
    phone = next(_NUMBERS)
    uid = f"utf8-{phone}"
    body = _card("BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", f"TEL:{phone}", "END:VCARD")
    code, out, _shop = imported(tmp_path, "card.vcf", body)
    assert code == 0 and "1 created" in out, out
    answer = server.session("wangfang").put(f"{server.book('wangfang')}{uid}.vcf", data=body, headers={
        "If-None-Match": "*", "Content-Type": f"text/vcard; charset={declared}"})
    assert answer.status_code == 201, answer.text
    assert _customer_named(server, name)["phones"] == [f"+86{phone}"]
