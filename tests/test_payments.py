"""Credit sales paid, mistakes undone (issue 14 items 3 and 5), through the real CLI and TUI:
partial then full payment with a history on the purchase, receivables, reminders and points
following at once, the default for new purchases from kehu.yaml in both the CLI and the TUI,
void, orphan ledger entries found by `kehu check`, future dates refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kehu_core.store import open_store

from .conftest import TODAY, git, kehu

CREDIT_DAY = "2026-11-01"  # a sale on credit, 30 days' terms: due 2026-12-01


def _configure(store: Path, text: str) -> None:
    """Append settings to the store's kehu.yaml (``plugins:`` is the file's last section)."""
    config = store / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")


def _customer(store: Path, name: str = "赵敏") -> str:
    result = kehu("customer", "add", "--name", name, "--phone", "13912345678", "--owner", "王芳", store=store)
    assert result.code == 0, result.err
    return result.out.strip().splitlines()[-1]


def _sale(store: Path, cid: str, *args: str, date: str = CREDIT_DAY) -> str:
    result = kehu("purchase", "add", cid, "--item", "龙井茶礼盒", "--price", "1000", "--date", date, *args,
                  store=store)
    assert result.code == 0, result.err
    return result.out.strip().splitlines()[-1]  # the contract: the id on the last line of stdout


def _receivable(store: Path) -> float:
    return kehu("report", "receivables", "--json", store=store).json()["total"]


def _points(store: Path, cid: str) -> int:
    return kehu("points", cid, "--json", store=store).json()["balance"]


def _purchase(store: Path, cid: str, pid: str) -> dict:
    shown = kehu("customer", "show", cid, "--json", store=store).json()
    return next(p for p in shown["purchases"] if p["id"] == pid)


def _overdue_keys(store: Path) -> list[str]:
    return [r["key"] for r in kehu("reminders", "--json", store=store).json() if r["rule"] == "overdue"]


def test_purchase_add_prints_its_id_last_and_says_it_is_on_credit(store_path: Path) -> None:
    cid = _customer(store_path)
    result = kehu("purchase", "add", cid, "--amount", "500", "--date", CREDIT_DAY, store=store_path)
    assert result.code == 0
    pid = result.out.strip().splitlines()[-1]
    assert _purchase(store_path, cid, pid)["amount"] == "500.00"
    assert "recorded unpaid (on credit), due 2026-12-01" in result.err
    paid = kehu("purchase", "add", cid, "--amount", "80", "--paid", store=store_path)
    assert "recorded paid" in paid.err and _purchase(store_path, cid, paid.out.split()[-1])["paid"] is True


def test_partial_then_full_payment_with_history_receivables_and_reminders(store_path: Path) -> None:
    cid = _customer(store_path)
    pid = _sale(store_path, cid, "--due", "2026-11-10")
    assert _receivable(store_path) == 1000.0
    assert _overdue_keys(store_path) == [f"overdue:{cid}:{pid}"]
    git(store_path, "add", "-A")
    git(store_path, "commit", "-qm", "the sale")

    partial = kehu("purchase", "pay", cid, pid, "--amount", "400", "--date", "2026-11-15", store=store_path)
    assert partial.code == 0, partial.err
    assert "¥600.00 still owed" in partial.out
    assert _receivable(store_path) == 600.0  # at once
    reminder = [r for r in kehu("reminders", "--json", store=store_path).json() if r["rule"] == "overdue"]
    assert reminder[0]["title"] == "collect ¥600.00"
    shown = _purchase(store_path, cid, pid)
    assert shown["paid"] is False
    payment = dict(shown["payments"][0])
    assert len(payment.pop("id")) == 10  # its identity: kept two if made twice in two clones
    assert [payment] == [{"date": "2026-11-15", "amount": "400.00", "by": "王芳"}]

    full = kehu("purchase", "pay", cid, pid, store=store_path)  # no --amount: the rest, today
    assert full.code == 0, full.err
    assert "paid in full" in full.out
    assert _receivable(store_path) == 0.0
    assert _overdue_keys(store_path) == []
    shown = _purchase(store_path, cid, pid)
    assert shown["paid"] is True
    assert [p["amount"] for p in shown["payments"]] == ["400.00", "600.00"]
    assert shown["payments"][1]["date"] == TODAY.isoformat()
    # the round-trip writer: only the paid line and the payment lines changed
    diff = git(store_path, "diff", "-U0", "--", "customers")
    changed = [re.sub(r"\{id: [0-9a-z]{10}, ", "{", line)  # each payment's own id
               for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert sorted(changed) == sorted([
        "-paid: false", "+paid: true", "+payments:",
        "+- {date: 2026-11-15, amount: 400.00, by: 王芳}",
        f"+- {{date: {TODAY.isoformat()}, amount: 600.00, by: 王芳}}",
    ])
    again = kehu("purchase", "pay", cid, pid, "--amount", "1", store=store_path)
    assert again.code == 1 and "already paid" in again.err


def test_over_payment_is_refused_with_the_figures(store_path: Path) -> None:
    cid = _customer(store_path)
    pid = _sale(store_path, cid)
    assert kehu("purchase", "pay", cid, pid, "--amount", "400", store=store_path).code == 0
    path = open_store(store_path).interaction_file(cid, pid)
    before = path.read_bytes()
    result = kehu("purchase", "pay", cid, pid, "--amount", "700", store=store_path)
    assert result.code == 1
    assert "¥700.00 is more than the ¥600.00 owed" in result.err and "paid so far ¥400.00" in result.err
    assert "Traceback" not in result.err
    assert path.read_bytes() == before
    assert _receivable(store_path) == 600.0


def test_pay_without_purchase_takes_the_one_owing_or_names_them(store_path: Path) -> None:
    cid = _customer(store_path)
    assert "owes nothing" in kehu("purchase", "pay", cid, store=store_path).err
    first = _sale(store_path, cid)
    assert kehu("purchase", "pay", cid, "--amount", "100", store=store_path).code == 0
    assert _purchase(store_path, cid, first)["payments"][0]["amount"] == "100.00"
    second = _sale(store_path, cid, date="2026-11-10")
    several = kehu("purchase", "pay", cid, store=store_path)
    assert several.code == 1 and first in several.err and second in several.err
    assert "¥900.00 owed" in several.err


def test_payment_dated_in_the_future_or_before_the_sale_is_refused(store_path: Path) -> None:
    cid = _customer(store_path)
    pid = _sale(store_path, cid)
    future = kehu("purchase", "pay", cid, pid, "--date", "2026-12-25", store=store_path)
    assert future.code == 1 and "after today" in future.err
    early = kehu("purchase", "pay", cid, pid, "--date", "2026-10-01", store=store_path)
    assert early.code == 1 and "before the purchase" in early.err
    assert _receivable(store_path) == 1000.0


def test_points_on_payment_none_on_credit_all_on_full_payment(store_path: Path) -> None:
    _configure(store_path, "  points: {earn_on: payment}\n")
    cid = _customer(store_path)
    pid = _sale(store_path, cid)
    assert _points(store_path, cid) == 0  # an unpaid order earns nothing
    kehu("purchase", "pay", cid, pid, "--amount", "400", store=store_path)
    assert _points(store_path, cid) == 0  # part of it paid: still nothing (points on full payment)
    kehu("purchase", "pay", cid, pid, store=store_path)
    assert _points(store_path, cid) == 1000
    ledger = kehu("points", cid, "--json", store=store_path).json()["ledger"]
    assert [(e["reason"], e["date"], e["ref"]) for e in ledger] == [("purchase", TODAY.isoformat(), pid)]
    paid_now = _sale(store_path, cid, "--paid", date=TODAY.isoformat())
    assert _points(store_path, cid) == 2000 and paid_now


def test_points_on_sale_is_the_default_and_earn_on_is_validated(store_path: Path) -> None:
    cid = _customer(store_path)
    _sale(store_path, cid)
    assert _points(store_path, cid) == 1000  # earn_on: sale (the default): on credit too
    _configure(store_path, "  points: {earn_on: later}\n")
    result = kehu("points", cid, store=store_path)
    assert result.code == 1
    assert "kehu.yaml:8:" in result.err and "earn_on" in result.err


def test_default_paid_from_kehu_yaml_and_the_flags_override_it(store_path: Path) -> None:
    _configure(store_path, "purchases: {default_paid: true}\n")
    cid = _customer(store_path)
    paid = kehu("purchase", "add", cid, "--amount", "300", store=store_path)
    assert "recorded paid" in paid.err and _purchase(store_path, cid, paid.out.split()[-1])["paid"] is True
    credit = kehu("purchase", "add", cid, "--amount", "300", "--credit", store=store_path)
    assert "recorded unpaid (on credit), due 2026-12-20" in credit.err
    unpaid = kehu("purchase", "add", cid, "--amount", "300", "--unpaid", "--due", "2026-12-31", store=store_path)
    assert "due 2026-12-31" in unpaid.err
    assert _receivable(store_path) == 600.0


def test_bad_purchases_section_names_its_line(store_path: Path) -> None:
    _configure(store_path, "purchases:\n  default_paid: maybe\n")
    result = kehu("customer", "list", store=store_path)
    assert result.code == 1
    assert "kehu.yaml:9: purchases.default_paid" in result.err


def test_void_reverses_points_and_receivables_and_stays_in_history(store_path: Path) -> None:
    cid = _customer(store_path)
    kept = _sale(store_path, cid, "--paid", date="2026-10-01")
    pid = _sale(store_path, cid, "--due", "2026-11-10")
    assert _points(store_path, cid) == 2000 and _receivable(store_path) == 1000.0
    assert _overdue_keys(store_path) == [f"overdue:{cid}:{pid}"]

    result = kehu("purchase", "void", cid, pid, "--reason", "录错了", store=store_path)
    assert result.code == 0, result.err
    assert _points(store_path, cid) == 1000
    ledger = kehu("points", cid, "--json", store=store_path).json()["ledger"]
    assert {"reason": "void", "delta": -1000, "ref": pid}.items() <= ledger[-1].items()
    assert _receivable(store_path) == 0.0
    assert _overdue_keys(store_path) == []
    # kept in the history, marked
    shown = _purchase(store_path, cid, pid)
    assert shown["voided"] == {"date": TODAY.isoformat(), "reason": "录错了", "by": "王芳"}
    text = kehu("customer", "show", cid, store=store_path).out
    assert "voided 2026-11-20 (录错了)" in text
    assert _purchase(store_path, cid, kept).get("voided") is None

    twice = kehu("purchase", "void", cid, pid, store=store_path)
    assert twice.code == 1 and "already voided" in twice.err
    pay = kehu("purchase", "pay", cid, pid, store=store_path)
    assert pay.code == 1 and "cannot be paid" in pay.err
    assert kehu("check", store=store_path).code == 0


def test_void_leaves_revenue_and_reports(store_path: Path) -> None:
    cid = _customer(store_path)
    _sale(store_path, cid, "--paid", date="2026-10-01")
    pid = _sale(store_path, cid, "--paid", date="2026-11-01")
    before = kehu("report", "revenue", "--json", store=store_path).json()["months"]
    assert sum(m["revenue"] for m in before) == 2000
    kehu("purchase", "void", cid, pid, store=store_path)
    after = kehu("report", "revenue", "--json", store=store_path).json()["months"]
    assert sum(m["revenue"] for m in after) == 1000
    assert sum(m["purchases"] for m in after) == 1
    products = kehu("report", "products", "--json", store=store_path).json()
    assert products["revenue"] == 1000.0
    assert [(p["name"], p["orders"]) for p in products["products"]] == [("龙井茶礼盒", 1)]


def test_check_finds_points_of_a_deleted_purchase(store_path: Path) -> None:
    cid = _customer(store_path)
    pid = _sale(store_path, cid, "--paid")
    store = open_store(store_path)
    store.interaction_file(cid, pid).unlink()
    result = kehu("check", store=store_path)
    assert result.code == 1
    ledger = store.ledger_file(cid, "points")
    line = ledger.read_text(encoding="utf-8").splitlines().index(
        next(ln for ln in ledger.read_text(encoding="utf-8").splitlines() if pid in ln)) + 1
    assert f"{ledger}:{line}: `reason: purchase` (+1000) refers to {pid}" in result.out + result.err


def test_future_dates_refused_unless_allowed(store_path: Path) -> None:
    cid = _customer(store_path)
    folder = open_store(store_path).interactions_dir(cid)
    result = kehu("purchase", "add", cid, "--amount", "100", "--date", "2027-11-20", store=store_path)
    assert result.code == 1 and "2027-11-20 is after today (2026-11-20)" in result.err
    assert not folder.exists() or not list(folder.iterdir())
    assert _points(store_path, cid) == 0
    visit = kehu("interaction", "add", cid, "--kind", "visit", "--date", "2026-12-01", "--text", "x",
                 store=store_path)
    assert visit.code == 1 and "after today" in visit.err
    allowed = kehu("purchase", "add", cid, "--amount", "100", "--date", "2027-11-20", "--paid",
                   "--allow-future", store=store_path)
    assert allowed.code == 0, allowed.err
    assert _purchase(store_path, cid, allowed.out.split()[-1])["date"] == "2027-11-20"


def test_import_refuses_future_purchases_unless_allowed(store_path: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "sales.csv"
    sheet.write_text("交易日期,真实姓名,联系电话,购买商品,成交金额\n"
                     "2026/11/1,周杰,13800138000,碧螺春 250g,420.00\n"
                     "2027/11/1,吴刚,13800138001,碧螺春 250g,420.00\n", encoding="utf-8")
    result = kehu("import", str(sheet), "--json", store=store_path)
    assert result.code == 1 and "2027-11-01 is after today" in result.err
    assert [c["name"] for c in kehu("customer", "list", "--json", store=store_path).json()] == ["周杰"]
    allowed = kehu("import", str(sheet), "--allow-future", "--json", store=store_path)
    assert allowed.code == 0, allowed.err
    assert sorted(c["name"] for c in kehu("customer", "list", "--json", store=store_path).json()) == ["吴刚", "周杰"]


# --- the TUI ------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("default_paid", [True, False])
async def test_tui_purchase_form_takes_the_default_from_kehu_yaml(store_path: Path, default_paid: bool) -> None:
    from kehu_tui.screens.interaction import AddInteractionScreen
    from kehu_tui.widgets.forms.field import FormField

    from .test_tui import SIZE, make_app, open_purchase_form, text_of, wait_for

    _configure(store_path, f"purchases: {{default_paid: {str(default_paid).lower()}}}\n")
    cid = _customer(store_path)
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_purchase_form(pilot)
        form = app.screen
        assert (form.query_one("#row-paid", FormField).value == "yes") is default_paid
        said = text_of(form.query_one("#paid-default"))
        assert ("new purchases are paid" if default_paid else "new purchases are on credit") in said
        await pilot.press(*"龙井", "tab", "1", "tab", *"500", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, AddInteractionScreen), "saved")
    cli = kehu("purchase", "add", cid, "--amount", "500", store=store_path)
    purchases = kehu("customer", "show", cid, "--json", store=store_path).json()["purchases"]
    assert [p["paid"] for p in purchases] == [default_paid, default_paid]  # the TUI as the CLI
    assert ("recorded paid" in cli.err) is default_paid
    if not default_paid:
        assert all(p["due"] == "2026-12-20" for p in purchases)


@pytest.mark.asyncio
async def test_tui_refuses_a_future_date_on_the_date_field(store_path: Path) -> None:
    from kehu_tui.widgets.forms.field import FormField

    from .test_tui import SIZE, make_app, open_purchase_form

    cid = _customer(store_path)
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_purchase_form(pilot)
        form = app.screen
        form.query_one("#row-date", FormField).value = "2027-11-20"
        form.query_one("#field-item").focus()
        await pilot.press(*"龙井", "tab", "1", "tab", *"500", "enter")
        await pilot.pause()
        assert app.screen is form
        assert "after today" in form.query_one("#row-date", FormField).error
    assert kehu("customer", "show", cid, "--json", store=store_path).json()["purchases"] == []


@pytest.mark.asyncio
async def test_tui_pays_the_selected_purchase_partly_then_fully(store_path: Path) -> None:
    from kehu_tui.screens.customer import CustomerScreen
    from kehu_tui.screens.pay import PayScreen
    from kehu_tui.widgets.customer.timeline import Timeline

    from .test_tui import SIZE, make_app, open_zhao_min, text_of, wait_for

    cid = _customer(store_path)
    pid = _sale(store_path, cid)
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_zhao_min(pilot)
        screen = app.screen
        timeline = screen.query_one(Timeline)
        assert "unpaid" in str(timeline.get_row_at(0))
        await pilot.press("dollar_sign")
        await wait_for(pilot, lambda: isinstance(app.screen, PayScreen), "the pay dialog")
        assert "owed ¥1000.00" in text_of(app.screen.query_one("#pay-owed"))
        await pilot.press(*"1200", "enter")  # more than owed: refused, the dialog stays
        await pilot.pause()
        assert isinstance(app.screen, PayScreen)
        assert "more than the ¥1000.00 owed" in text_of(app.screen.query_one("#pay-error"))
        app.screen.query_one("#pay-amount").value = "400"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "paid")
        await wait_for(pilot, lambda: "owes ¥600.00" in str(timeline.get_row_at(0)), "the new state")
        assert _receivable(store_path) == 600.0  # the CLI sees it at once
        await pilot.press("dollar_sign")
        await wait_for(pilot, lambda: isinstance(app.screen, PayScreen), "the pay dialog")
        await pilot.press("enter")  # empty: all that is owed
        await wait_for(pilot, lambda: isinstance(app.screen, CustomerScreen), "paid")
        await wait_for(pilot, lambda: "paid" in str(timeline.get_row_at(0)), "paid in full")
    shown = _purchase(store_path, cid, pid)
    assert shown["paid"] is True and [p["amount"] for p in shown["payments"]] == ["400.00", "600.00"]
    assert _receivable(store_path) == 0.0
