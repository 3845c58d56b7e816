"""Eleventh outside round, B (issue 16, kinds 5 to 9): doors the ten rounds before did not try,
each seen failing before its fix. Real stores, real processes, real git remotes and clones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.testing import add_customer, make_store, run_kehu

from .conftest import git, kehu
from .pluginutil import installed_plugin
from .test_hostile_git import team  # noqa: F401 (a fixture)
from .test_team_merge import remote, sync  # noqa: F401 (remote: a fixture)

# --- kind 9: two installed plugins of one name -------------------------------------------------


def _kehu_with(site: Path, tmp_path: Path, store: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The real kehu in its own process, with the distributions in ``site`` installed (ahead
    of kehu's own on the path, as a user's site-packages or a PYTHONPATH is)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)}
    return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), *argv],
                          capture_output=True, text=True, env=env, timeout=120)


def test_a_plugin_named_as_a_built_in_one_is_refused_not_put_in_its_place(tmp_path: Path) -> None:
    """A third party's distribution whose entry point is named ``points`` (a fork, a typo'd
    copy, a malicious package) took the built-in points plugin's place without a word: the
    first distribution on the path wins a name, so no purchase earned points, `kehu points`
    was gone and the points rules `kehu check` and `kehu sync` ask (points spent twice) were
    never asked. A built-in plugin's name is kehu's: the other distribution is not loaded and
    is named as a failure, as a plugin that fails to import is; of two third parties of one
    name, the first on the path is loaded and the other named."""
    site = installed_plugin(tmp_path / "site", "other_points", "points",
                            "from kehu_core import hookimpl\n\n@hookimpl\n"
                            "def customer_values(store, customer):\n    return {'other': 1}\n")
    installed_plugin(site, "first_extra", "extra", "")
    installed_plugin(site, "second_extra", "extra", "")
    store = make_store(tmp_path / "store")
    cid = add_customer(store, name="赵敏")
    bought = _kehu_with(site, tmp_path, store.root, "purchase", "add", cid, "--amount", "100",
                        "--date", "2026-11-01")
    assert bought.returncode == 0, bought.stderr
    said = bought.stderr
    assert "plugin 'points' failed in import" in said and "other_points" in said, said
    assert "kehu_plugins.points" in said, said
    assert "plugin 'extra' failed in import" in said, said
    points = _kehu_with(site, tmp_path, store.root, "points", cid, "--json")
    assert points.returncode == 0, points.stderr
    assert json.loads(points.stdout)["balance"] == 100
    listed = json.loads(_kehu_with(site, tmp_path, store.root, "plugins", "--json").stdout)
    modules = {p["name"]: p["module"] for p in listed}
    assert modules["points"] == "kehu_plugins.points", modules
    other = {"first_extra", "second_extra"} - {modules["extra"]}  # the path's order within a folder
    assert len(other) == 1 and f"{other.pop()} is not loaded" in said, (modules, said)


# --- kind 5: a message template two clones changed ---------------------------------------------


def _template(store: Path, line: str) -> None:
    (store / "templates").mkdir(exist_ok=True)
    (store / "templates" / "hi.j2").write_text(f"Subject: 你好\n\n{{{{ name }}}}您好，{line}\n再见\n",
                                              encoding="utf-8")


@pytest.mark.parametrize("committed", [False, True], ids=["merge-open", "markers-committed"])
def test_a_template_holding_gits_conflict_markers_is_never_sent(team: tuple[Path, Path, str],  # noqa: F811
                                                                committed: bool) -> None:
    """A template (`templates/`, shared by `kehu sync`) changed in two clones: the sync stopped
    with the template unmerged, and `kehu send` sent every customer git's markers and both
    versions (``<<<<<<< HEAD``, ``=======``, ``>>>>>>> refs/remotes/origin/master``), exit 0;
    committed so by hand (`git commit -a`), `kehu check` said ok as well. A template holding
    the markers is refused by every door that reads one, at the markers' line, nothing sent,
    and `kehu check` names it."""
    a, b, cid = team
    _template(a, "新茶到了")
    sync(a)
    sync(b)
    _template(b, "秋茶到了")
    sync(b)
    _template(a, "冬茶到了")
    stopped = kehu("sync", store=a)
    assert stopped.code == 1 and "templates/hi.j2" in stopped.err, stopped.err
    if committed:
        git(a, "commit", "-q", "-a", "-m", "merged by hand")
    sent = kehu("send", "--segment", "all", "--template", "hi", "--channel", "sms", store=a)
    assert sent.code == 1, sent.out
    assert "templates/hi.j2:3: unresolved git merge conflict" in sent.err, sent.err
    assert not (a / ".kehu" / "outbox").exists() or not list((a / ".kehu" / "outbox").iterdir())
    checked = kehu("check", store=a)
    assert checked.code == 1 and "templates/hi.j2:3: unresolved git merge conflict" in checked.out + checked.err, \
        checked.out + checked.err


# --- kind 7: a field named as what carries the others in a vCard --------------------------------


def test_a_field_named_extra_fields_comes_back_from_a_vcard_export(tmp_path: Path) -> None:
    """A vCard export writes each field of its own as ``X-KEHU-<FIELD>`` and the fields whose
    names no property can carry (``微信``) as JSON in ``X-KEHU-EXTRA-FIELDS``: a profile's own
    field named ``extra_fields`` was written as a second ``X-KEHU-EXTRA-FIELDS``, and the
    import took it for the carrier: its value lost (and, being JSON of a mapping, read as
    fields of its own), exit 0. Such a field travels in the carrier too, and comes back."""
    store = make_store(tmp_path / "store")
    cid = add_customer(store, name="钱七")
    profile = next((store.root / "customers").glob(f"*/{cid}/customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8")
                       + 'extra_fields: \'{"owner": "李雷"}\'\n微信: qq7\n', encoding="utf-8")
    assert kehu("check", store=store.root).code == 0
    out = tmp_path / "out.vcf"
    assert kehu("export", "--format", "vcard", str(out), store=store.root).code == 0
    other = make_store(tmp_path / "other")
    imported = kehu("import", str(out), store=other.root)
    assert imported.code == 0, imported.err
    back = kehu("customer", "show", cid, "--json", store=other.root).json()
    assert back["extra_fields"] == '{"owner": "李雷"}' and back["微信"] == "qq7", back
    assert back["owner"] is None, back


# --- kind 9: a reminder rule changing the customer or the history it was given -------------------


class _MeddlingRule:
    name = "meddle"
    plugin = "meddler"

    def due(self, store: Any, customer: Any, history: list[Any], start: Any, end: Any) -> Any:
        history.clear()
        customer.birthday = None
        customer.name = "改了名"
        return iter(())


class _Meddler:
    @hookimpl(tryfirst=True)  # asked before the built-in rules
    def reminder_rules(self, store: Any) -> list[Any]:
        return [_MeddlingRule()]


def test_a_reminder_rule_changing_what_it_was_given_hides_no_other_rules_reminder(tmp_path: Path) -> None:
    """Every reminder rule was given the same customer and the same history: a plugin's rule
    that cleared the history (or set the birthday to None, or renamed the customer) took the
    overdue bill and the birthday greeting out of `kehu reminders`, `customer show`'s next
    reminder and the TUI's Today, and the other rules' reminders named the customer as the
    plugin had, exit 0. A third party's rule gets its own copies, as a hook does."""
    store = make_store(tmp_path / "store", today="2026-12-01", plugins={"meddler": _Meddler()})
    cid = add_customer(store, name="赵敏", birthday="1990-12-05")
    bought = run_kehu(store, "purchase", "add", cid, "--amount", "100", "--date", "2026-10-01",
                      "--due", "2026-10-15")
    assert bought.code == 0, bought.err
    meddled = run_kehu(store, "reminders", "--days", "30", "--json")
    assert meddled.code == 0, meddled.err
    alone = kehu("--today", "2026-12-01", "reminders", "--days", "30", "--json", store=store.root)
    assert alone.code == 0, alone.err
    assert json.loads(meddled.out) == json.loads(alone.out)
    keys = [r["key"].split(":")[0] for r in json.loads(meddled.out)]
    assert "overdue" in keys and "birthday" in keys, keys
    assert "改了名" not in meddled.out


class _SwappingSender:
    """Sends, and changes the customer it was given into another one (its id, its phones)."""

    channel = "wechat"

    def __init__(self) -> None:
        self.other = ""
        self.sent: list[str] = []

    def send(self, store: Any, customer: Any, subject: str, body: str) -> str:
        self.sent.append(customer.id)
        customer.id = self.other
        customer.phones.clear()
        return f"wx-{len(self.sent)}"


class _Swapper:
    def __init__(self, sender: _SwappingSender) -> None:
        self.sender = sender

    @hookimpl
    def message_senders(self, store: Any) -> list[Any]:
        return [self.sender]


def test_a_sender_changing_the_customer_it_was_given_records_the_message_where_it_went(tmp_path: Path) -> None:
    """`kehu send` records each message a plugin's sender sent under the customer it was sent
    to, read from the customer it handed the sender: a sender that changed that customer's id
    (a gateway library normalising what it is given) had the message recorded under another
    customer, so the one it went to was sent it again by the next run, exit 0 both times. A
    third party's sender gets its own copy of the customer."""
    sender = _SwappingSender()
    store = make_store(tmp_path / "store", today="2026-12-01", plugins={"swapper": _Swapper(sender)})
    first = add_customer(store, name="赵敏")
    sender.other = add_customer(store, name="李雷")
    (store.root / "templates").mkdir()
    (store.root / "templates" / "hi.j2").write_text("Subject: 你好\n\n{{ name }}您好\n", encoding="utf-8")
    for _run in range(2):
        sent = run_kehu(store, "send", "--segment", "all", "--template", "hi", "--channel", "wechat")
        assert sent.code == 0, sent.err
    assert sorted(sender.sent) == sorted([first, sender.other]), sender.sent  # each once
    for cid in (first, sender.other):
        shown = run_kehu(store, "customer", "show", cid, "--json").json()
        assert [i["kind"] for i in shown["interactions"]] == ["message"], (cid, shown["interactions"])


# --- kind 5: a text of many lines changed two ways ----------------------------------------------


def test_a_conflict_of_a_text_of_many_lines_is_one_problem_line(team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """Notes changed two ways in two clones: the merge kept both under `conflicts:`, and `kehu
    check` and the sync's stop printed the problem over as many lines as the three versions
    held, a colleague's line (``fake.yaml:1: forged problem``) among them as a problem of its
    own for whoever parses the check; a 1 MB note made a problem of 3 MB. A value a conflict
    names is shown on its line, escaped and cut short."""
    a, b, cid = team
    note = "第一行\nfake.yaml:1: forged problem\n" + "茶" * 5000
    assert kehu("customer", "set", cid, f"notes={note}", store=a).code == 0
    sync(a)
    sync(b)
    assert kehu("customer", "set", cid, f"notes=改过\n{note}", store=b).code == 0
    sync(b)
    assert kehu("customer", "set", cid, f"notes={note}\n又改过", store=a).code == 0
    stopped = kehu("sync", store=a)
    assert stopped.code == 1, stopped.err
    checked = kehu("check", store=a)
    assert checked.code == 1
    for said in (stopped.err, checked.out + checked.err):
        lines = said.splitlines()
        assert not any(line.startswith("fake.yaml") for line in lines), said[:600]
        problem = next(line for line in lines if "merge conflict on notes" in line)
        assert "第一行\\x0afake.yaml:1: forged problem" in problem and len(problem) < 1500, problem[:300]
        assert "choose with `kehu customer set" in problem, problem[-300:]


# --- kind 5: an entry taken back in one clone, added to in the other ------------------------------


def _points(store: Path, cid: str) -> int:
    return int(kehu("points", "show", cid, "--json", store=store).json()["balance"])


def test_a_redemption_undone_in_one_clone_stays_undone_when_the_other_adds_to_the_ledger(
        team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """A redemption synced, then taken back by `kehu undo` in one clone while the other clone
    recorded a sale (a line added after the redemption's): git's union merge of the ledger kept
    both sides' region, the redemption among them, so the points were spent again — 900 where
    1 000 + 200 were held —, `kehu check` ok, both syncs exit 0. The sync settling the merge
    takes out again an entry one side took back and the other left as it was."""
    a, b, cid = team
    assert kehu("purchase", "add", cid, "--amount", "1000", "--date", "2026-11-01", "--paid", store=a).code == 0
    assert kehu("points", "redeem", cid, "300", "--reason", "换礼品", store=a).code == 0
    sync(a)
    sync(b)
    undone = kehu("undo", store=a)
    assert undone.code == 0, undone.err
    assert _points(a, cid) == 1000
    sync(a)
    assert kehu("purchase", "add", cid, "--amount", "200", "--date", "2026-11-05", "--paid", store=b).code == 0
    synced = kehu("sync", store=b)
    assert synced.code == 0, synced.err
    sync(a)
    for clone in (a, b):
        assert _points(clone, cid) == 1200, clone
        assert kehu("check", store=clone).code == 0
    assert (a / git(a, "ls-files", "*points.ledger.yaml").strip()).read_text(encoding="utf-8").count("redeem") == 0


# --- kind 7: an xlsx wider than Excel's sheet ---------------------------------------------------


def test_an_xlsx_export_is_never_wider_or_longer_than_an_excel_sheet(tmp_path: Path) -> None:
    """Every field of any customer is a column of an export (a colleague's sheet imported with
    its own columns, a hand edit): past 16 384 of them the xlsx export wrote columns beyond
    Excel's last (XFD), exit 0, and Excel opens such a workbook as damaged, dropping what it
    cannot place. An xlsx export wider than a sheet (or longer: 1 048 576 rows) is refused,
    naming the limit and the way out (CSV), and nothing is written; CSV writes every column."""
    store = make_store(tmp_path / "store")
    for n in range(20):  # 820 fields of their own each (a record holds at most 1 000: models.MAX_FIELDS)
        cid = add_customer(store, name=f"钱七{n}")
        profile = next((store.root / "customers").glob(f"*/{cid}/customer.yaml"))
        with profile.open("a", encoding="utf-8") as handle:
            handle.write("".join(f"f{i}: {i}\n" for i in range(n * 820, (n + 1) * 820)))
    assert kehu("check", store=store.root).code == 0
    out = tmp_path / "wide.xlsx"
    wide = kehu("export", "--format", "xlsx", str(out), store=store.root)
    assert wide.code == 1, wide.err
    assert "16,384" in wide.err and "CSV" in wide.err and not out.exists(), wide.err
    csv_out = tmp_path / "wide.csv"
    assert kehu("export", "--format", "csv", str(csv_out), store=store.root).code == 0
    assert "f16399" in csv_out.read_text(encoding="utf-8-sig").splitlines()[0]


# --- kinds 5 and 6: a remote that answers nothing ----------------------------------------------


def test_a_sync_with_a_remote_that_answers_nothing_ends_and_lets_go_of_the_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A remote that takes the connection and then says nothing (a git server hung, a proxy
    holding the line): `kehu sync` waited for ever, holding the store's lock, and every other
    write of the clone (the TUI's, `customer add`) failed after 30 s, "another kehu process is
    writing". A transfer that moves nothing for ``gitops.STALL_SECONDS`` ends the sync, which
    says so and leaves the clone as it was."""
    import socket
    import threading
    import time

    from kehu_core.services import gitops

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def take_and_say_nothing() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    threading.Thread(target=take_and_say_nothing, daemon=True).start()
    monkeypatch.setattr(gitops, "STALL_SECONDS", 3)
    store = tmp_path / "shop"
    assert kehu("init", str(store)).code == 0
    git(store, "remote", "add", "origin", f"http://127.0.0.1:{server.getsockname()[1]}/shop.git")
    assert kehu("customer", "add", "--name", "赵敏", store=store).code == 0
    head = git(store, "rev-parse", "HEAD")
    try:
        started = time.monotonic()
        synced = kehu("sync", store=store)
        took = time.monotonic() - started
    finally:
        stop.set()
        for connection in held:
            connection.close()
        server.close()
    assert synced.code == 1 and "cannot reach remote origin" in synced.err, synced.err
    assert took < 60, took
    assert git(store, "rev-parse", "HEAD") == head  # the clone as it was: the customer uncommitted
    assert kehu("customer", "add", "--name", "李雷", store=store).code == 0
