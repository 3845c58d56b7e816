"""Values that used to pass one door and not another (issue 16, kind 3): one set of rules, the
models of kehu_core/models/, for the CLI, a hand edit (``kehu check``), imports and plugins.
Each refusal is a message with exit 1, the store left as it was; a bad value already in a file
is reported by ``kehu check`` at its line and does not take other commands down."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kehu_core.ids import shard

from .conftest import Result, kehu
from .test_hostile import tree_hash


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    path = tmp_path_factory.mktemp("values") / "base"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "李雷", "--phone", "13800138000", store=path).out.strip()
    other = kehu("customer", "add", "--name", "韩梅梅", store=path).out.strip()
    assert kehu("purchase", "add", cid, "--amount", "300", "--date", "2026-11-01", "--paid", store=path).code == 0
    shutil.rmtree(path / ".kehu", ignore_errors=True)
    return path, cid, other


@pytest.fixture
def store(base: tuple[Path, str, str], tmp_path: Path) -> tuple[Path, str, str]:
    path = tmp_path / "store"
    shutil.copytree(base[0], path)
    return path, base[1], base[2]


def no_traceback(result: object) -> None:
    text = result.out + result.err  # type: ignore[attr-defined]
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]


REFUSED = [
    (["purchase", "add", "{id}", "--item", "茶", "--price", "1", "--qty", "1e309"],
     "items.0.qty: Decimal input should have no more than 12 digits"),
    (["purchase", "add", "{id}", "--item", "茶", "--price", "1", "--qty", "inf"], "finite number"),
    (["purchase", "add", "{id}", "--item", "茶", "--price", "1", "--qty", "nan"], "finite number"),
    (["purchase", "add", "{id}", "--item", "茶", "--price", "1", "--qty", "-2"], "qty must be more than 0"),
    (["purchase", "add", "{id}", "--amount", "5", "--date", "9999-12-31", "--allow-future"],
     "9999-12-31 is outside the dates kehu keeps (1900-01-01 to 2199-12-31)"),
    (["purchase", "add", "{id}", "--amount", "5", "--date", "0001-01-01"], "outside the dates kehu keeps"),
    (["interaction", "add", "{id}", "--kind", "visit", "--date", "1899-12-31", "--text", "x"],
     "outside the dates kehu keeps"),
    (["--today", "9999-12-31", "customer", "list"], "outside the dates kehu keeps"),
    (["customer", "set", "{id}", "conflicts=garbage"], "conflicts: expected the list a git merge leaves"),
    (["customer", "set", "{id}", "import_extra=garbage"], "import_extra: expected a mapping"),
    (["customer", "set", "{id}", "created=9999-12-31"], "outside the dates kehu keeps"),
    (["customer", "add", "--name", "x", "--id", "abc\n"], "invalid customer id 'abc\\n'"),
    (["customer", "add", "--name", "x", "--id", "ab\x07c"], "invalid customer id"),
    (["customer", "add", "--name", "x", "--id", "abc\r"], "invalid customer id"),
    (["customer", "add", "--name", "x", "--birthday", "1990-01-01\nx"], "expected YYYY-MM-DD"),
    (["customer", "show", "{id}\n"], "invalid customer id"),
]


@pytest.mark.parametrize("argv", [a for a, _ in REFUSED], ids=[repr(" ".join(a))[:70] for a, _ in REFUSED])
def test_a_bad_value_is_refused_in_every_door_with_a_message(argv: list[str], store: tuple[Path, str, str]) -> None:
    path, cid, _ = store
    message = dict((tuple(a), m) for a, m in REFUSED)[tuple(argv)]
    before = tree_hash(path)
    result = kehu(*[a.replace("{id}", cid) for a in argv], store=path)
    no_traceback(result)
    assert result.code in (1, 2), result
    assert message in result.err, result.err
    assert tree_hash(path) == before
    assert not any("\n" in p.name or "\r" in p.name for p in path.rglob("*"))


def _purchase_file(path: Path, cid: str) -> Path:
    return next((path / "customers" / shard(cid) / cid / "interactions").glob("*.yaml"))


@pytest.mark.parametrize(("edit", "line", "message"), [
    (("amount: 300.00", "amount: -300.00"), 3, "amount: Input should be greater than or equal to 0"),
    (("date: 2026-11-01", "date: 9999-12-31"), 2, "date: 9999-12-31 is outside the dates kehu keeps"),
    # a payment before the sale (`purchase pay` refuses one): passed check, counted by the
    # reports in a period before the sale was made
    (("paid: true", "paid: false\npayments:\n- {date: 2026-10-01, amount: 100.00}"), 5,
     "payments: a payment dated 2026-10-01 is before the purchase (2026-11-01)"),
    # more paid than the amount (`purchase pay` refuses more than is owed): passed check, and
    # the receivables report listed the sale at -100.00
    (("paid: true", "paid: false\npayments:\n- {date: 2026-11-02, amount: 200.00}\n"
                    "- {date: 2026-11-03, amount: 200.00}"), 5,
     "payments: the payments add up to 400.00, more than the purchase's amount 300.00"),
    # settled by payments short of the amount (`purchase pay` marks paid only the payment that
    # leaves nothing owed): receivables said nothing owed, the aging as of a day the rest
    (("paid: true", "paid: true\npayments:\n- {date: 2026-11-02, amount: 100.00}"), 5,
     "payments: paid: true, but the payments add up to 100.00, less than the purchase's amount 300.00"),
])
def test_a_hand_edited_value_the_cli_refuses_is_found_by_check(
        edit: tuple[str, str], line: int, message: str, store: tuple[Path, str, str]) -> None:
    path, cid, other = store
    record = _purchase_file(path, cid)
    record.write_text(record.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    before = tree_hash(path)
    check = kehu("check", store=path)
    no_traceback(check)
    assert check.code == 1
    assert f"{record}:{line}: {message}" in check.out + check.err
    # the points and reminders plugins go on for everyone else, on every later command
    for argv in (["reminders"], ["customer", "list"], ["customer", "show", other], ["points", "show", other]):
        result = kehu(*argv, store=path)
        no_traceback(result)
        assert result.code == 0, (argv, result.err)
    assert tree_hash(path) == before


@pytest.mark.parametrize(("line", "message"), [
    ("- {date: 2026-11-02, reason: redeem, delta: lots}", "delta: Input should be a valid integer"),
    ("- {date: 2026-13-40, reason: adjust, delta: 5}", "date: Input should be a valid date"),
    ("- {date: 9999-12-31, reason: adjust, delta: 5}", "date: 9999-12-31 is outside the dates kehu keeps"),
    ("- {reason: adjust, delta: 5}", "date: Field required"),
    ("- {date: 2026-11-02, reason: adjust, delta: 5, expires: soon}", "expires: Input should be a valid date"),
])
def test_an_invalid_ledger_line_is_reported_by_check_and_points(line: str, message: str,
                                                                 store: tuple[Path, str, str]) -> None:
    path, cid, other = store
    ledger = path / "customers" / shard(cid) / cid / "points.ledger.yaml"
    ledger.write_text(ledger.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    at = len(ledger.read_text(encoding="utf-8").splitlines())
    before = tree_hash(path)
    check = kehu("check", store=path)
    no_traceback(check)
    assert check.code == 1 and f"{ledger}:{at}: {message}" in check.out + check.err, check.out + check.err
    points = kehu("points", "show", cid, store=path)
    no_traceback(points)
    assert points.code == 1 and f"{ledger}:{at}: " in points.err
    assert kehu("points", "show", other, store=path).code == 0
    assert tree_hash(path) == before


def test_a_hand_edited_snooze_past_the_dates_kehu_keeps_is_found_by_check(store: tuple[Path, str, str]) -> None:
    """``kehu reminders snooze --until 9999-12-31`` is refused; the same line written by hand
    passed ``kehu check`` (``until`` was any date), hiding the reminder for ever."""
    path, cid, _ = store
    key = f"birthday:{cid}:2026-12-03"
    refused = kehu("reminders", "snooze", key, "--until", "9999-12-31", store=path)
    assert refused.code == 2 and "outside the dates kehu keeps" in refused.err
    ledger = path / "customers" / shard(cid) / cid / "reminders.ledger.yaml"
    ledger.write_text(f"- {{id: abcdefghij, date: 2026-11-20, key: '{key}', action: snooze, until: 9999-12-31}}\n",
                      encoding="utf-8")
    check = kehu("check", store=path)
    no_traceback(check)
    assert check.code == 1
    assert f"{ledger}:1: until: 9999-12-31 is outside the dates kehu keeps" in check.out + check.err



@pytest.mark.parametrize(("entry", "message"), [
    ("key: '{key}', action: explode", "action: expected done or snooze, not 'explode'"),
    ("key: [1, 2], action: done", "key: expected the reminder's key"),
    ("key: '{key}', action: snooze", "until: a snooze needs the day it ends"),
])
def test_a_hand_edited_reminders_line_no_command_writes_is_found_by_check(
        entry: str, message: str, store: tuple[Path, str, str]) -> None:
    """``reminders done`` and ``snooze`` write a key and ``action: done`` or ``snooze`` (with its
    ``until``); a hand-edited line of anything else passed ``kehu check`` and was ignored."""
    path, cid, _ = store
    ledger = path / "customers" / shard(cid) / cid / "reminders.ledger.yaml"
    line = "- {id: abcdefghij, date: 2026-11-20, " + entry.format(key=f"birthday:{cid}:2026-12-03") + "}\n"
    ledger.write_text(line, encoding="utf-8")
    check = kehu("check", store=path)
    no_traceback(check)
    assert check.code == 1 and f"{ledger}:1: {message}" in check.out + check.err, check.out + check.err


# --- a profile field named as a value kehu computes ------------------------------------------------

COMPUTED = [("tier", "金卡", "tier_override"), ("tier_rank", "99", "tier_override"),
            ("points", "100", "kehu points redeem"), ("next_reminder", "明天", "kehu reminders")]


@pytest.mark.parametrize(("field", "value", "instead"), COMPUTED, ids=[c[0] for c in COMPUTED])
def test_a_field_named_as_a_computed_value_is_refused_by_set(field: str, value: str, instead: str,
                                                              store: tuple[Path, str, str]) -> None:
    """``customer set ID tier=金卡`` used to be stored and never shown (show gave the computed
    tier, an export the stored text): refused, naming what to do instead."""
    path, cid, _ = store
    before = tree_hash(path)
    result = kehu("customer", "set", cid, f"{field}={value}", store=path)
    no_traceback(result)
    assert result.code == 1, result
    assert f"{field}: kehu computes this value" in result.err and instead in result.err, result.err
    assert tree_hash(path) == before


@pytest.mark.parametrize(("field", "value", "instead"), COMPUTED, ids=[c[0] for c in COMPUTED])
def test_a_hand_edited_field_named_as_a_computed_value_is_found_by_check(
        field: str, value: str, instead: str, store: tuple[Path, str, str]) -> None:
    path, cid, other = store
    profile = path / "customers" / shard(cid) / cid / "customer.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + f"{field}: {value}\n", encoding="utf-8")
    at = len(profile.read_text(encoding="utf-8").splitlines())
    check = kehu("check", store=path)
    no_traceback(check)
    assert check.code == 1
    assert f"{profile}:{at}: {field}: kehu computes this value" in check.out + check.err, check.out + check.err
    # what show gives is the computed value, never the stored one
    shown = json.loads(kehu("customer", "show", cid, "--json", store=path).out)
    assert str(shown.get(field)) != value
    # an unrelated edit of that customer still goes through (the problem stays for check), and
    # the field is removed as the message says
    assert kehu("customer", "set", cid, "title=店长", store=path).code == 0
    assert kehu("customer", "set", cid, f"{field}=", store=path).code == 0
    assert kehu("check", store=path).code == 0


# --- referral loops: A referred by B, B by A (or longer) ------------------------------------------


def _chain(path: Path, *names: str) -> list[str]:
    """New customers, each referred by the one before."""
    ids: list[str] = []
    for name in names:
        extra = ["--referrer", ids[-1]] if ids else []
        ids.append(kehu("customer", "add", "--name", name, *extra, store=path).out.strip())
    return ids


@pytest.mark.parametrize("length", [2, 3])
def test_a_referral_loop_is_refused_by_customer_set(length: int, store: tuple[Path, str, str]) -> None:
    """Accepted before: the referrals report drew one of them as the root of the others."""
    path = store[0]
    ids = _chain(path, *["甲", "乙", "丙"][:length])
    before = tree_hash(path)
    result = kehu("customer", "set", ids[0], f"referrer={ids[-1]}", store=path)
    assert result.code == 1, result.out
    loop = " → ".join([ids[0], *reversed(ids)])
    assert f"referrer {ids[-1]!r}: a loop of referrals ({loop})" in result.err, result.err
    no_traceback(result)
    assert tree_hash(path) == before


def test_the_customer_form_refuses_a_referral_loop(store: tuple[Path, str, str]) -> None:
    from kehu_tui.widgets.forms.customer_form import field_errors

    from kehu_core.store import Store

    path = store[0]
    a, b = _chain(path, "甲", "乙")
    opened = Store.open(path)
    errors = field_errors(opened, opened.get(a), {"referrer": b})
    assert "a loop of referrals" in errors["referrer"], errors


def test_an_import_of_rows_naming_each_other_keeps_every_customer_without_the_bad_referrer(
        store: tuple[Path, str, str], tmp_path: Path) -> None:
    """Both rows were written with exit 0 and a loop (a batch did not check referrers at all:
    a referrer naming nobody was written too). Now no loop and no dangling referrer is
    written, and no customer is lost for it: the row that closes the loop and the one naming
    nobody are imported without their referrer, kept under import_extra, and said so."""
    path, cid = store[0], store[1]
    sheet = tmp_path / "referrals.csv"
    sheet.write_text(f"id,name,referrer\nca1,甲,cb1\ncb1,乙,ca1\ncc1,丙,nobody\ncd1,丁,{cid}\n", encoding="utf-8")
    result = kehu("import", str(sheet), store=path)
    assert result.code == 0, result.err
    assert f"{sheet}:2: referrer 'cb1': a loop of referrals (ca1 → cb1 → ca1)" in result.err, result.err
    assert f"{sheet}:4: referrer 'nobody': no such customer" in result.err
    no_traceback(result)
    shown = {c["name"]: c for c in json.loads(kehu("customer", "list", "--json", store=path).out)}
    assert {"甲", "乙", "丙", "丁"} <= set(shown)
    assert shown["甲"].get("referrer") is None and shown["甲"]["import_extra"]["referrer"] == "cb1"
    assert shown["乙"]["referrer"] == "ca1" and shown["丁"]["referrer"] == cid
    assert shown["丙"].get("referrer") is None and shown["丙"]["import_extra"]["referrer"] == "nobody"
    assert kehu("check", store=path).code == 0  # no loop, no dangling referrer


def test_check_names_every_customer_of_a_hand_made_loop_and_reports_end(store: tuple[Path, str, str]) -> None:
    path = store[0]
    a, b, c = _chain(path, "甲", "乙", "丙")
    profile = path / "customers" / shard(a) / a / "customer.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + f"referrer: {c}\n", encoding="utf-8")
    result = kehu("check", store=path)
    assert result.code == 1
    line = len(profile.read_text(encoding="utf-8").splitlines())
    assert f"{profile}:{line}: referrer {c!r}: a loop of referrals ({a} → {c} → {b} → {a})" in result.out
    for cid in (b, c):
        assert f"{path / 'customers' / shard(cid) / cid / 'customer.yaml'}:" in result.out
    report = kehu("report", "referrals", "--json", store=path)
    assert report.code == 0, report.err  # ends, and counts each referral once
    assert json.loads(report.out)["referred"] == 3


# --- a listing never drops a customer unseen ------------------------------------------------------


@pytest.mark.parametrize("argv", [["customer", "list"], ["customer", "list", "--json"],
                                  ["customer", "list", "--sort", "owner"], ["customer", "list", "--tag", "VIP"]])
def test_customer_list_says_how_many_customers_it_cannot_list(argv: list[str], store: tuple[Path, str, str]) -> None:
    """A profile `check` and `show` report (a whole number of 19 digits, a phone too short) was
    left out of `customer list` and its JSON without a word; now stderr says how many, and where
    to look, from the index alone and from the store (every list but JSON goes on as it was)."""
    path, cid, other = store
    third = kehu("customer", "add", "--name", "王五", store=path).out.strip()
    for broken, line in ((cid, "big: 1234567890123456789\n"), (third, "phones: ['12']\n")):
        profile = path / "customers" / shard(broken) / broken / "customer.yaml"
        profile.write_text(profile.read_text(encoding="utf-8") + line, encoding="utf-8")
    before = tree_hash(path)
    for _ in ("the index built now", "the index kept from the run before"):
        listed = kehu(*argv, store=path)
        no_traceback(listed)
        assert listed.code == 0, listed.err
        assert "kehu: 2 customers are not listed: their customer.yaml has a problem (`kehu check` shows each)" \
            in listed.err, listed.err
        if "--json" in argv:
            assert [c["id"] for c in json.loads(listed.out)] == [other]  # stdout: JSON only
        elif "--tag" not in argv:
            assert other in listed.out and cid not in listed.out and third not in listed.out
    assert tree_hash(path) == before
    check = kehu("check", store=path)
    assert check.code == 1 and "2 problems" in check.err
    for broken in (cid, third):  # all is said once mended
        profile = path / "customers" / shard(broken) / broken / "customer.yaml"
        profile.write_text("".join(profile.read_text(encoding="utf-8").splitlines(True)[:-1]), encoding="utf-8")
    assert "not listed" not in kehu(*argv, store=path).err


# --- `kehu edit`: the editor's copy is held to what every other door holds --------------------


def edit_refused(path: Path, cid: str, editor: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    """``kehu edit CID`` with an $EDITOR that runs the Python ``editor`` (``sys.argv[1]``: the
    copy to edit), "open the editor again?" answered no: refused, exit 1, no traceback."""
    import sys

    script = tmp_path / "editor.py"
    script.write_text(editor, encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    result = kehu("edit", cid, store=path, input="n\n")
    no_traceback(result)
    assert result.code == 1, result
    return result


EDITS = [("tier: 金卡", "tier: kehu computes this value"),
         ("points: 100", "points: kehu computes this value"),
         ("referrer: c1nobody00000", "referrer 'c1nobody00000': no such customer")]


@pytest.mark.parametrize(("line", "message"), EDITS, ids=["tier", "points", "referrer-nobody"])
def test_kehu_edit_refuses_what_customer_set_and_check_refuse(
        line: str, message: str, store: tuple[Path, str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An $EDITOR adding ``tier: 金卡`` or a referrer naming nobody was saved with exit 0, and
    then ``kehu check`` rejected the store (so ``kehu sync`` would not push): ``kehu edit``
    asked the file's own validation only, not the plugins' rules nor the referrer's."""
    path, cid, _ = store
    before = tree_hash(path)
    result = edit_refused(path, cid, "import sys\nwith open(sys.argv[1], 'a', encoding='utf-8') as f:\n"
                          f"    f.write({line + chr(10)!r})\n", tmp_path, monkeypatch)
    profile = f"customers/{shard(cid)}/{cid}/customer.yaml"
    at = len((path / profile).read_text(encoding="utf-8").splitlines()) + 1
    assert f"{profile}:{at}: {message}" in result.err, result.err
    assert tree_hash(path) == before
    assert kehu("check", store=path).code == 0


def test_kehu_edit_refuses_a_referral_loop(store: tuple[Path, str, str], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = store[0]
    a, b = _chain(path, "甲", "乙")  # b was referred by a
    before = tree_hash(path)
    result = edit_refused(path, a, "import sys\nwith open(sys.argv[1], 'a', encoding='utf-8') as f:\n"
                          f"    f.write('referrer: {b}\\n')\n", tmp_path, monkeypatch)
    assert "a loop of referrals" in result.err, result
    assert tree_hash(path) == before


# --- money to the fen at every door: `purchase pay` (CLI, TUI), an import's amount -------------------


def _owed_sale(path: Path, cid: str) -> str:
    result = kehu("purchase", "add", cid, "--item", "茶", "--amount", "100", "--date", "2026-11-01",
                  store=path)
    assert result.code == 0, result.err
    return result.out.strip().splitlines()[-1]


@pytest.mark.parametrize("amount", ["100.005", "0.001", "33.333"])
def test_a_payment_of_a_fraction_of_a_fen_is_refused_as_a_sale_of_one_is(
        amount: str, store: tuple[Path, str, str]) -> None:
    """``purchase add --amount 0.005`` was refused while ``purchase pay --amount 100.005`` was
    rounded to ¥100.00 and stored, settling the sale."""
    path, cid, _ = store
    assert kehu("purchase", "add", cid, "--amount", amount, "--date", "2026-11-01", store=path).code == 1
    pid = _owed_sale(path, cid)
    before = tree_hash(path)
    result = kehu("purchase", "pay", cid, pid, "--amount", amount, store=path)
    no_traceback(result)
    assert result.code == 1, result
    assert f"a payment of ¥{amount}: kehu keeps amounts to the fen" in result.err, result.err
    assert tree_hash(path) == before


def test_an_imported_amount_of_a_fraction_of_a_fen_is_refused_at_its_line(
        store: tuple[Path, str, str], tmp_path: Path) -> None:
    """An import rounded ``10.005`` to ¥10.00 that ``purchase add`` refuses; a spreadsheet's
    binary noise (0.1 + 0.2 kept as 0.30000000000000004) is still the fen it means."""
    from kehu_core.services.importing.values import parse_amount

    path = store[0]
    sheet = tmp_path / "sales.csv"
    sheet.write_text("name,phone,date,item,amount\n李雷,13800138000,2026-11-02,茶,10.005\n", encoding="utf-8")
    before = tree_hash(path)
    result = kehu("import", str(sheet), store=path)
    no_traceback(result)
    assert result.code == 1
    assert f"{sheet}:2: column E (amount): amount '10.005': kehu keeps amounts to the fen" in result.out + result.err
    assert tree_hash(path) == before
    assert str(parse_amount(0.1 + 0.2)) == "0.30"


@pytest.mark.asyncio
@pytest.mark.parametrize("typed", ["nan", "inf", "1e9999", "100.005"])
async def test_the_tuis_payment_form_refuses_what_is_no_amount_and_goes_on(
        typed: str, store_path: Path) -> None:
    """``nan``, ``inf`` or ``1e9999`` typed as a payment ended the TUI with a decimal traceback
    (InvalidOperation); ``100.005`` was rounded and stored."""
    from kehu_tui.screens.pay import PayScreen

    from .test_tui import SIZE, make_app, open_pay_dialog, text_of, wait_for

    cid = kehu("customer", "add", "--name", "赵敏", store=store_path).out.strip()
    _owed_sale(store_path, cid)
    before = tree_hash(store_path)
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_pay_dialog(pilot)
        await pilot.press(*typed, "enter")
        await wait_for(pilot, lambda: text_of(app.screen.query_one("#pay-error")), "the error")
        assert isinstance(app.screen, PayScreen)
        error = text_of(app.screen.query_one("#pay-error"))
        assert "finite number" in error or "digits before the point" in error or "to the fen" in error, error
    assert tree_hash(store_path) == before


# --- a refused step appended to a record (a complaint's, a payment, a void) is a message -------------


STEPS = [(["complaint", "ack", "{id}", "{complaint}", "--text", "好\x1b[2J"], "--text"),
         (["complaint", "resolve", "{id}", "{complaint}", "--text", "好\x07"], "--text"),  # ack + resolve
         (["complaint", "ack", "{id}", "{complaint}", "--by", "\x1b]0;x\x07"], "--by"),
         (["purchase", "pay", "{id}", "{purchase}", "--by", "王\x1bx"], "--by"),
         (["purchase", "void", "{id}", "{purchase}", "--reason", "退\x1bx"], "--reason")]


@pytest.mark.parametrize(("argv", "field"), STEPS, ids=["ack-text", "resolve-text", "ack-by", "pay-by", "void-reason"])
def test_a_step_refused_for_its_text_is_a_message_at_its_line(
        argv: list[str], field: str, store: tuple[Path, str, str]) -> None:
    """A control character in a complaint step's text, a payment's ``--by`` or a void's reason
    is refused by the models' rule; the step appended in memory has no line yet, and finding
    one ended ``kehu complaint ack`` (and pay, void) in "internal error: KeyError". The value is
    the user's argument, and is named as it (test_hostile_eleventh_left), not at a line of the file."""
    path, cid, _ = store
    complaint = kehu("interaction", "add", cid, "--kind", "complaint", "--date", "2026-11-20",
                     "--text", "茶叶受潮", store=path).out.strip()
    purchase = _owed_sale(path, cid)
    before = tree_hash(path)
    args = [a.format(id=cid, complaint=complaint, purchase=purchase) for a in argv]
    result = kehu(*args, store=path)
    no_traceback(result)
    assert result.code == 1, result
    assert result.err.startswith(f"kehu: {field}: holds the control character"), result.err
    assert tree_hash(path) == before
