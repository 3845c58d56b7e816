"""What the everyday commands print is in one language (issue 19): no English word in Chinese
and no Chinese in English, outside the data a person wrote (tests/i18nutil.py: the codes kehu
keeps in the records, ``kind: visit`` or ``reason: purchase``, are not data: they are said in
the viewer's language)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import kehu
from .i18nutil import CJK, data_words, user_text

#: Latin words a Chinese output may hold besides the user's data (as written, case and all): kehu's
#: name, names of formats, standards and tools a user sees as they are
KEPT = {"kehu", "git", "YAML", "JSON", "CSV", "xlsx", "vCard", "PDF", "ICS", "SMS", "ABC", "RFM", "CLV", "ID",
        "CardDAV", "CalDAV", "age"}

CUSTOMER = "c1kfmxn0fqpx3c29"  # Ava Martin: purchases, points, credit, an attitude
COMPLAINED = "c1kjejd05n1r09sb"  # 姚艳: an open complaint

#: the commands a shop runs every day, read whole in each language (their help: test_i18n.py)
DAILY = [("customer", "list", "--limit", "5"), ("customer", "show", CUSTOMER), ("customer", "show", COMPLAINED),
         ("tier",), ("points", CUSTOMER), ("reminders", "--days", "3"), ("reminders", "--days", "60"),
         ("report", "products"), ("report", "abc"), ("report", "rfm"), ("report", "churn"), ("report", "lifecycle"),
         ("report", "receivables"), ("report", "complaints"), ("report", "credit"), ("report", "reps"),
         ("report", "referrals"), ("report", "revenue"), ("complaint", "list"), ("duplicates",), ("check",),
         ("visits", "plan", "--owner", "陈静", "--date", "2026-11-20"), ("customer", "log", CUSTOMER),
         ("segment", "show", "loyal"), ("search", "zm"), ("undo", "--list"), ("keys", "list")]
# not here: `segment list`, whose table is the names a user types (`--segment loyal`) and the
# conditions as kehu.yaml writes them (`lifecycle: new`), beside a description in the language


def _latin_words(text: str, data: set[str]) -> list[str]:
    text = re.sub(r"\[[^\]]*\]", " ", text)  # a key to type ([complaint:c1…:answer]), a choice
    text = re.sub(r"`[^`]*`", " ", text)  # a setting or a command, as typed
    text = re.sub(r"\S*@\S*", " ", text)  # e-mail addresses
    text = re.sub(r"[^\s（）：]*/[^\s（）：]*", " ", text)  # a path (customers/00/…/customer.yaml)
    text = re.sub(r"[\w-]*\d[\w-]*", " ", text)  # ids, dates, amounts, 357g
    text = re.sub(r"(?<![\w-])--[\w-]+", " ", text)  # an option
    text = re.sub(r"\b[\w.-]+\.(yaml|md|pdf|ics|csv)\b", " ", text)  # a file
    text = re.sub(r"\b[a-z_]+\.[a-z_.]+\b", " ", text)  # a setting of kehu.yaml (purchases.credit_days)
    return sorted({w for w in re.findall(r"[A-Za-z]+", text) if w not in data and w not in KEPT and len(w) > 1})


@pytest.mark.parametrize("args", DAILY, ids=" ".join)
def test_the_daily_commands_speak_one_language(demo_copy: Path, args: tuple[str, ...],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # as in a pipe: no COLUMNS (pytest-xdist's workers set 80), so a report is as wide as its
    # columns and no name is folded into pieces that are no word of the data ("Dani", "el")
    monkeypatch.delenv("COLUMNS", raising=False)
    data = user_text(demo_copy)
    zh = kehu("--lang", "zh_CN", *args, store=demo_copy)
    assert zh.code in (0, 1), (args, zh.err)  # check reports the demo's deliberate problems
    typed = data_words(" ".join(args))  # what the user typed (a segment's name) is theirs
    assert _latin_words(zh.out + zh.err, data_words(data) | typed) == []
    en = kehu("--lang", "en", *args, store=demo_copy)
    runs = {r for r in CJK.findall(re.sub(r"\[[^\]]*\]", " ", en.out + en.err)) if r not in data}
    assert sorted(runs) == []


def test_kehu_check_says_what_is_wrong_with_the_files_in_chinese(demo_copy: Path) -> None:
    """A store a person broke by hand (a link, a pipe, a stray file, a customer folder gone, a
    referrer that is no customer, a path kehu cannot read): every line of `kehu check` in
    Chinese, the system's own words ("Not a directory") included."""
    import os
    import shutil

    data = data_words(user_text(demo_copy))
    customers = sorted((demo_copy / "customers").glob("*/*/customer.yaml"))
    linked, piped, referring = customers[0].parent, customers[1].parent, customers[2]
    (linked / "notes.yaml").symlink_to("/etc/hostname")
    os.mkfifo(piped / "extra.yaml")
    (demo_copy / "customers" / "README.txt").write_text("not a record\n", encoding="utf-8")
    with_interactions = next(c.parent for c in customers[3:] if (c.parent / "interactions").is_dir())
    (with_interactions / "customer.yaml").unlink()  # its interactions are left without a customer
    text = referring.read_text(encoding="utf-8")
    referring.write_text(text + "referrer: c1zzzzzzzzzzzzzz\n" if "referrer:" not in text else text, encoding="utf-8")
    blocked = customers[4].parent / "interactions"
    if blocked.is_dir():
        shutil.rmtree(blocked)
    blocked.write_text("", encoding="utf-8")  # a file where a folder belongs: "Not a directory"
    result = kehu("--lang", "zh_CN", "check", store=demo_copy)
    assert result.code == 1
    problems = [line for line in (result.out + result.err).splitlines() if line.startswith(str(demo_copy))]
    assert len(problems) >= 5, result.out + result.err
    said = {line: words for line in problems
            if (words := _latin_words(line.replace(str(demo_copy), ""), data))}
    assert said == {}, problems


def test_what_a_merge_and_a_bad_birthday_say_is_in_the_language(demo_copy: Path) -> None:
    """The merge's report names fields and ledgers in the language (电话, 积分流水), and a
    birthday with no such month says so in Chinese, not in Python's English."""
    data = data_words(user_text(demo_copy))
    merged = kehu("--lang", "zh_CN", "customer", "merge", CUSTOMER, "c1mkfws0vdpmnspx", store=demo_copy)
    assert merged.code == 0 and "积分流水" in merged.out, merged.err
    assert _latin_words(merged.out, data) == []
    bad = kehu("--lang", "zh_CN", "customer", "set", COMPLAINED, "birthday=1990-13-01", store=demo_copy)
    assert bad.code == 1 and "没有 13 月" in bad.err
    assert _latin_words(bad.err.split(": ", 2)[-1], data) == []
    english = kehu("customer", "merge", "c1kyt2n0rk9ceph7", "c1m0ymd0a99jrg60", store=demo_copy)
    assert english.code == 0 and "points ledger entries" in english.out
    assert [r for r in CJK.findall(english.out) if r not in user_text(demo_copy)] == []


@pytest.mark.parametrize("address", ["foo", "a@b", "a b@qq.com", "a..b@qq.com", "@qq.com"])
def test_why_an_email_address_is_refused_is_said_in_chinese(demo_copy: Path, address: str) -> None:
    """email_validator explains in English; kehu says the common reasons in its own words."""
    result = kehu("--lang", "zh_CN", "customer", "add", "--name", "测试", "--email", address, store=demo_copy)
    assert result.code == 1 and "不是邮箱地址" in result.err
    assert result.err.startswith("kehu: 邮箱：第 1 项：")  # the field as a person reads it, not emails.0
    reason = result.err.split("（", 1)[1]
    assert _latin_words(reason.replace(address, " "), set()) == [], result.err
