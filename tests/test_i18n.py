"""kehu speaks the user's language (issue 19 item 3): complete catalogs, the language chosen
by --lang, KEHU_LANG, kehu.yaml and the environment, help entirely in one language."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from babel.messages.pofile import read_po

from kehu_core import i18n

from .conftest import kehu

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import translations  # noqa: E402

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def test_every_message_of_the_code_has_a_zh_CN_translation() -> None:
    """Extracted from the code as `make translations` does: a new _() string, help text or
    option without its Chinese fails here, named."""
    lacking = translations.missing("zh_CN")
    assert lacking == [], (f"{len(lacking)} messages lack a zh_CN translation: run `make translations`, "
                           f"fill in msgstr in kehu_core/locale/zh_CN/LC_MESSAGES/kehu.po, run it again. "
                           f"First: {lacking[:10]}")


def test_the_shipped_mo_files_are_the_po_files_compiled() -> None:
    assert translations.stale_mo() == []


def _fields(text: str) -> set[str]:
    text = text.replace("{{", "").replace("}}", "")  # braces written as they are, not fields
    return set(re.findall(r"\{[^{}]*\}", text)) | set(re.findall(r"%\(\w+\)s", text))


def test_translations_keep_every_placeholder() -> None:
    """A translation that drops or misspells {name} would raise or lie when formatted."""
    with translations.po_path("zh_CN").open("rb") as f:
        catalog = read_po(f)
    wrong = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for text in strings:
            if text and _fields(text) != _fields(ids[-1]) and _fields(text) != _fields(ids[0]):
                wrong.append((ids[0], text))
    assert wrong == []


# --- which language ---------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [
    ("zh_CN.UTF-8", "zh_CN"), ("zh", "zh_CN"), ("zh-Hans", "zh_CN"), ("zh_TW", "zh_CN"),
    ("en_US.UTF-8", "en"), ("C", "en"), ("POSIX", "en"), ("fr_FR.UTF-8", None), ("", None),
])
def test_language_names(given: str, expected: str | None) -> None:
    assert i18n.normalize(given) == expected


def test_environment_in_gettext_order() -> None:
    assert i18n.from_environment({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}) == "zh_CN"
    assert i18n.from_environment({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}) == "zh_CN"
    assert i18n.from_environment({"LC_MESSAGES": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.from_environment({"LANG": "de_DE.UTF-8"}) is None
    assert i18n.choose(environ={"LANG": "de_DE.UTF-8"}) == "en"


def _store_with_language(path: Path, language: str | None) -> Path:
    kehu("init", str(path), "--no-git")
    if language:
        config = path / "kehu.yaml"
        config.write_text(config.read_text(encoding="utf-8") + f"language: {language}\n", encoding="utf-8")
    return path


def _speaks(output: str) -> str:
    if "用法" in output and "Usage" not in output:
        return "zh_CN"
    if "Usage" in output and "用法" not in output:
        return "en"
    raise AssertionError(output)


def test_the_order_lang_then_kehu_lang_then_kehu_yaml_then_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chinese = _store_with_language(tmp_path / "zh", "zh_CN")
    plain = _store_with_language(tmp_path / "plain", None)
    monkeypatch.delenv("LANGUAGE")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert _speaks(kehu("customer", "--help", store=plain).out) == "en"
    assert _speaks(kehu("customer", "--help", store=chinese).out) == "zh_CN"  # kehu.yaml > LANG
    monkeypatch.setenv("KEHU_LANG", "en")
    assert _speaks(kehu("customer", "--help", store=chinese).out) == "en"  # KEHU_LANG > kehu.yaml
    assert _speaks(kehu("--lang", "zh_CN", "customer", "--help", store=plain).out) == "zh_CN"  # --lang first
    monkeypatch.delenv("KEHU_LANG")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert _speaks(kehu("customer", "--help", store=plain).out) == "zh_CN"
    monkeypatch.chdir(chinese)  # the store found from the working folder counts too
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert _speaks(kehu("customer", "--help").out) == "zh_CN"


def test_an_unknown_language_is_a_usage_error(tmp_path: Path) -> None:
    result = kehu("--lang", "klingon", "check", store=tmp_path)
    assert result.code == 2
    assert "unknown language 'klingon': kehu speaks en, zh_CN" in result.err


def test_an_unknown_language_in_kehu_yaml_is_reported_by_check(tmp_path: Path) -> None:
    store = _store_with_language(tmp_path / "s", "klingon")
    result = kehu("check", store=store)
    assert result.code == 1
    assert "language" in result.err and "zh_CN" in result.err


# --- help entirely in one language ---------------------------------------------------------------

#: the Latin words a Chinese help may hold besides option names, $VARIABLES, `code`, file names,
#: [choices] and defaults, and kehu's command names: names of formats, standards and tools a
#: user types or sees as they are, and units (90d, 4w, 3m, 1y)
KEPT = {
    "kehu", "git", "vim", "age", "yaml", "json", "csv", "xlsx", "vcard", "ics", "pdf", "sms", "utf", "bom", "tls",
    "carddav", "caldav", "icalendar", "google", "abc", "rfm", "clv", "id", "a", "zhaomin", "zm", "d", "w", "m", "y",
}


def _command_names() -> set[str]:
    from kehu_core.cli import cli

    names: set[str] = set()

    def visit(command: click.Command) -> None:
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                names.add(name)
                sub = command.get_command(ctx, name)
                if sub is not None:
                    visit(sub)

    visit(cli)
    return names


def _foreign_words(text: str) -> list[str]:
    """Latin words left once identifiers are taken out: option names, $VARS, `code`, file
    names, [choices], defaults, command names and KEPT; placeholders (METAVARS) are not
    identifiers: the Chinese help writes them in Chinese ([选项], 客户ID), and so a date's
    notation (年-月-日, not YYYY-MM-DD) and the value of a range ([1<=数值<=5])."""
    text = re.sub(r"\n {4,}", "", text)  # a wrapped line goes on (click breaks long Chinese anywhere)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\[[^\]]*\|[^\]]*\]", " ", text)  # a choice: [name|id|revenue]
    text = re.sub(r"\[(默认|default)[：:](?!\s*\()[^\]]*\]", " ", text)  # a default (not words: "(…)")
    text = re.sub(r"(?<![\w-])--?[\w-]+", " ", text)  # --store, -h, --MM-DD
    text = re.sub(r"\$\w+", " ", text)
    placeholders = re.findall(r"(?<![\w.])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", text)  # CUSTOMER_ID, FROM_REP
    placeholders += re.findall(r"(?<=[<>=])x(?=[<>=])", text)  # click's value in a range: [1<=x<=5]
    placeholders += re.findall(r"\b(?:YYYY|MM|DD|HH)\b", text)  # a date's notation: YYYY-MM-DD
    text = re.sub(r"[\w./*%=+-]*[./_*=][\w./*%=+-]*", " ", text)  # kehu.yaml, path:line, tiering.as_of
    words = re.findall(r"[A-Za-z][A-Za-z-]*", text)
    kept = KEPT | _command_names()
    return placeholders + [w for w in words if w.lower().rstrip("-") not in kept]


def _all_help(argv_prefix: list[str]) -> dict[str, str]:
    """`kehu ... COMMAND --help` for every command of the tree (in this process)."""
    from kehu_core.cli import cli

    out = {}

    def visit(command: click.Command, path: list[str]) -> None:
        out[" ".join(path)] = kehu(*argv_prefix, *path, "--help").out
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    visit(sub, [*path, name])

    visit(cli, [])
    return out


def _run_kehu_process(env_lang: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "KEHU_LANG")}
    env["LANG"] = env_lang
    result = subprocess.run([sys.executable, "-m", "kehu_core", *args], capture_output=True, text=True,
                            env=env, check=True)
    return result.stdout


def test_kehu_help_under_a_chinese_locale_is_entirely_chinese() -> None:
    out = _run_kehu_process("zh_CN.UTF-8", "--help")
    assert out.startswith("用法：")
    assert _foreign_words(out) == []


def test_kehu_help_under_an_english_locale_is_entirely_english() -> None:
    out = _run_kehu_process("en_US.UTF-8", "--help")
    assert out.startswith("Usage:")
    assert set(CJK.findall(out)) <= ENGLISH_HELP_CHINESE


#: the Chinese an English help may hold: examples of data as a user types it (a name, a level,
#: a product in a commit message) and the language's own name beside its code (zh_CN (中文))
ENGLISH_HELP_CHINESE = {"赵敏", "金卡", "龙井茶礼盒", "中文"}


def test_every_command_help_is_chinese_with_lang_zh() -> None:
    helps = _all_help(["--lang", "zh_CN"])
    assert len(helps) > 40
    foreign = {path: words for path, out in helps.items() if (words := _foreign_words(out))}
    assert foreign == {}


def test_every_command_help_is_english_by_default() -> None:
    helps = _all_help([])
    leaked = {path: sorted(set(CJK.findall(out)) - ENGLISH_HELP_CHINESE)
              for path, out in helps.items()}
    assert {p: w for p, w in leaked.items() if w} == {}


# --- what kehu computes is shown in the viewer's language ------------------------------------------


def _next_reminders(store: Path, *lang: str) -> list[str]:
    import json

    rows = json.loads(kehu(*lang, "customer", "list", "--json", "--limit", "20", store=store).out)
    return [r["next_reminder"]["title"] for r in rows if r.get("next_reminder")]


def test_reminder_titles_follow_the_viewers_language(demo_copy: Path) -> None:
    """The next reminders are kept in the index between commands: titles kept from an English
    run are not shown to a Chinese one, nor the other way round."""
    english = _next_reminders(demo_copy)
    assert "satisfaction survey" in english and any(t.startswith("collect ¥") for t in english)
    # a key account's visit names its tier as the user reads it (visit (Major customers))
    assert not any(CJK.search(t) for t in english)
    chinese = _next_reminders(demo_copy, "--lang", "zh_CN")
    assert "满意度回访" in chinese and any(t.startswith("催收货款 ¥") for t in chinese)
    assert all(CJK.search(t) for t in chinese)
    assert _next_reminders(demo_copy) == english
    listed = kehu("reminders", "--days", "3", store=demo_copy).out
    assert "greeting after a purchase" in listed and "keep in touch" in listed
    listed = kehu("--lang", "zh_CN", "reminders", "--days", "3", store=demo_copy).out
    assert "购买后问候" in listed and "定期联系" in listed


# --- messages from deep in kehu, in the user's language ----------------------------------------


def _latin_words(text: str, data: str) -> list[str]:
    text = re.sub(r"[\w-]*\d[\w-]*", " ", text)  # ids, dates, amounts
    text = re.sub(r"\S*[/_.:@$-]\S*", " ", text)  # paths, keys
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in data and w.lower() not in KEPT | {"kehu"}]


def test_errors_from_the_store_services_and_validation_speak_chinese(demo_copy: Path) -> None:
    """A KehuError raised deep in a service, a pydantic validation error (mapped by type in
    kehu_core.problems) and a validator's own message (phone), each in Chinese under zh_CN
    and in English otherwise."""
    cid = "c1kfmxn0fqpx3c29"  # Ava Martin, who owes on three purchases
    cases = [
        (("customer", "show", "nosuch"), "没有 ID 为 'nosuch' 的客户", "no customer with id 'nosuch'"),
        (("customer", "add", "--name", "张三", "--phone", "12"), "不是电话号码", "not a phone number"),
        (("purchase", "pay", cid), "笔购买欠款", "owes on 3 purchases"),
        (("reminders", "done", "nokey"), "不是提醒键", "is not a reminder key"),
        (("customer", "set", cid, "credit_limit=lots"), "应为数字", "credit_limit"),
    ]
    for args, chinese, english in cases:
        zh = kehu("--lang", "zh_CN", *args, store=demo_copy)
        assert zh.code == 1 and chinese in zh.err, (args, zh.err)
        assert _latin_words(zh.err, "Ava Martin nosuch nokey CN") == [], (args, zh.err)  # region: kehu.yaml's
        en = kehu(*args, store=demo_copy)
        assert en.code == 1 and english in en.err and not CJK.search(en.err.replace("张三", "")), (args, en.err)


def test_kehu_check_reports_broken_files_in_chinese(demo_copy: Path) -> None:
    path = next((demo_copy / "customers").glob("*/*/customer.yaml"))
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "credit_limit: lots\n" if "credit_limit:" not in text else
                    re.sub(r"(?m)^credit_limit:.*$", "credit_limit: lots", text), encoding="utf-8")
    result = kehu("--lang", "zh_CN", "check", store=demo_copy)
    assert result.code == 1
    assert "credit_limit: 应为数字" in result.out and "1 个问题" in result.err
    english = kehu("check", store=demo_copy)
    assert "credit_limit: Input should be a valid decimal" in english.out


def test_clicks_usage_errors_speak_chinese_to_the_end(store_path: Path) -> None:
    """Click writes the full stop after a missing parameter in its code and names a number
    type in English ("not a valid integer"): in Chinese both are Chinese, in English click's own."""
    cases = [
        (("customer", "show"), "错误：缺少参数 '客户ID'。", "Error: Missing argument 'CUSTOMER_ID'."),
        (("customer", "add"), "错误：缺少选项 '--name'。", "Error: Missing option '--name'."),
        (("customer", "list", "--limit", "x"), "'x' 不是有效的整数。", "'x' is not a valid integer."),
    ]
    for args, chinese, english in cases:
        zh = kehu("--lang", "zh_CN", *args, store=store_path)
        assert zh.code == 2 and chinese in zh.err, (args, zh.err)
        last = zh.err.strip().splitlines()[-1]
        assert _latin_words(last, "") == [] and "." not in last.replace("'--", ""), (args, last)
        en = kehu("--lang", "en", *args, store=store_path)
        assert en.code == 2 and english in en.err, (args, en.err)


def test_errors_of_the_cli_types_and_the_importer_speak_chinese(demo_copy: Path, tmp_path: Path) -> None:
    """A bad date, amount, --sort or --today, and the rows an import refuses (each with the
    file, line and column), in Chinese under zh_CN and English otherwise."""
    cid = "c1kfmxn0fqpx3c29"
    sheet = tmp_path / "bad.csv"
    sheet.write_text("姓名,电话,交易日期,成交金额\n张三,13912345678,2024/5/20,abc\n李四,13912345679,2024/2/30,12\n",
                     encoding="utf-8")
    cases = [
        (("customer", "list", "--sort", "a b"), 2, "应为 name、id", "expected name, id"),
        (("purchase", "add", cid, "--date", "2026-13-01", "--item", "x", "--amount", "1"), 2,
         "'2026-13-01' 不是日期", "'2026-13-01' is not a date"),
        (("purchase", "add", cid, "--date", "2026-11-01", "--item", "x", "--amount", "abc"), 2,
         "'abc' 不是金额", "'abc' is not an amount"),
        (("--today", "1800-01-01", "customer", "list"), 2, "超出了 kehu 记录的日期范围",
         "is outside the dates kehu keeps"),
        (("import", str(sheet), "--dry-run"), 1, "第 D 列 (成交金额): 金额 'abc'：应为像 1,288.00 这样的数字",
         "amount 'abc': expected a number like 1,288.00"),
        (("import", str(sheet), "--dry-run"), 1, "第 C 列 (交易日期): 日期 '2024/2/30'：没有这一天",
         "'2024/2/30': no such day"),
        (("customer", "add", "--name", "测试", "--phone", "13839968745"), 1,
         "客户库里已经有了：赵敏（c1n4cdn0g18wkf3g）的电话 +8613839968745 相同", "has the same phone +8613839968745"),
        (("visits", "cards", "--owner", "陈静", "--date", "2026-11-20", str(tmp_path / "no" / "x.pdf")), 1,
         "不存在；请先建立它", "does not exist; create it first"),
    ]
    for args, code, chinese, english in cases:
        zh = kehu("--lang", "zh_CN", *args, store=demo_copy)
        assert zh.code == code and chinese in zh.out + zh.err, (args, zh.out, zh.err)
        said = "\n".join(line for line in (zh.out + zh.err).splitlines()
                         if "bad.csv" in line or "错误" in line or line.startswith("kehu:"))
        assert _latin_words(said, "abc sort") == [], (args, said)
        en = kehu("--lang", "en", *args, store=demo_copy)
        assert en.code == code and english in en.out + en.err, (args, en.out, en.err)
    again = tmp_path / "again.csv"
    again.write_text("姓名,电话\n赵敏,13839968745\n", encoding="utf-8")
    assert "赵敏  (" in (skipped := kehu("--lang", "zh_CN", "import", str(again), "--dry-run", store=demo_copy).out)
    assert "客户库里已有" in skipped and "already" in kehu("import", str(again), "--dry-run", store=demo_copy).out
    summary = kehu("--lang", "zh_CN", "import", str(sheet), "--dry-run", store=demo_copy).out.splitlines()[-1]
    assert summary == "新建 0，合并 0，跳过 0；将添加 0 笔购买（0 笔已存在）；读取 2 行，失败 2 行"


# --- calendars (.ics export, kehu serve) in the viewer's language ------------------------------------


def _calendar_summaries(store: Path, language: str) -> list[str]:
    """What kehu serve's calendars say (a rep's, with the day's visits, and the supervisor's)."""
    from kehu_core.serve.events import calendar_items
    from kehu_core.serve.scope import Scope
    from kehu_core.store import open_store

    i18n.set_language(language)
    opened = open_store(store)
    items = [*calendar_items(opened, Scope("chenjing", "陈静", "陈静")),
             *calendar_items(opened, Scope("boss", "boss", None))]
    return [str(item.make()["summary"]) for item in items]


def test_calendar_summaries_follow_the_language(demo_copy: Path, tmp_path: Path) -> None:
    """Birthdays (solar and lunar), planned visits and complaint deadlines in the calendars
    kehu serve gives and in `kehu export --format ics` are in the user's language."""
    from icalendar import Calendar

    planned = kehu("visits", "plan", "--owner", "陈静", "--date", "2026-11-20", store=demo_copy)  # the store's day
    assert planned.code == 0, planned.err
    chinese = _calendar_summaries(demo_copy, "zh_CN")
    english = _calendar_summaries(demo_copy, "en")
    for said, words in ((chinese, ("生日", "农历生日（", "拜访 1/", "投诉回复期限")),
                        (english, ("'s birthday", "'s lunar birthday (", "visit 1/", "deadline to answer"))):
        for word in words:
            assert any(word in s for s in said), (word, said[:20])
    assert not any(w in s for s in english for w in ("生日", "拜访", "期限", "农历"))
    assert not any(w in s for s in chinese for w in ("birthday", "visit", "deadline"))
    cid = kehu("customer", "add", "--name", "赵敏", "--birthday", "1985-04-12", "--lunar-birthday", "08-15",
               store=demo_copy).out.strip()
    for language, solar, lunar in (("zh_CN", "赵敏 生日", "赵敏 农历生日（八月十五）"),
                                   ("en", "赵敏's birthday", "赵敏's lunar birthday (08-15)")):
        out = tmp_path / f"{language}.ics"
        assert kehu("--lang", language, "export", "--format", "ics", str(out), store=demo_copy).code == 0
        events = {str(e["uid"]): str(e["summary"]) for e in Calendar.from_ical(out.read_bytes()).walk("VEVENT")}
        assert events[f"birthday-{cid}@kehu"] == solar
        assert lunar in {s for uid, s in events.items() if uid.startswith(f"lunar-birthday-{cid}-")}


# --- the names kehu gives tiers, segments and holidays; the tiers ledger's reasons ---------------------


def _ids(result: Any) -> list[str]:
    assert result.code == 0, result.err
    return [line.split("\t")[0] for line in result.out.splitlines()]


def test_built_in_tier_names_are_shown_in_the_language_and_read_in_both(demo_copy: Path) -> None:
    """The records keep 主要客户 (a ledger's to:, --json, a tier_override); an English run
    shows Major customers, and --tier takes either name in either language."""
    import json

    kept = _ids(kehu("customer", "list", "--tier", "主要客户", store=demo_copy))
    assert len(kept) == 38
    for args in (("--tier", "Major customers"), ("--tier", "major CUSTOMERS")):
        assert _ids(kehu("customer", "list", *args, store=demo_copy)) == kept
        assert _ids(kehu("--lang", "zh_CN", "customer", "list", *args, store=demo_copy)) == kept
    assert _ids(kehu("--lang", "zh_CN", "customer", "list", "--tier", "主要客户", store=demo_copy)) == kept
    shown = {line.split("  ")[0]: line for line in kehu("customer", "show", kept[0], store=demo_copy).out.splitlines()}
    assert "Major customers" in shown["Tier"] and not CJK.search(shown["RFM segment"])
    assert "主要客户" in kehu("--lang", "zh_CN", "customer", "show", kept[0], store=demo_copy).out
    data = json.loads(kehu("customer", "show", kept[0], "--json", store=demo_copy).out)
    assert data["tier"] == "主要客户"  # --json keeps the name as kept, in every language
    overview = kehu("tier", store=demo_copy).out
    assert all(f"  {n} " in overview for n in ("Key customers", "Major customers", "Small customers"))
    assert not any(f"  {n} " in overview or f"→ {n}" in overview for n in ("重要客户", "主要客户", "小客户"))
    set_ = kehu("tier", "set", kept[0], "Key customers", store=demo_copy)
    assert set_.code == 0 and "Key customers" in set_.err
    assert json.loads(kehu("customer", "show", kept[0], "--json", store=demo_copy).out)["tier"] == "重要客户"


def test_names_the_user_writes_in_kehu_yaml_stay_as_written(demo_copy: Path) -> None:
    from .pluginutil import configure

    configure(demo_copy, tiering={"pyramid": {"names": ["重要客户", "主要客户", "普通客户", "小客户"]}},
              reminders={"holidays": {"names": ["春节"], "lunar": {"元宵节": "01-15"}}})
    listed = kehu("customer", "list", "--tier", "Major customers", store=demo_copy)
    assert listed.code == 1 and "主要客户" in listed.err  # the user's own name: read as written only
    assert "\t主要客户" in kehu("customer", "list", "--tier", "主要客户", store=demo_copy).out
    greetings = kehu("reminders", "--from", "2027-02-01", "--days", "30", "--rule", "holiday", store=demo_copy).out
    assert "春节 greeting" in greetings and "元宵节 greeting" in greetings


def test_holiday_greetings_and_rfm_segments_in_the_language(demo_copy: Path) -> None:
    args = ("reminders", "--from", "2027-02-01", "--days", "30", "--rule", "holiday")
    english = kehu(*args, store=demo_copy).out
    assert "Spring Festival greeting" in english and "Lantern Festival greeting" in english
    said = re.sub(r"\[[^\]]*\]", "", english)  # but the keys (holiday:ID:春节-2027), which a user types
    assert "春节" not in said and "元宵节" not in said
    chinese = kehu("--lang", "zh_CN", *args, store=demo_copy).out
    assert "春节问候" in chinese and "元宵节问候" in chinese
    rfm = kehu("report", "rfm", store=demo_copy).out
    assert "Champions" in rfm and "冠军客户" not in rfm
    assert "冠军客户" in kehu("--lang", "zh_CN", "report", "rfm", store=demo_copy).out


def test_tier_move_reasons_are_said_in_the_viewers_language(demo_copy: Path) -> None:
    """The ledger keeps one form (review; pyramid: ¥… in the last 365 days), old entries and new;
    kehu tier says it in the viewer's language, and a person's own reason as written."""
    cid = "c1kfmxn0fqpx3c29"
    assert kehu("tier", "set", cid, "重要客户", "--reason", "集团采购负责人", store=demo_copy).code == 0
    entries = open_store_ledger(demo_copy, cid)  # the record's form, whatever the language
    assert entries[0]["why"].startswith("review; pyramid: ¥") and entries[-1]["why"].startswith("集团采购负责人; ")
    chinese = kehu("--lang", "zh_CN", "tier", store=demo_copy).out.split("\n")
    moves = "\n".join(chinese[chinese.index(next(line for line in chinese if "30 天" in line)):])
    assert "（定期评定；金字塔：近 365 天 ¥" in moves and "集团采购负责人；手动指定" in moves
    assert _latin_words(moves, "Ava Martin Daniel Walker Sophia Davis Jack Young Chloe Lewis Mia Anderson "
                               "Emma Wilson Ethan White Grace Lee Hannah Hall Henry Clark Liam Johnson Lucas "
                               "Thomas Noah Taylor") == []
    english = kehu("tier", store=demo_copy).out
    assert "(review; pyramid: ¥" in english and "集团采购负责人; manual override" in english
    assert "定期评定" not in english and "金字塔" not in english


def open_store_ledger(store: Path, customer_id: str) -> list[dict[str, Any]]:
    from kehu_core.store import open_store

    return open_store(store).ledger(customer_id, "tiers")


# the everyday commands read whole in each language: tests/test_i18n_outputs.py


def test_an_imports_problems_are_all_chinese(demo_copy: Path) -> None:
    """Every refused row of a sheet (a month 13, an amount in words, a phone that is WeChat, a
    row of nothing), its reason in Chinese, the library's English words included."""
    sheet = Path(__file__).parent / "data" / "import" / "bad_rows.csv"
    result = kehu("--lang", "zh_CN", "import", str(sheet), "--dry-run", store=demo_copy)
    problems = [line for line in result.err.splitlines() if line.startswith(str(sheet))]
    assert len(problems) >= 4 and any("没有 13 月" in p for p in problems), result.err
    assert [p for p in problems if _latin_words(p.split(": ", 1)[1], "")] == []
