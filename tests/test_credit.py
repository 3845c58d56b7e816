"""Credit limits and payment terms (issue 17 part 1), through the real CLI and TUI: a sale on
credit over the limit refused with the figures and nothing written, let through with
--over-limit REASON (kept on the purchase), limits and terms per member level from kehu.yaml
(bad settings named by line), and `kehu report credit`: payment behaviour, suggested limits,
the collection plan per rep."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import kehu, kehu_subprocess

CONFIG = """credit:
  default_limit: 1000
  levels:
    金卡: {limit: 5000, terms_days: 60}
    普通: {limit: 0}
"""


def _configure(store: Path, text: str = CONFIG) -> None:
    config = store / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")


def _customer(store: Path, name: str, *args: str) -> str:
    result = kehu("customer", "add", "--name", name, *args, store=store)
    assert result.code == 0, result.err
    return result.out.strip()


def _sale(store: Path, cid: str, amount: str, *args: str) -> str:
    result = kehu("purchase", "add", cid, "--amount", amount, "--credit", *args, store=store)
    assert result.code == 0, result.err
    return result.out.strip().splitlines()[-1]


def _pay(store: Path, cid: str, pid: str, date: str) -> None:
    result = kehu("purchase", "pay", cid, pid, "--date", date, store=store)
    assert result.code == 0, result.err


def _status(store: Path, cid: str) -> dict:
    return kehu("customer", "show", cid, "--json", store=store).json()


def _tree(store: Path) -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=store,
                          capture_output=True, text=True, check=True).stdout


def test_a_credit_sale_over_the_limit_is_refused_with_the_figures_and_nothing_written(store_path: Path) -> None:
    _configure(store_path)
    cid = _customer(store_path, "赵敏", "--level", "金卡", "--owner", "王芳")
    _sale(store_path, cid, "3000")
    subprocess.run(["git", "add", "-A"], cwd=store_path, check=True)
    subprocess.run(["git", "commit", "-qm", "before"], cwd=store_path, check=True)

    refused = kehu("purchase", "add", cid, "--amount", "2500", "--credit", store=store_path)
    assert refused.code == 1
    assert "Traceback" not in refused.err
    for figure in ("limit ¥5,000.00", "outstanding ¥3,000.00", "this sale ¥2,500.00"):
        assert figure in refused.err
    assert "nothing was written" in refused.err
    assert _tree(store_path) == ""  # not one file changed
    chinese = kehu("--lang", "zh_CN", "purchase", "add", cid, "--amount", "2500", "--credit", store=store_path)
    assert chinese.code == 1
    for figure in ("额度 ¥5,000.00", "未收欠款 ¥3,000.00", "本次 ¥2,500.00", "未写入任何内容"):
        assert figure in chinese.err
    assert _tree(store_path) == ""
    assert len(_status(store_path, cid)["purchases"]) == 1

    # within the limit: goes through, due after the level's 60 days' terms
    pid = _sale(store_path, cid, "2000", "--date", "2026-11-20")
    shown = _status(store_path, cid)
    assert next(p for p in shown["purchases"] if p["id"] == pid)["due"] == "2027-01-19"
    assert shown["credit_status"] == {"limit": 5000.0, "limit_from": "level 金卡", "terms_days": 60,
                                      "terms_from": "level 金卡", "outstanding": 5000.0, "available": 0.0}
    # and as a person reads it in `customer show`, not a Python dict
    text = kehu("customer", "show", cid, store=store_path).out
    assert "limit ¥5,000.00 (level 金卡); owed ¥5,000.00, left ¥0.00; terms 60 days (level 金卡)" in \
        " ".join(text.split()).replace(" ;", ";")
    assert "limit_from" not in text
    # paid at the counter is no credit: never checked
    assert kehu("purchase", "add", cid, "--amount", "9000", "--paid", store=store_path).code == 0


def test_over_limit_with_a_reason_goes_through_and_is_recorded_on_the_purchase(store_path: Path) -> None:
    _configure(store_path)
    cid = _customer(store_path, "钱多多", "--owner", "李强")  # no level: default_limit 1000
    _sale(store_path, cid, "800")
    result = kehu("purchase", "add", cid, "--amount", "500", "--credit", "--over-limit", "春节备货，老板同意",
                  store=store_path)
    assert result.code == 0, result.err
    assert "over the credit limit ¥1,000.00" in result.err
    pid = result.out.strip().splitlines()[-1]
    purchase = next(p for p in _status(store_path, cid)["purchases"] if p["id"] == pid)
    assert purchase["over_limit"] == {"reason": "春节备货，老板同意", "limit": "1000.00",
                                      "outstanding": "800.00", "by": "李强"}
    assert kehu("report", "credit", "--json", store=store_path).json()["customers"][0]["over_limit_sales"] == 1
    # customer show says by how much it is over, not "left ¥-300.00", in both languages
    shown = " ".join(kehu("customer", "show", cid, store=store_path).out.split())
    assert "limit ¥1,000.00 (the default, credit: default_limit); owed ¥1,300.00, over it by ¥300.00" in shown
    chinese = " ".join(kehu("--lang", "zh_CN", "customer", "show", cid, store=store_path).out.split())
    assert "额度 ¥1,000.00（默认值，credit: default_limit）；欠款 ¥1,300.00，超出额度 ¥300.00" in chinese
    # --over-limit belongs to credit sales and needs a reason
    assert kehu("purchase", "add", cid, "--amount", "5", "--paid", "--over-limit", "x", store=store_path).code == 2
    assert kehu("purchase", "add", cid, "--amount", "5", "--credit", "--over-limit", " ", store=store_path).code == 2


def test_the_customers_own_limit_wins_and_a_limit_of_zero_allows_no_credit(store_path: Path) -> None:
    _configure(store_path)
    own = _customer(store_path, "孙丽", "--level", "金卡")
    assert kehu("customer", "set", own, "credit_limit=200", "payment_terms=10", store=store_path).code == 0
    refused = kehu("purchase", "add", own, "--amount", "300", "--credit", store=store_path)
    assert refused.code == 1 and "limit ¥200.00" in refused.err
    pid = _sale(store_path, own, "150", "--date", "2026-11-01")
    assert next(p for p in _status(store_path, own)["purchases"] if p["id"] == pid)["due"] == "2026-11-11"
    cash_only = _customer(store_path, "周现", "--level", "普通")
    refused = kehu("purchase", "add", cash_only, "--amount", "1", "--credit", store=store_path)
    assert refused.code == 1 and "limit ¥0.00" in refused.err
    bad = kehu("customer", "set", own, "credit_limit=-5", store=store_path)
    assert bad.code == 1 and "credit_limit" in bad.err


def test_without_any_limit_nothing_is_checked(store_path: Path) -> None:
    cid = _customer(store_path, "吴无限")
    _sale(store_path, cid, "100000")
    assert _status(store_path, cid)["credit_status"]["limit"] is None


@pytest.mark.parametrize(("text", "line", "field"), [
    ("credit:\n  default_limit: -1\n", 2, "credit.default_limit"),
    ("credit:\n  levels:\n    金卡: {limit: 100, terms: 3}\n", 3, "credit.levels.金卡.terms"),
    ("credit:\n  suggest:\n    lower_by: 2\n", 3, "credit.suggest.lower_by"),
])
def test_bad_credit_settings_are_named_by_file_and_line(store_path: Path, text: str, line: int, field: str) -> None:
    before = len((store_path / "kehu.yaml").read_text(encoding="utf-8").splitlines())
    _configure(store_path, text)
    result = kehu("report", "credit", store=store_path)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert f"kehu.yaml:{before + line}: {field}" in result.err


def _credit_shop(store_path: Path) -> None:
    """A good payer (three sales paid on time), a slow one (one paid 50 days late, one 50 days
    overdue) and a customer of another rep with a limit of their own."""
    _configure(store_path, "credit:\n  default_limit: 1000\n  plan_weeks: 2\n")
    good = _customer(store_path, "钱多多", "--owner", "李强")
    for day, paid_on in (("2026-01-10", "2026-01-20"), ("2026-03-10", "2026-03-30"), ("2026-05-10", "2026-06-09")):
        _pay(store_path, good, _sale(store_path, good, "400", "--date", day), paid_on)
    _sale(store_path, good, "200", "--date", "2026-11-01")  # due 2026-12-01: the week of 11-30
    slow = _customer(store_path, "孙迟", "--owner", "李强")
    _pay(store_path, slow, _sale(store_path, slow, "600", "--date", "2026-06-01"), "2026-08-20")  # 50 days late
    _sale(store_path, slow, "300", "--date", "2026-09-01")  # due 10-01: 50 days overdue
    other = _customer(store_path, "赵敏", "--owner", "王芳")
    _sale(store_path, other, "700", "--date", "2026-11-18")  # due 12-18: after the plan's two weeks
    assert kehu("customer", "set", other, "credit_limit=2000", store=store_path).code == 0


def test_report_credit_payment_behaviour_suggestions_and_collection_plan(store_path: Path) -> None:
    _credit_shop(store_path)
    report = kehu("report", "credit", "--json", store=store_path).json()
    by_name = {c["name"]: c for c in report["customers"]}
    assert report["outstanding"] == 1200.0 and report["overdue"] == 300.0
    g, s = by_name["钱多多"], by_name["孙迟"]
    assert (g["on_time"], g["late"], g["suggestion"], g["suggested_limit"]) == (3, 0, "up", 1500.0)
    assert "3 sales on credit paid on time" in g["reason"]
    assert (s["on_time"], s["late"], s["max_days_late"], s["days_overdue"]) == (0, 1, 50, 50)
    assert (s["suggestion"], s["suggested_limit"]) == ("down", 500.0)
    assert "overdue" in s["reason"] and "paid late" in s["reason"]
    assert by_name["赵敏"]["suggestion"] == "keep"
    assert (by_name["赵敏"]["limit"], by_name["赵敏"]["limit_from"]) == (2000.0, "customer")
    assert report["customers"][0]["name"] == "孙迟"  # the ones to lower first

    plan = report["plan"]
    assert list(plan) == ["王芳", "李强"]  # the most to collect first
    weeks = {w["label"]: w for w in plan["李强"]}
    assert [w["label"] for w in plan["李强"]] == ["overdue", "2026-11-16", "2026-11-23", "later"]
    assert weeks["overdue"]["amount"] == 300.0 and weeks["overdue"]["items"][0]["name"] == "孙迟"
    assert weeks["later"]["amount"] == 200.0  # due 12-01, past the two weeks
    assert {w["label"]: w["amount"] for w in plan["王芳"]}["later"] == 700.0

    mine = kehu("report", "credit", "--owner", "王芳", "--json", store=store_path).json()
    assert [c["name"] for c in mine["customers"]] == ["赵敏"] and list(mine["plan"]) == ["王芳"]
    text = kehu("report", "credit", store=store_path)
    assert text.code == 0 and "孙迟" in text.out and "Collection plan" in text.out


def test_report_credit_into_a_pipe_keeps_every_column_whole(store_path: Path) -> None:
    """Piped (no terminal, no COLUMNS), the report is as wide as its columns ask: each customer
    on one line with all its figures and its whole reason, not folded into 80 columns."""
    import os

    _credit_shop(store_path)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    piped = kehu_subprocess("report", "credit", store=store_path, env=env)
    assert piped.returncode == 0, piped.stderr
    lines = piped.stdout.splitlines()
    slow = [line for line in lines if "孙迟" in line and "lower" in line]
    assert len(slow) == 1, piped.stdout  # one line: the name, the figures, the reason
    reason = kehu("report", "credit", "--json", store=store_path).json()["customers"][0]["reason"]
    assert reason in slow[0] and "1,000.00" in slow[0] and "500.00" in slow[0]
    assert max(len(line) for line in lines) > 80
    assert any(line.startswith("Credit on 2026-11-20:") and line.rstrip().endswith("counts as on time)")
               for line in lines)  # the heading on one line too
    narrow = kehu_subprocess("report", "credit", store=store_path, env=env | {"COLUMNS": "80"})
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80  # COLUMNS still decides


@pytest.mark.asyncio
async def test_tui_purchase_form_refuses_over_the_limit_then_takes_a_reason(store_path: Path) -> None:
    from kehu_tui.screens.interaction import AddInteractionScreen
    from kehu_tui.widgets.forms.field import FormField

    from .test_tui import SIZE, make_app, open_purchase_form, text_of, wait_for

    _configure(store_path, "credit:\n  default_limit: 1000\n")
    cid = kehu("customer", "add", "--name", "赵敏", "--phone", "13912345678", store=store_path).out.strip()
    _sale(store_path, cid, "800")
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_purchase_form(pilot)
        form = app.screen
        await pilot.press(*"龙井", "tab", "1", "tab", *"500", "enter")
        await wait_for(pilot, lambda: "limit ¥1,000.00" in text_of(form.query_one("#interaction-error")),
                       "the refusal")
        assert app.screen is form
        said = text_of(form.query_one("#interaction-error"))
        assert "outstanding ¥800.00" in said and "this sale ¥500.00" in said
        assert len(_status(store_path, cid)["purchases"]) == 1
        form.query_one("#row-over_limit", FormField).value = "熟客"
        form.query_one("#field-over_limit").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, AddInteractionScreen), "saved")
    purchases = _status(store_path, cid)["purchases"]
    assert len(purchases) == 2
    assert [p["over_limit"]["reason"] for p in purchases if "over_limit" in p] == ["熟客"]
