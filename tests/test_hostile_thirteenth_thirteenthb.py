"""The thirteenth outside round (B2, 2026-12-06), kinds 5 to 9: git merges, two processes at
once, exports, resource exhaustion and plugins. Each failed on the code before its fix. See
docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

from kehu_core.store import GITATTRIBUTES

from .conftest import ROOT, git, kehu
from .test_team_merge import first_clone, ok

#: a process that opens the store's index at each word of the test, and says whether the file
#: it opened is still the index's file once every other process has opened it too
_OPENER = """
import sys
from kehu_core.store import Store
from kehu_core.index.connection import IndexConnection
store = Store.open(sys.argv[1])
while sys.stdin.readline() == "go\\n":
    index = IndexConnection(store)
    print("opened", flush=True)
    sys.stdin.readline()
    said = "replaced" if index.replaced() else "kept"
    index.close()
    print(said, flush=True)
"""


def _say(openers: list[subprocess.Popen[str]], word: str) -> list[str]:
    """Write ``word`` to every opener at once, then read each one's answer."""
    for opener in openers:
        assert opener.stdin is not None
        opener.stdin.write(word + "\n")
    for opener in openers:
        assert opener.stdin is not None
        opener.stdin.flush()
    answers = []
    for opener in openers:
        assert opener.stdout is not None
        answers.append(opener.stdout.readline().strip())
    return answers


def test_processes_making_the_index_at_one_moment_keep_one_file(tmp_path: Path) -> None:
    """Several processes opening a store that has no index at the same moment (a TUI, `kehu
    serve` and a command started together after `git clone`): each made an empty index,
    deleting the one another had just made, so a process went on reading and writing a deleted
    file until its next look (here 4 of 6 in the first round). The index is made under a lock
    of its folder, and a process that finds it half made waits for it
    (`index.schema.connect`)."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    index = path / ".kehu" / "index.sqlite"
    openers = [subprocess.Popen([sys.executable, "-c", _OPENER, str(path)], cwd=ROOT, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(6)]
    try:
        for _round in range(100):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{index}{suffix}").unlink(missing_ok=True)
            assert _say(openers, "go") == ["opened"] * len(openers)
            said = _say(openers, "look")
            assert said == ["kept"] * len(openers), (_round, said)
    finally:
        for opener in openers:
            opener.communicate("stop\n")


def _clones(tmp_path: Path) -> tuple[Path, Path]:
    """The first clone of a new bare remote (test_team_merge's), and the remote."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    return first_clone(tmp_path, remote), remote


def _planned(clone: Path, day: str) -> list[str]:
    listed = kehu("--today", day, "visits", "plan", "--owner", "王芳", "--json", store=clone)
    assert listed.code == 0, listed.err
    rows = listed.json()
    return [row["id"] for row in (rows["visits"] if isinstance(rows, dict) else rows)]


def test_a_visit_plan_changed_in_two_clones_merges_by_joining_the_lists(tmp_path: Path) -> None:
    """Two clones each adding a customer to one rep's visit plan of one day (the rep on the road,
    the supervisor at the shop): where neither had a plan, the two files collided and `kehu sync`
    stopped on a git conflict; where one had, git's line merge put the second clone's addition
    under the first's `remove:` (the customer dropped from the plan, sync exit 0, `check` ok).
    A plan merges by its lists (kehu's `.gitattributes`, kehu's driver): both additions kept in
    order, no id twice, a removal on one side honoured; `kehu git-setup` adds the rule to an
    older store's `.gitattributes` as kehu writes it."""
    a, remote = _clones(tmp_path)
    ids = [ok("customer", "add", "--name", name, "--owner", "王芳", store=a).strip()
           for name in ("赵敏", "钱多", "孙丽", "李雷", "周杰")]
    ok("--today", "2026-11-20", "visits", "plan", "--owner", "王芳", "--add", ids[0], "--add", ids[3], store=a)
    ok("sync", store=a)
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(b))
    ok("git-setup", store=b)
    for clone, changes in ((a, ("--add", ids[1], "--remove", ids[3])), (b, ("--add", ids[2]))):
        ok("--today", "2026-11-20", "visits", "plan", "--owner", "王芳", *changes, store=clone)
    for clone, added in ((a, ids[4]), (b, ids[1])):  # a day neither had planned
        ok("--today", "2026-11-21", "visits", "plan", "--owner", "王芳", "--add", added, store=clone)
    ok("sync", store=a)
    synced = kehu("sync", store=b)
    assert synced.code == 0, synced.out + synced.err
    ok("sync", store=a)
    for plan in ("visits/王芳/2026-11-20.yaml", "visits/王芳/2026-11-21.yaml"):
        assert (a / plan).read_text(encoding="utf-8") == (b / plan).read_text(encoding="utf-8")
    for clone in (a, b):
        assert sorted(_planned(clone, "2026-11-20")) == sorted(ids[:3]), _planned(clone, "2026-11-20")
        assert sorted(_planned(clone, "2026-11-21")) == sorted([ids[1], ids[4]]), _planned(clone, "2026-11-21")
        assert kehu("check", store=clone).code == 0
        assert not git(clone, "status", "--porcelain").strip()

    older = tmp_path / "older"  # a store made before the rule: git-setup adds it
    assert kehu("init", str(older)).code == 0
    rule = "visits/*/*.yaml merge=kehu\n"
    (older / ".gitattributes").write_text(GITATTRIBUTES.removesuffix(rule), encoding="utf-8")
    ok("git-setup", store=older)
    assert (older / ".gitattributes").read_text(encoding="utf-8") == GITATTRIBUTES


def test_a_visit_plan_reset_in_one_clone_and_changed_in_the_other_merges(tmp_path: Path) -> None:
    """A rep's day taken back in one clone (`kehu visits plan --reset`: its file removed) while
    the other adds a customer to it: git stops on a file changed on one side and deleted on the
    other without asking kehu's driver, and `kehu sync` stopped for a person to keep or delete
    it ("a customer is kept or deleted whole"). Now it is merged as a plan is: what the other
    clone added stays, what the reset took back goes, either way round
    (`merge_settling.settle_plans`)."""
    a, remote = _clones(tmp_path)
    ids = [ok("customer", "add", "--name", name, "--owner", "王芳", store=a).strip()
           for name in ("赵敏", "钱多", "孙丽", "李雷")]
    for day in ("2026-11-20", "2026-11-21"):
        ok("--today", day, "visits", "plan", "--owner", "王芳", "--add", ids[0], store=a)
    ok("sync", store=a)
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(b))
    ok("git-setup", store=b)
    for clone, day, change in ((a, "2026-11-20", ("--reset",)), (b, "2026-11-20", ("--add", ids[1])),
                               (a, "2026-11-21", ("--add", ids[2])), (b, "2026-11-21", ("--reset",))):
        ok("--today", day, "visits", "plan", "--owner", "王芳", *change, store=clone)
    ok("sync", store=a)
    synced = kehu("sync", store=b)
    assert synced.code == 0, synced.out + synced.err
    ok("sync", store=a)
    for clone in (a, b):
        assert _planned(clone, "2026-11-20") == [ids[1]], _planned(clone, "2026-11-20")
        assert _planned(clone, "2026-11-21") == [ids[2]], _planned(clone, "2026-11-21")
        assert kehu("check", store=clone).code == 0
        assert not git(clone, "status", "--porcelain").strip()


def test_a_plan_naming_many_customers_no_longer_there_is_read_in_linear_time(tmp_path: Path) -> None:
    """A rep's plan (shared by `kehu sync`) whose `add:` names 20 000 customers the store does
    not hold (a colleague's script, a plan kept while customers were merged away): `kehu visits
    plan` asked a list of them for each (100 000 ids, 1.9 MB, took 2 min 17 s) and printed every
    id on stderr (1.9 MB of ids). Each is looked up in a set, and the message names the first
    ten (`visits.plan.plan`, `cli.visits_cmds`)."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = ok("customer", "add", "--name", "赵敏", "--owner", "王芳", store=path).strip()
    plan = path / "visits" / "王芳" / "2026-11-20.yaml"
    plan.parent.mkdir(parents=True)
    ids = [f"c1gone{n:010d}" for n in range(20_000)]
    plan.write_text("owner: 王芳\ndate: 2026-11-20\nadd:\n" + "".join(f"- {i}\n" for i in [cid, *ids]),
                    encoding="utf-8")
    planned = kehu("--today", "2026-11-20", "visits", "plan", "--owner", "王芳", store=path)
    assert planned.code == 0, planned.err
    assert cid in planned.out
    assert ids[0] in planned.err and ids[9] in planned.err and ids[10] not in planned.err
    assert len(planned.err) < 2_000, len(planned.err)
    listed = kehu("--today", "2026-11-20", "visits", "plan", "--owner", "王芳", "--json", store=path)
    assert listed.json()["gone"] == ids  # the whole list is data for a script


def test_a_vcard_charset_that_is_no_character_set_is_refused_before_decoding(tmp_path: Path) -> None:
    """A vCard whose name says `CHARSET=punycode` (or `idna`, or `zlib`, a codec of bytes to
    bytes), in quoted-printable or BASE64: Python decodes punycode in time growing with the
    square of the value, so a card of 900 KB took 17 s of CPU (a 100 MB file of them, within
    `file_mb`, hours; a `kehu serve` PUT, a worker). Such a CHARSET is refused at the card,
    before anything decodes it, and the other cards are imported
    (`importing.vcard_text.refuse_non_charsets`)."""
    import base64
    import quopri

    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    puny = ("é" * 2000 + "a" * 2000).encode("punycode")
    cards = ["BEGIN:VCARD\r\nVERSION:2.1\r\nFN;ENCODING=QUOTED-PRINTABLE;CHARSET=punycode:"
             + quopri.encodestring(puny).decode().replace("=\n", "=\r\n") + "\r\nEND:VCARD\r\n",
             "BEGIN:VCARD\r\nVERSION:3.0\r\nFN;ENCODING=B;CHARSET=IDNA:" + base64.b64encode(b"xn--" + puny).decode()
             + "\r\nEND:VCARD\r\n",
             "BEGIN:VCARD\r\nVERSION:3.0\r\nFN;ENCODING=B;CHARSET=zlib:" + base64.b64encode(b"x\x9c").decode()
             + "\r\nEND:VCARD\r\n",
             "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:赵敏\r\nTEL:13800138000\r\nEND:VCARD\r\n"]
    (tmp_path / "cards.vcf").write_text("".join(cards), encoding="utf-8")
    done = kehu("import", str(tmp_path / "cards.vcf"), store=path)
    assert "Traceback" not in done.err
    for charset in ("punycode", "IDNA", "zlib"):
        assert f"CHARSET={charset} is no character set of text" in done.err, done.err
    listed = kehu("customer", "list", "--json", store=path).json()
    assert [c["name"] for c in listed] == ["赵敏"]



def test_a_reminder_done_at_one_moment_twice_is_recorded_once(tmp_path: Path) -> None:
    """`kehu reminders done KEY` while another process marks the same reminder done (Today's
    list in the TUI and a terminal; two scripts): each asked whether it was done before taking
    the store's lock, so both recorded it — two `done` lines and two records of one reminder,
    counted twice by the supervisor's review, exit 0 both. It is asked under the lock that
    writes it: the second is told it was done (`reminder_engine.mark_done`)."""
    import os
    import time

    from kehu_core.reminder_engine import mark_done
    from kehu_core.store import open_store

    from .test_confidential import _waiting

    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = ok("customer", "add", "--name", "赵敏", "--owner", "王芳", store=path).strip()
    ok("interaction", "add", cid, "--kind", "complaint", "--text", "茶叶受潮", "--date", "2026-11-19", store=path)
    key = next(r["key"] for r in kehu("reminders", "--json", store=path).json() if r["rule"] == "complaint")
    holder = open_store(path, today="2026-11-20")
    with holder.lock():  # the other process is writing its `done`: this one waits for it
        done = subprocess.Popen([sys.executable, "-m", "kehu_core", "--store", str(path), "reminders", "done", key],
                                cwd=ROOT, env={**os.environ, "KEHU_TODAY": "2026-11-20"}, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while not _waiting(done.pid):  # until it waits for the lock
            assert done.poll() is None, done.communicate()
            time.sleep(0.01)
        mark_done(holder, key, "电话道歉")
    out, err = done.communicate()
    assert done.returncode == 1 and "was already done on 2026-11-20" in err, (out, err)
    ledger = holder.ledger_file(cid, "reminders").read_text(encoding="utf-8")
    assert ledger.count("action: done") == 1, ledger
    records = [i for i in holder.interactions(cid) if getattr(i, "reminder", None) == key]
    assert len(records) == 1, records


def test_an_edit_of_a_profile_with_a_long_list_copies_it_in_linear_time(tmp_path: Path) -> None:
    """A profile holding a long list kehu keeps as written (`also_known`: 2 000 customers merged
    into it over the years, an import's duplicates; `conflicts:`; a field of the team's own),
    then `customer set ID nickname=…`: each plugin's `validate_customer` is given its own copy
    of the record, and the record read for the edit holds the round-trip loader's lists and
    mappings, whose deep copy grows with the square of their length — 22 s for one edit. The
    copy is made of plain lists and mappings (`own_copies.copied`): counted here, the
    deep copies Python makes for the edit of 300 such entries (before: about a million)."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = ok("customer", "add", "--name", "赵敏", "--owner", "王芳", store=path).strip()
    profile = next((path / "customers").rglob("customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + "also_known:\n" + "".join(
        f"- {{id: c1old{n:011d}, merged: 2026-11-01, name: 赵敏{n}}}\n" for n in range(300)), encoding="utf-8")
    assert kehu("check", store=path).code == 0
    copies = 0

    def count(frame: Any, event: str, _arg: Any) -> None:
        nonlocal copies
        if event == "call" and frame.f_code is copy.deepcopy.__code__:
            copies += 1

    sys.setprofile(count)
    try:
        edited = kehu("customer", "set", cid, "nickname=小敏", store=path)
    finally:
        sys.setprofile(None)
    assert edited.code == 0, edited.err
    assert copies < 5_000, copies
    assert "赵敏299" in profile.read_text(encoding="utf-8")


def test_a_template_changed_in_one_clone_and_deleted_in_the_other_is_not_called_a_customer(tmp_path: Path) -> None:
    """A message template (`templates/hi.j2`) changed in one clone and deleted in the other:
    `kehu sync` and `kehu check` told the person to keep or delete it, "(a customer is kept or
    deleted whole, with its purchases)" — words about a customer for a file that is none. Said
    of a customer's file only (`unmerged_files.describe_unmerged`)."""
    a, remote = _clones(tmp_path)
    (a / "templates").mkdir(exist_ok=True)
    (a / "templates" / "hi.j2").write_text("您好 {{ name }}\n", encoding="utf-8")
    ok("sync", store=a)
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(b))
    ok("git-setup", store=b)
    (a / "templates" / "hi.j2").unlink()
    ok("sync", store=a)
    (b / "templates" / "hi.j2").write_text("您好 {{ name }}，新茶到了\n", encoding="utf-8")
    synced = kehu("sync", store=b)
    assert synced.code == 1 and "templates/hi.j2" in synced.err, synced.out + synced.err
    checked = kehu("check", store=b)
    for said in (synced.err, checked.out + checked.err):
        assert "changed in this clone, deleted in the other" in said, said
        assert "customer" not in said.split("templates/hi.j2", 1)[1].split("\n", 1)[0], said


def test_a_reminder_done_in_two_clones_counts_once_in_the_review(tmp_path: Path) -> None:
    """One reminder (a complaint to answer) marked done in two clones, the rep's and the
    supervisor's, then `kehu sync` in both: git's union of the reminders ledgers keeps each
    clone's `done` line, and `kehu report reps` counted the reminder done twice. A reminder's
    key is one occurrence: it is counted once, on the first day it was done
    (`reminder_state.done_between`)."""
    a, remote = _clones(tmp_path)
    cid = ok("customer", "add", "--name", "赵敏", "--owner", "王芳", store=a).strip()
    ok("interaction", "add", cid, "--kind", "complaint", "--text", "茶叶受潮", "--date", "2026-11-19", store=a)
    key = next(r["key"] for r in kehu("reminders", "--json", store=a).json() if r["rule"] == "complaint")
    ok("sync", store=a)
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(b))
    ok("git-setup", store=b)
    for clone, note in ((a, "电话道歉"), (b, "上门换货")):
        ok("reminders", "done", key, "--note", note, store=clone)
    for clone in (a, b, a):
        ok("sync", store=clone)
    for clone in (a, b):
        reps = kehu("report", "reps", "--json", store=clone).json()["reps"]
        done = {r["rep"]: r["figures"]["reminders_done"]["value"] for r in reps}
        assert done.get("王芳") == 1, done
