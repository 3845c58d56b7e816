"""The sixteenth outside round (sixteentha, 2026-12-06), kinds 1 to 4: links and special files,
text read one way and written another, values that pass one door and not another, writes that
land in the wrong place. Each failed on the code before its fix. See docs/reliability.md, "The
outside attacker's variants"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import test_hostile_limits
from .conftest import git, kehu, kehu_subprocess
from .test_hostile_links import open_folder  # noqa: F401 - a fixture

no_traceback = test_hostile_limits.no_traceback


def _files(store: Path) -> dict[str, bytes]:
    """Every file of the store outside .git and .kehu, with its bytes."""
    return {str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*"))
            if p.is_file() and not {".git", ".kehu"} & set(p.relative_to(store).parts)}


@pytest.mark.parametrize("line", [
    "- {id: hand000001, date: 2026-11-19, from: 小客户, to: [1], why: x}",
    "- {id: hand000002, date: 2026-11-19, from: {a: 1}, to: 重要客户}",
    "- {id: hand000003, date: 2026-11-19, from: 小客户, to: 重要客户, why: {a: 1}}",
])
def test_a_hand_edited_tier_move_that_is_no_text_is_named_at_its_line(tmp_path: Path, line: str) -> None:
    """A line of a tiers ledger edited by hand (or a colleague's script) whose tier (`to:`,
    `from:`) or reason (`why:`) is no text: `kehu check` said ok, then `kehu tier`, `kehu tier
    --json` and `kehu tier record` ended in "internal error: TypeError: unhashable type". Every
    line of a ledger is a `models.LedgerEntry`, whose `from`, `to` and `why` are text where
    present: named at its line by `check` and by every command reading the ledger."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "张三", store=path).out.strip()
    assert kehu("purchase", "add", cid, "--date", "2026-11-01", "--item", "茶", "--amount", "100",
                store=path).code == 0
    ledger = next(path.rglob("tiers.ledger.yaml"))
    ledger.write_text(ledger.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    at = f"{ledger}:3: "
    before = _files(path)
    for args in (("check",), ("tier",), ("tier", "--json"), ("tier", "record")):
        result = kehu(*args, store=path)
        no_traceback(result)
        assert result.code == 1, (args, result.out, result.err)
        assert at in result.out + result.err, (args, result.out, result.err)
    assert _files(path) == before


@pytest.mark.parametrize("where", ["in the store", "outside"])
def test_an_export_never_replaces_kehu_serves_logins_file(tmp_path: Path, where: str) -> None:
    """kehu.yaml's `serve: htpasswd: users.htpasswd` (relative to the store, as the docs' example
    has it; or a file elsewhere), then `kehu export --format csv users.htpasswd` (the name
    completed by the shell), `reminders --ics`, `visits cards`, or an export through a link to
    it: the logins' password hashes were replaced by the export, exit 0, and every rep's phone
    refused by `kehu serve` from then on. Refused as the identity file is, naming it."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    assert kehu("customer", "add", "--name", "张三", "--owner", "王芳", store=path).code == 0
    logins = path / "users.htpasswd" if where == "in the store" else tmp_path / "etc" / "users.htpasswd"
    logins.parent.mkdir(exist_ok=True)
    hashes = "wang:$2y$05$GrOb4m5LxJ1wbeUAE3oA6uVIkdcYqWQHmR4z5vz0i4V3s3O5jCpRy\n"
    logins.write_text(hashes, encoding="utf-8")
    named = "users.htpasswd" if where == "in the store" else str(logins)
    config = path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8")
                      + f"serve:\n  htpasswd: {named}\n  users:\n    wang: {{rep: 王芳}}\n", encoding="utf-8")
    link = tmp_path / "out.csv"
    link.symlink_to(logins)
    for args in (("export", "--format", "csv", str(logins)), ("export", "--format", "xlsx", str(link)),
                 ("reminders", "--ics", str(logins)),
                 ("visits", "cards", "--owner", "王芳", "--date", "2026-11-20", str(logins))):
        result = kehu(*args, store=path)
        no_traceback(result)
        assert result.code == 1, (args, result.out, result.err)
        assert "logins file" in result.err and "htpasswd" in result.err, (args, result.err)
        assert logins.read_text(encoding="utf-8") == hashes, args
    assert kehu("export", "--format", "csv", str(tmp_path / "all.csv"), store=path).code == 0


def test_a_fifo_in_the_place_of_git_head_is_named_never_waited_on(tmp_path: Path) -> None:
    """`.git/HEAD` replaced by a FIFO (or a link to `/dev/zero`): kehu reads HEAD before every
    command, to know whether git moved the records, so every command waited on it for ever,
    `customer list` too (and git itself, which `customer add`, `customer set`, `check` and
    `kehu sync` run). git's own files are read only when they are regular files
    (`freshness.git_head`); a file every git command opens (HEAD, config, index) that is no
    regular file is named by `kehu check`, and a command that needs git refuses, naming it
    (`freshness.git_would_wait`), before git waits on it."""
    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    assert kehu("customer", "add", "--name", "张三", "--id", "zhangsan", store=path).code == 0
    git(path, "add", "-A")
    git(path, "commit", "-qm", "张三")
    head = path / ".git" / "HEAD"
    head.unlink()
    os.mkfifo(head)  # a link to /dev/zero is refused alike (read before until memory ran out)
    os.utime(path / "customers")  # the index looks again

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        try:  # the bound is only so the suite goes on when it waits for ever, as it did
            return kehu_subprocess(*args, store=path, timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail(f"kehu {' '.join(args)} waited on {head}")

    listed = run("customer", "list", "--json")
    assert listed.returncode == 0 and "张三" in listed.stdout, listed.stderr
    for args in (("customer", "add", "--name", "李四"), ("customer", "set", "zhangsan", "nickname=三")):
        done = run(*args)
        assert done.returncode == 0, (args, done.stderr)
    for args in (("check",), ("sync",), ("customer", "log", "zhangsan")):
        refused = run(*args)
        assert refused.returncode == 1, (args, refused.stdout, refused.stderr)
        said = refused.stdout + refused.stderr
        assert f"{head}" in said and "git would wait on it" in said, (args, said)
        assert "Traceback" not in refused.stderr and "internal error" not in refused.stderr


_DYING_EXPORTER = """
import json
import os
import signal

from kehu_core import hookimpl


class Dies:
    name = "dies"

    def write(self, store, customers, out):
        out.write_text("id,name\\n" + "".join(f"{c.id},{c.name}\\n" for c in customers), encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)  # the OOM killer, a power cut: nothing of kehu runs after it


@hookimpl
def exporters():
    return [Dies()]
"""


def test_an_export_killed_half_way_in_the_stores_folder_leaves_nothing_sync_would_share(tmp_path: Path) -> None:
    """`kehu export --format xlsx all.xlsx` run in the store's folder (where a rep works) and
    killed before it finished (SIGTERM from `timeout`, the OOM killer, a power cut): its
    temporary file, `.all.xlsx.k2j3l4.xlsx`, stayed, and the next `kehu sync` committed and
    pushed it, every customer in it, to the team. An export's temporary is named as kehu's
    others are (`.*.tmp`, which the store's .gitignore leaves out): git sees nothing new.
    (The export here is a plugin's, which kills its own process as it writes.)"""
    site = tmp_path / "site"
    (site / "dies_kehu").mkdir(parents=True)
    (site / "dies_kehu" / "__init__.py").write_text(_DYING_EXPORTER, encoding="utf-8")
    dist = site / "dies_kehu-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: dies-kehu\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[kehu]\ndies = dies_kehu\n", encoding="utf-8")
    path = tmp_path / "shop"
    assert kehu("init", str(path)).code == 0
    assert kehu("customer", "add", "--name", "张三", store=path).code == 0
    git(path, "add", "-A")
    git(path, "commit", "-qm", "张三")
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    killed = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(path), "export", "--format", "dies",
                             str(path / "all.csv")], capture_output=True, text=True, env=env)
    assert killed.returncode == -9, (killed.returncode, killed.stderr)
    assert not (path / "all.csv").exists()
    assert git(path, "status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.parametrize(("body", "mark"), [
    ("utf-16-be", b"\xfe\xff"), ("utf-32-le", b"\xff\xfe\x00\x00"), ("utf-32-be", b"\x00\x00\xfe\xff"),
])
def test_a_big_endian_utf16_or_a_utf32_sheet_or_vcard_is_read_as_its_mark_says(
        tmp_path: Path, body: str, mark: bytes) -> None:
    """A sheet or a vCard saved in UTF-16 big-endian or in UTF-32, with its byte order mark (a
    script's `encoding="utf-32"`, a Mac's or an old converter's UTF-16): the big-endian UTF-16
    sheet ended `kehu import` in "internal error: UnicodeDecodeError" (its first line was cut
    at the line feed's byte, `00 0A`, one byte short of a character, and decoded); UTF-32's
    mark begins as UTF-16's does (FF FE), so the UTF-32 sheet was read as UTF-16, every row
    refused, "row has no name, customer id, phone or email", and the vCard "cannot tell what
    kind of file this is". A file's mark is read in one place (`importing.base.bom_encoding`,
    UTF-32 before UTF-16) and a head cut anywhere decoded by it (`importing.base.marked_head`)."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    sheet = tmp_path / "客户.csv"
    sheet.write_bytes(mark + "姓名,手机,备注\r\n王五,13900139000,老客户\r\n".encode(body))
    card = tmp_path / "contacts.vcf"
    card.write_bytes(mark + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:赵六\r\nTEL:13900139001\r\nEND:VCARD\r\n".encode(body))
    for file in (sheet, card):
        result = kehu("import", str(file), store=path)
        no_traceback(result)
        assert result.code == 0, (file, result.out, result.err)
    listed = {c["name"]: c for c in kehu("customer", "list", "--json", store=path).json()}
    assert set(listed) == {"王五", "赵六"}, listed
    assert listed["王五"]["phones"] == ["+8613900139000"] and listed["赵六"]["phones"] == ["+8613900139001"]
    assert listed["王五"]["notes"] == "老客户"


def test_an_index_left_by_another_users_run_is_made_again(open_folder: Path) -> None:  # noqa: F811
    """`sudo kehu customer list` (or a job run as root) in a fresh clone made `.kehu/index.sqlite`
    root's: SQLite opened it read-only for the user without a word, and once a record changed
    (a hand edit, a pull) every command — `customer list`, `check`, `customer add` — ended in
    "internal error: OperationalError: attempt to write a readonly database". The index is
    derived data: one the user cannot write, in a folder they can, is made again
    (`index.schema._anothers`)."""
    from .test_hostile_links import _as_reader

    store = open_folder / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    assert kehu("customer", "add", "--name", "张三", "--id", "zhangsan", store=store).code == 0  # the index made
    home = open_folder / "home"
    home.mkdir()
    index = sorted((store / ".kehu").glob("index.sqlite*"))
    assert index
    for path in [store, home, *store.rglob("*")]:
        if path not in index:
            os.chmod(path, 0o777 if path.is_dir() else 0o666)
    for path in index:  # root's, as `sudo kehu` leaves it (the reader is 'nobody'); or not writable
        os.chmod(path, 0o644 if os.geteuid() == 0 else 0o444)
    profile = next(store.rglob("customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8") + "nickname: 三\n", encoding="utf-8")
    for args in (("customer", "list", "--json"), ("check",), ("customer", "add", "--name", "李四", "--id", "lisi")):
        result = _as_reader(store, home, *args)
        said = result.stdout + result.stderr
        assert result.returncode == 0, (args, said)
        assert "Traceback" not in said and "internal error" not in said, (args, said)
    listed = _as_reader(store, home, "customer", "list", "--json")
    assert sorted(c["id"] for c in json.loads(listed.stdout)) == ["lisi", "zhangsan"]


def test_a_customers_interactions_folder_made_unreadable_is_named_never_read_as_empty(
        open_folder: Path) -> None:  # noqa: F811
    """A customer's `interactions/` that the user cannot list (made another user's by a `sudo`
    tool, `chmod 000` by a script) after the index knew its records: `customer show --json`
    gave no purchases and nothing owed, exit 0 (a glob of the folder was empty without a
    word), and `kehu check` stopped whole at a ledger naming one of its records, "kehu: …/
    2026-11-01-x.yaml: Permission denied", naming no problem of the store. `customer show`
    (as text and `--json`) names the folder and exits 1 (`Store.interactions` lists it, as
    `check` does: `yamlio.unlisted_folder_message`); `check` names it and goes on; the reports,
    read from the index, said receivables of 0.00 without a word, and now say a record is left
    out (`Index.unread_records`)."""
    from .test_hostile_links import _as_reader

    store = open_folder / "shop"
    assert kehu("init", str(store), "--no-git").code == 0
    assert kehu("customer", "add", "--name", "张三", "--id", "zhangsan", store=store).code == 0
    assert kehu("customer", "add", "--name", "李四", "--id", "lisi", store=store).code == 0
    assert kehu("purchase", "add", "zhangsan", "--date", "2026-11-01", "--item", "茶", "--amount", "100",
                store=store).code == 0  # a sale on credit, and its points ledger naming it
    home = open_folder / "home"
    home.mkdir()
    for path in [store, home, *store.rglob("*")]:
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    folder = next(store.rglob("zhangsan")) / "interactions"
    os.chmod(folder, 0)
    for args in (("customer", "show", "zhangsan", "--json"), ("customer", "show", "zhangsan"), ("check",)):
        result = _as_reader(store, home, *args)
        said = result.stdout + result.stderr
        assert result.returncode == 1, (args, said)
        assert f"{folder}:1: cannot list this folder" in said, (args, said)
        assert "Traceback" not in said and "internal error" not in said, (args, said)
    assert "1 problem" in said  # the check went on: the rest of the store is checked
    owed = _as_reader(store, home, "report", "receivables")  # read from the index: its sale is none there
    assert owed.returncode == 0 and "1 record (a purchase, a complaint, a visit ...) is left out" in owed.stderr, (
        owed.stdout, owed.stderr)
    shown = _as_reader(store, home, "customer", "show", "lisi", "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["name"] == "李四", shown.stderr


def store_to_send(tmp_path: Path) -> Path:
    """A store (no git) of one customer, 张三 with a phone, and a template ``greet`` to send him."""
    path = tmp_path / "shop"
    assert kehu("init", str(path), "--no-git").code == 0
    assert kehu("customer", "add", "--name", "张三", "--phone", "13800138000", store=path).code == 0
    (path / "templates").mkdir()
    (path / "templates" / "greet.j2").write_text("{{ name }}，您好\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("what", ["FIFO", "file"])
def test_an_outbox_folder_that_is_no_folder_is_named(tmp_path: Path, what: str) -> None:
    """kehu.yaml's `plugins: outbox: folder:` naming a FIFO (a gateway's pipe, meant for a
    program reading messages one by one) or a file, then `kehu send --channel sms`: each
    message failed as "FileExistsError: [Errno 17] File exists", Python's words, naming no
    setting. The outbox says which setting names what, as it does of a folder in the store
    (`kehu_plugins.outbox._refuse_records`), and the FIFO or the file is left as it was."""
    path = store_to_send(tmp_path)
    outbox = tmp_path / "sms-gateway"
    if what == "FIFO":
        os.mkfifo(outbox)
    else:
        outbox.write_text("a file of the gateway's\n", encoding="utf-8")
    config = path / "kehu.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  disabled: []", f"  disabled: []\n  outbox:\n    folder: {outbox}"), encoding="utf-8")
    sent = kehu("send", "--segment", "all", "--template", "greet", "--channel", "sms", store=path)
    no_traceback(sent)
    said = sent.out + sent.err
    assert sent.code == 1, said
    shown = "a FIFO (named pipe)" if what == "FIFO" else "a file"
    assert f"plugins: outbox: folder: {outbox} is {shown}, not a folder" in said and "Errno" not in said, said
    assert outbox.is_fifo() if what == "FIFO" else outbox.read_text(encoding="utf-8") == "a file of the gateway's\n"
