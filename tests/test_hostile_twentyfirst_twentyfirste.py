"""The twenty-first outside round (E, 2026-12-07): combinations of the last rounds' commands,
special files where a record belongs. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import datetime as dt
import json
import os
import unicodedata
from typing import Any

import pytest

from kehu_core.testing import make_store, run_kehu

TODAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_report_reps_does_not_pass_over_a_plan_file_it_cannot_read(tmp_path: Any, kind: str) -> None:
    """A rep's day plan (`visits/王芳/DAY.yaml`, where `kehu visits plan --add` keeps the visits
    the rep added) left a FIFO or a folder (a botched copy, a `mkfifo` of a script): `kehu visits
    plan` for that day and `kehu check` name it, but `kehu report reps` passed over it without a
    word, exit 0, the rep's planned visits counted short, where the same file holding bad YAML or
    a link stops the report naming it. Now the report names it too, as every other door does."""
    store = make_store(tmp_path / "store", today=TODAY,
                       customers=[{"name": "张三", "owner": "王芳"}])
    cid = next(iter(store.iter_customer_ids()))
    added = run_kehu(store, "visits", "plan", "--owner", "王芳", "--date", TODAY.isoformat(), "--add", cid)
    assert added.code == 0, added
    plan = store.root / "visits" / "王芳" / f"{TODAY.isoformat()}.yaml"
    assert plan.is_file()
    before = run_kehu(store, "report", "reps", "--json")
    assert before.code == 0, before
    plan.unlink()
    if kind == "fifo":
        os.mkfifo(plan)
    else:
        plan.mkdir()
    said = "is a FIFO (named pipe)" if kind == "fifo" else "is a folder"
    day = run_kehu(store, "visits", "plan", "--owner", "王芳", "--date", TODAY.isoformat())
    assert day.code == 1 and said in day.err, day
    reps = run_kehu(store, "report", "reps")
    assert reps.code == 1, reps
    assert f"{plan}:1: {said}" in reps.err, reps.err
    assert "Traceback" not in reps.err


@pytest.mark.parametrize("owner", ["王芳/李娜", "Sales:North", ".x", "../../outside", "50%"])
def test_every_customers_owner_can_plan_their_visits(tmp_path: Any, owner: str) -> None:
    """`customer add --owner 王芳/李娜` (two reps sharing their customers, a team `华东/华南`),
    `Sales:North`, a name starting with a dot: every door takes them as a customer's owner
    (`customer add`/`set`, an import's cell, `kehu check`), and `kehu handover` and `kehu keys`
    name reps so, but `kehu visits plan --owner 王芳/李娜` refused them ("a rep's name cannot be
    empty, start with a dot or hold / \\ :"), so that rep could never plan a day. A rep's name
    is the owner's rule at every door; its folder under visits/ writes what a path cannot hold
    as %XX, never leaving visits/."""
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "张三", "owner": owner}])
    cid = next(iter(store.iter_customer_ids()))
    day = TODAY.isoformat()
    added = run_kehu(store, "visits", "plan", "--owner", owner, "--date", day, "--add", cid)
    assert added.code == 0, added
    plans = store.root / "visits"
    made = [p for p in plans.rglob("*") if p.is_file()]
    assert len(made) == 1 and made[0].parent.parent == plans, made
    assert not (tmp_path / "outside").exists()
    shown = run_kehu(store, "visits", "plan", "--owner", owner, "--date", day, "--json")
    assert shown.code == 0 and cid in shown.out, shown
    assert run_kehu(store, "check").code == 0
    reps = run_kehu(store, "report", "reps", "--json")
    assert reps.code == 0, reps
    rows = {row["rep"]: row["figures"] for row in json.loads(reps.out)["reps"]}
    assert rows[owner]["visits_planned"]["value"] == 1, rows


@pytest.mark.parametrize("when", ["yesterday", "2026-13-01T12:00", 20261201, "2026-12-01T12:00"])
def test_a_journal_entry_whose_time_is_no_time_is_named_by_every_reader(tmp_path: Any, when: Any) -> None:
    """An entry of `.kehu/journal/` whose `when` is no date and time (a hand edit, a tool's):
    `kehu undo --list` showed it, and `kehu report reps` (which reads the journal for the cards
    updated in the week) ended in "internal error: ValueError: Invalid isoformat string". Every
    reader of the journal names the entry as one kehu did not write, as for a missing `who`."""
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "张三", "owner": "王芳"}])
    cid = next(iter(store.iter_customer_ids()))
    assert run_kehu(store, "customer", "set", cid, "note=hi").code == 0
    entry = max((store.root / ".kehu" / "journal").glob("*.json"))
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["when"] = when
    entry.write_text(json.dumps(data), encoding="utf-8")
    for argv in (["report", "reps"], ["customer", "log", cid], ["undo", "--list"], ["undo"]):
        result = run_kehu(store, *argv)
        assert result.code == 1, (argv, result)
        assert f"{entry}: not a journal entry kehu wrote" in result.err, (argv, result.err)
        assert "internal error" not in result.err


@pytest.mark.parametrize("typed", [unicodedata.normalize("NFD", "José"), " José "])
def test_visits_plan_finds_the_reps_customers_however_the_name_is_typed(tmp_path: Any, typed: str) -> None:
    """A customer of José with an open complaint: `customer list --owner` and `complaint list
    --owner` find them with the name typed decomposed (a macOS paste) or with spaces around it,
    as every door stores an owner (`keytext.key_text`); `kehu visits plan --owner` took that
    name for its file but looked for the rep's customers by the name as typed: "José has no
    visits planned", "no customer has owner 'José'", exit 0."""
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "张三", "owner": "José"}])
    cid = next(iter(store.iter_customer_ids()))
    assert run_kehu(store, "interaction", "add", cid, "--kind", "complaint", "--text", "坏了").code == 0
    listed = run_kehu(store, "complaint", "list", "--owner", typed, "--json")
    assert listed.code == 0 and cid in listed.out, listed
    plan = run_kehu(store, "visits", "plan", "--owner", typed, "--json")
    assert plan.code == 0, plan
    assert [v["id"] for v in json.loads(plan.out)["visits"]] == [cid], plan.out
    assert "no customer has owner" not in plan.err, plan.err


@pytest.mark.parametrize("report", ["products", "abc", "lifecycle"])
@pytest.mark.parametrize("span", ["99999999d", "100000w", "3000y"])
def test_a_report_period_past_any_date_is_refused_by_the_rule_of_spans(tmp_path: Any, report: str, span: str) -> None:
    """`kehu report products --period 99999999d` (abc, lifecycle; 100000w, 3000y) ended in
    "internal error: OverflowError: date value out of range", where a segment's `bought_within:
    99999999d` is refused by the rule of spans ("a span back from today of 1 day up to 299
    years"). The span is read by that one rule (reports.common.parse_span) wherever it is typed:
    a usage error naming it, exit 2."""
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "张三"}])
    result = run_kehu(store, "report", report, "--period", span)
    assert result.code == 2, result
    assert f"'{span}': a span back from today of 1 day up to 299 years" in result.err, result.err
    assert "internal error" not in result.err
    fine = run_kehu(store, "report", report, "--period", "299y")
    assert fine.code == 0, fine


def test_report_lifecycle_as_of_a_day_before_a_prospect_was_added(tmp_path: Any) -> None:
    """A prospect added on 2026-11-20 (no purchase yet) and `kehu report lifecycle --as-of
    2026-11-01`, the shop looking back at the month: "internal error: KeyError: 'not_yet'". A
    customer not in the store yet on the report's day is in none of its stages, as on the day
    the movements are counted from."""
    store = make_store(tmp_path / "store", today=TODAY, customers=[{"name": "张三"}])
    cid = next(iter(store.iter_customer_ids()))
    assert run_kehu(store, "purchase", "add", cid, "--item", "茶", "--price", "10", "--paid",
                    "--date", "2026-10-01").code == 0
    assert run_kehu(store, "customer", "add", "--name", "李四").code == 0  # a prospect, created today
    result = run_kehu(store, "report", "lifecycle", "--as-of", "2026-11-01", "--json")
    assert result.code == 0, result
    report = json.loads(result.out)
    assert sum(report["counts"].values()) == 1, report
