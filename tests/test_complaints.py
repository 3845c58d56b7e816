"""Complaints resolved in time (issue 14 item 4), through the real CLI and the real TUI.

The day is fixed (KEHU_TODAY=2026-11-20, ``--today`` moves it); the time of day is the
machine's, so every deadline below is chosen a whole day or more away from the moments tested.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kehu_core.store import open_store

from .conftest import kehu


def add_customer(store: Path, name: str, owner: str = "王芳") -> str:
    result = kehu("customer", "add", "--name", name, "--owner", owner, store=store)
    assert result.code == 0, result.err
    return result.out.strip()


def add_complaint(store: Path, cid: str, text: str, *args: str, today: str | None = None) -> str:
    day = ["--today", today] if today else []
    result = kehu(*day, "interaction", "add", cid, "--kind", "complaint", "--text", text, *args, store=store)
    assert result.code == 0, result.err
    return result.out.strip()


def listed(store: Path, *args: str) -> dict[str, dict[str, Any]]:
    result = kehu(*args, "complaint", "list", "--json", store=store)
    assert result.code == 0, result.err
    return {c["id"]: c for c in result.json()}


def complaint_file(store: Path, cid: str, iid: str) -> Path:
    return open_store(store).interactions_dir(cid) / f"{iid}.yaml"


def reminder_keys(store: Path, *args: str) -> dict[str, str]:
    result = kehu(*args, "reminders", "--rule", "complaint", "--json", store=store)
    assert result.code == 0, result.err
    return {r["key"]: r["due"] for r in result.json()}


def test_a_complaint_acknowledged_and_resolved_within_its_deadlines(store_path: Path) -> None:
    (store_path / "kehu.yaml").write_text(
        (store_path / "kehu.yaml").read_text() + "complaints:\n  respond_within_hours: 48\n"
        "  resolve_within_days: 3\n", encoding="utf-8")
    cid = add_customer(store_path, "赵敏")
    iid = add_complaint(store_path, cid, "茶叶受潮", "--date", "2026-11-19", "--time", "09:00")
    entry = listed(store_path)[iid]
    assert (entry["state"], entry["handler"]) == ("open", "王芳")
    assert (entry["respond_by"], entry["resolve_by"]) == ("2026-11-21T09:00", "2026-11-22T09:00")
    path = complaint_file(store_path, cid, iid)
    before = path.read_text(encoding="utf-8")

    ack = kehu("complaint", "ack", cid, iid, "--text", "已致电，明天上门更换", store=store_path)
    assert ack.code == 0, ack.err
    assert "acknowledged 2026-11-20" in ack.out and "by 王芳" in ack.out
    done = kehu("--today", "2026-11-21", "complaint", "resolve", cid, iid, "--text", "换了一罐新的",
                "--by", "李经理", store=store_path)
    assert done.code == 0, done.err

    entry = listed(store_path, "--today", "2026-11-21")[iid]
    assert entry["state"] == "resolved"
    assert entry["resolution"] == "换了一罐新的"
    assert not entry["respond_overdue"] and not entry["resolve_overdue"]
    steps = entry["history"]
    assert [(s["state"], s["at"][:10], s["by"]) for s in steps] == [
        ("acknowledged", "2026-11-20", "王芳"), ("resolved", "2026-11-21", "李经理")]
    assert steps[0]["text"] == "已致电，明天上门更换"
    # only the status line changed; the moves were added below, one line each
    after = path.read_text(encoding="utf-8").splitlines()
    old = before.splitlines()
    assert after[:len(old)] == ["status: resolved" if line == "status: open" else line for line in old]
    assert sum(line.startswith("- {state: ") for line in after) == 2
    assert open_store(store_path).get_interaction(cid, iid).status == "resolved"  # type: ignore[union-attr]
    assert kehu("check", store=store_path).code == 0
    assert reminder_keys(store_path, "--today", "2026-11-21") == {}


def test_an_overdue_complaint_in_the_list_and_in_the_reminders(store_path: Path) -> None:
    cid = add_customer(store_path, "张无忌", owner="李雷")
    other = add_customer(store_path, "周芷若")
    iid = add_complaint(store_path, cid, "发货慢", "--date", "2026-11-10")  # no time: counts from 23:59
    fresh = add_complaint(store_path, other, "包装破损")  # today, now

    found = listed(store_path)
    late = found[iid]
    assert (late["respond_by"], late["resolve_by"]) == ("2026-11-11T23:59", "2026-11-13T23:59")
    assert late["respond_overdue"] and late["resolve_overdue"]
    assert not found[fresh]["respond_overdue"] and not found[fresh]["resolve_overdue"]
    assert list(found)[0] == iid  # the most urgent first
    mine = kehu("complaint", "list", "--owner", "李雷", "--json", store=store_path).json()
    assert [c["id"] for c in mine] == [iid]
    text = kehu("complaint", "list", "--open", store=store_path)
    assert "OVERDUE" in text.out and "张无忌" in text.out and "2 not resolved · 1 overdue" in text.out

    keys = reminder_keys(store_path)
    assert keys[f"complaint:{cid}:{iid}-answer"] == "2026-11-11"
    assert keys[f"complaint:{other}:{fresh}-answer"] == "2026-11-21"  # answer by tomorrow, this time
    assert kehu("complaint", "ack", other, fresh, store=store_path).code == 0
    # answered: the answer reminder is gone, the resolve one is due at its deadline
    def of_late() -> dict[str, str]:
        return {k: v for k, v in reminder_keys(store_path).items() if k.startswith(f"complaint:{cid}:")}

    assert kehu("complaint", "ack", cid, iid, store=store_path).code == 0
    assert of_late() == {f"complaint:{cid}:{iid}-resolve": "2026-11-13"}
    assert kehu("complaint", "resolve", cid, iid, store=store_path).code == 0
    assert of_late() == {}
    assert listed(store_path)[iid]["state"] == "resolved"
    assert iid not in {c["id"] for c in kehu("complaint", "list", "--open", "--json", store=store_path).json()}


def test_state_rules_are_refused_and_nothing_is_written(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    iid = add_complaint(store_path, cid, "茶叶受潮", "--date", "2026-11-19")
    path = complaint_file(store_path, cid, iid)
    before = path.read_bytes()

    skip = kehu("complaint", "close", cid, iid, store=store_path)
    assert skip.code == 1
    assert "is open: acknowledged and resolved first" in skip.err and "Traceback" not in skip.err
    assert path.read_bytes() == before
    earlier = kehu("--today", "2026-11-18", "complaint", "ack", cid, iid, store=store_path)
    assert earlier.code == 1 and "cannot be acknowledged before" in earlier.err
    assert path.read_bytes() == before

    # resolve from open acknowledges in the same moment
    assert kehu("complaint", "resolve", cid, iid, store=store_path).code == 0
    steps = listed(store_path)[iid]["history"]
    assert [s["state"] for s in steps] == ["acknowledged", "resolved"]
    assert steps[0]["at"] == steps[1]["at"]
    resolved = path.read_bytes()
    back = kehu("complaint", "ack", cid, iid, store=store_path)
    assert back.code == 1 and "is resolved: it cannot go back to acknowledged" in back.err
    again = kehu("complaint", "resolve", cid, iid, store=store_path)
    assert again.code == 1 and "is already resolved" in again.err
    past = kehu("--today", "2026-11-19", "complaint", "close", cid, iid, store=store_path)
    assert past.code == 1 and "cannot be dated before" in past.err
    assert path.read_bytes() == resolved
    assert kehu("complaint", "close", cid, iid, "--text", "回访：满意", store=store_path).code == 0
    assert listed(store_path)[iid]["state"] == "closed"

    note = kehu("interaction", "add", cid, "--kind", "note", "--text", "x", store=store_path).out.strip()
    wrong = kehu("complaint", "ack", cid, note, store=store_path)
    assert wrong.code == 1 and "is a note, not a complaint" in wrong.err
    missing = kehu("complaint", "ack", cid, "2026-01-01-nothing", store=store_path)
    assert missing.code == 1 and "has no record" in missing.err


def test_complaints_written_before_the_workflow_keep_working(store_path: Path) -> None:
    cid = add_customer(store_path, "赵敏")
    folder = open_store(store_path).interactions_dir(cid)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "2026-10-01-old1.yaml").write_text(
        "kind: complaint\ndate: 2026-10-01\ntext: 太贵\nstatus: open\n", encoding="utf-8")
    (folder / "2026-10-02-old2.yaml").write_text(
        "kind: complaint\ndate: 2026-10-02\ntext: 慢\nstatus: resolved\nresolution: 道歉\n", encoding="utf-8")
    found = listed(store_path)
    assert (found["2026-10-01-old1"]["state"], found["2026-10-02-old2"]["state"]) == ("open", "resolved")
    assert kehu("complaint", "ack", cid, "2026-10-01-old1", store=store_path).code == 0
    assert kehu("complaint", "close", cid, "2026-10-02-old2", store=store_path).code == 0
    assert listed(store_path)["2026-10-02-old2"]["state"] == "closed"
    assert kehu("check", store=store_path).code == 0


def test_deadlines_come_from_kehu_yaml_and_a_bad_setting_names_its_line(store_path: Path) -> None:
    config = store_path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "complaints:\n  respond_within_hours: 4\n  resolve_within_days: 1\n", encoding="utf-8")
    cid = add_customer(store_path, "赵敏")
    iid = add_complaint(store_path, cid, "慢", "--date", "2026-11-18", "--time", "10:30")
    assert (listed(store_path)[iid]["respond_by"], listed(store_path)[iid]["resolve_by"]) == (
        "2026-11-18T14:30", "2026-11-19T10:30")
    config.write_text(text + "complaints:\n  respond_within_hours: 0\n", encoding="utf-8")
    line = len(text.splitlines()) + 2
    bad = kehu("complaint", "list", store=store_path)
    assert bad.code == 1 and f"kehu.yaml:{line}: complaints.respond_within_hours" in bad.err
    config.write_text(text + "complaints:\n  answer_within: 4\n", encoding="utf-8")
    typo = kehu("complaint", "list", store=store_path)
    assert typo.code == 1 and f"kehu.yaml:{line}:" in typo.err and "answer_within" in typo.err


def test_the_report_figures_on_a_store_built_for_it(store_path: Path) -> None:
    """Five complaints with known moments (answer within 24 h, resolve within 3 days):

    A 11-01 10:00  ack 11-01 12:00 (2 h, in time)  resolved 11-02 10:00 (24 h, in time)  closed;
                   bought 11-05, after → came back
    B 11-03 09:00  ack 11-04 15:00 (30 h, late)    resolved 11-08 09:00 (120 h, late);
                   bought 11-08 (the same day: not after) and 10-01 (before) → not back
    C 11-10 08:00  ack 11-10 09:00 (1 h, in time)  not resolved: resolve by 11-13 08:00, overdue
    D 09-01        resolved before kehu recorded when (no history); bought 10-01 → came back
    E 11-19        open, answer by 11-20 23:59: not overdue yet
    """
    ids = {n: add_customer(store_path, n) for n in "ABCDE"}
    store = open_store(store_path)

    def complaint(who: str, date: str, time: str | None, status: str, *steps: tuple[str, str]) -> None:
        data: dict[str, Any] = {"kind": "complaint", "date": dt.date.fromisoformat(date), "text": who,
                                "status": status, "history": [{"state": s, "at": at} for s, at in steps]}
        if time:
            data["time"] = time
        store.add_interaction(ids[who], data)

    complaint("A", "2026-11-01", "10:00", "closed", ("acknowledged", "2026-11-01T12:00"),
              ("resolved", "2026-11-02T10:00"), ("closed", "2026-11-06T10:00"))
    complaint("B", "2026-11-03", "09:00", "resolved", ("acknowledged", "2026-11-04T15:00"),
              ("resolved", "2026-11-08T09:00"))
    complaint("C", "2026-11-10", "08:00", "acknowledged", ("acknowledged", "2026-11-10T09:00"))
    complaint("D", "2026-09-01", None, "resolved")
    complaint("E", "2026-11-19", None, "open")
    for who, day in (("A", "2026-11-05"), ("B", "2026-11-08"), ("B", "2026-10-01"), ("D", "2026-10-01")):
        assert kehu("purchase", "add", ids[who], "--date", day, "--amount", "100", store=store_path).code == 0

    report = kehu("report", "complaints", "--json", store=store_path).json()
    assert report["total"] == 5
    assert report["by_state"] == {"open": 1, "acknowledged": 1, "resolved": 2, "closed": 1}
    assert report["overdue_now"] == 1
    assert report["acknowledge"] == {"count": 3, "in_time": 2, "mean_hours": 11.0, "median_hours": 2.0,
                                     "max_hours": 30.0, "share_in_time": round(2 / 3, 4)}
    assert report["resolve"] == {"count": 2, "in_time": 1, "mean_hours": 72.0, "median_hours": 72.0,
                                 "max_hours": 120.0, "share_in_time": 0.5}
    assert report["resolved_without_moment"] == 1
    assert (report["customers_resolved"], report["customers_bought_again"]) == (3, 2)
    assert report["comeback_share"] == round(2 / 3, 4)
    text = kehu("report", "complaints", store=store_path)
    assert text.code == 0
    assert "Bought again after a resolved complaint: 2 of 3 customers (67%" in text.out.replace("\n", " ")


@pytest.mark.asyncio
async def test_the_tui_shows_open_complaints_and_keys_move_them(store_path: Path) -> None:
    from kehu_tui.screens.customer import CustomerScreen
    from kehu_tui.screens.today import TodayScreen
    from kehu_tui.widgets.complaints import ComplaintTable

    from .test_tui import SIZE, make_app, wait_for

    cid = add_customer(store_path, "赵敏")
    late = add_complaint(store_path, cid, "茶叶受潮", "--date", "2026-11-10")
    other = add_customer(store_path, "周芷若")
    fresh = add_complaint(store_path, other, "包装破损", "--date", "2026-11-19")
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TodayScreen), "today")
        table = app.screen.query_one(ComplaintTable)
        await wait_for(pilot, lambda: table.row_count == 2, "two open complaints on Today")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(2)]
        assert rows[0][0] == "赵敏" and "overdue" in rows[0][3] and rows[0][5] == "茶叶受潮"
        assert rows[1][0] == "周芷若" and "overdue" not in rows[1][3]
        table.focus()
        await pilot.press("v")  # resolves the selected one: 赵敏's, the most urgent
        await wait_for(pilot, lambda: table.row_count == 1, "the resolved one to go")
        assert table.selected is not None and table.selected.customer_id == other

        app.open_customer(other)
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen)
                       and bool(app.screen.query(ComplaintTable)), "the customer")
        mine = app.screen.query_one(ComplaintTable)
        await wait_for(pilot, lambda: mine.row_count == 1, "her open complaint")
        assert "open" in [str(c) for c in mine.get_row_at(0)]
        await pilot.press("a")
        await wait_for(pilot, lambda: mine.row_count == 1 and mine.selected is not None
                       and mine.selected.state == "acknowledged", "acknowledged")
    found = listed(store_path)
    assert (found[late]["state"], found[fresh]["state"]) == ("resolved", "acknowledged")
    assert found[late]["history"][-1]["by"] == "王芳"
