"""Variants of issue 16's kinds found by the seventh outside round (2026-12-05): each failed on
the code before its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from kehu_core.hookspecs import hookimpl
from kehu_core.ids import shard
from kehu_core.testing import make_store, run_kehu

from . import test_hostile_limits, test_hostile_readonly
from .conftest import kehu
from .test_hostile import tree_hash
from .test_hostile_values import edit_refused

# the fixtures of a store of one customer, copied for each test
base, store = test_hostile_limits.base, test_hostile_limits.store
no_traceback = test_hostile_limits.no_traceback
# a store made read-only (another user's files, a read-only mount), as for every write there
frozen, tree_digest = test_hostile_readonly.frozen, test_hostile_readonly.tree_digest


def test_an_export_never_overwrites_a_message_template(store: tuple[Path, str]) -> None:
    """`kehu export --format csv templates/greet.j2`: a message template of the store, which
    `kehu sync` shares and `kehu send` renders for every rep, was replaced by a CSV, exit 0."""
    path, _cid = store
    templates = path / "templates"
    templates.mkdir()
    (templates / "greet.j2").write_text("您好 {{ name }}\n", encoding="utf-8")
    before = tree_hash(path)
    for argv in (["export", "--format", "csv"], ["export", "--format", "xlsx"], ["reminders", "--ics"]):
        for target in (templates / "greet.j2", templates / "new.j2"):
            result = kehu(*argv, str(target), store=path)
            assert result.code == 1, (argv, result.out, result.err)
            assert "is inside the store's records" in result.err and "templates/" in result.err, result.err
            no_traceback(result)
    assert tree_hash(path) == before


@pytest.mark.parametrize("reserved", ["CON", "nul", "Aux", "PRN", "COM1", "lpt9", "COM0"])
def test_an_id_windows_keeps_for_a_device_is_refused(store: tuple[Path, str], reserved: str) -> None:
    """`kehu customer add --id CON` (NUL, COM1, LPT9 ...) made `customers/76/CON/`, a folder no
    clone on Windows can hold (git for Windows refuses to check it out: the whole store no
    longer clones there), exit 0. Every id names a file or folder, so the id rule refuses them,
    in any case, at every door: the CLI, a sheet's id column, a hand-made folder `check` reads."""
    path, cid = store
    before = tree_hash(path)
    added = kehu("customer", "add", "--name", "王芳", "--id", reserved, store=path)
    assert added.code == 1 and "Windows" in added.err, added.err
    no_traceback(added)
    sheet = path.parent / "sheet.csv"
    sheet.write_text(f"id,name\n{reserved},王芳\n", encoding="utf-8")
    imported = kehu("import", str(sheet), store=path)
    assert imported.code == 1 and "sheet.csv:2" in imported.err and "Windows" in imported.err, imported.err
    assert tree_hash(path) == before
    # a folder of that name, made by hand (or arriving from a clone on Linux)
    profile = (path / "customers").rglob("customer.yaml").__next__()
    text = profile.read_text(encoding="utf-8").replace(cid, reserved)
    folder = path / "customers" / shard(reserved) / reserved
    folder.mkdir(parents=True)
    (folder / "customer.yaml").write_text(text, encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{folder / 'customer.yaml'}:1: id:" in checked.out, checked.out
    assert "Windows" in checked.out


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("its __str__ fails too")


class _NoRepr:
    def __repr__(self) -> str:
        raise RuntimeError("its __repr__ fails")


class _Cancelled(BaseException):
    """What asyncio's CancelledError is: a BaseException, neither an Exception nor SystemExit."""


class _Hostile:
    def __init__(self, mode: str) -> None:
        self.mode = mode

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        if self.mode == "unprintable":
            raise _Unprintable()
        if self.mode == "exit with no repr":
            sys.exit(_NoRepr())  # type: ignore[arg-type]
        if self.mode == "base exception":
            raise _Cancelled("cancelled")
        loop: dict[str, Any] = {}
        loop["again"] = loop
        return {"loop": loop}


@pytest.mark.parametrize("mode", ["unprintable", "exit with no repr", "base exception", "a value holding itself"])
def test_a_plugin_failing_in_a_way_that_cannot_be_printed_is_still_named(tmp_path: Path, mode: str) -> None:
    """A plugin whose exception cannot be turned into text (its `__str__` raises), that calls
    `sys.exit` with an object whose `repr` raises, that raises a BaseException of its own (as
    asyncio's CancelledError is), or whose `customer_values` holds itself (a dict in itself):
    `customer show --json` and `customer list --json` ended in "internal error" (or a Python
    traceback), where a plugin's failure is named and kehu goes on."""
    made = make_store(tmp_path, customers=[{"name": "赵敏"}], plugins={"hostile": _Hostile(mode)})
    cid = next(iter(made.iter_customer_ids()))
    for argv in (["customer", "show", cid, "--json"], ["customer", "list", "--json"]):
        result = run_kehu(made, *argv)
        assert result.code == 0, (argv, result.err)
        assert "plugin 'hostile' failed in customer_values" in result.err, result.err
        no_traceback(result)
        shown = json.loads(result.out)
        assert (shown[0] if isinstance(shown, list) else shown)["name"] == "赵敏"


@pytest.mark.parametrize("name", ["茶铺\\r\\nBEGIN:VEVENT", "茶铺\\n", "\\e]0;pwned\\a茶铺", "茶" * 201],
                         ids=["crlf", "lf", "esc", "201 characters"])
def test_a_shop_name_is_one_line_of_text(store: tuple[Path, str], name: str) -> None:
    """kehu.yaml's `name:` (shared by every clone) with a line break passed `kehu check`, then
    `reminders --ics` and `export --format ics` ended in "internal error: AssertionError"
    (the calendar's X-WR-CALNAME); with an ESC it retitled the terminal of the TUI and went
    into every message sent (`{{ shop }}`). Now it is refused at its line by every command."""
    path, _cid = store
    config = path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("name: base", f'name: "{name}"'), encoding="utf-8")
    assert f'name: "{name}"' in config.read_text(encoding="utf-8")
    before = tree_hash(path)
    for argv in (["check"], ["reminders", "--ics", str(path.parent / "r.ics")],
                 ["export", "--format", "ics", str(path.parent / "e.ics")]):
        result = kehu(*argv, store=path)
        assert result.code == 1, (argv, result.out, result.err)
        assert f"{config}:3: name:" in result.out + result.err, result.out + result.err
        no_traceback(result)
    assert not (path.parent / "r.ics").exists() and not (path.parent / "e.ics").exists()
    assert tree_hash(path) == before


def test_init_makes_a_one_line_shop_name_of_any_folder_name(tmp_path: Path) -> None:
    """`kehu init` names the shop after its folder: one with a line break or an ESC in its name
    makes a name of one line that every command reads (the rule above)."""
    path = tmp_path / "茶\x1b铺\n二店"
    assert kehu("init", str(path), "--no-git").code == 0
    assert kehu("check", store=path).code == 0
    assert "name: 茶 铺 二店\n" in (path / "kehu.yaml").read_text(encoding="utf-8")


UNREAD = "1 record (a purchase, a complaint, a visit ...) is left out: its file has a problem"


def _break_the_sale(path: Path, cid: str) -> Path:
    """A sale of ¥100 owed, then its amount hand-edited to `.nan` (or a colleague's clone)."""
    assert kehu("purchase", "add", cid, "--date", "2026-05-01", "--item", "茶", "--amount", "100",
                store=path).code == 0
    sale = next(path.rglob("interactions/*.yaml"))
    text = sale.read_text(encoding="utf-8")
    sale.write_text(text.replace("amount: 100.00", "amount: .nan"), encoding="utf-8")
    return sale


def test_a_broken_purchase_is_never_left_out_of_a_figure_unseen(store: tuple[Path, str]) -> None:
    """A sale whose file has a problem (`amount: .nan` by hand) had no row in the index: `kehu
    report receivables` said nothing was owed and `report products` a revenue of 0.00, the
    reminders asked nobody to pay, exit 0 and no word (`kehu check` named it). Every output
    counting records now says how many it leaves out, on stderr (`--json` stays JSON)."""
    path, cid = store
    sale = _break_the_sale(path, cid)
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{sale}:" in checked.out
    for argv in (["report", "receivables", "--json"], ["report", "products"], ["report", "credit", "--json"],
                 ["--today", "2026-07-01", "reminders"], ["reminders", "--json"], ["complaint", "list"]):
        result = kehu(*argv, store=path)
        assert result.code == 0, (argv, result.err)
        assert UNREAD in result.err, (argv, result.err)
        no_traceback(result)
        if "--json" in argv:
            json.loads(result.out)
    sale.write_text(sale.read_text(encoding="utf-8").replace("amount: .nan", "amount: 100.00"), encoding="utf-8")
    mended = kehu("report", "receivables", "--json", store=path)
    assert UNREAD not in mended.err and json.loads(mended.out)["total"] == 100.0


@pytest.mark.asyncio
async def test_the_dashboard_says_a_broken_purchase_is_left_out(store: tuple[Path, str]) -> None:
    """The TUI's dashboard showed its revenue without the broken sale and without a word. The
    line was read before the figures brought the index up to date (a file changed before the
    app opened), so it could stay empty: it is read again once they are in."""
    from kehu_tui.screens.dashboard import DashboardScreen

    from .test_tui import SIZE, make_app, text_of, wait_for

    path, cid = store
    _break_the_sale(path, cid)  # after the index was made: the app's first figures bring it up to date
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")

        def said() -> bool:
            if not isinstance(app.screen, DashboardScreen):
                return False
            widget = app.screen.query_one("#left-out")
            return widget.display and UNREAD in " ".join(text_of(widget).split())

        await wait_for(pilot, said, "the dashboard's line")


@pytest.mark.parametrize("edit", ["reason: [1]", "reason: {a: 1}", "ref: [1]", "id: [1]", "note: 5"])
def test_a_ledger_lines_text_keys_hold_text(store: tuple[Path, str], edit: str) -> None:
    """A points ledger's line hand-edited to `reason: [1]` (or `ref: [1]`, `id: [1]`): `kehu
    check` said ok, then `kehu points` (or `points rebuild`) ended in "internal error:
    TypeError: unhashable type". Each is now a problem at its line, for every reader."""
    path, cid = store
    assert kehu("purchase", "add", cid, "--date", "2026-05-01", "--item", "茶", "--amount", "100",
                store=path).code == 0
    ledger = next(path.rglob("points.ledger.yaml"))
    lines = ledger.read_text(encoding="utf-8").splitlines()
    key = edit.split(":")[0]
    fields = lines[1].removeprefix("- {").removesuffix("}").split(", ")
    fields = [edit if f.startswith(f"{key}:") else f for f in fields]
    if not any(f == edit for f in fields):
        fields.append(edit)
    lines[1] = "- {" + ", ".join(fields) + "}"
    ledger.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = tree_hash(path)
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{ledger}:2: {key}:" in checked.out, checked.out
    for argv in (["points", cid], ["points", "rebuild", "--dry-run"], ["customer", "show", cid]):
        result = kehu(*argv, store=path)
        # customer show shows the profile, the points plugin's failure named with the line
        assert result.code == (0 if argv[0] == "customer" else 1), (argv, result.out, result.err)
        assert f"{ledger}:2" in result.out + result.err, (argv, result.out, result.err)
        no_traceback(result)
    assert tree_hash(path) == before


@pytest.mark.parametrize("name", ["2026-05-03-x1.yml", "2026-05-03-x1.YAML"])
def test_a_record_saved_as_yml_is_named_not_ignored(store: tuple[Path, str], name: str) -> None:
    """A sale written by hand (or by a colleague's script) as `interactions/….yml` or `.YAML`:
    kehu reads `*.yaml` only, so it was in no figure, and `kehu check` said ok (and `kehu sync`
    shared it). It is now an unexpected file at its path, with where records are; so is a
    ledger saved as `points.ledger.yml`."""
    path, cid = store
    assert kehu("check", store=path).code == 0  # the index made before the file comes
    folder = path / "customers" / shard(cid) / cid
    (folder / "interactions").mkdir(exist_ok=True)
    sale = folder / "interactions" / name
    sale.write_text("kind: purchase\ndate: 2026-05-03\nitems:\n- name: 茶\n  qty: 1\namount: 100.00\n",
                    encoding="utf-8")
    (folder / "points.ledger.yml").write_text("- {date: 2026-05-03, reason: adjust, delta: 5}\n", encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1, checked.out + checked.err
    for file in (sale, folder / "points.ledger.yml"):
        assert f"{file}:1: unexpected file: records are" in checked.out, checked.out
    no_traceback(checked)


EDITORS = {
    # Windows Notepad's "Unicode": UTF-16 with its byte order mark
    "utf-16": "data = open(path, encoding='utf-8').read().replace('李雷', '李蕾')\n"
              "open(path, 'w', encoding='utf-16').write(data)\n",
    # an editor whose encoding is GBK
    "gbk": "data = open(path, encoding='utf-8').read().replace('李雷', '李蕾')\n"
           "open(path, 'w', encoding='gbk').write(data)\n",
    # an editor (or a script) leaving a FIFO where it saved the file
    "fifo": "os.remove(path)\nos.mkfifo(path)\n",
}


@pytest.mark.parametrize("kind", list(EDITORS))
def test_kehu_edit_names_a_copy_saved_as_no_utf8_text(store: tuple[Path, str], tmp_path: Path, kind: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`kehu edit` whose $EDITOR saved the copy in UTF-16 (Notepad's "Unicode") or GBK ended in
    "internal error: UnicodeDecodeError"; one leaving a FIFO in its place made kehu wait for
    ever. Each is now a problem at its line, and the editor offered again, as for any edit."""
    path, cid = store
    before = tree_hash(path)
    result = edit_refused(path, cid, "import os, sys\npath = sys.argv[1]\n" + EDITORS[kind], tmp_path, monkeypatch)
    profile = f"customers/{shard(cid)}/{cid}/customer.yaml"
    expected = {"fifo": "is a FIFO", "utf-16": "UTF-16 text", "gbk": "not valid UTF-8"}[kind]
    assert f"{profile}:" in result.err and expected in result.err, result.err
    assert "edit discarded; the record is unchanged" in result.err
    assert tree_hash(path) == before


JOURNAL_ENTRIES = {
    "nested past the stack": "[" * 100_000 + "]" * 100_000,
    "no who": '{"id": 9, "when": "2026-06-01T12:00:00+00:00", "command": "x", "files": []}',
    "an id of text": '{"id": "9", "when": "2026-06-01T12:00:00+00:00", "who": "x", "command": "x", "files": []}',
    "git's config": '{"id": 9, "when": "2026-06-01T12:00:00+00:00", "who": "x", "command": "x", "undoes": null,'
                    ' "files": [{"path": ".git/config", "before": "[core]\\\\n\\\\tfsmonitor = touch /tmp/x\\\\n",'
                    ' "after": null, "pruned": false}]}',
}


@pytest.mark.parametrize("kind", list(JOURNAL_ENTRIES))
def test_a_journal_entry_kehu_did_not_write_is_named(tmp_path: Path, kind: str) -> None:
    """A hand-made entry in `.kehu/journal/`: nested past Python's stack, without `who`, with an
    id of text ended `kehu undo --list` and `kehu undo` in "internal error" (RecursionError,
    KeyError); one naming `.git/config` was taken for a file of the store, which an undo would
    write (git's settings run commands). Each is now named, and nothing is written."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    assert kehu("customer", "add", "--name", "王芳", store=path).code == 0
    entry = path / ".kehu" / "journal" / "00000009.json"
    entry.write_text(JOURNAL_ENTRIES[kind], encoding="utf-8")
    before = tree_hash(path), (path / ".git" / "config").read_bytes()
    for argv in (["undo", "--list"], ["undo"]):
        result = kehu(*argv, store=path)
        assert result.code == 1, (argv, result.out, result.err)
        assert f"{entry}: not a journal entry kehu wrote" in result.err, result.err
        no_traceback(result)
    assert (tree_hash(path), (path / ".git" / "config").read_bytes()) == before


def test_undo_list_shows_no_control_character_of_an_entry(tmp_path: Path) -> None:
    """An entry whose `who` or `command` holds ESC (a git author name, a hand edit) was printed
    as it is by `kehu undo --list`: the terminal was cleared and retitled."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    assert kehu("customer", "add", "--name", "王芳", store=path).code == 0  # the journal is made
    (path / ".kehu" / "journal" / "00000009.json").write_text(
        '{"id": 9, "when": "2026-06-01T12:00:00+00:00", "who": "\\u001b[2J王芳", "command": "\\u001b]0;x\\u0007",'
        ' "undoes": null, "files": []}', encoding="utf-8")
    listed = kehu("undo", "--list", store=path)
    assert listed.code == 0, listed.err
    assert "\x1b" not in listed.out and "\x07" not in listed.out and "\ufffd[2J王芳" in listed.out, listed.out


@pytest.mark.parametrize("item", ["   ", "\u200b", "\t"], ids=["spaces", "zero-width space", "tab"])
def test_an_item_shows_something_at_every_door(store: tuple[Path, str], tmp_path: Path, item: str) -> None:
    """`purchase add --item '   '` (a zero-width space, a tab) stored a sale of an item that
    shows nothing, an empty row in `report products`, while a sheet's cell of spaces made no
    item at all. An item's name is held to a customer name's rule at every door."""
    path, cid = store
    before = tree_hash(path)
    added = kehu("purchase", "add", cid, "--date", "2026-05-01", "--item", item, "--amount", "5", store=path)
    # named as the argument where the model refused the value typed (test_hostile_eleventh_left)
    assert added.code == 1 and "expected a name, not only spaces" in added.err, added.err
    sheet = tmp_path / "sales.csv"
    # a cell of spaces is an empty cell to an import (no item); a zero-width space is text
    sheet.write_text(f'name,phone,date,item,amount\n李雷,13800138000,2026-05-02,"\u200b{item}",5\n',
                     encoding="utf-8")
    imported = kehu("import", str(sheet), store=path)
    assert imported.code == 1 and "sales.csv:2" in imported.err and "items.0.name" in imported.err, imported.err
    assert tree_hash(path) == before
    assert kehu("purchase", "add", cid, "--date", "2026-05-01", "--item", "茶", "--amount", "5", store=path).code == 0
    sale = next(path.rglob("interactions/*.yaml"))
    sale.write_text(sale.read_text(encoding="utf-8").replace("name: 茶", f'name: "{item}"'), encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1 and f"{sale}:" in checked.out and "items.0.name" in checked.out, checked.out


class _NoisyImporter:
    name = "noisy"

    def detect(self, path: Path, head: bytes) -> bool:
        print("noisy: detecting")
        return path.suffix == ".noisy"

    def read(self, path: Path, store: Any) -> Any:
        from kehu_core.plugins import ImportedContact

        print("noisy: reading")
        yield ImportedContact(source=f"{path}:1", fields={"name": "噪音", "phones": ["13700137009"]})


class _NoisyRule:
    name = "noisy-rule"
    plugin = "noisy"

    def due(self, store: Any, customer: Any, history: Any, start: Any, end: Any) -> list[Any]:
        print("noisy: due?")
        return []


class _NoisyGateway:
    channel = "gw"

    def __init__(self, cancel: bool) -> None:
        self.cancel = cancel

    def send(self, store: Any, customer: Any, subject: str, body: str) -> str:
        print("noisy: sending")
        if self.cancel:
            raise _Cancelled("the gateway's task was cancelled")
        return "m1"


class _Noisy:
    def __init__(self, cancel: bool = False) -> None:
        self.cancel = cancel

    @hookimpl
    def importers(self) -> list[Any]:
        return [_NoisyImporter()]

    @hookimpl
    def reminder_rules(self, store: Any) -> list[Any]:
        return [_NoisyRule()]

    @hookimpl
    def message_senders(self, store: Any) -> list[Any]:
        return [_NoisyGateway(self.cancel)]


def _send_store(tmp_path: Path, plugin: Any) -> Any:
    made = make_store(tmp_path / "store", customers=[{"name": "赵敏", "phones": ["13912345678"]}],
                      plugins={"noisy": plugin})
    config = made.root / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "segments:\n  everyone: {}\n", encoding="utf-8")
    (made.root / "templates").mkdir()
    (made.root / "templates" / "greet.j2").write_text("你好 {{ customer.name }}\n", encoding="utf-8")
    return made


def test_what_a_plugins_importer_rule_or_sender_prints_never_mixes_with_json(tmp_path: Path) -> None:
    """A hook's print goes to stderr, but what a hook hands over ran outside it: an importer
    printing in `detect` or `read` made `kehu import --json` text then JSON, a reminder rule's
    `due` did so to `kehu reminders --json`, a sender's `send` to `kehu send --json`, exit 0."""
    made = _send_store(tmp_path, _Noisy())
    sheet = tmp_path / "contacts.noisy"
    sheet.write_text("x", encoding="utf-8")
    for argv in (["import", str(sheet), "--json", "--dry-run"], ["reminders", "--json"],
                 ["send", "--segment", "everyone", "--template", "greet", "--channel", "gw", "--rate", "100000",
                  "--json"]):
        result = run_kehu(made, *argv)
        assert result.code == 0, (argv, result.err)
        json.loads(result.out)  # JSON only on stdout
        assert "noisy: " in result.err, (argv, result.err)


def test_a_sender_raising_a_base_exception_of_its_own_fails_its_message(tmp_path: Path) -> None:
    """A sender's `send` raising a BaseException of its own (asyncio's CancelledError is one)
    ended `kehu send` with a Python traceback; the message now fails, named by plugin."""
    made = _send_store(tmp_path, _Noisy(cancel=True))
    result = run_kehu(made, "send", "--segment", "everyone", "--template", "greet", "--channel", "gw",
                      "--rate", "100000", "--json")
    no_traceback(result)
    assert result.code == 1, result
    assert json.loads(result.out)["messages"][0]["status"] == "failed"
    assert "plugin 'noisy' failed in message_senders 'gw' send: _Cancelled" in result.err, result.err


def test_customer_log_shows_no_control_character_of_a_colleagues_commit(tmp_path: Path) -> None:
    """A colleague's commit (arriving by `kehu sync`) whose author name and message hold ESC and
    BEL: `kehu customer log` printed them as they are, retitling and clearing the terminal."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    cid = kehu("customer", "add", "--name", "王芳", store=path).out.strip()
    profile = path / "customers" / shard(cid) / cid / "customer.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "notes: 新\n", encoding="utf-8")
    import subprocess

    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run(["git", "-c", "user.name=evil\x1b]0;pwned\x07", "-c", "user.email=e@x", "commit", "-qm",
                    "hi\x1b]0;title\x07 there"], cwd=path, check=True)
    logged = kehu("customer", "log", cid, store=path)
    assert logged.code == 0, logged.err
    assert "\x1b" not in logged.out and "\x07" not in logged.out, logged.out
    assert "hi\ufffd]0;title\ufffd there" in logged.out, logged.out
    as_json = json.loads(kehu("customer", "log", cid, "--json", store=path).out)
    assert as_json[0]["subject"] == "hi\x1b]0;title\x07 there"  # JSON keeps the text, escaped


def test_kehu_edit_in_a_read_only_store_says_where_the_text_is_kept(
        frozen: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kehu edit` in a read-only store (a read-only mount, another user's files): the edit was
    made in the editor, then "Read-only file system" and nothing more, the user's text left in
    a temporary folder no message named. It is named now, as when the record changed meanwhile."""
    runner, store, ids = frozen
    script = runner.top.parent / "editor.sh"  # a shell script: 'nobody' may not run the tests' python
    script.write_text('#!/bin/sh\nsed -i "s/张三/张叁/" "$1"\n', encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    before = tree_digest(runner.top)
    result = runner.kehu("--store", str(store), "edit", ids["cid"])
    text = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in text and "internal error" not in text, text
    assert ids["record"] in result.stderr and "your text is kept in " in result.stderr, text
    kept = Path(result.stderr.strip().rsplit("your text is kept in ", 1)[1])
    assert "张叁" in kept.read_text(encoding="utf-8")
    assert tree_digest(runner.top) == before


def test_visits_plan_shows_no_control_character_of_the_owner_typed(store: tuple[Path, str]) -> None:
    """`kehu visits plan --owner` with an ESC (a paste): printed as typed in two lines, which
    retitled the terminal; the others (search, customer list, handover) quote it already. No
    rep's name holds one (the tenth round held --owner to a rep's rule): refused, shown escaped."""
    path, _cid = store
    result = kehu("visits", "plan", "--date", "2026-06-01", "--owner", "\x1b]0;pwned\x07王芳", store=path)
    assert "\x1b" not in result.out + result.err and "\x07" not in result.out + result.err, result.err
    assert result.code == 1 and "--owner '\\x1b]0;pwned\\x07王芳': a rep's name" in result.err, result.err


def test_kehu_undo_in_a_read_only_store_names_what_it_cannot_write(frozen: Any) -> None:
    """`kehu undo` in a read-only store said "nothing to undo": its derived data (the index)
    goes to the user's cache there, and so did the journal it read, which is empty. It reads
    the store's own journal now, and the write it tries is refused, one line naming the record."""
    runner, store, ids = frozen
    before = tree_digest(runner.top)
    listed = runner.kehu("--store", str(store), "undo", "--list")
    assert listed.returncode == 0 and "customer set" in listed.stdout, listed.stdout + listed.stderr
    result = runner.kehu("--store", str(store), "undo")
    text = result.stdout + result.stderr
    assert result.returncode == 1 and "nothing to undo" not in text, text
    assert "Traceback" not in text and "internal error" not in text, text
    assert ids["record"] in result.stderr, text
    assert tree_digest(runner.top) == before


AGE_KEY = "age1q5pdzy00dsv3fgdysvtwrmyuzug9a6ucq5djwgscvvw7yrzgyqlqzhx5t7"


@pytest.mark.parametrize("name", ["王\x1b]0;pwned\x07", "a\nb: c", "", "王" * 65],
                         ids=["esc", "line break", "empty", "65 characters"])
def test_a_reps_name_in_kehu_yaml_keeps_an_owners_rule(store: tuple[Path, str], name: str) -> None:
    """`kehu keys add NAME KEY` wrote a recipient named with an ESC (printed back as it was), a
    line break, nothing or 300 characters into kehu.yaml, which every clone shares, and
    `kehu check` said ok; a rep's name is an owner's, held to that rule, at every door."""
    path, _cid = store
    config = path / "kehu.yaml"
    before = config.read_bytes()
    added = kehu("keys", "add", name, AGE_KEY, store=path)
    assert added.code == 1 and "a rep's name is one line" in added.err, added.err
    assert "\x1b" not in added.err and config.read_bytes() == before
    by_hand = json.dumps(name, ensure_ascii=False)
    for section, field in ((f"confidential:\n  fields: [family]\n  recipients:\n    {by_hand}: {AGE_KEY}\n",
                            "confidential.recipients"),
                           (f"serve:\n  htpasswd: users.htpasswd\n  users:\n    wangfang: {{rep: {by_hand}}}\n",
                            "serve.users.wangfang.rep")):
        config.write_bytes(before + section.encode("utf-8"))
        checked = kehu("check", store=path)
        said = checked.out + checked.err
        assert checked.code == 1 and f"{config}:" in said and f": {field}: " in said, said
        assert name == "" or "a rep's name is one line" in said, said  # "" : pydantic's "at least 1"


@pytest.mark.parametrize("version", ["0", "-1"])
def test_a_schema_version_below_one_is_named_at_its_line(store: tuple[Path, str], version: str) -> None:
    """kehu.yaml's `schema_version: -1` (no kehu ever wrote one) passed `kehu check`; one above
    this kehu's was refused. Now both are named at the line."""
    path, _cid = store
    config = path / "kehu.yaml"
    text = config.read_text(encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith("schema_version:"))
    config.write_text(text.replace("schema_version: 1", f"schema_version: {version}"), encoding="utf-8")
    before = tree_hash(path)
    result = kehu("check", store=path)
    assert result.code == 1 and f"{config}:{line}: schema_version" in result.out + result.err, result
    no_traceback(result)
    assert tree_hash(path) == before
