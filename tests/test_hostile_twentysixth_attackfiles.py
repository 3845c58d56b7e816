"""The twenty-sixth round's attacks of kinds 1-4 (issue 16) that the last round found and did not
fix: each test failed before its fix, with the message or the write the test names."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl

from .conftest import kehu
from .test_hostile_twentyfifth_attackfiles import Unreadable, _tree
from .test_hostile_twentyfourth_linkwrite import a_top_folder


@pytest.fixture
def unreadable() -> Iterator[Unreadable]:
    with a_top_folder("kehu-attackfiles26-") as top:
        yield Unreadable(top)


# --- kind 1: an unreadable folder or file a report reads ---------------------------------------

_DENIED = "cannot read: permission denied (check the file's owner and mode)"


@pytest.mark.parametrize("which", ["visits", "visits/王芳", "plan", ".kehu/journal", "entry"])
def test_an_unreadable_folder_or_file_a_report_reads_is_named_as_check_names_it(
        unreadable: Unreadable, which: str) -> None:
    """`kehu report reps` with `visits/` or `.kehu/journal` unreadable said the system's bare
    "…: Permission denied"; an unreadable journal entry was "not a journal entry kehu wrote …;
    remove it" (the user told to delete their undo history); and a rep's folder that could not
    be entered was no plans at all: the rep's planned visits counted 0 with exit 0."""
    store = unreadable.store
    assert kehu("visits", "plan", "--owner", "王芳", "--date", "2026-11-20", "--add", unreadable.cid,
                store=store).code == 0
    target = {"visits": store / "visits", "visits/王芳": store / "visits" / "王芳",
              "plan": store / "visits" / "王芳" / "2026-11-20.yaml", ".kehu/journal": store / ".kehu" / "journal",
              "entry": next((store / ".kehu" / "journal").glob("*.json"))}[which]
    before = _tree(store)
    os.chmod(target, 0)
    said = unreadable.kehu("report", "reps")
    text = said.stdout + said.stderr
    assert said.returncode == 1, text
    assert "Traceback" not in text and "remove it" not in text, text
    assert f"{target}:1: {_DENIED}" in said.stderr, text
    assert _tree(store) == before


# --- kind 4: a `kehu serve` killed while it writes a sync state ------------------------------

#: `kehu serve`, killed (SIGKILL: the OOM killer, a shutdown) as it puts a sync state it wrote
#: in its place, when KILL_AT_SYNC is set
_KILLED_SERVE = '''
import os, signal, sys
_replace = os.replace


def replace(src, dst, *args, **kw):
    if os.environ.get("KILL_AT_SYNC") and os.sep.join(["serve", "sync"]) in os.fspath(dst):
        os.kill(os.getpid(), signal.SIGKILL)
    return _replace(src, dst, *args, **kw)


os.replace = replace
sys.argv[0] = "kehu"
from kehu_core.__main__ import main
main()
'''


def test_a_serve_killed_while_it_writes_a_sync_state_leaves_nothing_once_it_runs_again(
        tmp_path: Path) -> None:
    """`kehu serve` killed (`kill -9`) while it wrote a phone's sync state left its temporary
    file in `.kehu/serve/sync/` for good, one more for each serve killed so. The next serve
    removes those of serves no longer running."""
    import requests

    from .test_serve import SYNC, free_port, make_store, password, wait_until_up

    root = tmp_path / "store"
    make_store(root)

    def serve(kill: bool) -> tuple[subprocess.Popen[str], str]:
        port = free_port()
        env = {**os.environ, "KEHU_TODAY": "2026-11-20", "LANGUAGE": "en", **({"KILL_AT_SYNC": "1"} if kill else {})}
        log = (tmp_path / "serve.log").open("w")
        process = subprocess.Popen([sys.executable, "-c", _KILLED_SERVE, "--store", str(root), "serve", "--port",
                                    str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}/"
        wait_until_up(url, process, tmp_path / "serve.log")
        return process, url

    def sync(url: str) -> requests.Response:
        return requests.request("REPORT", f"{url}boss/contacts/", data=SYNC.format(token="").encode(),
                                headers={"Depth": "1"}, auth=("boss", password("boss")), timeout=60)

    process, url = serve(kill=True)
    try:
        with contextlib.suppress(requests.RequestException):
            sync(url)
        assert process.wait(timeout=60) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    state = root / ".kehu" / "serve"
    assert [p for p in state.rglob("*") if p.name.endswith(".tmp")], "the kill left nothing to remove"
    process, url = serve(kill=False)
    try:
        assert sync(url).status_code == 207
        left = [str(p.relative_to(state)) for p in state.rglob("*") if p.name.endswith(".tmp")]
        assert left == [], left
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- kind 3/9: a plugin's figures of customers it was not asked for ----------------------------


class _Figures:
    """A plugin of figures scope whose ``customer_value_figures`` gives figures of customers it
    was not asked for besides those asked (asked for everyone: of no customer of the store)."""

    def __init__(self, how: str) -> None:
        self.how = how
        self.asked: list[int | None] = []

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        return {"rank": 1}

    @hookimpl
    def customer_value_figures(self, store: Any, customer_ids: list[str] | None) -> dict[str, Any]:
        self.asked.append(None if customer_ids is None else len(customer_ids))
        ids = store.index.ids() if customer_ids is None else customer_ids
        given: dict[str, Any] = dict.fromkeys(ids, "f")
        if self.how == "a stranger":
            given["c-stranger"] = "x"
        else:
            given.update(dict.fromkeys((f"c{n:08d}" for n in range(100_000)), "x"))
        return given


@pytest.mark.parametrize("how", ["a stranger", "every customer of another store"])
def test_figures_of_customers_not_asked_for_are_named_as_values_of_them_are(tmp_path: Path, how: str) -> None:
    """A plugin's `customer_value_figures` giving figures of customers it was not asked for —
    asked for some, or for everyone (`customer_ids` None: `customer list --sort` by its value)
    — was passed over without a word (100 000 of them held and looked through by every
    command), where `customer_values_many` giving values of such customers is named. Now the
    plugin is named as for `customer_values_many` ("…not asked for ('c…'); only the values of
    the customers asked are used") and the figures of the customers asked are used."""
    from kehu_core.testing import make_store, run_kehu

    plugin = _Figures(how)
    store = make_store(tmp_path / "store", plugins={"fig": plugin}, customers=[{"name": "甲"}, {"name": "乙"}])
    for args in (["customer", "list", "--json"], ["customer", "list", "--json", "--sort", "rank"]):
        (store.root / "kehu.yaml").touch()  # a change of the store: the figures are asked again
        listed = run_kehu(store, *args)
        assert listed.code == 0 and "internal error" not in listed.err, listed.err
        assert "plugin 'fig' failed in customer_value_figures: wrong result: returned values of" in listed.err, (
            args, listed.err)
        assert "not asked for ('c" in listed.err, listed.err
        assert [c.get("rank") for c in json.loads(listed.out)] == [1, 1], listed.out
    assert None in plugin.asked, plugin.asked  # asked for everyone too


# --- kind 3: amounts written as European Excel writes them ------------------------------------

_HEAD = ["交易日期", "真实姓名", "联系电话", "购买商品", "成交金额"]
_EUROPE = "is not an amount kehu reads: it is written as much of Europe writes one"


@pytest.mark.parametrize("sheet", ["csv", "xlsx"])
@pytest.mark.parametrize(("cell", "kept"), [
    ("12,50", None), ("1.234,56", None), ("1 234,50", None), ("12,5", None), ("1.234", "fen"),
    ("1.234.567", None), ("1,234.56", "1234.56"), ("1,234", "1234.00"), ("¥1,288.50", "1288.50"),
])
def test_an_amount_with_a_decimal_comma_is_never_stored_as_another(
        store_path: Path, tmp_path: Path, sheet: str, cell: str, kept: str | None) -> None:
    """A sheet's amount written as European Excel writes it — `12,50`, `1.234,56`, `1 234,50`,
    `1.234.567` — was refused as "expected a number like 1,288.00", saying nothing of the
    comma. The row is refused naming its row, its column, the value and the amount it may mean;
    thousands separated by commas (`1,234.56`, as China writes them) are read as written, never
    as another amount; one point before three digits (`1.234`) is refused as finer than the fen,
    as every door says of `100.005` (a slip of the fen far likelier in a shop than a thousand)."""
    from .test_hostile_fifteenth_fifteenthe import _workbook

    row = ["2026/11/2", "吴刚", "13800138001", "碧螺春", cell]
    if sheet == "csv":
        path = tmp_path / "sales.csv"
        path.write_text(",".join(_HEAD) + "\n" + ",".join(f'"{v}"' for v in row) + "\n", encoding="utf-8")
    else:
        path = _workbook(tmp_path, _HEAD, row)
    before = _tree(store_path)
    done = kehu("import", str(path), store=store_path)
    if kept == "fen":
        assert done.code == 1, done.out + done.err
        assert f"amount {cell!r}: kehu keeps amounts to the fen" in done.err, done.err
        assert _tree(store_path) == before
        return
    if kept is None:
        assert done.code == 1, done.out + done.err
        meant = cell.replace(" ", "").replace(".", "").replace(",", ".")
        where = "column E" if sheet == "csv" else "sheet 'Sheet' cell E2"
        assert f"{path}:2: {where} (成交金额): amount {cell!r} {_EUROPE}" in done.err, done.err
        assert f"if {meant} is meant, write {meant}" in done.err, done.err
        assert _tree(store_path) == before
        return
    assert done.code == 0, done.err
    cid = kehu("customer", "list", "--json", store=store_path).json()[0]["id"]
    shown = kehu("customer", "show", cid, "--json", store=store_path).json()
    assert [i["amount"] for i in shown["purchases"]] == [kept], shown


def test_a_payment_whose_amount_holds_a_space_is_never_a_smaller_one(store_path: Path, tmp_path: Path) -> None:
    """A sheet's payments cell `2026-11-20 1 234,50 王芳` (a French or Russian Excel's thousands)
    was stored as a payment of ¥1.00 taken by "234,50 王芳", exit 0. It is refused, naming it."""
    path = tmp_path / "sales.csv"
    path.write_text("交易日期,真实姓名,联系电话,购买商品,成交金额,付款记录,是否付款\n"
                    '2026/11/2,吴刚,13800138001,碧螺春,2000,"2026-11-20 1 234,50 王芳",否\n', encoding="utf-8")
    before = _tree(store_path)
    done = kehu("import", str(path), store=store_path)
    assert done.code == 1, done.out + done.err
    said = f"{path}:2: column F (付款记录): '2026-11-20 1 234,50 王芳': the amount is written with a space"
    assert said in done.err, done.err
    assert _tree(store_path) == before


# --- kind 1: the shop's own template in a folder that cannot be entered -----------------------


@pytest.mark.parametrize("template", ["birthday", "hi"])
def test_a_template_in_an_unreadable_templates_folder_is_never_passed_over(
        unreadable: Unreadable, template: str) -> None:
    """The shop's own `templates/birthday.j2` in a `templates/` made unreadable (`chmod 000`,
    another user's tool) was passed over for kehu's built-in birthday message, sent with exit
    0; a template of the shop's own name was "no template 'hi'", though it is there. The folder
    is named as `kehu check` names it, nothing is sent."""
    store = unreadable.store
    (store / "templates").mkdir(exist_ok=True)
    for name in ("birthday", "hi"):
        (store / "templates" / f"{name}.j2").write_text("Subject: 本店的祝福\n\n{{ name }}，本店送您一份礼物\n",
                                                         encoding="utf-8")
    assert "本店的祝福" in kehu("send", "--segment", "all", "--template", template, "--dry-run", store=store).out
    os.chmod(store / "templates", 0)
    sent = unreadable.kehu("send", "--segment", "all", "--template", template, "--dry-run")
    assert sent.returncode == 1, sent.stdout + sent.stderr
    assert f"{store / 'templates'}:1: {_DENIED}" in sent.stderr, sent.stderr
    assert "Subject" not in sent.stdout, sent.stdout


# --- kind 1: a clone whose .git cannot be read --------------------------------------------------


@pytest.mark.parametrize("command", ["sync", "report reps", "customer log", "handover"])
def test_a_clone_whose_git_folder_cannot_be_read_is_said_so(command: str) -> None:
    """A clone whose `.git` was made unreadable (`chmod 000`, a `sudo git` leaving it root's):
    `kehu sync` said the store "is not a git repository; `git init` it", `kehu handover` gave
    the customers away and committed nothing with exit 0, and `kehu report reps` and `customer
    log` left out every commit (the other clones' changes) without a word."""
    with a_top_folder("kehu-attackfiles26-git-") as top:
        store = top / "store"
        assert kehu("init", str(store)).code == 0
        cid = kehu("customer", "add", "--name", "李雷", "--owner", "王芳", store=store).out.strip()
        runner = Unreadable.__new__(Unreadable)
        runner.store = store
        args = {"sync": ["sync"], "report reps": ["report", "reps"], "customer log": ["customer", "log", cid],
                "handover": ["handover", "王芳", "李雷"]}[command]
        before = _tree(store)
        os.chmod(store / ".git", 0)
        said = runner.kehu(*args)
        text = said.stdout + said.stderr
        assert said.returncode == 1, text
        assert f"kehu: {store}: its .git folder cannot be read: permission denied" in said.stderr, text
        assert "git init" not in text and "Traceback" not in text, text
        assert _tree(store) == before


# --- kind 3: a rep no customer has, given to a report -------------------------------------------


@pytest.mark.parametrize("report", ["reps", "credit"])
def test_a_report_of_a_rep_no_customer_has_is_refused_as_a_handover_of_them(store_path: Path, report: str) -> None:
    """`kehu report reps --owner 王方` (a typo of 王芳) was a column of zeros, exit 0 — the
    supervisor read that the rep did nothing — and `report credit --owner 王方` an empty plan,
    where `kehu handover 王方 …` refuses the rep no customer has, naming the reps there are."""
    assert kehu("customer", "add", "--name", "李雷", "--owner", "王芳", store=store_path).code == 0
    said = kehu("report", report, "--owner", "王方", store=store_path)
    assert said.code == 1, said.out + said.err
    assert "unknown rep '王方': no customer has owner '王方'; reps in this store: 王芳 (1)" in said.err, said.err
    assert kehu("report", report, "--owner", "王芳", store=store_path).code == 0


# --- kind 3: a slip of the keyboard in the fields of a complete card ---------------------------


def test_a_card_field_that_looks_like_a_slip_is_named_by_check_and_the_review(store_path: Path) -> None:
    """`reps: card_fields: [phonse, "birthday|lunar_brithday"]` in kehu.yaml: a field no card
    has, counted as never filled in — every rep's completeness lower by a share — with `kehu
    check` ok and not a word from `kehu report reps`. Both now warn, as of a confidential
    field that looks like a slip; a field of the shop's own (`wechat`) is not named."""
    assert kehu("customer", "add", "--name", "李雷", "--owner", "王芳", "--phone", "13800138000",
                store=store_path).code == 0
    with (store_path / "kehu.yaml").open("a", encoding="utf-8") as config:
        config.write('reps:\n  card_fields: [phonse, "birthday|lunar_brithday", wechat]\n')
    config_path = store_path / "kehu.yaml"
    line = config_path.read_text(encoding="utf-8").splitlines().index(
        '  card_fields: [phonse, "birthday|lunar_brithday", wechat]') + 1
    for args in (["check"], ["report", "reps"]):
        said = kehu(*args, store=store_path)
        assert said.code == 0, said.out + said.err
        text = said.out + said.err
        assert (f"{config_path}:{line}: warning: reps.card_fields: no customer has a field 'phonse', so the cards' "
                "completeness counts it as never filled in; did you mean 'phones'?") in text, (args, text)
        assert "did you mean 'lunar_birthday'?" in text and "'wechat'" not in text, (args, text)


@pytest.mark.parametrize("which", [".kehu/journal", "entry"])
def test_an_unreadable_undo_journal_is_named_by_check(unreadable: Unreadable, which: str) -> None:
    """The undo journal (`.kehu/journal`, or one of its entries) made unreadable: `kehu undo`,
    `customer log` and `report reps` refused it while `kehu check` said "ok"."""
    store = unreadable.store
    assert kehu("customer", "set", unreadable.cid, "nickname=雷", store=store).code == 0
    journal = store / ".kehu" / "journal"
    target = journal if which == ".kehu/journal" else sorted(journal.glob("*.json"))[-1]
    os.chmod(target, 0)
    check = unreadable.kehu("check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert f"{target}:1: {_DENIED}" in check.stdout, check.stdout + check.stderr
    os.chmod(target, 0o755 if target.is_dir() else 0o644)
    assert unreadable.kehu("check").returncode == 0
