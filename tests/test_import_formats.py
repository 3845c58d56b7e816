"""`kehu import` of each sample file in tests/data/import, checked field by field in the store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from kehu_core.store import open_store
from tests.conftest import kehu

DATA = Path(__file__).parent / "data" / "import"


def _import(store: Path, *names: str, expect: int = 0) -> dict:
    result = kehu("import", *[str(DATA / n) for n in names], "--json", store=store)
    assert result.code == expect, result.err
    return result.json()


def _by_name(store: Path) -> dict:
    s = open_store(store)
    s.index.refresh()
    return {row.customer.name: row.customer for row in s.index.list()}


def test_android_vcard_21_quoted_printable_soft_breaks_and_photo(store_path: Path) -> None:
    summary = _import(store_path, "android_2.1.vcf")
    assert len(summary["created"]) == 3 and summary["problems"] == []
    people = _by_name(store_path)
    zhao = people["赵敏"]
    assert zhao.phones == ["+8613912345678", "+8657187654321"]
    assert zhao.emails == ["zhaomin@example.com"]
    assert zhao.birthday == "1985-04-12"
    # The note was split by a soft line break in the middle of a UTF-8 character.
    assert zhao.notes == "老客户，只喝明前龙井。每年中秋前后会来买礼盒送给公司的客户，记得提前留货。\n喜欢安静的包间。"
    assert zhao.addresses == ["西湖区龙井路12号, 杭州, 浙江, 310000, 中国"]
    chen = people["陈家明"]
    assert chen.phones == ["+85291234567", "+862161234567"]  # 00852 … and +86 21 …
    assert chen.organization == "香港丰泰贸易" and chen.title == "采购经理"
    assert people["茶叶店老周"].nickname == "Old Zhou"
    # The photo is not kept, and the summary says so rather than dropping it silently.
    assert summary["not_imported"] == {"PHOTO": 1}


def test_iphone_vcard_30_groups_labels_escapes_and_yearless_birthday(store_path: Path) -> None:
    summary = _import(store_path, "iphone_3.0.vcf")
    assert len(summary["created"]) == 3
    zhao = _by_name(store_path)["赵敏"]
    assert zhao.phones == ["+8613912345678", "+8657188886666"]
    assert zhao.organization == "杭州云栖科技有限公司" and zhao.title == "行政主管"
    assert zhao.nickname == "敏姐"
    assert zhao.birthday == "--04-12"  # BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-12
    assert zhao.tags == ["VIP", "企业客户"]
    assert zhao.addresses == ["文一西路969号, 杭州, 浙江, 311121, 中国"]
    assert zhao.notes == ("喜欢明前龙井, 不要碧螺春。\n送货前先打电话; 下午不在。\n"
                          "Prefers pre-Qingming Longjing, calls ahead before delivery.")
    extra = zhao.model_extra["import_extra"]
    assert extra["department"] == "行政部"
    assert extra["x-wechat"] == "zm_1990"
    assert extra["labels"] == {"+8657188886666": "公司前台"}  # item1.X-ABLabel
    emma = _by_name(store_path)["Emma Wilson"]
    assert emma.birthday == "--09-17"  # BDAY:--0917
    assert emma.phones == ["+447400123456", "+8613700002222"]
    assert summary["extra_fields"] == {"department": 2, "x-wechat": 1, "url": 1}


def test_vcard_40_uri_phones_uid_and_compact_birthday(store_path: Path) -> None:
    _import(store_path, "contacts_4.0.vcf")
    people = _by_name(store_path)
    wang = people["王芳"]
    assert wang.phones == ["+8613571002233"]  # TEL;VALUE=uri:tel:+86-135-7100-2233
    assert wang.birthday == "--05-17"
    assert wang.model_extra["import_extra"]["impp"] == "weixin:wangfang_tea"
    assert wang.model_extra["import_extra"]["vcard_uid"].startswith("urn:uuid:")
    liu = people["刘洋"]
    assert liu.id == "C0042"  # a UID that is a usable id becomes the customer id
    assert liu.birthday == "1988-02-29"


def test_google_csv_multi_values_labels_and_multiline_cells(store_path: Path) -> None:
    summary = _import(store_path, "google_contacts.csv")
    assert len(summary["created"]) == 3
    people = _by_name(store_path)
    huang = people["黄晓燕"]
    assert huang.phones == ["+8613700005555", "+8657187023456"]  # "a ::: b"
    assert huang.tags == ["VIP", "企业客户"]  # "* myContacts" is Google's, not the shop's
    assert huang.birthday == "--05-17"
    assert huang.notes == "2024年中秋团购了30盒龙井礼盒。\n对包装要求高，要带提袋。\n发票抬头：西湖文旅集团"
    assert huang.addresses == ["曙光路120号, 杭州, 浙江 310007, 中国"]
    assert huang.nickname == "燕子" and huang.organization == "西湖文旅集团"
    extra = huang.model_extra["import_extra"]
    assert extra["微信"] == "hxy_wenlv" and extra["department"] == "市场部"
    assert extra["labels"] == {"+8657187023456": "办公室"}
    assert extra["Phonetic Last Name"] == "Huang"
    liam = people["Liam Johnson"]
    assert liam.birthday == "1979-11-02" and liam.tags == ["starred"]
    assert liam.emails == ["liam.j@example.com", "LJohnson@example.com"]
    assert liam.phones == ["+14155550134"]


def _check_shop(store: Path) -> None:
    s = open_store(store)
    zhao = s.get("C0001")
    assert zhao.name == "赵敏" and zhao.phones == ["+8613912345678"]
    assert zhao.emails == ["zhaomin@example.com"]
    assert zhao.addresses == ["杭州市西湖区龙井路12号"]
    assert zhao.level == "银卡"  # the level on the latest transaction, not the first
    assert zhao.model_extra["import_extra"] == {"微信号": "zm_1990"}
    purchases = s.interactions("C0001")
    assert [(p.date, p.amount) for p in purchases] == [
        (dt.date(2024, 3, 1), Decimal("680.00")),
        (dt.date(2024, 5, 20), Decimal("1288.00")),
        (dt.date(2024, 5, 20), Decimal("1288.00")),  # two identical rows are two purchases
        (dt.date(2024, 9, 28), Decimal("880.00")),
    ]
    assert purchases[0].items[0].name == "明前西湖龙井 250g" and purchases[0].gifts == ["青瓷茶杯"]
    assert all(p.paid for p in purchases)
    qian = s.get("C0002")
    assert qian.phones == ["+8613700001111"] and qian.level == "金卡"
    qian_purchases = s.interactions("C0002")
    # The second row has no 顾客ID; its phone (typed differently) finds the customer.
    assert [p.amount for p in qian_purchases] == [Decimal("1288.00"), Decimal("1680.00")]
    assert qian_purchases[0].gifts == ["茶巾", "试饮装"]
    assert s.get("C0003").phones == ["+85291234567"]
    assert s.index.count() == 3


def test_xlsx_sheet_rows_become_customers_with_purchases(store_path: Path) -> None:
    summary = _import(store_path, "shop_sheet.xlsx")
    assert summary["purchases_added"] == 7 and summary["problems"] == []
    assert summary["extra_fields"] == {"微信号": 2}
    _check_shop(store_path)


def test_csv_sheets_in_gbk_utf8_and_utf8_bom_give_the_same_store(tmp_path: Path) -> None:
    for name in ("shop_gbk.csv", "shop_utf8.csv", "shop_utf8_bom.csv"):
        store = tmp_path / name
        assert kehu("init", str(store)).code == 0
        _import(store, name)
        _check_shop(store)


def test_column_mapping_from_kehu_yaml(store_path: Path, tmp_path: Path) -> None:
    config = store_path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + (
        "import_columns:\n  手机号码: phones\n  下单时间: purchase.date\n  实收: purchase.amount\n"
        "  微信: wechat\n  内部编号: ignore\n"), encoding="utf-8")
    sheet = tmp_path / "own.csv"
    sheet.write_text("下单时间,客户姓名,手机号码,实收,微信,内部编号\n2024-03-01,赵敏,13912345678,99,zm_1990,X-1\n",
                     encoding="utf-8")
    summary = kehu("import", str(sheet), "--json", store=store_path).json()
    assert summary["extra_fields"] == {}
    zhao = _by_name(store_path)["赵敏"]
    assert zhao.phones == ["+8613912345678"]
    assert zhao.model_extra == {"wechat": "zm_1990"}  # mapped to a field of its own
    purchase = open_store(store_path).interactions(zhao.id)[0]
    assert purchase.amount == Decimal("99.00") and purchase.date == dt.date(2024, 3, 1)


def test_vcard_21_base64_text_properties_are_decoded(store_path: Path, tmp_path: Path) -> None:
    card = tmp_path / "b64.vcf"
    card.write_bytes(b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=BASE64:5byg;5LiJ\r\n"
                     b"FN;CHARSET=UTF-8;ENCODING=BASE64:5byg5LiJ\r\nTEL;CELL:13912345678\r\nEND:VCARD\r\n")
    _import(store_path, str(card))
    assert _by_name(store_path)["张三"].phones == ["+8613912345678"]


def test_an_unescaped_comma_in_a_foreign_cards_text_is_text(store_path: Path, tmp_path: Path) -> None:
    """A phone's export may leave a comma in a text value unescaped (RFC 6350 wants ``\\,``):
    the whole value is kept, in an ``X-KEHU-*`` property as in ``FN``, ``ORG``, ``NOTE`` or any
    other one, folded or quoted-printable, while a list (``CATEGORIES``) is still cut at its
    commas and an escaped comma reads as one comma."""
    card = tmp_path / "phone.vcf"
    card.write_bytes("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Smith, John\r\nORG:Tea, Ltd;Sales, East\r\n"
                     "NOTE:one, two\\, three\r\nX-KEHU-HOBBY:tea, chess\r\nX-WECHAT:a,b\r\n"
                     "X-KEHU-LEVEL:gold,\r\n  silver\r\nCATEGORIES:VIP,企业客户\r\nEND:VCARD\r\n"
                     "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Li\r\nTEL:13912345678\r\n"
                     "NOTE;ENCODING=QUOTED-PRINTABLE:red=2C green, blue\r\nEND:VCARD\r\n"
                     "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;ENCODING=BASE64:V2FuZywgRmFuZw==\r\n"
                     "TEL:13912345679\r\nEND:VCARD\r\n".encode())
    summary = _import(store_path, str(card))
    assert summary["problems"] == []
    people = _by_name(store_path)
    smith = people["Smith, John"]
    assert smith.organization == "Tea, Ltd"
    assert smith.notes == "one, two, three"
    assert smith.model_extra["hobby"] == "tea, chess"
    assert smith.level == "gold, silver"
    assert smith.model_extra["import_extra"] == {"department": "Sales, East", "x-wechat": "a,b"}
    assert smith.tags == ["VIP", "企业客户"]
    assert people["Li"].notes == "red, green, blue"
    assert "Wang, Fang" in people  # FN in BASE64


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_excels_phantom_day_60_is_a_problem_at_its_cell(store_path: Path, tmp_path: Path, reader: str) -> None:
    """Excel's serial 60 is 1900-02-29, a day that never was (Excel's 1900 leap-year bug);
    openpyxl and calamine read it as 1900-02-28. A sale on it is refused at its row and
    column, not dated the day before; serials 59 and 61 are the real days around it. A
    birthday there is refused too. (``openpyxl``: a cell far right sends the sheet to openpyxl.)"""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["真实姓名", "联系电话", "交易日期", "成交金额", "生日"])
    rows = [("甲", "13900000059", 59, None), ("乙", "13900000060", 60, None), ("丙", "13900000061", 61, None),
            ("丁", "13900000062", 60.5, None), ("戊", "13900000063", 61, 60)]
    for name, phone, day, birthday in rows:
        sheet.append([name, phone, day, 10, birthday])
        sheet.cell(sheet.max_row, 3).number_format = "yyyy-mm-dd"
        sheet.cell(sheet.max_row, 5).number_format = "yyyy-mm-dd"
    if reader == "openpyxl":
        sheet["XFD200"] = "far"
    path = tmp_path / "sales.xlsx"
    book.save(path)
    result = kehu("import", str(path), "--json", store=store_path)
    assert result.code == 1
    problems = dict(p.split(": ", 1) for p in result.json()["problems"])
    far = {f"{path}:200"} if reader == "openpyxl" else set()  # a row of no customer
    assert set(problems) == {f"{path}:3", f"{path}:5", f"{path}:6"} | far
    assert problems[f"{path}:3"].startswith(
        "sheet 'Sheet' cell C3 (交易日期): date 1900-02-29 (Excel's day 60): no such day")
    assert problems[f"{path}:5"].startswith("sheet 'Sheet' cell C5 (交易日期): date 1900-02-29")
    assert "birthday 1900-02-29 (Excel's day 60): no such day" in problems[f"{path}:6"]
    people = _by_name(store_path)
    assert set(people) == {"甲", "丙"}  # the rows with problems are not written
    store = open_store(store_path)
    assert [p.date for p in store.interactions(people["甲"].id)] == [dt.date(1900, 2, 28)]
    assert [p.date for p in store.interactions(people["丙"].id)] == [dt.date(1900, 3, 1)]
