"""Ninth outside round, B (issue 16, kinds 5 to 8): what a colleague's clone, a second process,
an export's reader or a big input can do to a store, found by trying them as a user would, each
seen failing before its fix (kind 9, plugins: test_hostile_ninth_b_plugins.py). Real bare remotes
and clones, real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import git, kehu
from .peakmem import peak_mb
from .test_hostile_git import team, work_hash  # noqa: F401 (team: a fixture)
from .test_serve import Server, multiget, propfind_hrefs, serving, stalling_clients
from .test_team_merge import ok, remote, sync  # noqa: F401 (remote: a fixture)

KEHU_YAML_CHANGES = {
    "newer-schema": lambda text: text.replace("schema_version: 1", "schema_version: 99"),
    "broken-yaml": lambda text: text + "name: [x\n",
    "plugin-setting-out-of-range": lambda text: text + "  points:\n    expiry_days: 99999\n",
    "today-out-of-range": lambda text: text + "today: 9999-12-31\n",
    "deleted": None,
}


@pytest.mark.parametrize("change", KEHU_YAML_CHANGES.values(), ids=KEHU_YAML_CHANGES.keys())
def test_a_colleagues_kehu_yaml_every_command_refuses_is_not_merged(
        change, team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """kehu.yaml pushed with plain git in a form every command refuses (a schema of a newer
    kehu, a YAML slip, a plugin's setting out of range) was merged by `kehu sync` with exit 0,
    and pushed with a merge commit: the sync checked the store by the settings it had read
    before the merge, and after it every command of every clone stopped on kehu.yaml. A
    kehu.yaml deleted was merged too, after which kehu worked on the demo store."""
    a, b, cid = team
    config = b / "kehu.yaml"
    if change is None:
        git(b, "rm", "-q", "kehu.yaml")
    else:
        config.write_text(change(config.read_text(encoding="utf-8")), encoding="utf-8")
    git(b, "commit", "-qam", "colleague's settings")
    git(b, "push", "-q")
    ok("customer", "set", cid, "notes=在 a 改的", store=a)
    before, head = work_hash(a), git(a, "rev-parse", "HEAD")
    remote_head = git(b, "rev-parse", "HEAD")

    result = kehu("sync", store=a)
    assert result.code == 1, result.out + result.err
    assert "kehu.yaml:" in result.err and "Traceback" not in result.err
    assert "files as they were pushed" in result.err  # the colleague's: the way out is theirs
    assert work_hash(a) == before and git(a, "rev-parse", "HEAD") == head  # as it was
    assert git(a, "ls-remote", "origin", "HEAD").split()[0] == remote_head.strip()  # nothing pushed
    assert kehu("check", store=a).code == 0


def test_an_entry_a_colleague_respelled_is_kept_once_and_one_changed_apart_is_named(
        team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """A colleague's commit that rewrote a ledger's lines (CRLF line ends, by an editor or plain
    git) met a sale added in this clone: git's union merge kept both spellings of each entry.
    The sync refused the merge naming the entry "copied" ("one entry copied would count
    twice"), which nobody did, and every clone adding to that ledger stopped there, told to
    `kehu undo`, until someone took the lines out by hand. Now the same entry (its id, every
    value) written two ways is kept once by the sync (the lead, sixth session), and both
    clones end alike, each entry once; an entry given other values in two clones is named for
    what it is by `kehu check`."""
    a, b, cid = team
    ledger = _sale_pulled(a, b, cid)
    ledger.write_bytes(ledger.read_bytes().replace(b"\n", b"\r\n"))
    git(b, "commit", "-qam", "saved in my editor")
    git(b, "push", "-q")
    ok("purchase", "add", cid, "--item", "水", "--price", "5", "--date", "2026-05-02", store=a)
    result = kehu("sync", store=a)
    assert result.code == 0, result.err
    assert "entries the merge held twice, written two ways" in result.err + result.out, result.err
    sync(b)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        entries = [line for line in (clone / ledger.relative_to(b)).read_text(encoding="utf-8").splitlines()
                   if line.startswith("- ")]
        assert len(entries) == 2 and len({line.split(",")[0] for line in entries}) == 2, entries
        assert (clone / ledger.relative_to(b)).read_text(encoding="utf-8").count("# points ledger") == 1
    assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")

    mine = a / ledger.relative_to(b)
    text = mine.read_text(encoding="utf-8")
    last = text.splitlines()[-1]
    mine.write_text(text + last.replace("delta: 5", "delta: 50") + "\n", encoding="utf-8")
    checked = kehu("check", store=a)
    assert checked.code == 1
    assert "is here twice with different values" in checked.out, checked.out


def _sale_pulled(a: Path, b: Path, cid: str) -> Path:
    """A sale made and pushed in clone ``a``, pulled by plain git into ``b``: ``b``'s points ledger."""
    ok("purchase", "add", cid, "--item", "茶", "--price", "100", "--date", "2026-05-01", store=a)
    git(a, "add", "-A")
    git(a, "commit", "-qm", "a sale")
    git(a, "push", "-q")
    git(b, "pull", "-q")
    return next(b.glob("customers/*/*/points.ledger.yaml"))


@pytest.mark.parametrize("broken", [("- {date: 2026-05-03, reason: adjust, delta: 5", "invalid YAML"),
                                    ("- 5 points for the tea", "not a ledger entry")], ids=["cut short", "no mapping"])
def test_a_broken_line_in_a_respelled_ledger_is_kept_and_named_at_its_line(
        broken: tuple[str, str], team: tuple[Path, Path, str]) -> None:  # noqa: F811
    """A colleague's commit that rewrote a ledger's lines (CRLF) with a line broken by hand among
    them: the sync joining the entries written two ways keeps the broken line as it is (never
    dropped), refuses the merge naming it, and `kehu check` names it at its own line (it said
    the line after one cut short, and line 1 of one that is no mapping). Fixed there and pushed,
    the line is in both clones, its points counted."""
    line, said = broken
    a, b, cid = team
    ledger = _sale_pulled(a, b, cid)
    rel = ledger.relative_to(b).as_posix()
    text = ledger.read_text(encoding="utf-8")
    ledger.write_bytes((text + line + "\n").replace("\n", "\r\n").encode())
    git(b, "commit", "-qam", "saved in my editor, with a point added by hand")
    git(b, "push", "-q")
    ok("purchase", "add", cid, "--item", "水", "--price", "5", "--date", "2026-05-02", store=a)
    before, head = work_hash(a), git(a, "rev-parse", "HEAD")

    result = kehu("sync", store=a)
    assert result.code == 1 and "Traceback" not in result.err
    assert f"{rel}:" in result.err and said in result.err, result.err
    assert work_hash(a) == before and git(a, "rev-parse", "HEAD") == head  # nothing pushed, as it was
    checked = kehu("check", store=b)
    assert f"{ledger}:3: {said}" in checked.out, checked.out
    assert ledger.read_text(encoding="utf-8").splitlines()[2] == line  # kept as it was

    ledger.write_bytes((text + "- {date: 2026-05-03, reason: adjust, delta: 5}\n").replace("\n", "\r\n").encode())
    git(b, "commit", "-qam", "the line fixed")
    git(b, "push", "-q")
    sync(a)
    sync(b)
    for clone in (a, b):
        assert kehu("check", store=clone).code == 0
        entries = [x for x in (clone / rel).read_text(encoding="utf-8").splitlines() if x.startswith("- ")]
        assert len(entries) == 3 and "- {date: 2026-05-03, reason: adjust, delta: 5}" in entries, entries
        assert kehu("points", cid, "--json", store=clone).json()["balance"] == 100 + 5 + 5


def test_sync_commits_to_the_store_whatever_git_repository_the_environment_names(
        team: tuple[Path, Path, str], tmp_path: Path) -> None:  # noqa: F811
    """`kehu sync` run with GIT_DIR (and GIT_INDEX_FILE) naming another repository — from a git
    hook of that repository, a shell that exported it, a plugin that set it — committed the whole
    store into that other repository ("committed ... 7 changes", its remote next), and nothing to
    the store's own. Every git command of kehu is about the store it runs in."""
    a, b, cid = team
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", str(other))
    git(other, "commit", "-q", "--allow-empty", "-m", "theirs")
    ok("customer", "set", cid, "notes=在 a 改的", store=a)
    env = {**os.environ, "GIT_DIR": str(other / ".git"), "GIT_INDEX_FILE": str(other / ".git" / "index")}
    result = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(a), "sync"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert git(other, "log", "--format=%s").strip() == "theirs"  # untouched
    assert not git(other, "status", "--porcelain").strip()
    git(b, "pull", "-q")
    assert "在 a 改的" in kehu("customer", "show", cid, store=b).out


# --- kind 6: two commands at once ------------------------------------------------------------

WAITING_EDITOR = """import pathlib, sys, time
path = pathlib.Path(sys.argv[1])
path.write_text(path.read_text(encoding="utf-8").replace("name: 张三", "name: 张三丰"), encoding="utf-8")
here = pathlib.Path(__file__).parent
(here / "started").touch()
while not (here / "go").exists():  # until the test has merged the customer away
    time.sleep(0.02)
"""


def test_an_edit_whose_customer_is_merged_away_meanwhile_keeps_the_text(tmp_path: Path) -> None:
    """`kehu edit` open in one terminal while `kehu customer merge` in another merges that very
    customer into another: closing the editor said "no customer with id ..." (exit 1), and the
    text typed was left in a temporary folder no message named. Now it is named, as when the
    record changed meanwhile, and nothing is written."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    ok("customer", "add", "--name", "张三", "--id", "zhang3", store=store)
    ok("customer", "add", "--name", "李四", "--id", "lisi", store=store)
    editor = tmp_path / "editor" / "edit.py"
    editor.parent.mkdir()
    editor.write_text(WAITING_EDITOR, encoding="utf-8")
    env = {**os.environ, "EDITOR": f"{sys.executable} {editor}", "VISUAL": ""}
    edit = subprocess.Popen([sys.executable, "-m", "kehu_core", "--store", str(store), "edit", "zhang3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        while not (editor.parent / "started").exists():
            assert edit.poll() is None, edit.communicate()
        ok("customer", "merge", "lisi", "zhang3", store=store)
        before = work_hash(store)
    finally:
        (editor.parent / "go").touch()
    out, err = edit.communicate(timeout=60)
    assert edit.returncode == 1, out + err
    assert "zhang3 was deleted (or merged into another customer)" in err and "Traceback" not in err, err
    kept = Path(err.strip().rsplit("your text is kept in ", 1)[1])
    assert "张三丰" in kept.read_text(encoding="utf-8")
    assert work_hash(store) == before
    assert kehu("check", store=store).code == 0


# --- kind 7: exports --------------------------------------------------------------------------


def test_an_xlsx_export_never_holds_a_cell_longer_than_excel_keeps(tmp_path: Path) -> None:
    """A customer's notes of 40 000 characters (a record holds up to 2 MiB) were written into one
    xlsx cell with exit 0, and Excel keeps at most 32 767 characters a cell: it cuts the rest or
    calls the workbook damaged, so the reader lost the end of the notes without a word. Now the
    export says which customer and field, writes nothing, and points to CSV, which keeps it whole."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    ok("customer", "add", "--name", "张三", "--id", "zhang3", store=store)
    note = "记" * 40_000
    ok("customer", "set", "zhang3", f"notes={note}", store=store)
    target = tmp_path / "customers.xlsx"
    result = kehu("export", "--format", "xlsx", str(target), store=store)
    assert result.code == 1, result.out
    assert "zhang3: notes is 40000 characters" in result.err and "export as CSV" in result.err, result.err
    assert not target.exists()
    csv_file = tmp_path / "customers.csv"
    ok("export", "--format", "csv", str(csv_file), store=store)
    assert note in csv_file.read_text(encoding="utf-8-sig")


# --- kind 8: resource exhaustion -----------------------------------------------------------------


def test_an_import_of_many_sales_of_one_customer_takes_time_in_proportion(tmp_path: Path) -> None:
    """A till's export of 50 000 sales of one customer (a shop's walk-in account): the import
    asked the points ledger for each sale whether it was already given points by going through
    every entry added before (`ledger_has` in a batch), and found the line end of the growing
    ledger by counting through it, and added each line by copying it: 5 000 sales took a
    minute and 50 000 were still running after ten (now 43 s, most of it writing 50 000 files).
    Here the sales are all recorded, each once (speed is measured in bench/, never by a unit
    test: a ratio of two timings here could fail on a busy machine)."""
    for count in (1000, 5000):
        store = tmp_path / f"store{count}"
        assert kehu("init", str(store)).code == 0
        sheet = tmp_path / f"sales{count}.csv"
        sheet.write_text("姓名,电话,交易日期,购买商品,成交金额\n" + "".join(
            f"张三,13912345678,2026-05-{1 + i % 28:02d},茶{i},{10 + i % 50}\n" for i in range(count)), encoding="utf-8")
        result = kehu("--today", "2026-06-01", "import", str(sheet), store=store)
        assert result.code == 0, result.err
        assert f"{count} purchases added" in result.out + result.err
        assert kehu("--today", "2026-06-01", "check", store=store).code == 0
        ledger = next(store.glob("customers/*/*/points.ledger.yaml")).read_text(encoding="utf-8")
        assert ledger.count("\n- {") == count  # one entry a sale, none twice


def test_a_card_of_more_properties_than_a_record_holds_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """A vCard of 100 000 TEL lines (2 MB, no line over any limit) was parsed by vobject and
    each number run through the phone rules, 16 s of CPU (at `kehu serve`, a worker's, for one
    PUT), to be refused as more than 50 phones. A card of more than 1 000 properties is now
    refused at its BEGIN line while the file is screened, as one of more than 2 MB is."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    card = tmp_path / "phones.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Many\r\n"
                    + "".join(f"TEL:+86139{i:08d}\r\n" for i in range(100_000)) + "END:VCARD\r\n", encoding="utf-8")
    result = kehu("import", "--dry-run", str(card), store=store)
    assert result.code == 1
    assert f"{card}:1: the card has more than 1000 properties" in result.out + result.err, result.out + result.err


# --- kind 8: kehu serve's request bodies ---------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory, "ninth-b") as running:
        yield running


PROPFIND = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop>{props}</d:prop></d:propfind>'


def test_clients_sending_their_headers_a_line_at_a_time_do_not_hold_the_server(server: Server) -> None:
    """The socket's timeout is per read: a client sending a header line every second never hit
    it, and held a worker for as long as it liked; six such connections (the server answers
    four at once) left a rep's phone without an answer for as long as they went on (a
    "slowloris"). Now a connection whose request line and headers have not all come within
    CLIENT_TIMEOUT (30 s) is cut, and the others are answered."""
    import time

    from kehu_core.serve.server import CLIENT_TIMEOUT, WORKERS

    with stalling_clients(server, [b"PROPFIND /boss/ HTTP/1.1\r\nHost: x\r\n"] * (WORKERS + 2), b"X-Slow: 1\r\n"):
        start = time.monotonic()
        answer = server.session("boss").request("PROPFIND", server.book("boss"), headers={"Depth": "0"},
                                                timeout=CLIENT_TIMEOUT + 30)
        assert answer.status_code == 207
        assert time.monotonic() - start < CLIENT_TIMEOUT + 20


def test_a_request_body_that_is_no_card_costs_the_server_bounded_memory(server: Server) -> None:
    """A PROPFIND or REPORT body (XML) was read whole and built into Radicale's tree, with no
    limit on its size: 36 MB of ``<d:getetag/>`` took the server 1.2 GB (and 26 s), and four
    such requests at once would take four times that. Now a body over 16 MB, or of more
    elements than any client sends, is refused (413) as it is read; a phone's requests and a
    multiget of the whole book are answered as before."""
    boss = server.session("boss")
    url = server.book("boss")
    many = PROPFIND.format(props="<d:getetag/>" * 1_000_000).encode()  # 12 MB
    answer = boss.request("PROPFIND", url, data=many, headers={"Depth": "0"})
    assert answer.status_code == 413, answer.status_code
    assert "XML elements" in answer.text
    assert peak_mb(server.process.pid) < 250_000 / 1024  # 400 MB before
    big = PROPFIND.format(props="<d:getetag/>" + " " * (17 * 1024 * 1024)).encode()
    answer = boss.request("PROPFIND", url, data=big, headers={"Depth": "0"})
    assert answer.status_code == 413 and "at most 16 MB" in answer.text
    hrefs = list(propfind_hrefs(boss, url))
    assert len(multiget(boss, url, hrefs)) == len(hrefs) == 3  # what clients send still works
