"""Twenty-fifth round, helper memload: the importers' memory and what they say of a sheet
(issue 16, kinds 8 and 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import kehu


def _sheet(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# Excel in a language whose list separator is ';' (German, French ...) writes it between the
# cells; "Unicode text" and other programs a tab. A cell holding a line break (Alt+Enter: an
# address on two lines) is quoted over two lines, and a heading may hold a comma.
SEMICOLONS_AND_LINE_BREAKS = "姓名;电话;地址\r\n" + "".join(
    f'张{n};1380013{n:04d};"上海市\n徐汇区{n}号"\r\n' for n in range(12))
TABS_AND_LINE_BREAKS = "Name\tPhone\tNotes\r\n" + "".join(
    f'Anna {n}\t1390013{n:04d}\t"likes tea\nand coffee"\r\n' for n in range(12))
A_HEADING_WITH_A_COMMA = "Name;Phone;金额(元,含税)\r\n" + "".join(
    f"Bob {n};1370013{n:04d};1,{n:02d}\r\n" for n in range(12))


@pytest.mark.parametrize(("text", "encoding", "first", "phone"), [
    (SEMICOLONS_AND_LINE_BREAKS, "utf-8", "张0", "+8613800130000"),
    (SEMICOLONS_AND_LINE_BREAKS, "gbk", "张0", "+8613800130000"),
    (TABS_AND_LINE_BREAKS, "utf-8", "Anna 0", "+8613900130000"),
    (A_HEADING_WITH_A_COMMA, "utf-8-sig", "Bob 0", "+8613700130000"),
], ids=["semicolons", "semicolons-gbk", "tabs", "heading-with-a-comma"])
def test_a_csv_separated_by_semicolons_or_tabs_is_read_by_its_header(
        store_path: Path, tmp_path: Path, text: str, encoding: str, first: str, phone: str) -> None:
    """Every row was "row has no name, customer id, phone or email", exit 1, nothing imported:
    csv's Sniffer, counting separators line by line, took such a file for a comma's and its
    header for one column. The separator is told by the headings kehu knows."""
    path = _sheet(tmp_path, "客户.csv", text, encoding)
    done = kehu("import", str(path), "--json", store=store_path)
    assert done.code == 0, done.err + done.out
    summary = json.loads(done.out)
    assert len(summary["created"]) == 12, summary
    shown = kehu("customer", "list", "--json", store=store_path)
    customers = {c["name"]: c for c in json.loads(shown.out)}
    assert customers[first]["phones"] == [phone]


CARDS = 5000


def _cards(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        for n in range(count):
            handle.write(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:客户{n}\r\nN:{n};客户;;;\r\nTEL;TYPE=CELL:139{n:08d}\r\n"
                         f"TEL;TYPE=VOICE:137{n:08d}\r\nEMAIL:c{n}@example.cn\r\nADR:;;杭州市西湖区龙井路{n}号;;;;\r\n"
                         f"CATEGORIES:导入,VIP\r\nBDAY:1980-01-01\r\nORG:某某茶叶有限公司\r\nTITLE:经理\r\n"
                         f"NOTE:老客户，喜欢龙井和碧螺春，每年春天来买新茶\r\nX-KEHU-OWNER:王芳\r\nEND:VCARD\r\n")
    return path


def test_a_big_vcard_files_contacts_are_held_packed_until_written(store_path: Path, tmp_path: Path) -> None:
    """Every card's contact was held as Python objects until the import was written (12 KB each:
    its fields, their places, a worker's guess of its profile as text, a model and index rows),
    and each written customer's model to the batch's end: 100 000 cards took 2.1 GB. They are
    held packed now; measured at 5 000 cards, the import's own process (wait4)."""
    from .test_import_limits import measured_kehu

    path = _cards(tmp_path / "phone.vcf", CARDS)
    code, out, err, peak = measured_kehu(store_path, "import", str(path))
    assert code == 0, err
    assert f"{CARDS} created" in out
    assert peak < 145, f"{peak} MB"  # 166 MB before
