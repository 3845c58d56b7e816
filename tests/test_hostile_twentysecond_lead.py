"""Twenty-second round (issue 16), found by the project's CI: the fix of a damaged index (a main
file that is no SQLite's, d9743560) read the file's first bytes with a plain ``open`` and
``close`` each time the index was opened. A process that already held the index open (`kehu
serve` and its workers, the TUI with its background store) lost its locks on the file with that
``close``; the next process to close its connection thought itself the index's last user, folded
the log in and deleted it, and the first process went on writing to a log nobody else read,
then folded it over pages others had written: every command after it ended in "internal error:
database disk image is malformed" (the CI run's `kehu serve` tests answered 500)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from kehu_core.models import Customer
from kehu_core.store import Store

from .conftest import kehu, kehu_subprocess

DAY = "2026-11-20"

#: another process writing customers and closing its connection, as a worker of `kehu serve` or
#: a TUI being quit does
_OTHER = f"""
import sys
from kehu_core.models import Customer
from kehu_core.store import Store
store = Store.open(sys.argv[1], today="{DAY}")
with store.batch():
    for n in range(int(sys.argv[3])):
        store.add_customer(Customer(id=store.new_customer_id(), name=f"{{sys.argv[2]}}{{n}}", notes="备注" * 200))
store.index.refresh()
store.index.close()
"""


def _other_adds(path: Path, name: str, count: int) -> None:
    other = subprocess.run([sys.executable, "-c", _OTHER, str(path), name, str(count)],
                           capture_output=True, text=True, timeout=300)
    assert other.returncode == 0, other.stderr


def _add(store: Store, name: str, count: int) -> None:
    with store.batch():
        for n in range(count):
            store.add_customer(Customer(id=store.new_customer_id(), name=f"{name}{n}", notes="备注" * 200))
    store.index.refresh()


def test_a_process_holding_the_index_keeps_it_while_others_come_and_go(tmp_path: Path) -> None:
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    _add(Store.open(path, today=DAY), "赵敏", 300)
    held = Store.open(path, today=DAY)  # as `kehu serve` and the TUI hold it
    held.index.refresh()
    Store.open(path, today=DAY).index.refresh()  # a worker's, the TUI background store's
    _other_adds(path, "王芳", 1)
    _add(held, "李雷", 50)
    _other_adds(path, "孙红", 200)
    held.index.refresh()
    assert sum(1 for _ in held.index.each()) == 551
    listed = kehu_subprocess("--today", DAY, "customer", "list", "--json", store=path, timeout=300)
    assert listed.returncode == 0, listed.stderr
    names = [c["name"] for c in json.loads(listed.stdout)]
    assert len(names) == 551 and {"赵敏0", "王芳0", "李雷49", "孙红199"} <= set(names)


def test_a_recipient_key_copied_wrong_is_named_by_check_at_its_line(tmp_path: Path) -> None:
    """A key copied wrong by hand into kehu.yaml (one character of an age key changed: its
    checksum fails) is read by the age library where keys are used: `kehu check` (so every
    `kehu sync`) names it at its line; commands that seal nothing go on working."""
    from pyrage import x25519

    from kehu_core.testing import make_store, run_kehu

    key = str(x25519.Identity.generate().to_public())
    store = make_store(tmp_path / "store", today=DAY, customers=[{"name": "赵敏", "id": "c1", "owner": "王芳"}])
    assert run_kehu(store, "keys", "add", "王芳", key).code == 0
    config = store.root / "kehu.yaml"
    wrong = key[:-1] + ("q" if key[-1] != "q" else "p")
    text = config.read_text(encoding="utf-8").replace("    王芳: ", f"    李娜: {wrong}\n    王芳: ")
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index(f"    李娜: {wrong}") + 1
    assert run_kehu(store, "customer", "list").code == 0
    checked = run_kehu(store, "check")
    assert checked.code == 1, checked
    assert f"kehu.yaml:{line}: 李娜: {wrong!r} is not an age public key" in checked.out + checked.err, checked


def test_an_amount_finer_than_a_fen_is_said_by_moneys_rule_at_every_door(tmp_path: Path) -> None:
    """`purchase add --amount 100.001` said pydantic's English "Decimal input should have no more
    than 2 decimal places" where `purchase pay` said "kehu keeps amounts to the fen" (and the
    Chinese user read English); a hand edit said it so in `kehu check`. Now money's rule says it
    at each, in the user's language."""
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "赵敏", store=path).out.strip()
    added = kehu("--today", DAY, "purchase", "add", cid, "--amount", "100.001", "--date", DAY, store=path)
    assert added.code == 1 and "Traceback" not in added.err
    assert "--amount: 100.001: kehu keeps amounts to the fen" in added.err, added.err
    chinese = kehu("--lang", "zh_CN", "--today", DAY, "purchase", "add", cid, "--amount", "100.001", "--date", DAY,
                   store=path)
    assert chinese.code == 1 and "100.001: kehu 的金额精确到分" in chinese.err, chinese.err
    sale = kehu("--today", DAY, "purchase", "add", cid, "--amount", "100", "--date", DAY, store=path).out.strip()
    assert sale
    files = list((path / "customers").rglob("*.yaml"))
    purchase_file = next(f for f in files if "amount: 100" in f.read_text(encoding="utf-8"))
    purchase_file.write_text(re.sub(r"(?m)^amount: .*$", "amount: 100.001", purchase_file.read_text(encoding="utf-8")),
                             encoding="utf-8")
    checked = kehu("check", store=path)
    assert checked.code == 1
    assert "100.001: kehu keeps amounts to the fen" in checked.out + checked.err, checked


def test_a_line_in_no_known_encoding_is_said_in_the_users_language(tmp_path: Path) -> None:
    """The import's refusal of a line that is neither UTF-8 nor GBK was English in a Chinese shop
    (its messages were never wrapped for translation)."""
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    sheet = tmp_path / "broken.csv"
    sheet.write_bytes("姓名,手机\n赵敏,13800138000\n".encode() + b"\x80\x80\xff,13700000000\n")
    result = kehu("--lang", "zh_CN", "import", str(sheet), store=path)
    assert result.code == 1 and "Traceback" not in result.err
    assert f"{sheet}:3: 第 3 行既不是 UTF-8 也不是 GBK 文本" in result.err, result.err


def test_an_index_whose_log_was_deleted_under_a_holding_process_is_opened_again(tmp_path: Path) -> None:
    """The TUI (or `kehu serve`) holds the index; another process deletes its log and shared
    memory (`rm .kehu/index.sqlite-*`, a cleaner). The next connection the holding process opened
    (the TUI's background worker) ended in "disk I/O error" (SQLITE_IOERR_SHORT_READ: SQLite
    reads the shared memory it still maps) and took the app down; the fresh-clone CI run of
    ff170a05 met it in tuiidx's test. The index is made anew and answers."""
    path = tmp_path / "store"
    assert kehu("init", str(path), "--no-git").code == 0
    _add(Store.open(path, today=DAY), "赵敏", 5)
    held = Store.open(path, today=DAY)
    held.index.refresh()
    index = path / ".kehu" / "index.sqlite"
    removed = subprocess.run([sys.executable, "-c", f"import os; os.unlink({str(index)!r} + '-wal'); "
                              f"os.unlink({str(index)!r} + '-shm')"], capture_output=True, text=True)
    assert removed.returncode == 0, removed.stderr
    worker = Store.open(path, today=DAY)  # a new connection in the holding process
    worker.index.refresh()
    assert sorted(row.customer.name for row in worker.index.each()) == [f"赵敏{n}" for n in range(5)]
    assert sum(1 for _ in held.index.each()) == 5
