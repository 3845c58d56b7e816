"""The nineteenth outside round (nineteenthe, 2026-12-06): kehu.yaml's sections read by one
door and not another, found by mutating kehu.yaml itself. Each failed on the code before its
fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kehu_core.testing import make_store

from .conftest import kehu
from .test_hostile_limits import no_traceback
from .test_serve import Server, propfind_hrefs, serving


def _with_settings(root: Path, text: str) -> None:
    config = root / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize("value", [".nan", ".inf", "1e300", "-3", "0.5", "[1]", "abc", "true"])
def test_kehu_check_reads_the_report_settings_at_their_line(tmp_path: Path, value: str) -> None:
    """`reports:` in kehu.yaml was read by the reports alone: `new_days: .nan` (or 1e300)
    passed `kehu check` ('ok', exit 0), then ended `report churn`, `report rfm`, `segment
    show` and `visits plan` in "internal error: ValueError"; `reports: 1e309` was refused by
    them without a line. Now `reports:` is read as kehu.yaml is: check names the field at its
    line, and every report says the same."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏", "interactions": [
        {"kind": "purchase", "date": "2026-01-05", "item": "龙井", "amount": "100", "paid": True}]}])
    _with_settings(store.root, f"reports:\n  churn_days: 180\n  new_days: {value}\n")
    checked = kehu("check", store=store.root)
    no_traceback(checked)
    assert checked.code == 1, checked.out
    assert "kehu.yaml:" in checked.err + checked.out and "reports.new_days" in checked.err + checked.out
    for argv in (["report", "churn"], ["report", "rfm"], ["report", "lifecycle"]):
        ran = kehu(*argv, store=store.root)
        no_traceback(ran)
        assert ran.code == 1 and "reports.new_days" in ran.err, (argv, ran.err)


def test_a_report_settings_section_that_is_no_mapping_is_named_at_its_line(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store")
    _with_settings(store.root, "reports: 1e309\n")
    checked = kehu("check", store=store.root)
    assert checked.code == 1 and "kehu.yaml:" in checked.err + checked.out, checked.out
    ran = kehu("report", "churn", store=store.root)
    no_traceback(ran)
    assert ran.code == 1 and "kehu.yaml:" in ran.err, ran.err


def test_report_settings_within_their_bounds_still_work(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}])
    _with_settings(store.root, "reports: {new_days: 30, active_days: 60, churn_days: 100000, clv_years: 2.5, "
                               "margin: 0.4}\n")
    assert kehu("check", store=store.root).code == 0
    for argv in (["report", "churn"], ["report", "rfm"], ["segment", "show", "dormant"]):
        ran = kehu(*argv, store=store.root)
        no_traceback(ran)
        assert ran.code == 0, (argv, ran.err)


@pytest.mark.parametrize("condition", ["birthday_month: 1.5", "tag: 2026-01-01", "owner: .nan", "ids: 1.5",
                                       "level: 1e309", "bought: 2026-01-01T10:00:00"])
def test_a_segment_condition_of_one_odd_value_is_named_at_its_line(tmp_path: Path, condition: str) -> None:
    """A segment's condition given one value that is neither text, a whole number nor a list
    (`birthday_month: 1.5`, `tag: 2026-01-01`) ended `kehu check`, `segment list`, `segment
    show` and `kehu send` of every segment in "internal error: TypeError: 'float' object is not
    iterable". Now it is one value, judged as the condition's values are, named at its line."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏", "tags": ["VIP"]}])
    _with_settings(store.root, f"segments:\n  vip:\n    tag: VIP\n  odd:\n    {condition}\n")
    for argv in (["check"], ["segment", "list"], ["segment", "show", "vip"], ["segment", "show", "odd"]):
        ran = kehu(*argv, store=store.root)
        no_traceback(ran)
        assert ran.code == 1, (argv, ran.out, ran.err)
        assert "kehu.yaml:" in ran.err + ran.out and "segments.odd" in ran.err + ran.out, (argv, ran.err)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "nineteenthe") as running:
        yield running


_ENTITIES = ('<?xml version="1.0"?><!DOCTYPE d:propfind [{decl}]>'
             '<d:propfind xmlns:d="DAV:"><d:prop><d:displayname>{use}</d:displayname></d:prop></d:propfind>')


@pytest.mark.parametrize(("decl", "use"), [
    ('<!ENTITY x SYSTEM "file:///etc/passwd">', "&x;"),
    ('<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">', "&b;"),
    ('<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;', ""),
    ('<!ENTITY u SYSTEM "x.gif" NDATA gif><!NOTATION gif SYSTEM "image/gif">', ""),
])
def test_a_request_whose_xml_declares_entities_is_refused_as_the_clients_mistake(
        server: Server, decl: str, use: str) -> None:
    """A PROPFIND or REPORT whose XML declares an entity (an external one naming
    file:///etc/passwd, a "billion laughs") was read by Radicale's defused parser, which
    refused it by raising: kehu serve answered 500 Internal Server Error and wrote a Python
    traceback to its log for every such request. Now the body is refused (400) as it is
    screened, before Radicale reads it, naming why; nothing is read from the file, and the
    server answers the next request as before."""
    boss = server.session("boss")
    url = server.book("boss")
    log = server.root.parent / "serve.log"
    before = log.read_text(encoding="utf-8", errors="replace")
    for method in ("PROPFIND", "REPORT"):
        answer = boss.request(method, url, data=_ENTITIES.format(decl=decl, use=use).encode(),
                              headers={"Depth": "0", "Content-Type": "application/xml"})
        assert answer.status_code == 400, (method, answer.status_code, answer.text)
        assert "entit" in answer.text and "root:" not in answer.text, answer.text
    said = log.read_text(encoding="utf-8", errors="replace")[len(before):]
    assert "Traceback" not in said and "Internal Server Error" not in said, said
    assert len(list(propfind_hrefs(boss, url))) == 3  # the next request is answered


@pytest.mark.asyncio
async def test_the_tui_tells_a_name_holding_an_invisible_character_apart(tmp_path: Path) -> None:
    """A second 张三 whose name holds a zero-width space (a word joiner, a byte order mark, a
    direction mark: pasted from a chat app, or put in to pass for the first) showed in the TUI
    exactly as the first — the customer list, the today list, a customer's screen — where
    every list of the CLI shows `张\\ufffd三` (the sixteenth round's "left: the TUI"). The TUI
    shows each such character as U+FFFD by the same rule (`shown.visible`), in every table and
    text it draws; the joiners of an emoji stay."""
    from kehu_core.testing import screen_text, tui, wait_until

    names = ["张三", "张\u200b三", "张\u2060三", "\ufeff张三", "👨\u200d👩\u200d👧"]
    store = make_store(tmp_path / "store", customers=[{"name": name, "owner": "王芳", "interactions": [
        {"kind": "purchase", "date": "2026-01-05", "item": "龙井", "amount": "100", "paid": True},
        {"kind": "visit", "date": "2026-02-05", "text": "到\u200b店"}]} for name in names])
    hidden = ("\u200b", "\u2060", "\ufeff")
    async with tui(store) as pilot:
        await wait_until(pilot, lambda: "张\ufffd三" in screen_text(pilot.app), what="the list")
        shown = screen_text(pilot.app)
        assert not any(c in shown for c in hidden), shown
        assert shown.count("张\ufffd三") == 2 and "\ufffd张三" in shown and "👨\u200d👩\u200d👧" in shown, shown
        await pilot.press("t")
        await wait_until(pilot, lambda: "张\ufffd三" in screen_text(pilot.app), what="the today list")
        assert not any(c in screen_text(pilot.app) for c in hidden), screen_text(pilot.app)
        await pilot.press("escape")
        await pilot.pause()
        for _ in names:  # each customer's own screen: its title, the profile, the timeline
            await pilot.press("enter")
            await wait_until(pilot, lambda: "到\ufffd店" in screen_text(pilot.app), what="the customer's screen")
            assert not any(c in screen_text(pilot.app) for c in hidden), screen_text(pilot.app)
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("down")


@pytest.mark.parametrize("condition", ["bought: ''", "bought:", "ids: []", "not_tag: [VIP, ' ']", "owner: ~"])
def test_a_segment_condition_written_with_no_value_is_refused_not_everyone(tmp_path: Path, condition: str) -> None:
    """A condition left without a value (`bought:`, `ids: []`, `owner: ~`) was no condition,
    and `bought: ''` one every buyer meets: `kehu segment show` listed, `kehu export --segment`
    wrote and `kehu send` reached every customer, `kehu check` ok. Now it is named at its line
    by every door, as a typo in a condition is."""
    store = make_store(tmp_path / "store", customers=[
        {"name": "赵敏", "tags": ["VIP"], "interactions": [
            {"kind": "purchase", "date": "2026-01-05", "item": "龙井", "amount": "100", "paid": True}]},
        {"name": "张三", "interactions": [
            {"kind": "purchase", "date": "2026-01-06", "item": "红茶", "amount": "50", "paid": True}]}])
    _with_settings(store.root, f"segments:\n  tea:\n    tag: VIP\n    {condition}\n")
    for argv in (["check"], ["segment", "show", "tea"],
                 ["export", str(tmp_path / "out.csv"), "--format", "csv", "--segment", "tea"]):
        ran = kehu(*argv, store=store.root)
        no_traceback(ran)
        assert ran.code == 1, (argv, ran.out, ran.err)
        assert "kehu.yaml:" in ran.err + ran.out and "segments.tea" in ran.err + ran.out, (argv, ran.err)
    assert not (tmp_path / "out.csv").exists()


def test_an_imports_dry_run_refuses_the_rows_the_import_refuses(tmp_path: Path) -> None:
    """kehu.yaml's `import_columns:` mapping a sheet's column to `tier` (a value kehu
    computes): `kehu import --dry-run` said "would create" for every row, "0 failed", exit 0,
    and the import itself refused every row (the rules of every door, which the dry run never
    asked). Now the dry run judges each customer as the write does, and says what it says."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}])
    _with_settings(store.root, "import_columns: {会员名: name, 手机: phone, 等级: tier}\n")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("会员名,手机,等级\n测试一,13912345670,A\n测试二,13912345671,B\n", encoding="utf-8")
    dry = kehu("import", str(sheet), "--dry-run", "--json", store=store.root)
    no_traceback(dry)
    real = kehu("import", str(sheet), "--json", store=store.root)
    no_traceback(real)
    said, done = dry.json(), real.json()
    assert len(done["created"]) == 0 and len(done["problems"]) == 2, done
    assert (len(said["created"]), len(said["problems"])) == (len(done["created"]), len(done["problems"])), said
    assert dry.code == real.code, (dry.code, real.code)
