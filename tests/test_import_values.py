"""The loose values of contacts and sheets: dates, amounts, birthdays, encodings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kehu_core.services.importing import decode_bytes
from kehu_core.services.importing.values import parse_amount, parse_birthday, parse_date, split_list


@pytest.mark.parametrize("raw, expected", [
    ("2024/5/20", dt.date(2024, 5, 20)), ("2024-03-01", dt.date(2024, 3, 1)),
    ("2024.12.3", dt.date(2024, 12, 3)), ("2024年5月20日", dt.date(2024, 5, 20)),
    (dt.datetime(2024, 5, 20, 14, 30), dt.date(2024, 5, 20)), ("2024-05-20 14:30:00", dt.date(2024, 5, 20)),
])
def test_dates(raw: object, expected: dt.date) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["5/20", "20/5/2024", "昨天", "2024/2/30"])
def test_dates_that_are_refused_not_guessed(raw: str) -> None:
    with pytest.raises(ValueError, match="date"):
        parse_date(raw)


@pytest.mark.parametrize("raw, expected", [
    ("1,288.00", "1288.00"), ("¥1,680", "1680.00"), ("￥99.5", "99.50"), ("1288元", "1288.00"),
    (1288.0, "1288.00"), (298, "298.00"),
])
def test_amounts(raw: object, expected: str) -> None:
    assert parse_amount(raw) == Decimal(expected)


def test_negative_or_wordy_amounts_are_refused() -> None:
    for raw in ("-5", "四百二", "abc"):
        with pytest.raises(ValueError):
            parse_amount(raw)


@pytest.mark.parametrize("raw, expected", [
    ("--0412", "--04-12"), ("--04-12", "--04-12"), ("1985-04-12", "1985-04-12"), ("19850412", "1985-04-12"),
    ("1604-04-12", "--04-12"), ("1985/4/2", "1985-04-02"), ("4月12日", "--04-12"),
    (dt.date(1985, 4, 12), "1985-04-12"), ("--0229", "--02-29"),
])
def test_birthdays(raw: object, expected: str) -> None:
    assert parse_birthday(raw) == expected


def test_lists_split_on_chinese_and_western_separators() -> None:
    assert split_list("茶巾、试饮装，帆布袋; 茶则") == ["茶巾", "试饮装", "帆布袋", "茶则"]


def test_encodings_of_chinese_excel_csv() -> None:
    text = "交易日期,真实姓名,收货地址\n2024/5/20,赵敏,杭州市西湖区龙井路12号\n"
    assert decode_bytes(text.encode("gbk")) == text
    assert decode_bytes(text.encode("gb18030")) == text
    assert decode_bytes(text.encode("utf-8-sig")) == text
    assert decode_bytes(text.encode("utf-8")) == text
