"""The fourteenth outside round (C, 2026-12-06), kinds 7, 8 and 9: exports that attack their
reader, resource exhaustion, plugins. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from kehu_tui.screens.customer import CustomerScreen
from kehu_tui.widgets.customers.table import CustomerTable

from kehu_core import hookimpl
from kehu_core.models import Reminder
from kehu_core.plugins import Column, Panel
from kehu_core.services import sync as sync_service
from kehu_core.testing import add_customer, make_store, open_customer, run_kehu, screen_text, tui, wait_until

from .conftest import git
from .pluginutil import installed_plugin


class _Hangs:
    """A rule that waits on one customer (a network call to a server that never answers, a lock
    it never gets); the rule of every other customer is fine."""

    def __init__(self, name: str) -> None:
        self.name, self.asked, self.hangs = name, 0, False

    @hookimpl
    def validate_customer(self, customer: Any, store: Any) -> list[str]:
        if customer.name == self.name and self.hangs:
            self.asked += 1
            time.sleep(30)  # stopped by the bound long before
        return []


def test_a_plugin_hook_that_never_returns_does_not_hold_a_sync(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`kehu sync` (a cron job of the rep's laptop) with a third party's rule that never returns
    on one customer: the sync waited for ever, without a word, holding the store's lock — every
    other command and the TUI's writes refused after 30 s, "another kehu process is writing",
    the next scheduled sync too. A hook of an installed plugin that runs past the bound
    (`sync.PLUGIN_HOOK_SECONDS`) is stopped and is its plugin's failure, named: check rejects
    the clone, so nothing is committed or pushed, and the plugin is not asked again in that
    sync (one hanging on every customer would hold it a bound for each)."""
    monkeypatch.setattr(sync_service, "PLUGIN_HOOK_SECONDS", 0.5)
    rule = _Hangs("张三")
    store = make_store(tmp_path / "shop", plugins={"hangs": rule}, git=True)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(store.root, "remote", "add", "origin", str(remote))
    assert run_kehu(store, "sync").code == 0
    for name in ("张三", "李四", "王五"):
        add_customer(store, name=name)
    status = git(store.root, "status", "--porcelain")
    rule.hangs = True
    synced = run_kehu(store, "sync")
    assert synced.code == 1, synced.out + synced.err
    assert "plugin 'hangs' failed in validate_customer" in synced.err, synced.err
    assert "0.5" in synced.err and "Traceback" not in synced.err, synced.err
    assert rule.asked == 1  # not asked again: a rule hanging on each customer held it each time
    assert git(store.root, "status", "--porcelain") == status  # nothing committed
    assert git(str(remote), "log", "--oneline").count("\n") == 1  # nothing pushed
    assert run_kehu(store, "customer", "add", "--name", "赵六").code == 0  # the lock is free


_EXITS = '''
import os
from typing import Annotated
from pydantic import AfterValidator
from kehu_core import hookimpl

def _checked(value):
    if value == "quit":
        os._exit(5)
    return value

@hookimpl
def customer_fields():
    return {"wechat": (Annotated[str | None, AfterValidator(_checked)], None)}

@hookimpl
def customer_values(customer, store):
    if os.environ.get("QUIT") == "values":
        os._exit(3)
    if os.environ.get("QUIT") == "fork":  # a child of its own ends with os._exit, as children do
        child = os.fork()
        if child == 0:
            os._exit(7)
        return {"child": os.waitpid(child, 0)[1] >> 8}
    return None

@hookimpl
def interaction_saved(customer, interaction, store):
    if os.environ.get("QUIT") == "saved":
        store.append_ledger(customer.id, "points", {"date": "2026-11-20", "delta": 100000, "reason": "gift"})
        os._exit(4)
'''


def test_a_plugin_calling_os_exit_is_reported_and_what_it_wrote_undone(tmp_path: Path) -> None:
    """A plugin's hook calling `os._exit(3)` (in `customer_values`), or appending a ledger line
    and then calling `os._exit(4)` (in `interaction_saved`): the process ended at once with the
    plugin's code and no word — `customer show` printed nothing, `purchase add` did not say the
    sale was recorded — and the 100 000 points the hook wrote stayed, for `kehu sync` to share
    (`sys.exit` was caught and undone, `os._exit` skips every handler). While a plugin's code
    runs, its `os._exit` is its failure like `sys.exit` (`plugin_code.plugin_code`); a process the
    plugin forked still ends by it."""
    import sys

    site = installed_plugin(tmp_path / "site", "exits_kehu", "exits", _EXITS)
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}])
    cid = next(iter(store.iter_customer_ids()))

    def run(quit_in: str, *argv: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache"), "QUIT": quit_in}
        return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store.root), *argv],
                              capture_output=True, text=True, env=env)

    shown = run("values", "customer", "show", cid)
    assert shown.returncode == 0 and "赵敏" in shown.stdout, shown
    assert "plugin 'exits' failed in customer_values: called os._exit(3); kehu went on" in shown.stderr, shown
    bought = run("saved", "purchase", "add", cid, "--amount", "100")
    assert bought.returncode == 0 and "recorded" in bought.stderr and bought.stdout.strip(), bought
    assert "plugin 'exits' failed in interaction_saved: called os._exit(4)" in bought.stderr, bought
    ledger = next(store.root.glob(f"customers/*/{cid}/points.ledger.yaml")).read_text(encoding="utf-8")
    assert "gift" not in ledger and "reason: purchase" in ledger, ledger  # the built-in points stay
    typed = run("", "customer", "set", cid, "wechat=quit")
    assert typed.returncode == 1 and "called os._exit(5)" in typed.stderr, typed  # a field type's validator
    forked = run("fork", "customer", "show", cid, "--json")
    assert forked.returncode == 0 and '"child": 7' in forked.stdout, forked
    assert forked.stdout.count('"name"') == 1, forked.stdout  # the child did not go on as kehu


class _ExitingHandOvers:
    """A column and a panel of the TUI whose callables call os._exit (the TUI calls the column's
    for each row in a worker thread, the panel's as the customer screen opens)."""

    @hookimpl
    def tui_columns(self, store: Any) -> list[Column]:
        return [Column("退出列", lambda store, customer: os._exit(4), "quits")]

    @hookimpl
    def tui_panels(self, store: Any) -> list[Panel]:
        return [Panel("退出面板", lambda store, customer: os._exit(5)),
                Panel("好面板", lambda store, customer: "一切正常")]


@pytest.mark.asyncio
async def test_a_column_or_panel_calling_os_exit_leaves_the_tui_running(tmp_path: Path) -> None:
    """A plugin's TUI column or panel calling `os._exit`: the TUI vanished, the terminal left
    in its alternate screen with the mouse reporting on (`os._exit` skips Textual's clean-up). Each
    is shown as failed where it would be, named, and the app goes on."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}], plugins={"exits": _ExitingHandOvers()})
    async with tui(store) as pilot:
        app = pilot.app
        await wait_until(pilot, lambda: "tui_columns '退出列': called os._exit(4)" in screen_text(app),
                         what="the column's failure said")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerScreen) and "一切正常" in screen_text(app),
                         what="the customer screen with the good panel")
        assert "os._exit(5)" in screen_text(app)
        assert app.is_running and app.return_code is None


class _Keys:
    """A reminder rule whose reminders' keys are not `RULE:CUSTOMER_ID:ANCHOR` of its own rule
    and customer, as the hookspec documents: `hello`, another rule's key of the customer (the
    built-in birthday's), a key of another customer, or a reminder saying it is another rule's."""

    name = "anniv"

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}
        self.rule = "anniv"

    def due(self, store: Any, customer: Any, history: Any, start: Any, end: Any) -> Any:
        key = self.keys.get(customer.id)
        if key is not None:
            yield Reminder(customer_id=customer.id, customer_name=customer.name, due=start, rule=self.rule,
                           title="周年", key=key)

    @hookimpl
    def reminder_rules(self, store: Any) -> list[Any]:
        return [self]


def test_a_reminder_whose_key_is_not_its_rules_and_customers_is_the_rules_wrong_result(tmp_path: Path) -> None:
    """A plugin's reminder rule giving keys other than the documented `RULE:CUSTOMER_ID:ANCHOR`
    of its own rule and customer: `hello` was listed and could never be marked done or snoozed
    ("'hello' is not a reminder key"), shown every day; a key the built-in birthday reminder
    has (`birthday:ID:2026-11-22`) was listed twice, and marking the plugin's done marked the
    birthday done (done and snooze are stored by key); a key naming another customer marked
    that customer's done. Each is the rule's wrong result, named, its reminders left out."""
    rule = _Keys()
    store = make_store(tmp_path / "s", plugins={"anniv": rule},
                       customers=[{"name": "赵敏", "birthday": "1980-11-22"}, {"name": "李四"}])
    zhao, li = (c.id for c in sorted((store.get(i) for i in store.iter_customer_ids()), key=lambda c: c.name != "赵敏"))
    listed = run_kehu(store, "reminders", "--json")
    birthday = next(r["key"] for r in listed.json() if r["rule"] == "birthday")
    for keys, rule_says in (({zhao: "hello"}, "anniv"), ({zhao: birthday}, "anniv"), ({zhao: f"anniv:{li}:x"}, "anniv"),
                            ({zhao: f"birthday:{zhao}:x"}, "birthday"), ({zhao: f"anniv:{zhao}:"}, "anniv")):
        rule.keys, rule.rule = keys, rule_says
        listed = run_kehu(store, "reminders", "--json")
        assert listed.code == 0, listed.err
        assert "plugin 'anniv' failed in reminder rule anniv" in listed.err, (keys, listed.err)
        assert [(r["rule"], r["key"]) for r in listed.json()] == [("birthday", birthday)], (keys, listed.out)
    rule.keys, rule.rule = {zhao: f"anniv:{zhao}:2026"}, "anniv"  # as documented: listed, done by its key
    listed = run_kehu(store, "reminders", "--json")
    assert sorted(r["key"] for r in listed.json()) == sorted([birthday, f"anniv:{zhao}:2026"]), listed.out + listed.err
    assert run_kehu(store, "reminders", "done", f"anniv:{zhao}:2026").code == 0
    assert [r["key"] for r in run_kehu(store, "reminders", "--json").json()] == [birthday]


class _Gateway:
    """An SMS gateway plugin: its sender serves `sms` (as the built-in outbox's does)."""

    def __init__(self, tag: str, works: bool = True) -> None:
        self.tag, self.works, self.sent = tag, works, 0
        self.channel = "sms"

    def send(self, store: Any, customer: Any, subject: str, body: str) -> str:
        if not self.works:
            return 42  # type: ignore[return-value]  # no message id: its wrong result
        self.sent += 1
        return f"{self.tag}-{self.sent}"

    @hookimpl
    def message_senders(self, store: Any) -> list[Any]:
        return [self]


def _sms_store(tmp_path: Path, **plugins: Any) -> Any:
    store = make_store(tmp_path / "s", plugins=plugins, customers=[{"name": "赵敏", "phones": ["13812345678"]}])
    config = store.root / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "segments:\n  all: {}\n", encoding="utf-8")
    (store.root / "templates").mkdir(exist_ok=True)
    (store.root / "templates" / "hi.j2").write_text("你好 {{ name }}\n", encoding="utf-8")
    return store


def test_a_name_two_plugins_give_is_used_by_neither_and_both_are_named(tmp_path: Path) -> None:
    """Two installed SMS gateways (an old and a new one) both serving the channel `sms`: `kehu
    send --channel sms` went through one of them (the last asked), whichever the order of
    registration made it, without a word of the other, and a failure of the one used was
    reported by the other's name (the sender's plugin was looked up as the first giving the
    channel). A name two plugins give (a sender's channel, an exporter's, an importer's, a
    reminder rule's) is given by neither, each named; one plugin's replaces a built-in one of
    its name (the outbox's `sms`), as a plugin's exporter always has."""
    old, new = _Gateway("old"), _Gateway("new")
    store = _sms_store(tmp_path, old=old, new=new)
    sent = run_kehu(store, "send", "--template", "hi", "--channel", "sms", "--segment", "all")
    assert sent.code == 1 and old.sent == new.sent == 0, sent.out + sent.err
    for plugin in ("old", "new"):
        assert f"plugin '{plugin}' failed in message_senders" in sent.err, sent.err
    assert "'new', 'old'" in sent.err, sent.err
    assert not list(store.root.glob("customers/*/*/interactions/*")), "nothing recorded as sent"
    assert not (store.root / ".kehu" / "outbox").exists() or not list((store.root / ".kehu" / "outbox").iterdir())
    # one gateway beside the outbox: it serves sms, and its failure is named by its own plugin
    store = _sms_store(tmp_path / "one", broken=_Gateway("broken", works=False))
    sent = run_kehu(store, "send", "--template", "hi", "--channel", "sms", "--segment", "all")
    assert "plugin 'broken' failed in message_senders 'sms' send" in sent.err, sent.err
    assert "outbox" not in sent.err and not list((store.root / ".kehu").glob("outbox/*")), sent.err


def test_a_record_of_more_values_than_a_record_holds_is_refused_before_the_editor_reads_it(tmp_path: Path) -> None:
    """A profile within a record's 2 MiB holding a field of a million short values (`extra: [0,
    0, …]`, a colleague's script, arriving by `kehu sync`), then `kehu customer set ID
    nickname=x`: 182 s and 1.9 GB of memory (the round-trip editor makes objects of each value),
    `check` ok. A record holds at most `models.MAX_VALUES` values (keys, texts, numbers, list
    items): `check` names the field at its line, and an edit refuses the file before the editor
    reads it, with the same words; an interaction alike."""
    from kehu_core.models import MAX_VALUES

    store = make_store(tmp_path / "shop", customers=[{"name": "甲"}])
    path, cid = store.root, next(iter(store.iter_customer_ids()))
    profile = next(path.glob(f"customers/*/{cid}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + "note_line: here\nextra: ["
                       + ",".join(["0"] * (MAX_VALUES + 10)) + "]\n", encoding="utf-8")
    before = profile.read_bytes()
    line = profile.read_text(encoding="utf-8").splitlines().index("note_line: here") + 2
    checked = run_kehu(store, "check")
    assert checked.code == 1 and f"customer.yaml:{line}: extra:" in checked.out + checked.err, checked.out + checked.err
    assert f"more than {MAX_VALUES} values" in checked.out + checked.err, checked.out + checked.err
    edited = run_kehu(store, "customer", "set", cid, "nickname=x")
    assert edited.code == 1 and f"customer.yaml:{line}: extra:" in edited.err, edited.err
    assert "Traceback" not in edited.err and profile.read_bytes() == before


class _WritesThroughItsOwnStore:
    """An exporter and an SMS sender that open the store again (a handle of their own, as a
    plugin's helper library would) and write through it, then fail."""

    name = channel = "own"

    def _write_then_fail(self, store: Any, customer_id: str) -> None:
        from kehu_core.store import Store

        own = Store.open(store.root)
        own.update_customer(customer_id, {"nickname": "改过"})
        own.append_ledger(customer_id, "points", {"date": "2026-11-20", "delta": 100000, "reason": "gift"})
        raise RuntimeError("then it broke")

    def write(self, store: Any, customers: Any, out: Path) -> int:
        self._write_then_fail(store, customers[0].id)
        return 0

    def send(self, store: Any, customer: Any, subject: str, body: str) -> str:
        self._write_then_fail(store, customer.id)
        return "never"

    @hookimpl
    def exporters(self) -> list[Any]:
        return [self]

    @hookimpl
    def message_senders(self, store: Any) -> list[Any]:
        return [self]


def test_what_a_failing_plugin_wrote_through_a_store_it_opened_itself_is_undone(tmp_path: Path) -> None:
    """A plugin's exporter (or message sender) that opens the store again (`Store.open(store.
    root)`) and writes through that handle — a nickname, a ledger line of 100 000 points —, then
    raises: `kehu export` said "nothing was written" and `kehu send` failed the message, while the
    profile and the 100 000 points stayed, for `kehu sync` to share (only what went through the
    store the plugin was given was undone). What any Store object of the process writes to the
    folder while such a block is open is undone with it (`store.undo_on_error._OPEN_LOGS`)."""
    store = _sms_store(tmp_path, own=_WritesThroughItsOwnStore())
    cid = next(iter(store.iter_customer_ids()))
    folder = next(store.root.glob(f"customers/*/{cid}"))
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    exported = run_kehu(store, "export", "--format", "own", str(tmp_path / "out.own"))
    assert exported.code == 1 and "then it broke" in exported.err, exported.err
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    sent = run_kehu(store, "send", "--template", "hi", "--channel", "own", "--segment", "all")
    assert "then it broke" in sent.out + sent.err, sent.out + sent.err
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    assert "改过" not in run_kehu(store, "customer", "show", cid).out  # the index as the files


def _column_plugin(title: str, key: str | None) -> Any:
    class Columns:
        @hookimpl
        def tui_columns(self, store: Any) -> list[Column]:
            return [Column(title, lambda store, customer: title, key)]

    return Columns()


@pytest.mark.asyncio
async def test_two_plugins_columns_of_one_key_leave_the_tui_running(tmp_path: Path) -> None:
    """Two plugins each giving the TUI's list a column keyed `wechat` (a WeChat plugin and its
    fork, both installed), or one column keyed `0` beside one without a key: the TUI ended at
    start with Textual's traceback, "DuplicateKey: The column key 'plugin:wechat' already
    exists". A column's key is one plugin's (`results.NAMED_BY`): both are left out, each
    named; a column without a key never takes a keyed one's place."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}],
                       plugins={"wechat": _column_plugin("微信", "wechat"), "fork": _column_plugin("微信号", "wechat"),
                                "bare": _column_plugin("无键列", None), "zero": _column_plugin("零列", "0")})
    async with tui(store) as pilot:
        app = pilot.app
        await wait_until(pilot, lambda: "赵敏" in screen_text(app), what="the list")
        table = app.query_one(CustomerTable)
        assert sorted(spec.title for spec, _column in table._plugin_columns) == ["无键列", "零列"]
        assert app.is_running and app.return_code is None
        said = " ".join(n.message for n in app._notifications)
        assert "key 'wechat'" in said and "'fork', 'wechat'" in said, said


@pytest.mark.parametrize("body", ["{{ name }}" * 8_000, "{{ [" + "1," * 12_000 + "1]|length }}"])
def test_a_template_too_long_to_compile_is_refused_at_its_line(tmp_path: Path, body: str) -> None:
    """A colleague's message template within a record's 2 MiB (shared by `kehu sync`) holding
    200 000 `{{ name }}`, or one list of 900 000 numbers: `kehu send --dry-run` took 28 s and
    2 GB, or 39 s and 680 MB, compiling it (Jinja turns a template into Python code: the render's
    bounds came after). A template is read as at most `template_files.MAX_TOKENS` pieces (tags,
    names, numbers, texts between them), the one past it a template error at its line."""
    from kehu_core.services.template_files import MAX_TOKENS

    store = _sms_store(tmp_path)
    (store.root / "templates" / "long.j2").write_text("Subject: hi\n\n" + body + "\n", encoding="utf-8")
    sent = run_kehu(store, "send", "--template", "long", "--channel", "sms", "--segment", "all", "--dry-run")
    assert sent.code == 1, sent.out
    assert f"long.j2:3: template error: a template is read as at most {MAX_TOKENS}" in sent.err, sent.err
    assert run_kehu(store, "send", "--template", "hi", "--channel", "sms", "--segment", "all", "--dry-run").code == 0


class _ForgetsTheBirthday:
    """A plugin whose values are computed from a customer it changes as it goes (clearing the
    birthday it has used, renaming), for one customer or a list."""

    @hookimpl(tryfirst=True)
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        customer.birthday, customer.name = None, "改名"
        return {"seen": 1}

    @hookimpl(tryfirst=True)
    def customer_values_many(self, store: Any, customers: list[Any]) -> dict[str, Any]:
        for customer in customers:
            customer.birthday, customer.name = None, "改名"
        return {customer.id: {"seen": 1} for customer in customers}


def test_a_plugin_changing_the_customer_its_values_are_of_changes_no_other_plugins(tmp_path: Path) -> None:
    """A plugin's `customer_values` (or `customer_values_many`) that sets the customer it is given
    a birthday of None: the built-in reminders plugin, asked after it with the same object, gave
    "keep in touch" as the next reminder in `customer show` and `customer list --json` (and the
    TUI), not the birthday in two days. A plugin not kehu's gets its own copy of the customers
    (`guards.THEIR_COPY_HOOKS`), as `validate_customer` always did."""
    store = make_store(tmp_path / "s", plugins={"forgets": _ForgetsTheBirthday()},
                       customers=[{"name": "赵敏", "birthday": "1980-11-22"}])
    cid = next(iter(store.iter_customer_ids()))
    for argv in (["customer", "show", cid, "--json"], ["customer", "list", "--json"]):
        shown = run_kehu(store, *argv).json()
        shown = shown[0] if isinstance(shown, list) else shown
        assert shown["seen"] == 1 and shown["name"] == "赵敏", shown
        assert shown["next_reminder"]["rule"] == "birthday", (argv, shown["next_reminder"])


@pytest.mark.asyncio
async def test_a_plugin_giving_thousands_of_columns_or_panels_is_named_and_left_out(tmp_path: Path) -> None:
    """A plugin whose `tui_columns` gives a column per field of its own (2 000 of them), or as
    many panels: the TUI's list took 10 s to show and 7.7 s for each key pressed, unusable. A
    plugin gives the list at most `results.MAX_SHOWN` columns, and the customer screen as many
    panels: more is its wrong result, named, and left out; the other plugins' are shown."""
    from kehu_core.plugins.results import MAX_SHOWN

    class Thousands:
        @hookimpl
        def tui_columns(self, store: Any) -> list[Column]:
            return [Column(f"列{i}", lambda store, customer: "x", f"k{i}") for i in range(MAX_SHOWN + 1)]

        @hookimpl
        def tui_panels(self, store: Any) -> list[Panel]:
            return [Panel(f"板{i}", lambda store, customer: "x") for i in range(MAX_SHOWN + 1)]

    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}],
                       plugins={"many": Thousands(), "one": _column_plugin("一列", "one")})
    async with tui(store) as pilot:
        app = pilot.app
        await wait_until(pilot, lambda: "赵敏" in screen_text(app), what="the list")
        table = app.query_one(CustomerTable)
        assert [spec.title for spec, _column in table._plugin_columns] == ["一列"]
        said = " ".join(n.message for n in app._notifications)
        assert f"returned {MAX_SHOWN + 1} columns" in said, said
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerScreen), what="the customer screen")
        await wait_until(pilot, lambda: f"returned {MAX_SHOWN + 1} panels" in " ".join(
            n.message for n in app._notifications), what="the panels' failure said")
        assert "板1" not in screen_text(app)


class _RenamingPanel:
    """A panel whose render changes the customer it is given (its id, its name) before another
    panel, and the columns after it, read them."""

    @hookimpl
    def tui_panels(self, store: Any) -> list[Panel]:
        def renames(store: Any, customer: Any) -> str:
            customer.name, customer.id = "改名", "c1aaaaaaaaaaaaaa"
            return "改了"

        return [Panel("改名板", renames), Panel("读名板", lambda store, customer: f"名:{customer.name}/{customer.id}")]


@pytest.mark.asyncio
async def test_a_panel_changing_the_customer_it_renders_changes_no_other_panel(tmp_path: Path) -> None:
    """A plugin's panel whose `render` changed the customer it was given (a new name, another
    customer's id): every panel rendered after it showed that customer — the built-in points
    panel the points of whichever customer the id named. A callable a plugin not kehu's handed
    over (a panel's render, a column's value) gets its own copy of the customer."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}], plugins={"renames": _RenamingPanel()})
    cid = next(iter(store.iter_customer_ids()))
    async with tui(store) as pilot:
        app = pilot.app
        await open_customer(pilot, "赵敏", showing="改了")
        assert f"名:赵敏/{cid}" in screen_text(app), screen_text(app)
