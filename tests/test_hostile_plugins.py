"""A plugin that prints (issue 16, kind 9): `print()` in a hook went to stdout before the
command's own output, so `customer list --json` was no JSON, with exit 0. What a hook prints
now goes to stderr; stdout is the command's."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from kehu_core.hookspecs import hookimpl
from kehu_core.testing import make_store, reopen, run_kehu

from .pluginutil import installed_plugin


class Noisy:
    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        print("noisy: working on", customer.name)
        sys.stdout.write("noisy: more\n")
        return {"noisy": 1}

    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> list[str]:
        print("noisy: validating")
        return []


def test_what_a_plugin_prints_never_mixes_with_json(tmp_path: Path) -> None:
    store = make_store(tmp_path, customers=[{"name": "赵敏"}], plugins={"noisy": Noisy()})
    cid = next(iter(store.iter_customer_ids()))
    printed = []
    for argv in (["customer", "list", "--json"], ["customer", "show", cid, "--json"], ["search", "赵", "--json"]):
        result = run_kehu(store, *argv)
        assert result.code == 0, result.err
        data = json.loads(result.out)  # only JSON on stdout
        assert "noisy:" not in result.out
        # a command finding the plugin's values kept fresh in the index does not ask it again
        # (whether they are still fresh depends on how long ago the files were written)
        printed.append("noisy: working on 赵敏" in result.err)
        shown = data[0] if isinstance(data, list) else data
        assert shown["noisy"] == 1
    assert any(printed)  # what the hook printed went to stderr


NOISY_MODULE = '''
import sys

import click

print("noisy: imported")                     # at the module's import time
sys.stdout.write("noisy: imported, again\\n")

from kehu_core.hookspecs import hookimpl


@hookimpl
def register_commands(cli):
    print("noisy: registering my command")

    @cli.command("noisy")
    def noisy():
        """Say hello (the command's own output: stdout)."""
        click.echo("hello from noisy")


@hookimpl
def customer_values(store, customer):
    return {"noisy": 1}
'''


def test_what_a_plugin_prints_when_imported_or_registering_goes_to_stderr(tmp_path: Path) -> None:
    """A plugin installed through its entry point that prints at import time or in
    ``register_commands`` (outside any other hook): that reached stdout before a command's own
    output (`customer list --json` was no JSON, exit 0). Now the import and the registration
    print to stderr, as every hook does; a plugin command's own output is still stdout."""
    import os
    import subprocess

    site = installed_plugin(tmp_path / "site", "noisy_kehu", "noisy", NOISY_MODULE)
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}])
    cid = next(iter(store.iter_customer_ids()))
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def kehu_run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store.root), *argv],
                              capture_output=True, text=True, env=env)

    for argv in (["customer", "list", "--json"], ["customer", "show", cid, "--json"], ["plugins", "--json"]):
        result = kehu_run(*argv)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)  # only JSON on stdout
        assert "noisy: imported\nnoisy: imported, again" in result.stderr, result.stderr
        if argv[0] == "customer":
            assert (data[0] if isinstance(data, list) else data)["noisy"] == 1
        else:
            assert "noisy" in [p["name"] for p in data]
    command = kehu_run("noisy")
    assert command.returncode == 0, command.stderr
    assert command.stdout == "hello from noisy\n"
    assert "noisy: imported" in command.stderr and "noisy: registering my command" in command.stderr



class Waiting:
    """A hook that, asked from another thread (the TUI's workers do), waits until the main
    thread has started a command of its own."""

    def __init__(self) -> None:
        self.inside, self.go_on = threading.Event(), threading.Event()

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        self.inside.set()
        assert self.go_on.wait(30)
        return {"waited": 1}


def test_a_hook_asked_in_another_thread_leaves_the_commands_output_alone(tmp_path: Path) -> None:
    """The TUI asks plugins for a sort in a worker thread while a command runs in the main one
    (a test running the CLI in-process beside the app): the worker swapped the process's one
    stdout to stderr and back, putting back the stdout it had seen over the command's, whose
    JSON went to the terminal while its result read empty (test_tui failed so under load)."""
    waiting = Waiting()
    store = make_store(tmp_path, customers=[{"name": "赵敏"}], plugins={"waiting": waiting})
    customer = store.get(next(iter(store.iter_customer_ids())))
    worker = threading.Thread(target=lambda: store.plugins.call("customer_values", store=store, customer=customer))
    worker.start()
    assert waiting.inside.wait(30)
    command_output = io.StringIO()
    with contextlib.redirect_stdout(command_output):  # the command starts (CliRunner does this)
        waiting.go_on.set()
        worker.join(30)  # the worker's hook call ends while the command runs
        print('{"the command": "its JSON"}')
    assert command_output.getvalue() == '{"the command": "its JSON"}\n'


def test_a_plugin_calling_sys_exit_as_it_is_imported_is_reported_and_kehu_goes_on(tmp_path: Path) -> None:
    """``sys.exit(3)`` at a plugin module's import time ended every command of kehu with exit 3
    and no word (a hook's ``sys.exit`` was caught, an import's was not)."""
    import os
    import subprocess

    site = tmp_path / "site"
    (site / "quitter_kehu").mkdir(parents=True)
    (site / "quitter_kehu" / "__init__.py").write_text("import sys\nsys.exit(3)\n", encoding="utf-8")
    dist = site / "quitter_kehu-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: quitter-kehu\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[kehu]\nquitter = quitter_kehu\n", encoding="utf-8")
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}])
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for argv in (["customer", "list", "--json"], ["check"], ["plugins", "--json"]):
        result = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store.root), *argv],
                                capture_output=True, text=True, env=env)
        assert "plugin 'quitter' failed in import: called sys.exit(3)" in result.stderr, (argv, result)
        assert "Traceback" not in result.stderr
        assert result.returncode == 0, result.stderr  # as for a plugin raising as it loads
        if argv[0] != "check":
            json.loads(result.stdout)
    assert [c["name"] for c in json.loads(subprocess.run(
        [sys.executable, "-m", "kehu_core", "--store", str(store.root), "customer", "list", "--json"],
        capture_output=True, text=True, env=env).stdout)] == ["赵敏"]


class _Tallies:
    name = "tallies"

    def write(self, store: Any, customers: Any, out: Path) -> Any:
        out.write_text("half", encoding="utf-8")
        return "lots"  # not a number of rows


class _Breaks:
    name = "breaks"

    def write(self, store: Any, customers: Any, out: Path) -> int:
        out.write_text("half", encoding="utf-8")
        raise RuntimeError("the exporter broke")


class _Junk:
    name = "junk"

    def detect(self, path: Path, head: bytes) -> bool:
        return path.suffix == ".junk"

    def read(self, path: Path, store: Any) -> Any:
        from kehu_core.plugins import ImportedContact

        yield ImportedContact(fields={"name": "甲"}, source=f"{path}:1")
        yield "not a contact"


class _Raises(_Junk):
    name = "raises"

    def detect(self, path: Path, head: bytes) -> bool:
        return path.suffix == ".raises"

    def read(self, path: Path, store: Any) -> Any:
        from kehu_core.plugins import ImportedContact

        yield ImportedContact(fields={"name": "乙"}, source=f"{path}:1")
        raise ValueError("the reader broke")


class BadIO:
    @hookimpl
    def exporters(self) -> list[Any]:
        return [_Tallies(), _Breaks()]

    @hookimpl
    def importers(self) -> list[Any]:
        return [_Junk(), _Raises()]


def test_a_plugins_exporter_or_importer_that_fails_is_named_and_writes_nothing(tmp_path: Path) -> None:
    """The objects a plugin's `exporters`/`importers` give had their shape checked, not what
    their methods do: an exporter raising was "internal error: RuntimeError", one returning
    "lots" printed "wrote lots rows" with exit 0, an importer raising was "internal error:
    ValueError" and one yielding a string was taken as a contact."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}], plugins={"badio": BadIO()})
    out = tmp_path / "out.txt"
    out.write_text("before\n", encoding="utf-8")
    for fmt, said in (("tallies", "gave str, not how many it wrote"),
                      ("breaks", "failed: RuntimeError: the exporter broke")):
        result = run_kehu(store, "export", "--format", fmt, out)
        assert result.code == 1, (fmt, result.out, result.err)
        assert f"the '{fmt}' exporter (a plugin's) {said}; nothing was written" in result.err, result.err
        assert "internal error" not in result.err and out.read_text(encoding="utf-8") == "before\n"
    for suffix, said in (("junk", "gave str, not a contact"), ("raises", "ValueError: the reader broke")):
        sheet = tmp_path / f"contacts.{suffix}"
        sheet.write_text("x\n", encoding="utf-8")
        result = run_kehu(store, "import", sheet)
        assert result.code == 1, (suffix, result.out, result.err)
        assert f"{sheet}:1: the '{_Junk.name if suffix == 'junk' else 'raises'}' importer (a plugin's) failed: " \
               f"{said}; nothing of this file was imported" in result.err, result.err
        assert "internal error" not in result.err
    listed = run_kehu(store, "customer", "list", "--json")
    assert [c["name"] for c in json.loads(listed.out)] == ["赵敏"]  # 甲 and 乙 not half-imported


class _Gateway:
    """A plugin's message sender that misbehaves in the way ``mode`` says."""

    channel = "gw"

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def send(self, store: Any, customer: Any, subject: str, body: str) -> Any:
        if self.mode in ("write-raise", "write-exit"):
            store.update_customer(customer.id, {"title": "写了一半"})
        if self.mode.endswith("exit"):
            sys.exit(4)
        if self.mode.endswith("raise"):
            raise RuntimeError("gateway down")
        return {"none": None, "object": object(), "escape": "id\x1b]0;x\x07"}[self.mode]


class _Senders:
    def __init__(self, mode: str) -> None:
        self.mode = mode

    @hookimpl
    def message_senders(self, store: Any) -> list[Any]:
        return [_Gateway(self.mode)]


@pytest.mark.parametrize("mode", ["exit", "write-exit", "write-raise"])
def test_a_plugins_sender_that_exits_or_writes_and_fails_is_named_and_leaves_nothing(
        mode: str, tmp_path: Path) -> None:
    """``sys.exit`` in a sender's ``send`` ended ``kehu send`` with the plugin's code and no word;
    a sender that wrote through the store and then failed left what it wrote."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏", "phones": ["13912345678"]}],
                       plugins={"gateway": _Senders(mode)})
    (store.root / "kehu.yaml").write_text((store.root / "kehu.yaml").read_text(encoding="utf-8")
                                          + "segments:\n  everyone: {}\n", encoding="utf-8")
    (store.root / "templates").mkdir()
    (store.root / "templates" / "greet.j2").write_text("你好 {{ customer.name }}\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in (store.root / "customers").rglob("*") if p.is_file()}
    result = run_kehu(store, "send", "--segment", "everyone", "--template", "greet", "--channel", "gw",
                      "--rate", "100000", "--json")
    assert "Traceback" not in result.err
    assert result.code == 1, result  # a message failed: exit 1, as for a refused email
    message = json.loads(result.out)["messages"][0]
    assert message["status"] == "failed"
    if "exit" in mode:
        assert message["error"] == "called sys.exit(4); kehu went on"
        assert "plugin 'gateway' failed in message_senders 'gw' send: called sys.exit(4)" in result.err
    after = {p: p.read_bytes() for p in (store.root / "customers").rglob("*") if p.is_file()}
    assert after == before  # nothing of what it wrote, no message recorded


@pytest.mark.parametrize("mode", ["none", "object", "escape"])
def test_a_plugins_sender_returning_no_id_a_record_holds_is_named_and_the_message_recorded(
        mode: str, tmp_path: Path) -> None:
    """A sender's ``None`` was recorded as the id "None"; one holding a control character was
    refused by the record's rules after the message went out, ending the send with exit 1."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏", "phones": ["13912345678"]}],
                       plugins={"gateway": _Senders(mode)})
    (store.root / "kehu.yaml").write_text((store.root / "kehu.yaml").read_text(encoding="utf-8")
                                          + "segments:\n  everyone: {}\n", encoding="utf-8")
    (store.root / "templates").mkdir()
    (store.root / "templates" / "greet.j2").write_text("你好 {{ customer.name }}\n", encoding="utf-8")
    result = run_kehu(store, "send", "--segment", "everyone", "--template", "greet", "--channel", "gw",
                      "--rate", "100000", "--json")
    assert "Traceback" not in result.err
    assert result.code == 0, result
    assert "plugin 'gateway' failed in message_senders 'gw' send: wrong result:" in result.err
    message = json.loads(result.out)["messages"][0]
    assert message["status"] == "sent" and message["ref"] is None  # it went out: not sent again
    cid = message["id"]
    recorded = [i for i in reopen(store).interactions(cid) if i.kind == "message"]
    assert len(recorded) == 1 and "ref" not in (recorded[0].model_extra or {}) and \
        getattr(recorded[0], "ref", None) is None
    assert run_kehu(store, "check").code == 0


class _Rule:
    """A plugin's reminder rule whose optional ``history_needs`` or whose ``due`` misbehaves."""

    name = "wobbly"

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def history_needs(self, start: Any, end: Any) -> Any:
        if self.mode == "needs-raise":
            raise RuntimeError("needs broke")
        if self.mode == "needs-exit":
            sys.exit(3)
        if self.mode == "needs-none":
            return None
        from kehu_core.reminder_engine import HistoryNeeds

        return HistoryNeeds()

    def due(self, store: Any, customer: Any, history: Any, start: Any, end: Any) -> Any:
        if self.mode == "due-write-raise":
            store.update_customer(customer.id, {"title": "规则写的"})
            raise RuntimeError("due broke after writing")
        return []


class _Rules:
    def __init__(self, mode: str) -> None:
        self.mode = mode

    @hookimpl
    def reminder_rules(self, store: Any) -> list[Any]:
        return [_Rule(self.mode)]


@pytest.mark.parametrize("mode", ["needs-raise", "needs-exit", "needs-none", "due-write-raise"])
def test_a_reminder_rules_method_that_fails_is_named_and_the_other_rules_still_remind(
        mode: str, tmp_path: Path) -> None:
    """A rule's ``history_needs`` that raised, exited or gave None ended every rule's reminders
    in ``customer show`` (and the TUI), blamed on the built-in reminders plugin: the birthday
    greeting was gone. A rule's ``due`` that wrote and then raised left what it wrote.
    The files are made old, as a person's next command finds them: the next reminder computed
    while the rule failed was then kept in the index, and the third command read it from there
    and named no failure (only while the files were "racy", their two seconds, was it named)."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏", "birthday": "1990-11-25"}],
                       plugins={"wobbly_rules": _Rules(mode)})
    cid = store.index.list()[0].customer.id
    for path in [store.root / "kehu.yaml", *(store.root / "customers").rglob("*")]:
        os.utime(path, (path.stat().st_mtime - 60, path.stat().st_mtime - 60))
    before = {p: p.read_bytes() for p in (store.root / "customers").rglob("*") if p.is_file()}
    for argv in (["customer", "show", cid, "--json"], ["reminders", "--json"]):
        result = run_kehu(store, *argv)
        assert result.code == 0 and "Traceback" not in result.err, result
        shown = json.loads(result.out)
        reminder = shown["next_reminder"] if argv[0] == "customer" else shown[0]
        assert reminder["rule"] == "birthday", shown
        assert "plugin 'reminders' failed" not in result.err, result.err
    assert "plugin 'wobbly' failed in reminder rule wobbly" in run_kehu(
        store, "customer", "show", cid).err
    after = {p: p.read_bytes() for p in (store.root / "customers").rglob("*") if p.is_file()}
    assert after == before


class _Claims:
    """A plugin's importer whose ``detect`` misbehaves, or whose ``read`` writes and then fails."""

    name = "claims"

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def detect(self, path: Path, head: bytes) -> Any:
        if self.mode == "detect-raise":
            raise RuntimeError("detect broke")
        if self.mode == "detect-exit":
            sys.exit(7)
        if self.mode == "detect-yes":
            return "yes"
        return path.suffix == ".claims"

    def read(self, path: Path, store: Any) -> Any:
        store.update_customer(store.index.list()[0].customer.id, {"title": "导入写的"})
        raise RuntimeError("read broke")


class _ClaimsPlugin:
    def __init__(self, mode: str) -> None:
        self.mode = mode

    @hookimpl
    def importers(self) -> list[Any]:
        return [_Claims(self.mode)]


@pytest.mark.parametrize("mode", ["detect-raise", "detect-exit", "detect-yes"])
def test_a_plugins_importer_whose_detect_fails_is_named_and_other_files_still_import(
        mode: str, tmp_path: Path) -> None:
    """Plugin importers are asked first: a ``detect`` that raised made every ``kehu import``
    (a CSV's too) "internal error"; ``sys.exit(7)`` ended it with exit 7 and no word; one
    answering "yes" took the CSV and read nothing of it, exit 0."""
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}], plugins={"claimer": _ClaimsPlugin(mode)})
    sheet = tmp_path / "new.csv"
    sheet.write_text("name,phone\n钱七,13811112222\n", encoding="utf-8")
    result = run_kehu(store, "import", str(sheet))
    assert result.code == 0, result
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert "plugin 'claimer' failed in importers 'claims' detect" in result.err, result.err
    assert "1 created" in result.out
    assert "钱七" in [row.customer.name for row in reopen(store).index.list()]


def test_what_a_plugins_importer_wrote_before_it_failed_is_undone(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}], plugins={"claimer": _ClaimsPlugin("read")})
    before = {p: p.read_bytes() for p in (store.root / "customers").rglob("*") if p.is_file()}
    mine = tmp_path / "contacts.claims"
    mine.write_text("whatever\n", encoding="utf-8")
    result = run_kehu(store, "import", str(mine))
    assert result.code == 1 and "the 'claims' importer (a plugin's) failed" in result.out + result.err, result
    after = {p: p.read_bytes() for p in (store.root / "customers").rglob("*") if p.is_file()}
    assert after == before


class _WritesThenFails:
    """An exporter, a list column and a customer panel that change the profile, then fail."""

    name = "writes"

    def write(self, store: Any, customers: Any, out: Path) -> int:
        store.update_customer(customers[0].id, {"title": "导出写的"})
        raise RuntimeError("export broke")

    @hookimpl
    def exporters(self) -> list[Any]:
        return [self]

    @staticmethod
    def _change_then_fail(store: Any, customer: Any) -> Any:
        store.update_customer(customer.id, {"title": "面板写的"})
        raise RuntimeError("render broke")

    @hookimpl
    def tui_columns(self, store: Any) -> list[Any]:
        from kehu_core.plugins import Column

        return [Column("写列", self._change_then_fail, "writes")]

    @hookimpl
    def tui_panels(self, store: Any) -> list[Any]:
        from kehu_core.plugins import Panel

        return [Panel("写面板", self._change_then_fail)]


def test_what_a_plugins_exporter_column_or_panel_wrote_before_failing_is_undone(tmp_path: Path) -> None:
    """``kehu export`` said "nothing was written" while the exporter's change to a profile
    stayed; a column's value or a panel's render (called by the TUI) left theirs too."""
    from kehu_core.handed import HandedFailed

    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}], plugins={"writer": _WritesThenFails()})
    before = {p: p.read_bytes() for p in (store.root / "customers").rglob("*") if p.is_file()}
    result = run_kehu(store, "export", "--format", "writes", str(tmp_path / "out.txt"))
    assert result.code == 1 and "the 'writes' exporter (a plugin's) failed" in result.err, result
    assert {p: p.read_bytes() for p in (store.root / "customers").rglob("*") if p.is_file()} == before
    customer = store.get(store.index.list()[0].customer.id)
    handed = [*(c.value for c in store.plugins.collect("tui_columns", store=store) if c.title == "写列"),
              *(p.render for p in store.plugins.collect("tui_panels", store=store) if p.title == "写面板")]
    assert len(handed) == 2
    for call in handed:  # as the TUI calls them
        with pytest.raises(HandedFailed):
            call(store, customer)
    assert {p: p.read_bytes() for p in (store.root / "customers").rglob("*") if p.is_file()} == before
