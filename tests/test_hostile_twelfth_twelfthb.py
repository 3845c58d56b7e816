"""Twelfth outside round, B (issue 16, kinds 5 to 9): doors the eleven rounds before did not
try, each seen failing before its fix. Real stores, real processes, real git remotes and clones.
See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from kehu_core import hookimpl
from kehu_core.store import Store
from kehu_core.testing import add_customer, make_store, run_kehu

from .conftest import kehu
from .pluginutil import installed_plugin
from .test_hostile import tree_hash
from .test_hostile_git import team  # noqa: F401 (a fixture)
from .test_team_merge import remote  # noqa: F401 (a fixture)

# --- kind 6: two `kehu send` of one campaign at once --------------------------------------------

#: a message gateway (a plugin's sender) that logs what it sends; the first message of the
#: process given GATE_FIFO waits in the gateway until the test lets it go
GATEWAY = '''
import json
import os

from pathlib import Path

import pytest

from kehu_core import hookimpl


# the FIFO is waited on once, at the first message (a hook's change to os.environ does not
# outlast it: kehu puts the environment back after each call)
_FIFO = [os.environ["GATE_FIFO"]] if "GATE_FIFO" in os.environ else []


class Gate:
    channel = "gate"

    def send(self, store, customer, subject, body):
        with Path(os.environ["GATE_LOG"]).open("a", encoding="utf-8") as log:
            log.write(os.environ["GATE_ROLE"] + " " + customer.id + "\\n")
        fifo = _FIFO.pop() if _FIFO else None
        if fifo:
            with open(fifo, encoding="utf-8") as gate:
                gate.read()
        return "ok"


@hookimpl
def message_senders(store):
    return [Gate()]
'''


def _send(store: Path) -> list[str]:
    return [sys.executable, "-m", "kehu_core", "--store", str(store), "send", "--segment", "all",
            "--template", "greet", "--channel", "gate", "--rate", "100000"]


def _env(site: Path, tmp_path: Path, role: str, **more: str) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "GATE_LOG": str(tmp_path / "sent.log"),
            "GATE_ROLE": role, **more,
            "PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)}


def test_two_sends_of_one_campaign_at_once_reach_each_customer_once(tmp_path: Path) -> None:
    """Two `kehu send` of one campaign at one moment (a scheduled send and the same one run by
    hand, two terminals): each planned every customer before the other had recorded anything,
    so every customer got the message twice — 12 SMS for 6 customers, 12 message records under
    one key, both exit 0, `kehu check` ok. A send now holds the store's send lock while it
    sends: a second one is refused at once, nothing sent, and says so; run again afterwards it
    skips whom the first reached."""
    site = installed_plugin(tmp_path / "site", "kehu_gate", "gate", GATEWAY)
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    ids = [kehu("customer", "add", "--name", f"客{n}", "--phone", f"1391234567{n}", store=store).out.strip()
           for n in range(1, 4)]
    (store / "templates").mkdir()
    (store / "templates" / "greet.j2").write_text("Subject: 你好\n\n{{ name }}您好\n", encoding="utf-8")
    fifo = tmp_path / "gate"
    os.mkfifo(fifo)
    argv = _send(store)
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=_env(site, tmp_path, "first", GATE_FIFO=str(fifo)))
    with open(fifo, "w", encoding="utf-8"):  # opened once the first send is in its first message
        second = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                                env=_env(site, tmp_path, "second"))
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.returncode == 1, second.stdout + second.stderr
    assert "another `kehu send` is sending" in second.stderr and "Traceback" not in second.stderr, second.stderr
    sent = (tmp_path / "sent.log").read_text(encoding="utf-8").splitlines()
    assert sorted(sent) == sorted(f"first {cid}" for cid in ids), sent
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=_env(site, tmp_path, "third"))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "sent.log").read_text(encoding="utf-8").splitlines() == sent
    opened = Store.open(store)
    recorded = [i for cid in ids for i in opened.interactions(cid) if i.kind == "message"]
    assert len(recorded) == 3, recorded
    assert kehu("check", store=store).code == 0


# --- kind 7: a text no xlsx sheet can hold --------------------------------------------------------

NONCHARACTERS = {"U+FFFE": "\ufffe", "U+FFFF": "\uffff", "U+FDD0": "\ufdd0", "U+10FFFF": "\U0010ffff"}


@pytest.mark.parametrize("char", NONCHARACTERS.values(), ids=NONCHARACTERS.keys())
def test_a_unicode_noncharacter_is_refused_at_every_door_and_named_by_check(tmp_path: Path, char: str) -> None:
    """U+FFFE (a byte order mark read backwards) or another of Unicode's noncharacters in a name
    or a note — `customer set`, `customer add`, a sheet's cell, a hand edit — was stored with
    exit 0 and `kehu check` ok, and every `kehu export --format xlsx` then ended in "internal
    error: ValueError: All strings must be XML compatible" (XML holds no U+FFFE or U+FFFF, nor
    does an address book a phone reads). No record holds one: refused at each door, named by
    `check` at its line, and an export leaves the customer out with a word."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "甲", store=store).out.strip()
    code = f"U+{ord(char):04X}"
    for argv in (["customer", "set", cid, f"name=乙{char}"], ["customer", "add", "--name", f"丙{char}"],
                 ["interaction", "add", cid, "--kind", "call", "--text", f"说{char}了"]):
        refused = kehu(*argv, store=store)
        assert refused.code == 1 and code in refused.err and "noncharacter" in refused.err, (argv, refused.err)
    sheet = tmp_path / "客户.csv"
    sheet.write_text(f"姓名,备注\n丁{char},x\n", encoding="utf-8")
    imported = kehu("import", str(sheet), store=store)
    assert f"客户.csv:2: column A (姓名): holds {code}" in imported.out + imported.err, imported.out + imported.err
    assert len(kehu("customer", "list", "--json", store=store).json()) == 1
    profile = next((store / "customers").glob("*/*/customer.yaml"))
    escaped = f"\\u{ord(char):04X}" if ord(char) < 0x10000 else f"\\U{ord(char):08X}"  # as YAML writes it
    profile.write_text(profile.read_text(encoding="utf-8") + f'notes: "笔记{escaped}"\n', encoding="utf-8")
    checked = kehu("check", store=store)
    assert checked.code == 1 and f"customer.yaml:4: notes: holds {code}" in checked.out, checked.out
    exported = kehu("export", "--format", "xlsx", str(tmp_path / "out.xlsx"), store=store)
    assert exported.code == 0 and "internal error" not in exported.err, exported.err
    assert "1 customer is not exported" in exported.err, exported.err


# --- kind 9: a hook that only reads, writing through a store of its own ------------------------


class _WritesThroughAnotherStore:
    """A plugin whose hooks that only read each open the store again (``Store.open(store.root)``,
    as a plugin keeping its own handle does) and write through it."""

    @staticmethod
    def _write(store: Any, customer_id: str, hook: str) -> None:
        Store.open(store.root).append_ledger(customer_id, "sneaky", {"date": store.today, "note": hook})

    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> None:
        self._write(store, customer.id, "validate_customer")

    @hookimpl
    def validate_ledger(self, store: Any, customer_id: str, ledger: str, entries: Any) -> None:
        self._write(store, customer_id, "validate_ledger")

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        Store.open(store.root).update_customer(customer.id, {"nickname": "from customer_values"})
        return {"sneaky": 1}


def test_a_hook_that_only_reads_writes_through_no_store_it_opened_itself(tmp_path: Path) -> None:
    """A hook that only reads (``customer_values``, ``validate_customer``, ``validate_ledger``)
    may not write through the store it is given; one that opened the store again and wrote
    through that one changed a profile on every `customer show` and `customer list --json`, and
    wrote a ledger on every `kehu check`, each with exit 0 (and `check` ok), for `kehu sync` to
    share. No Store of the process writes while such a hook runs: each write is refused and
    the plugin named, the store left as it was."""
    store = make_store(tmp_path / "store", plugins={"sneaky": _WritesThroughAnotherStore()})
    cid = add_customer(store, name="赵敏")
    bought = run_kehu(store, "purchase", "add", cid, "--amount", "100", "--date", "2026-11-01")
    assert bought.code == 0, bought.err
    before = tree_hash(store.root)
    for argv in (["customer", "show", cid], ["customer", "list", "--json"], ["check"]):
        result = run_kehu(store, *argv)
        said = result.out + result.err
        # a rule that fails is a problem of `check` (so `kehu sync` does not push past it)
        assert result.code == (1 if argv == ["check"] else 0) and "Traceback" not in said, (argv, said)
        assert "plugin 'sneaky' wrote to the store in" in said, (argv, said)
        assert tree_hash(store.root) == before, argv
    assert not store.ledger_file(cid, "sneaky").exists()


# --- kind 5: a rep's own git settings and `kehu sync` ------------------------------------------


def test_a_reps_merge_ff_only_setting_does_not_stop_every_sync(team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """A rep whose git is set to merge only by fast-forward (`git config --global merge.ff
    only`, a common habit against merge commits): every `kehu sync` of a clone whose colleague
    had pushed meanwhile failed, "merging origin/master failed: fatal: Not possible to
    fast-forward", for as long as both worked, the clone's edits never shared. kehu's merge is
    its own: asked with `--ff`, it fast-forwards when it can and merges otherwise."""
    a, b, _cid = team
    Path(os.environ["HOME"], ".gitconfig").write_text("[merge]\n\tff = only\n", encoding="utf-8")
    for clone, name in ((a, "乙"), (b, "丙")):
        assert kehu("customer", "add", "--name", name, store=clone).code == 0
    assert kehu("sync", store=b).code == 0
    synced = kehu("sync", store=a)
    assert synced.code == 0, synced.err
    assert kehu("sync", store=b).code == 0
    for clone in (a, b):
        names = sorted(c["name"] for c in kehu("customer", "list", "--json", store=clone).json())
        assert names == ["丙", "乙", "甲"], (clone, names)
        assert kehu("check", store=clone).code == 0


# --- kind 8: a workbook of tags left open -------------------------------------------------------

#: what a sheet's XML holds after its header row, and what it did to `kehu import`
OPEN_TAGS = {
    # 6 KB of workbook: 300 000 cells begun and never ended; the scan that bounds what a sheet
    # lays out read each to the end of the part again (half an hour of CPU, nothing said)
    "300-000-cells-never-closed": b"<row>" + b"<c " * 300_000 + b"/></row>",
    # "internal error: ParseError: not well-formed (invalid token)"
    "a-cell-left-open": b"<row><c </row>",
}


def _workbook_holding(tmp_path: Path, rows_xml: bytes) -> Path:
    from openpyxl import Workbook

    good, path = tmp_path / "good.xlsx", tmp_path / "客户.xlsx"
    book = Workbook()
    book.active.append(["姓名", "电话"])
    book.active.append(["张三", "13800138000"])
    book.save(good)
    with zipfile.ZipFile(good) as inside, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in inside.infolist():
            data = inside.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", rows_xml + b"</sheetData>")
            out.writestr(info.filename, data)
    return path


@pytest.mark.parametrize("rows_xml", OPEN_TAGS.values(), ids=OPEN_TAGS.keys())
def test_a_workbook_of_tags_left_open_is_refused_at_once(tmp_path: Path, rows_xml: bytes) -> None:
    """A workbook whose sheet holds tags begun and never ended: 300 000 `<c ` in a 6 KB file took
    `kehu import` (and `--dry-run`) half an hour of CPU in the scan that bounds what a sheet lays
    out, each tag read to the end of the part; one such tag ended it in "internal error:
    ParseError" (openpyxl reads a sheet's XML as the rows are asked for). Both are the file's
    problem, said at once, nothing imported."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    before = tree_hash(store)
    sheet = _workbook_holding(tmp_path, rows_xml)
    imported = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), "import", str(sheet)],
                              capture_output=True, text=True, timeout=120)
    assert imported.returncode == 1, imported.stderr
    assert f"{sheet}:1: not a readable .xlsx workbook (ParseError" in imported.stdout + imported.stderr, imported
    assert "internal error" not in imported.stderr and "Traceback" not in imported.stderr, imported.stderr
    assert tree_hash(store) == before


# --- kind 6: `kehu reindex --rebuild` while another process holds the index ---------------------


def test_a_process_holding_the_index_reads_the_one_another_process_rebuilt(tmp_path: Path) -> None:
    """`kehu reindex --rebuild` deletes the index's file and makes a new one; a process that had
    the old one open (`kehu serve`, the TUI) went on reading and writing that deleted file: in a
    store of over 5 000 files, which trusts its index between looks, a customer added by `kehu
    customer add` was not in that process's lists (its address books) and one it added was in no
    other process's `customer list`. A process now reads the index's file as it is."""
    store = tmp_path / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    sheet = tmp_path / "客户.csv"
    rows = [f"客户{n},139{n:08d},2026-10-{1 + n % 28:02d},龙井,{100 + n}" for n in range(2_600)]
    sheet.write_text("姓名,联系电话,交易日期,购买商品,成交金额\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert kehu("import", str(sheet), store=store).code == 0
    held = Store.open(store, plugins=True)  # as `kehu serve` holds it
    assert held.index.count() == 2_600
    assert sum(1 for _ in (store / "customers").rglob("*.yaml")) > 5_000  # past a store compared at every command
    argv = [sys.executable, "-m", "kehu_core", "--store", str(store)]
    rebuilt = subprocess.run([*argv, "reindex", "--rebuild"], capture_output=True, text=True, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    added = subprocess.run([*argv, "customer", "add", "--name", "新客"], capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    held.index.refresh()  # what the server does before each request
    assert held.index.get(added.stdout.strip()) is not None
    mine = add_customer(held, name="电话里加的")
    listed = subprocess.run([*argv, "customer", "list", "--json"], capture_output=True, text=True, timeout=120)
    assert mine in {c["id"] for c in json.loads(listed.stdout)}


# --- kind 5: one tier move recorded in two clones ----------------------------------------------


def test_a_tier_move_recorded_in_two_clones_is_one_move(team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """`kehu tier record` run in two clones of a team (each shop's laptop on its monthly
    schedule) records each customer's move in both, and git's union of the tiers ledgers keeps
    both lines: `kehu tier` (and `--json`) listed every move twice, `kehu check` ok. An entry
    naming the tier the one before it already moved to is no move — what the writer never
    writes — and is read as none (`tiering.moves.moves`)."""
    a, b, cid = team
    for clone in (a, b):
        recorded = kehu("tier", "record", store=clone)
        assert recorded.code == 0, recorded.err
    for clone in (a, b, a):
        assert kehu("sync", store=clone).code == 0
    assert len(Store.open(a).ledger(cid, "tiers")) == 2  # both lines kept, as git's union keeps them
    for clone in (a, b):
        moved = [c for c in kehu("tier", "--json", store=clone).json()["recent_changes"] if c["customer_id"] == cid]
        assert len(moved) == 1, moved
        said = kehu("tier", store=clone).out
        assert said.count("甲:") == 1, said
        assert kehu("check", store=clone).code == 0
