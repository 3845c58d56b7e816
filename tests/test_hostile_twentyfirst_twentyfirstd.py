"""The import and serve doors read a card's bytes by one rule (issue 16, twenty-first round):
a byte order mark first, then UTF-16 without a mark when the bytes plainly are, then UTF-8,
then a charset a request declares when the bytes do not contradict it, then GBK/GB18030.
The real `kehu serve` over HTTP (as tests/test_serve.py) and the real `kehu import` of files."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kehu_core.hookspecs import hookimpl
from kehu_core.testing import make_store, run_kehu
from tests.conftest import kehu

from .test_hostile import tree_hash
from .test_hostile_twentieth_twentiethd import imported
from .test_serve import DAY, Server, serving

_NUMBERS = itertools.count(13700001000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "twentyfirstd") as running:
        yield running


def _names(store: Path) -> dict[str, list[str]]:
    listed = kehu("--today", DAY, "customer", "list", "--json", store=store)
    assert listed.code == 0, listed.err
    return {c["name"]: c.get("phones") or [] for c in json.loads(listed.out)}


def _card_text(uid: str, name: str, phone: int, note: str = "老客户") -> str:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\n"
            f"TEL;TYPE=CELL:{phone}\r\nNOTE:{note}\r\nEND:VCARD\r\n")


@pytest.mark.parametrize(("encoding", "declared"), [
    ("utf-16-le", ""), ("utf-16-be", ""), ("utf-16-le", "utf-16"), ("utf-16-le", "gbk"),
    ("gbk", "utf-16"), ("gbk", "utf-32"), ("gb18030", "utf-16-be"), ("gbk", "")])
def test_a_card_is_read_by_one_rule_at_both_doors(
        server: Server, tmp_path: Path, encoding: str, declared: str) -> None:
    """Found at the doors: a card in GBK (a Chinese Windows export, an old phone's) sent to
    `kehu serve` declared as UTF-16 was read as declared and refused (400 "no BEGIN:VCARD"),
    while `kehu import` read the same bytes as GBK; a card in UTF-16 without a byte order mark
    (Windows' "Unicode" save of some programs) was refused by both ("binary file" at the
    import). Now one rule reads a card's bytes for both doors: the mark, UTF-16 when every
    other byte of its ASCII text is zero, UTF-8, a declared charset the bytes do not
    contradict, GBK/GB18030; the same customer is made by both."""
    phone = next(_NUMBERS)
    uid = f"enc-{phone}"
    name = f"王小芳{phone % 1000}"
    data = _card_text(uid, name, phone).encode(encoding)
    if len(data) % 2:  # an even length, which a UTF-16 reading of GBK bytes decodes without error
        data = _card_text(uid, name, phone, note="老客户!").encode(encoding)
    code, out, shop = imported(tmp_path, "card.vcf", data)
    assert code == 0 and "1 created" in out, out
    assert _names(shop)[name] == [f"+86{phone}"]
    headers = {"If-None-Match": "*", "Content-Type": "text/vcard" + (f"; charset={declared}" if declared else "")}
    answer = server.session("wangfang").put(f"{server.book('wangfang')}{uid}.vcf", data=data, headers=headers)
    assert answer.status_code == 201, answer.text
    assert _names(server.root)[name] == [f"+86{phone}"]


def test_a_card_no_encoding_reads_is_refused_by_both_doors_naming_what_was_expected(
        server: Server, tmp_path: Path) -> None:
    """Bytes that are no text in any encoding kehu reads (UTF-16 text cut to an odd length
    with NUL bytes in no pattern): refused by both doors, nothing stored, the message naming
    the encodings kehu reads."""
    phone = next(_NUMBERS)
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:x\r\nFN:\x00\xff\x00\x81\x00\xfe\r\nEND:VCARD\r\n"
    code, out, _shop = imported(tmp_path, "card.vcf", data)
    assert code == 1 and "UTF-8" in out, out
    before = tree_hash(server.root / "customers")
    answer = server.session("wangfang").put(f"{server.book('wangfang')}bad-{phone}.vcf", data=data,
                                            headers={"If-None-Match": "*", "Content-Type": "text/vcard"})
    assert answer.status_code == 400 and "UTF-8" in answer.text, answer.text
    assert tree_hash(server.root / "customers") == before


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_sheet_in_utf16_without_its_mark_is_imported(tmp_path: Path, encoding: str) -> None:
    """A CSV saved as UTF-16 without a byte order mark was refused as "binary file (contains
    NUL bytes)": read now by the rule a card is read by, its Chinese names as written."""
    sheet = "name,phone,notes\r\n王芳,13800138000,老客户\r\nJosé Ruiz,13800138001,\"a, b\"\r\n"
    code, out, shop = imported(tmp_path, "sheet.csv", sheet.encode(encoding))
    assert code == 0 and "2 created" in out, out
    assert _names(shop) == {"王芳": ["+8613800138000"], "José Ruiz": ["+8613800138001"]}


def _broken_utf16(text: str, after: str) -> bytes:
    """``text`` in UTF-16 with its byte order mark, a lone low surrogate (no UTF-16 text)
    written after the first ``after``."""
    data = ("\ufeff" + text).encode("utf-16-le")
    at = data.index(after.encode("utf-16-le")) + len(after.encode("utf-16-le"))
    return data[:at] + b"\x00\xdc" + data[at:]


def test_a_card_in_utf16_that_breaks_off_is_refused_at_its_line_by_both_doors(
        server: Server, tmp_path: Path) -> None:
    """A card whose byte order mark says UTF-16 and whose third line holds bytes that are no
    UTF-16 (a lone surrogate, a file cut and pasted together): `kehu import` ended in
    "internal error: UnicodeDecodeError" and `kehu serve` answered 500. Now both refuse it
    naming the line and the encoding its mark says, nothing stored."""
    phone = next(_NUMBERS)
    uid = f"cut-{phone}"
    data = _broken_utf16(_card_text(uid, "王断", phone), "FN:王")
    code, out, _shop = imported(tmp_path, "card.vcf", data)
    assert code == 1 and "line 4" in out and "UTF-16" in out and "internal error" not in out, out
    before = tree_hash(server.root / "customers")
    answer = server.session("wangfang").put(f"{server.book('wangfang')}{uid}.vcf", data=data,
                                            headers={"If-None-Match": "*", "Content-Type": "text/vcard"})
    assert answer.status_code == 400 and "line 4" in answer.text and "UTF-16" in answer.text, answer.text
    assert tree_hash(server.root / "customers") == before


def test_a_sheet_in_utf16_that_breaks_off_is_refused_at_its_line(tmp_path: Path) -> None:
    """A CSV whose mark says UTF-16 and whose second line holds bytes that are no UTF-16: the
    import said Python's own words at line 1 ("'utf-16-le' codec can't decode bytes in
    position 30-31: illegal encoding"). Now the line and the encoding its mark says."""
    data = _broken_utf16("name,phone\r\n王芳,13800138000\r\n", "王")
    code, out, _shop = imported(tmp_path, "sheet.csv", data)
    assert code == 1 and "sheet.csv:2: line 2 is no UTF-16 text" in out and "codec" not in out, out


def test_a_utf8_mark_before_gbk_text_is_refused_at_its_line_by_every_door(server: Server, tmp_path: Path) -> None:
    """UTF-8's byte order mark before GBK text (two files pasted together): `kehu import` of
    the card ended in "internal error: UnicodeDecodeError", `kehu serve` refused it in Python's
    words ("'utf-8' codec can't decode byte 0xcd in position 41"), and the sheet so at line 1.
    Now each door names the line that is no UTF-8 text, though the mark says it is; nothing
    stored."""
    phone = next(_NUMBERS)
    uid = f"mark-{phone}"
    data = b"\xef\xbb\xbf" + _card_text(uid, "王标", phone).encode("gbk")
    code, out, _shop = imported(tmp_path, "card.vcf", data)
    assert code == 1 and "line 4 is no UTF-8 text" in out and "internal error" not in out, out
    before = tree_hash(server.root / "customers")
    answer = server.session("wangfang").put(f"{server.book('wangfang')}{uid}.vcf", data=data,
                                            headers={"If-None-Match": "*", "Content-Type": "text/vcard"})
    assert answer.status_code == 400 and "line 4 is no UTF-8 text" in answer.text, answer.text
    assert tree_hash(server.root / "customers") == before
    sheet = b"\xef\xbb\xbf" + "name,phone\r\n王芳,13800138000\r\n".encode("gbk")
    code, out, _shop = imported(tmp_path, "sheet.csv", sheet)
    assert code == 1 and "sheet.csv:2: line 2 is no UTF-8 text" in out and "codec" not in out, out


class _ExtraReader:
    """A plugin's importer giving a contact whose ``extra`` holds what no record can store."""

    name = "odd-extra"

    def detect(self, path: Path, head: bytes) -> bool:
        return path.suffix == ".odd"

    def read(self, path: Path, store: Any) -> Any:
        from kehu_core.plugins import ImportedContact

        yield ImportedContact(fields={"name": "甲"}, source=f"{path}:1")
        yield ImportedContact(fields={"name": "乙"}, extra={"微信": "w1", "seen": {"at": object()}},
                              source=f"{path}:2")


class _OddExtra:
    @hookimpl
    def importers(self) -> list[Any]:
        return [_ExtraReader()]


def test_a_plugins_contact_with_extra_no_record_holds_is_its_wrong_result(tmp_path: Path) -> None:
    """A plugin's importer gave a contact whose ``extra`` (kept under ``import_extra``) held
    a Python object: `kehu import` ended in "internal error: RepresenterError: cannot represent
    an object". Now the plugin's wrong result is named with the value, nothing of the file is
    imported."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}], plugins={"oddextra": _OddExtra()})
    sheet = tmp_path / "contacts.odd"
    sheet.write_text("x\n", encoding="utf-8")
    result = run_kehu(store, "import", sheet)
    assert result.code == 1 and "internal error" not in result.err, result.err
    assert "the 'odd-extra' importer (a plugin's) failed: gave a contact whose extra is" in result.err, result.err
    assert "not a dict by name of texts, numbers, dates" in result.err, result.err
    listed = run_kehu(store, "customer", "list", "--json")
    assert [c["name"] for c in json.loads(listed.out)] == ["赵敏"]
