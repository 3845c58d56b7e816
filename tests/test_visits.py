"""Today's visits (issue 17 part 3) through the real commands: ``kehu visits plan`` picks the
right customers in the right order and takes the rep's changes, ``kehu visits cards`` prints
their 客户资料卡 (read back with pypdf), ``kehu visits done`` records the visit; the TUI's key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pypdf
import pytest

from kehu_core.testing import make_store, reopen, run_kehu, screen_text, tui, wait_until

TODAY = dt.date(2026, 11, 20)
REP = "王芳"


def _day(days: int) -> str:
    return (TODAY + dt.timedelta(days=days)).isoformat()


def _build(tmp_path: Path, *, visits: dict | None = None) -> tuple:
    """A store made for the plan: one customer per reason, and some who must not be picked."""
    store = make_store(tmp_path / "store", today=TODAY)
    if visits is not None:
        config = store.root / "kehu.yaml"
        lines = ["visits:"] + [f"  {k}: {v}" for k, v in visits.items()]
        config.write_text(config.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
        store = reopen(store)
    add = store.add_customer
    model = store.customer_model
    ids: dict[str, str] = {}

    def customer(key: str, **fields: object) -> str:
        data = {"id": store.new_customer_id(), "owner": REP, "created": TODAY, **fields}
        ids[key] = add(model.model_validate(data, context={"region": "CN"})).id
        return ids[key]

    def record(key: str, **data: object) -> None:
        store.add_interaction(ids[key], data)

    customer("complaint", name="孙丽", phones=["13912345601"])
    record("complaint", kind="complaint", date=_day(-2), text="茶叶受潮")
    customer("overdue", name="钱多多", addresses=["杭州市西湖区文三路1号"])
    record("overdue", kind="purchase", date=_day(-60), amount=2400, paid=False, due=_day(-30),
           items=[{"name": "龙井茶礼盒", "qty": 2, "price": 1200}])
    customer("cadence", name="周重要", tier_override="重要客户")
    record("cadence", kind="visit", date=_day(-45), text="谈了明年的年礼")
    customer("birthday", name="吴寿星", birthday="1980-11-23", interests=["书法", "围棋"],
             family="女儿在读高三", personality="爽快，喜欢聊茶")
    customer("dormant", name="郑沉睡", tier_override="主要客户")
    record("dormant", kind="purchase", date=_day(-120), amount=3000, paid=True)
    customer("quiet", name="冯平常")
    record("quiet", kind="purchase", date=_day(-10), amount=100, paid=True)
    customer("other_rep", name="陈别人", owner="李强")
    record("other_rep", kind="complaint", date=_day(-1), text="发票开错")
    customer("no_contact", name="褚勿扰", birthday="1970-11-21", do_not_contact=True)
    customer("small_dormant", name="卫小客", tier_override="小客户")
    record("small_dormant", kind="purchase", date=_day(-120), amount=50, paid=True)
    return store, ids


def _plan(store, *args: str) -> dict:
    result = run_kehu(store, "visits", "plan", "--owner", REP, "--date", TODAY.isoformat(), "--json", *args)
    assert result.code == 0, result.err
    return result.json()


def test_plan_picks_each_reason_in_order(tmp_path: Path) -> None:
    store, ids = _build(tmp_path)
    plan = _plan(store)
    names = [v["name"] for v in plan["visits"]]
    assert names == ["孙丽", "钱多多", "周重要", "吴寿星", "郑沉睡"]
    kinds = [[r["kind"] for r in v["reasons"]] for v in plan["visits"]]
    assert kinds == [["complaint"], ["overdue"], ["cadence"], ["birthday"], ["dormant"]]
    by_name = {v["name"]: v for v in plan["visits"]}
    assert "¥2,400.00" in by_name["钱多多"]["reasons"][0]["text"]
    assert by_name["钱多多"]["overdue"] == "2400.00"
    assert "birthday November 23" in by_name["吴寿星"]["reasons"][0]["text"]
    assert "46 years old" in by_name["吴寿星"]["reasons"][0]["text"]
    assert "last visit" in by_name["周重要"]["reasons"][0]["text"]  # the reminders plugin's visit rule
    assert [v["order"] for v in plan["visits"]] == [1, 2, 3, 4, 5]
    assert plan["waiting"] == [] and plan["plan_file"] is None

    text = run_kehu(store, "visits", "plan", "--owner", REP)
    assert text.code == 0, text.err
    assert text.out.index("孙丽") < text.out.index("郑沉睡")
    assert "open complaint: " in text.out and "陈别人" not in text.out
    chinese = run_kehu(store, "--lang", "zh_CN", "visits", "plan", "--owner", REP)
    for words in ("投诉未结", "11月23日生日", "46 岁", "上次拜访", "¥2,400.00 逾期未付"):
        assert words in chinese.out, words
    typo = run_kehu(store, "visits", "plan", "--owner", "王方")  # a rep nobody is owned by: said so
    assert typo.code == 0 and "no customer has owner '王方'" in typo.err
    assert plan["customers"] == 8


def test_day_limit_rep_changes_and_undo(tmp_path: Path) -> None:
    store, ids = _build(tmp_path, visits={"day_limit": 3})
    plan = _plan(store)
    assert [v["name"] for v in plan["visits"]] == ["孙丽", "钱多多", "周重要"]
    assert [v["name"] for v in plan["waiting"]] == ["吴寿星", "郑沉睡"]

    # the rep adds one of theirs (kept beyond the limit), drops another and reorders
    plan = _plan(store, "--add", ids["quiet"], "--remove", ids["complaint"],
                 "--order", f"{ids['birthday']},{ids['overdue']}")
    names = [v["name"] for v in plan["visits"]]
    assert names == ["吴寿星", "钱多多", "周重要", "冯平常"]
    assert [r["kind"] for r in plan["visits"][-1]["reasons"]] == ["planned"]
    assert plan["plan_file"] == f"visits/{REP}/{TODAY}.yaml"
    saved = (store.root / plan["plan_file"]).read_text(encoding="utf-8")
    assert ids["quiet"] in saved and ids["complaint"] in saved
    # the edits stay: asking again without options gives the same plan
    assert [v["name"] for v in _plan(store)["visits"]] == names
    # kehu undo takes the last change back (the plan file as it was: gone)
    assert run_kehu(store, "undo").code == 0
    assert not (store.root / plan["plan_file"]).exists()
    assert [v["name"] for v in _plan(store)["visits"]] == ["孙丽", "钱多多", "周重要"]
    # another rep's day is another file, and an unknown id changes nothing
    bad = run_kehu(store, "visits", "plan", "--owner", REP, "--add", "c1nosuchid")
    assert bad.code == 1 and "c1nosuchid" in bad.err and "Traceback" not in bad.err
    assert not (store.root / "visits").exists() or not any((store.root / "visits").rglob("*.yaml"))


@pytest.mark.parametrize(("setting", "expected"), [
    ("day_limit: 0", "visits.day_limit"),
    ("dormant_tiers: [巨无霸]", "巨无霸"),
])
def test_bad_settings_name_kehu_yaml_and_line(tmp_path: Path, setting: str, expected: str) -> None:
    store = make_store(tmp_path / "store", today=TODAY)
    config = store.root / "kehu.yaml"
    text = config.read_text(encoding="utf-8") + f"visits:\n  {setting}\n"
    config.write_text(text, encoding="utf-8")
    line = len(text.splitlines())
    result = run_kehu(store, "visits", "plan", "--owner", REP)
    assert result.code == 1
    assert f"kehu.yaml:{line}:" in result.err and expected in result.err
    assert "Traceback" not in result.err


def test_cards_pdf_one_page_per_visit_with_chinese_text(tmp_path: Path) -> None:
    store, ids = _build(tmp_path)
    out = tmp_path / "cards.pdf"
    english = run_kehu(store, "visits", "cards", "--owner", REP, "--date", TODAY.isoformat(), out)
    assert english.code == 0, english.err
    assert "Talking points" in pypdf.PdfReader(out).pages[0].extract_text()
    # the card the shops print: in Chinese
    result = run_kehu(store, "--lang", "zh_CN", "visits", "cards", "--owner", REP, "--date", TODAY.isoformat(), out)
    assert result.code == 0, result.err
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 5  # one A6 card per visit
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (298, 420)  # A6 in points
    pages = [page.extract_text() for page in reader.pages]
    for page, name in zip(pages, ["孙丽", "钱多多", "周重要", "吴寿星", "郑沉睡"], strict=True):
        assert name in page
    assert "客户资料卡" in pages[0] and "139 1234 5601" in pages[0] and "茶叶受潮" in pages[0]
    owed = pages[1]
    assert "杭州市西湖区文三路1号" in owed and "龙井茶礼盒×2" in owed and "¥2,400.00" in owed
    assert "应收账款" in owed and "对账单" in owed
    birthday = pages[3]
    for text in ("女儿在读高三", "书法、围棋", "爽快，喜欢聊茶", "生日礼物", "45 岁"):
        assert text in birthday, text
    assert "上次拜访" in pages[2] and "谈了明年的年礼" in pages[2]
    assert "陈别人" not in "".join(pages)

    # a folder that does not exist: a message, no file, no traceback
    missing = run_kehu(store, "visits", "cards", "--owner", REP, tmp_path / "no" / "cards.pdf")
    assert missing.code == 1 and "does not exist" in missing.err


def test_done_records_a_visit_and_the_plan_shows_it(tmp_path: Path) -> None:
    store, ids = _build(tmp_path)
    result = run_kehu(store, "visits", "done", ids["cadence"], "--outcome", "订了 20 盒年礼")
    assert result.code == 0, result.err
    visit_id = result.out.strip().splitlines()[-1]
    shown = run_kehu(store, "customer", "show", ids["cadence"], "--json").json()
    visits = [i for i in shown["interactions"] if i["kind"] == "visit"]
    assert any(v["id"] == visit_id and v["text"] == "订了 20 盒年礼" and v["date"] == TODAY.isoformat()
               and v["by"] == REP for v in visits)
    # a visit made today resets the key-account cadence: tomorrow 周重要 is not due again
    tomorrow = run_kehu(store, "visits", "plan", "--owner", REP, "--date", _day(1), "--json")
    assert "周重要" not in [v["name"] for v in tomorrow.json()["visits"]]
    # the outcome of a visit on a planned day shows on that day's plan
    run_kehu(store, "visits", "done", ids["complaint"], "--outcome", "已换货")
    done = {v["name"]: v for v in _plan(store)["visits"]}
    assert done["孙丽"]["visited"] is True and done["孙丽"]["outcome"] == "已换货"
    assert done["钱多多"]["visited"] is False
    # the visit took the reason away (the complaint resolved, the key account's cadence met):
    # the evening's plan still lists them, ✓ with the outcome, as the docs' rep's day says
    complaint = run_kehu(store, "complaint", "list", "--open", "--json").json()
    [cid] = [c["id"] for c in complaint if c["customer_id"] == ids["complaint"]]
    assert run_kehu(store, "complaint", "resolve", ids["complaint"], cid, "--text", "上门换货").code == 0
    evening = {v["name"]: v for v in _plan(store)["visits"]}
    assert evening["孙丽"]["visited"] is True and evening["孙丽"]["reasons"] == []
    assert evening["周重要"]["visited"] is True and evening["周重要"]["outcome"] == "订了 20 盒年礼"
    assert "✓ visited: 已换货" in run_kehu(store, "visits", "plan", "--owner", REP).out

    empty = run_kehu(store, "visits", "done", ids["quiet"], "--outcome", "  ")
    assert empty.code == 1 and "--outcome" in empty.err
    future = run_kehu(store, "visits", "done", ids["quiet"], "--outcome", "x", "--date", _day(3))
    assert future.code == 1 and "Traceback" not in future.err


@pytest.mark.asyncio
async def test_tui_o_records_a_visit_outcome(tmp_path: Path) -> None:
    from kehu_tui.screens.customer import CustomerScreen
    from kehu_tui.screens.visit import VisitDoneScreen

    store, ids = _build(tmp_path)
    async with tui(store) as pilot:
        app = pilot.app
        app.push_screen(CustomerScreen(store, ids["birthday"]))
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerScreen), what="the customer")
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, VisitDoneScreen), what="the outcome dialog")
        await pilot.press(*"送了寿桃下月再访", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerScreen), what="back on the customer")
        await wait_until(pilot, lambda: "送了寿桃" in screen_text(app), what="the visit on the timeline")
    visits = [i for i in reopen(store).interactions(ids["birthday"]) if i.kind == "visit"]
    assert [(v.date, v.text) for v in visits] == [(TODAY, "送了寿桃下月再访")]


def test_cards_print_confidential_fields_only_for_a_key_that_opens_them(tmp_path: Path) -> None:
    from pyrage import x25519

    store = make_store(tmp_path / "store", today=TODAY)
    keys = {}
    for who in ("wang", "boss", "li"):
        identity = x25519.Identity.generate()
        keys[who] = (tmp_path / f"{who}.txt", str(identity.to_public()))
        keys[who][0].write_text(f"# public key: {keys[who][1]}\n{identity}\n", encoding="utf-8")
    config = store.root / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + (
        "confidential:\n  fields: [family, personality]\n  recipients:\n"
        f"    王芳: {keys['wang'][1]}\n    主管: {keys['boss'][1]}\n    李强: {keys['li'][1]}\n"
        "  supervisors: [主管]\n"), encoding="utf-8")
    store = reopen(store)
    added = run_kehu(store, "customer", "add", "--name", "吴寿星", "--owner", REP, "--birthday", "1980-11-23",
                     "--set", "family=女儿在读高三", "--set", "personality=爽快，喜欢聊茶")
    assert added.code == 0, added.err

    def card(*identity: str) -> str:
        out = tmp_path / f"cards-{Path(identity[-1]).stem if identity else 'none'}.pdf"
        result = run_kehu(store, *identity, "--lang", "zh_CN", "visits", "cards", "--owner", REP, out)
        assert result.code == 0, result.err
        (page,) = pypdf.PdfReader(out).pages
        return page.extract_text()

    mine = card("--identity", str(keys["wang"][0]))  # the owner's key opens them
    assert "女儿在读高三" in mine and "爽快，喜欢聊茶" in mine
    for text in (card("--identity", str(keys["li"][0])), card()):  # another rep's key, or none
        assert "女儿在读高三" not in text and "喜欢聊茶" not in text and "age:" not in text
        assert text.count("［保密：无权查看］") == 2 and "吴寿星" in text
