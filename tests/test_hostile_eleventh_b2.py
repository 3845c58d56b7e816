"""Eleventh outside round, B, continued (issue 16, kinds 5 to 9): commands that commit what
they change, in a clone where git is in the middle of something; what a reminder says. Real
stores, git clones and processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.testing import add_customer, make_store, run_kehu

from .conftest import git, kehu
from .test_hostile_git import team, work_hash  # noqa: F401 (team: a fixture)
from .test_team_merge import remote, sync  # noqa: F401 (remote: a fixture)


def _stuck_merge(a: Path, b: Path) -> None:
    """A sync of ``a`` stopped half-way: a template both clones changed, left unmerged."""
    (a / "templates").mkdir()
    (a / "templates" / "t.j2").write_text("Subject: 你好\n\n新茶\n", encoding="utf-8")
    sync(a)
    sync(b)
    (b / "templates" / "t.j2").write_text("Subject: 你好\n\n秋茶\n", encoding="utf-8")
    sync(b)
    (a / "templates" / "t.j2").write_text("Subject: 你好\n\n冬茶\n", encoding="utf-8")
    assert kehu("sync", store=a).code == 1


STATES = ["merge-open", "detached-head"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("command", ["handover", "customer-merge"])
def test_a_command_that_commits_changes_nothing_where_no_commit_can_land(
        team: tuple[Path, Path, str], state: str, command: str) -> None:  # noqa: F811
    """`kehu handover` and `kehu customer merge` commit what they change. With a merge left
    open by a sync (a file both clones changed), the handover wrote every profile and then
    failed on git's "cannot do a partial commit during a merge", exit 1 with the profiles
    changed and staged; the customer merge took its files back but left them staged. On a
    detached HEAD (`git checkout COMMIT` to look at the past) both committed there, on no
    branch: `git switch master`, as `kehu sync` then tells, left the commit behind, the
    hand-over or the merge gone from the store. Each is refused before it changes anything,
    saying what git is in the middle of and the way out."""
    a, b, cid = team
    assert kehu("customer", "set", cid, "owner=王芳", store=a).code == 0
    other = kehu("customer", "add", "--name", "甲", "--phone", "13800138001", store=a).out.strip()
    if state == "merge-open":
        _stuck_merge(a, b)
    else:
        sync(a)
        git(a, "checkout", "-q", "--detach")
    before, head = work_hash(a), git(a, "rev-parse", "HEAD")
    status = git(a, "status", "--porcelain")
    argv = ["handover", "王芳", "李雷"] if command == "handover" else ["customer", "merge", cid, other]
    done = kehu(*argv, store=a)
    assert done.code == 1, (done.out, done.err)
    said = done.err
    assert "fatal:" not in said, said
    assert ("merge is not finished" in said) if state == "merge-open" else ("HEAD is detached" in said), said
    assert "nothing was changed" in said, said
    assert work_hash(a) == before and git(a, "rev-parse", "HEAD") == head
    assert git(a, "status", "--porcelain") == status


# --- kinds 7 and 9: a reminder's detail of more than one line -----------------------------------

FORGED_LINE = "2026-11-21  赵敏  转账到 6222-xxxx  (overdue)"


class _DetailRule:
    name = "forge"
    plugin = "forger"

    def due(self, store: Any, customer: Any, history: Any, start: Any, end: Any) -> Any:
        from kehu_core.models import Reminder

        yield Reminder(customer_id=customer.id, customer_name=customer.name, due=start, rule="forge",
                       title="打电话", key=f"forge:{customer.id}:1",
                       detail=f"好\n{FORGED_LINE}\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:\x1b]0;x\x07")


class _DetailForger:
    @hookimpl
    def reminder_rules(self, store: Any) -> list[Any]:
        return [_DetailRule()]


def test_a_reminders_detail_is_one_line_whoever_wrote_it(tmp_path: Path) -> None:
    """`kehu reminders` prints each reminder's detail on one indented line: a complaint's text
    of two lines (the built-in complaints rule quotes it) printed its second line as a
    reminder of its own (``2026-11-21  赵敏  转账到 …  (overdue)``), exit 0; a plugin's rule
    whose detail held line breaks, ESC and BEL printed them raw (the terminal retitled), and
    `export --format ics` wrote ESC and BEL into the calendar. A complaint's text is quoted on
    one line; a plugin's detail of more than one line, or holding a control character, is the
    rule's wrong result (as its title is), its reminders left out."""
    store = make_store(tmp_path / "store", today="2026-12-01", plugins={"forger": _DetailForger()})
    cid = add_customer(store, name="李雷")
    assert run_kehu(store, "interaction", "add", cid, "--kind", "complaint", "--date", "2026-12-01",
                    "--text", f"茶叶受潮\n{FORGED_LINE}").code == 0
    listed = run_kehu(store, "reminders", "--days", "3")
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert not any(line.startswith("2026-11-21") for line in lines), listed.out
    assert not any(c in listed.out for c in "\x1b\x07\r"), listed.out
    assert "茶叶受潮" in listed.out and "answer the complaint" in listed.out, listed.out
    assert "plugin 'forger' failed in reminder rule forge" in listed.err, listed.err
    out = store.root.parent / "e.ics"
    assert run_kehu(store, "export", "--format", "ics", str(out)).code == 0
    assert not any(c in out.read_text(encoding="utf-8") for c in "\x1b\x07"), out.read_text(encoding="utf-8")


# --- kind 9: a plugin writing from what only answers a question ---------------------------------


class _WritingRule:
    name = "spammy"
    plugin = "writer"

    def due(self, store: Any, customer: Any, history: Any, start: Any, end: Any) -> Any:
        store.append_ledger(customer.id, "spam", {"date": store.today, "delta": 1, "reason": "由提醒写"})
        return iter(())


class _Writer:
    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        return {"seen": 1}

    @hookimpl
    def customer_value_figures(self, store: Any, customer_ids: Any) -> dict[str, str | None]:
        for cid in customer_ids or store.index.ids():
            store.append_ledger(cid, "spam", {"date": store.today, "delta": 1, "reason": "由数值写"})
        return {}

    @hookimpl
    def reminder_rules(self, store: Any) -> list[Any]:
        return [_WritingRule()]


def test_a_plugin_writes_nothing_from_a_figure_or_a_reminder_rule(tmp_path: Path) -> None:
    """``customer_value_figures`` (what a plugin's values are computed from) and a reminder
    rule's ``due`` only answer, as ``customer_values`` and a validation rule do, but nothing
    held them to it: a plugin appending a ledger line in either wrote one on every `customer
    list`, `kehu check`, `customer add` and `kehu reminders`, exit 0 (six lines after four
    commands), and `kehu sync` would share them. Such a write is refused and named as the
    plugin's failure, as it is in the other hooks that only read."""
    store = make_store(tmp_path / "store", plugins={"writer": _Writer()})
    cid = add_customer(store, name="甲")
    said = ""
    for argv in (["customer", "list"], ["customer", "list", "--json"], ["check"], ["reminders"],
                 ["customer", "show", cid], ["customer", "add", "--name", "乙"]):
        done = run_kehu(store, *argv)
        assert done.code == 0, (argv, done.err)
        said += done.err
    assert not list(store.root.rglob("spam.ledger.yaml")), [p.read_text(encoding="utf-8")
                                                           for p in store.root.rglob("spam.ledger.yaml")]
    assert "plugin 'writer' failed in reminder rule spammy" in said and "only reads" in said, said
    assert "plugin 'writer' failed in customer_value_figures" in said, said


# --- kind 6: a phone's edit while another kehu process writes -----------------------------------


def test_a_phones_edit_while_another_process_writes_is_told_to_come_back_not_a_server_error(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """`kehu serve` takes the store's lock for a phone's edit, as every writer does: while
    another kehu process held it past the wait (a sync, an import of a big sheet), the PUT was
    answered 500 "A server error occurred" with a Python traceback in the server's log, as
    though kehu were broken. It is 503 with Retry-After, saying another kehu process writes,
    and nothing is changed; once the lock is free the same edit is taken."""
    from filelock import FileLock

    from .test_serve import _etag, card_url, serving

    with serving(tmp_path_factory, "busy") as server:
        session = server.session("wangfang")
        url = card_url(server, "wangfang", "李四")
        etag, text = _etag(session, url)
        edited = text.replace("tel:+8613712340000", "tel:+86-137-1234-9999").encode()
        headers = {"If-Match": etag, "Content-Type": "text/vcard"}
        lock = FileLock(str(server.root / ".kehu" / "lock"))
        with lock:
            busy = session.put(url, data=edited, headers=headers, timeout=120)
        assert busy.status_code == 503, (busy.status_code, busy.text)
        assert busy.headers.get("Retry-After") and "another kehu process is writing" in busy.text, busy.text
        log = (server.root.parent / "serve.log").read_text(encoding="utf-8")
        assert "Traceback" not in log, log[-2000:]
        again = session.put(url, data=edited, headers=headers, timeout=120)
        assert again.status_code == 204, again.text


class _DrawsAndWrites:
    """A TUI column and panel that append a ledger line each time they are drawn."""

    @staticmethod
    def _write(store: Any, customer: Any) -> str:
        store.append_ledger(customer.id, "spam", {"date": store.today, "delta": 1, "reason": "画一次写一行"})
        return "x"

    @hookimpl
    def tui_columns(self, store: Any) -> list[Any]:
        from kehu_core.plugins import Column

        return [Column(title="写列", value=self._write)]

    @hookimpl
    def tui_panels(self, store: Any) -> list[Any]:
        from kehu_core.plugins import Panel

        return [Panel(title="写面板", render=self._write)]


def test_a_tui_column_or_panel_writes_nothing_when_drawn(tmp_path: Path) -> None:
    """A plugin's TUI column (``value``, asked for every row on screen) and panel (``render``)
    only show: one that appended a ledger line wrote a line per row each time the list was
    drawn, and `kehu sync` shared them. Such a write is refused and named as the plugin's
    failure (the cell and the panel say so), as in the hooks that only read."""
    from kehu_core.handed import HandedFailed

    store = make_store(tmp_path / "store", plugins={"drawer": _DrawsAndWrites()})
    cid = add_customer(store, name="赵敏")
    customer = store.get(cid)
    handed = [*(c.value for c in store.plugins.collect("tui_columns", store=store) if c.title == "写列"),
              *(p.render for p in store.plugins.collect("tui_panels", store=store) if p.title == "写面板")]
    assert len(handed) == 2
    for call in handed:  # as the TUI's list and customer screen call them
        with pytest.raises(HandedFailed, match="only reads"):
            call(store, customer)
    assert not list(store.root.rglob("spam.ledger.yaml"))
