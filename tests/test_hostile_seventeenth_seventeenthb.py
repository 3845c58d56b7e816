"""The seventeenth outside round (seventeenthb, 2026-12-06): issue 16's kind 3, one set of rules
for every door (CLI, TUI, import, hand edit, `kehu check`, plugins). Each failed on the code
before its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from kehu_core.store import open_store

from . import test_hostile_limits
from .conftest import TODAY, kehu
from .pluginutil import add_customer, buy

no_traceback = test_hostile_limits.no_traceback


def test_an_id_typed_with_spaces_is_refused_by_visits_plan_as_by_every_door(store_path: Path) -> None:
    """`kehu visits plan --add ' ID'` took the spaces off and planned the visit, where `customer
    show ' ID'` and every other door refuse such an id (`ids.check_id`)."""
    cid = add_customer(store_path, "赵敏", "--owner", "小王")
    assert kehu("customer", "show", f" {cid}", store=store_path).code == 1
    files_before = sorted(store_path.rglob("*.yaml"))
    for typed in (f" {cid}", f"{cid} ", f"{cid}\n"):
        refused = kehu("visits", "plan", "--owner", "小王", "--add", typed, store=store_path)
        no_traceback(refused)
        assert refused.code == 1, refused.out
        assert "invalid customer id" in refused.err and repr(typed) in refused.err, refused.err
    assert sorted(store_path.rglob("*.yaml")) == files_before
    assert kehu("visits", "plan", "--owner", "小王", "--add", cid, store=store_path).code == 0


def test_a_ledger_reason_is_bounded_as_a_text_field_is(store_path: Path) -> None:
    """`kehu points redeem --reason` (and a void's) kept a text of any length on the ledger's one
    line (a 100 000-character reason, exit 0), where a name or a title is held to
    `models.MAX_TEXT`; a hand-edited ledger line so long is named by `kehu check`."""
    cid = add_customer(store_path, "赵敏")
    sale = buy(store_path, cid, 300, TODAY.isoformat())
    void = kehu("purchase", "void", cid, sale, "--reason", "z" * 201, store=store_path)
    no_traceback(void)
    assert void.code == 1 and "--reason" in void.err and "200" in void.err, void.err
    ledger = open_store(store_path).ledger_file(cid, "points")
    before = ledger.read_bytes()
    refused = kehu("points", "redeem", cid, "10", "--reason", "x" * 100_000, store=store_path)
    no_traceback(refused)
    assert refused.code == 1 and "--reason" in refused.err and "200" in refused.err, refused.err
    assert ledger.read_bytes() == before
    assert kehu("points", "redeem", cid, "10", "--reason", "x" * 200, store=store_path).code == 0
    hand_edit = f'- {{date: {TODAY}, reason: redeem, delta: -1, note: {"y" * 300}}}\n'
    ledger.write_bytes(ledger.read_bytes() + hand_edit.encode())
    checked = kehu("check", store=store_path)
    no_traceback(checked)
    assert checked.code == 1 and "note" in checked.out and "200" in checked.out, checked.out


def edit_without_a_terminal(store: Path, cid: str, **env: str) -> tuple[int, str]:
    """`kehu edit CID` in its own process, its input /dev/null (a script's, a cron job's). The
    timeout and the kill only end a run that waits (as the code before the fix could)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR", "KEHU_EDITOR_NO_TTY")}
    process = subprocess.Popen([sys.executable, "-m", "kehu_core", "--store", str(store), "edit", cid],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**environment, **env}, start_new_session=True)
    try:
        _out, err = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return process.returncode, err


def test_edit_with_a_terminal_editor_named_and_no_terminal_says_so(store_path: Path, tmp_path: Path) -> None:
    """`EDITOR=vim kehu edit ID` (or `VISUAL='nano -w'`) from a script, a cron job or a pipe: kehu
    started the editor, which needs a terminal for its input and waited for ever (vim in a pipe),
    where with no editor named it says what to set. A terminal editor (by its program's name) with
    no terminal on kehu's input is refused before any copy is made, exit 1, unless
    KEHU_EDITOR_NO_TTY=1 says it needs none (`services.editing.editor_command`); a script or a
    graphical editor as $EDITOR runs as before. The stand-ins named vim and nano only note that
    they were started."""
    cid = add_customer(store_path, "赵敏")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    started = tmp_path / "started"
    for name in ("vim", "nano", "my-editor"):
        editor = bin_dir / name
        editor.write_text(f"#!/bin/sh\necho {name} >> '{started}'\n", encoding="utf-8")
        editor.chmod(0o755)
    path = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    before = sorted(p.read_bytes() for p in store_path.rglob("*.yaml"))
    for env in ({"EDITOR": "vim"}, {"VISUAL": f"{bin_dir / 'nano'} -w", "EDITOR": "my-editor"}):
        code, err = edit_without_a_terminal(store_path, cid, **path, **env)
        assert code == 1 and "terminal" in err and "KEHU_EDITOR_NO_TTY" in err, (code, err)
        assert ("$EDITOR" if "VISUAL" not in env else "$VISUAL") in err, err
        assert "Traceback" not in err and not started.exists(), err
    assert sorted(p.read_bytes() for p in store_path.rglob("*.yaml")) == before
    assert edit_without_a_terminal(store_path, cid, **path, EDITOR="vim", KEHU_EDITOR_NO_TTY="1")[0] == 0
    assert edit_without_a_terminal(store_path, cid, **path, EDITOR="my-editor")[0] == 0
    assert started.read_text(encoding="utf-8").split() == ["vim", "my-editor"]


def test_a_list_written_in_flow_form_is_read_as_a_list_at_every_door(store_path: Path, tmp_path: Path) -> None:
    """`kehu customer set tags=["VIP","茶"]` (JSON, as a script writes a list) split at the comma
    inside the brackets: the tags were `["VIP"` and `"茶"]`; `[VIP, 茶]` (YAML's flow form) so too,
    and an import's tags cell. A value written as a list is read as that list
    (`models.typed_lists.written_list`), the plain comma form as before."""
    cid = add_customer(store_path, "赵敏")
    for typed in ('["VIP","茶"]', "[VIP, 茶]", " [ 'VIP' , 茶 ] ", "VIP,茶"):
        done = kehu("customer", "set", cid, f"tags={typed}", store=store_path)
        assert done.code == 0, done.err
        assert open_store(store_path).get(cid).tags == ["VIP", "茶"], typed
    added = kehu("customer", "set", cid, 'tags+=["老客户"]', 'addresses=["杭州市; 1号", 上海]', store=store_path)
    assert added.code == 0, added.err
    customer = open_store(store_path).get(cid)
    assert customer.tags == ["VIP", "茶", "老客户"] and customer.addresses == ["杭州市; 1号", "上海"]
    sheet = tmp_path / "sheet.csv"
    sheet.write_text('name,tags\n钱多多,"[""VIP"", ""茶""]"\n', encoding="utf-8")
    assert kehu("import", str(sheet), store=store_path).code == 0
    (imported,) = [c for c in kehu("customer", "list", "--json", store=store_path).json() if c["name"] == "钱多多"]
    assert open_store(store_path).get(imported["id"]).tags == ["VIP", "茶"]


FOREIGN_NUMBERS = ("1_000", "١٢٣", "१२३", "۱۲۳")  # an underscore; Arabic-Indic, Devanagari, Persian digits


def test_an_amount_in_another_scripts_digits_or_with_underscores_is_refused_at_every_door(
        store_path: Path, tmp_path: Path) -> None:
    """Python's Decimal and int read `1_000` and any script's digits (`١٢٣` is 123), so
    `purchase add --amount 1_000`, `--qty १२३`, `points redeem ID ١٢`, `customer set
    credit_limit=١٢٣`, a sheet's amount cell and a hand-edited `amount: '١٢٣'` were all taken as
    numbers. One rule (`money.number_text`): the digits 0-9, full-width ones read as these (as a
    typed birthday's); anything else refused naming the field."""
    cid = add_customer(store_path, "赵敏")
    sale = buy(store_path, cid, 300, TODAY.isoformat())
    files = sorted((p, p.read_bytes()) for p in store_path.rglob("*.yaml"))
    for typed in FOREIGN_NUMBERS:
        for argv, field in ((("purchase", "add", cid, "--amount", typed), "--amount"),
                            (("purchase", "add", cid, "--item", "茶", "--qty", typed, "--price", "5"), "--qty"),
                            (("purchase", "pay", cid, sale, "--amount", typed), "--amount"),
                            (("points", "redeem", cid, typed), "POINTS"),
                            (("customer", "set", cid, f"credit_limit={typed}"), "credit_limit"),
                            (("customer", "set", cid, f"payment_terms={typed}"), "payment_terms")):
            refused = kehu(*argv, store=store_path)
            no_traceback(refused)
            assert refused.code in (1, 2) and field.lower() in refused.err.lower(), (argv, refused.err)
    assert sorted((p, p.read_bytes()) for p in store_path.rglob("*.yaml")) == files
    taken = kehu("purchase", "add", cid, "--amount", "１２３", "--qty", "２", "--item", "茶", store=store_path)
    assert taken.code == 0, taken.err  # full-width digits: the ASCII ones, as a birthday's
    sheet = tmp_path / "sales.csv"
    sheet.write_text("name,amount\n钱多多,١٢٣\n", encoding="utf-8")
    imported = kehu("import", str(sheet), store=store_path)
    no_traceback(imported)
    assert "amount" in imported.err and "钱多多" not in kehu("customer", "list", store=store_path).out, imported.err
    record = next(p for p in (store_path / "customers").rglob("*.yaml") if p.read_text(encoding="utf-8").count(
        "amount: 300"))
    record.write_text(record.read_text(encoding="utf-8").replace("amount: 300", "amount: '1_000'"), encoding="utf-8")
    checked = kehu("check", store=store_path)
    no_traceback(checked)
    assert checked.code == 1 and "amount" in checked.out, checked.out


def test_an_id_that_differs_from_anothers_only_in_case_is_refused_at_every_door(
        store_path: Path, tmp_path: Path) -> None:
    """`customer add --id c-ab12` beside a `C-AB12` (an import's id column, `customer reid`, a
    folder made by hand) was a second customer: two ids a person, and a file system that ignores
    case (macOS, Windows), takes for one. Each door refuses it (`Store.refuse_case_twin`, asking
    the index store-wide, not only the shard folder), and `kehu check` names a pair made by hand."""
    first = add_customer(store_path, "赵敏", "--id", "c-ab12")
    other = add_customer(store_path, "钱多多")
    refused = kehu("customer", "add", "--name", "孙悟空", "--id", "C-AB12", store=store_path)
    no_traceback(refused)
    assert refused.code == 1 and "differs only in case" in refused.err and first in refused.err, refused.err
    reid = kehu("customer", "reid", other, "C-Ab12", store=store_path)
    no_traceback(reid)
    assert reid.code == 1 and "differs only in case" in reid.err, reid.err
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("顾客ID,姓名\nC-aB12,孙悟空\nx-one,甲\nX-ONE,乙\n", encoding="utf-8")
    imported = kehu("import", str(sheet), "--json", store=store_path)
    no_traceback(imported)
    problems = imported.json()["problems"]
    assert any("differs only in case" in p and "C-aB12" in p for p in problems), problems
    assert any("differs only in case" in p and "X-ONE" in p for p in problems), problems
    assert [c["id"] for c in imported.json()["created"]] == ["x-one"]
    assert {p.name for p in (store_path / "customers").glob("*/*")} == {first, other, "x-one"}
    # by hand: a colleague's folder, in the shard its id belongs in
    store = open_store(store_path)
    twin = store.customer_file("C-AB12")
    twin.parent.mkdir(parents=True)
    twin.write_bytes(store.customer_file(first).read_bytes().replace(b"c-ab12", b"C-AB12"))
    checked = kehu("check", store=store_path)
    no_traceback(checked)
    assert checked.code == 1 and "differs only in case" in checked.out and "C-AB12" in checked.out, checked.out


def test_a_path_or_an_id_holding_a_line_feed_cannot_forge_a_line_of_a_message(tmp_path: Path) -> None:
    """A path holding a line feed (`kehu --store $'/x\\nkehu: …'`, `reminders --ics`, `kehu init`:
    a script passing on a file name it was given) was printed raw in kehu's message, whose second
    line then read as a message of kehu's own. Every message kehu reports (`errors.KehuError`)
    shows a control character inside one of its lines escaped, as `\\n` (`errors.shown_path`); the
    lines kehu means are its own."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    forged = "\nkehu: ok, every customer was deleted"
    for argv in ((("--store", f"{tmp_path}/none{forged}", "customer", "list"),),
                 (("init", f"{store}/kehu.yaml/x{forged}"),),
                 (("--store", str(store), "reminders", "--ics", f"{tmp_path}/none{forged}/x.ics"),),
                 (("--store", str(store), "export", f"{tmp_path}/none{forged}/x.csv", "--format", "csv"),)):
        said = kehu(*argv[0])
        no_traceback(said)
        assert said.code == 1, said.err
        assert "\\nkehu: ok" in said.err and not any(
            line.startswith("kehu: ok") for line in said.err.splitlines()), said.err
