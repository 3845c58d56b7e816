"""The twenty-fifth round's outside attacks of kinds 1-4 (issue 16): each test failed before its
fix, with the message or the write the test names."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile_twentyfourth_linkwrite import a_top_folder


def _tree(root: Path) -> str:
    """The store's files (not the index's .kehu/), names and bytes, as one digest."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if ".kehu" in path.relative_to(root).parts:
            continue
        digest.update(str(path).encode())
        if path.is_file() and not path.is_symlink() and os.access(path, os.R_OK):
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Unreadable:
    """A store, and ``kehu`` run on it as a process whom a file's mode stops: as root, root
    without the capabilities that let it read past a mode (``setpriv --bounding-set``), so a
    folder made ``chmod 000`` is unreadable to it as to any other user."""

    def __init__(self, top: Path) -> None:
        self.store = top / "store"
        assert kehu("init", str(self.store), "--no-git").code == 0
        self.cid = kehu("customer", "add", "--name", "李雷", "--owner", "王芳", store=self.store).out.strip()

    def kehu(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "kehu_core", "--store", str(self.store), *args]
        if os.geteuid() == 0:
            argv = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *argv]
        env = {**os.environ, "KEHU_TODAY": "2026-11-20", "KEHU_LANG": "en"}
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def unreadable() -> Iterator[Unreadable]:
    with a_top_folder("kehu-attackfiles-") as top:
        yield Unreadable(top)


# --- kind 1: an unreadable folder of the reps' visit plans ----------------------------------


@pytest.mark.parametrize("which", ["visits", "visits/王芳"])
def test_an_unreadable_folder_of_visit_plans_is_named_by_check(unreadable: Unreadable, which: str) -> None:
    """`kehu check` stopped at "kehu: …/visits: Permission denied", naming none of the store's
    problems (nor this one at a line), and `kehu sync` with it."""
    store = unreadable.store
    assert kehu("visits", "plan", "--owner", "王芳", "--date", "2026-11-20", "--add", unreadable.cid,
                store=store).code == 0
    (store / "customers" / "stray.yaml").write_text("id: x\n", encoding="utf-8")  # a problem of its own
    target = store / which
    os.chmod(target, 0)
    check = unreadable.kehu("check")
    text = check.stdout + check.stderr
    assert check.returncode == 1, text
    assert f"{target}:1: cannot read: permission denied" in text, text
    assert f"{store / 'customers' / 'stray.yaml'}:1:" in text, text  # the other problems are named
    assert "Traceback" not in text


def _profile(store: Path, cid: str) -> Path:
    from kehu_core.ids import shard

    return store / "customers" / shard(cid) / cid / "customer.yaml"


# --- kind 3: -0 written by hand is the 0 the CLI stores ---------------------------------------


def test_an_amount_written_minus_zero_by_hand_is_zero(store_path: Path) -> None:
    """`amount: -0.0` (and `price: -0.0`) by hand was a sale of -0.00 in `customer show`, its
    JSON and the exports, where `purchase add --amount -0` stores 0.00."""
    cid = kehu("customer", "add", "--name", "赵敏", store=store_path).out.strip()
    added = kehu("purchase", "add", cid, "--item", "茶", "--price", "10", "--date", "2026-11-01", store=store_path)
    assert added.code == 0, added.err
    path = _profile(store_path, cid).parent / "interactions" / f"{added.out.split()[-1]}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("price: 10.00", "price: -0.0").replace("amount: 10.00", "amount: -0.0"),
                    encoding="utf-8")
    assert kehu("check", store=store_path).code == 0
    shown = kehu("customer", "show", cid, "--json", store=store_path)
    assert '"amount": "0.00"' in shown.out and "-0.0" not in shown.out, shown.out
    exported = kehu("export", "--format", "csv", "-", store=store_path)
    assert exported.code == 0 and "-0.0" not in exported.out, exported.out


# --- kind 1: a file where a customer's interactions/ folder belongs -------------------------


def test_a_file_in_the_place_of_a_customers_interactions_folder_is_named(store_path: Path) -> None:
    """A colleague's commit replacing `interactions/` by a file: the customer's sales and visits
    were gone from every list and report while `kehu check` said ok, and `interaction add` said
    "…/interactions/2026-11-20-x.yaml:1: cannot read: Not a directory" of the record it meant to write."""
    cid = kehu("customer", "add", "--name", "赵敏", store=store_path).out.strip()
    assert kehu("purchase", "add", cid, "--item", "茶", "--price", "10", "--date", "2026-11-01",
                store=store_path).code == 0
    folder = _profile(store_path, cid).parent / "interactions"
    shutil.rmtree(folder)
    folder.write_text("not a folder\n", encoding="utf-8")
    check = kehu("check", store=store_path)
    assert check.code == 1 and f"{folder}:1: unexpected file" in check.out + check.err, check.out + check.err
    before = _tree(store_path)
    for args in (["interaction", "add", cid, "--kind", "note", "--text", "到店"],
                 ["purchase", "add", cid, "--amount", "5", "--date", "2026-11-10"]):
        added = kehu(*args, store=store_path)
        assert added.code == 1, added.out + added.err
        assert added.err.strip() == f"{folder}:1: is a file where a folder of records belongs: no record under it " \
                                    "is read or written; move it away", added.err
    assert _tree(store_path) == before


# --- kind 3: an amount of 30 decimals is refused at every door, never rounded ----------------

_LONG = "100.00999999999999999999999999999"  # 31 digits: Decimal's `+ 0` made it 100.01


def test_an_amount_of_thirty_decimals_is_refused_by_the_cli_and_an_import_as_by_check(
        store_path: Path, tmp_path: Path) -> None:
    """`purchase add --amount 100.00999999999999999999999999999`, `purchase pay` and a sheet's
    cell were kept as ¥100.01 (Decimal's 28 digits), while `kehu check` refuses those digits
    written by hand: "kehu keeps amounts to the fen"."""
    cid = kehu("customer", "add", "--name", "赵敏", store=store_path).out.strip()
    sale = kehu("purchase", "add", cid, "--item", "茶", "--price", "200", "--date", "2026-11-01", store=store_path)
    assert sale.code == 0, sale.err
    sheet = tmp_path / "sales.csv"
    sheet.write_text(f"交易日期,真实姓名,联系电话,购买商品,成交金额\n2026/11/2,吴刚,13800138001,碧螺春,{_LONG}\n",
                     encoding="utf-8")
    before = _tree(store_path)
    for args in (["purchase", "add", cid, "--amount", _LONG, "--date", "2026-11-02"],
                 ["purchase", "pay", cid, sale.out.split()[-1], "--amount", _LONG],
                 ["import", str(sheet)]):
        result = kehu(*args, store=store_path)
        assert result.code == 1, (args, result.out, result.err)
        assert "kehu keeps amounts to the fen" in result.err and "Traceback" not in result.err, result.err
    assert _tree(store_path) == before


# --- kind 1: a socket where a record belongs ---------------------------------------------------


@pytest.mark.parametrize("what", ["kehu.yaml", "customer.yaml", "interaction"])
def test_a_socket_where_a_record_belongs_is_said_as_one(store_path: Path, what: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A UNIX socket in the place of a record (a daemon's, a colleague's tool): every door said
    the OS's "No such device or address" ("kehu: …: No such device or address" from `customer
    show`, "cannot read: No such device or address" from `check`), not what stands there."""
    import socket

    cid = kehu("customer", "add", "--name", "赵敏", store=store_path).out.strip()
    folder = _profile(store_path, cid).parent
    target = {"kehu.yaml": store_path / "kehu.yaml", "customer.yaml": folder / "customer.yaml",
              "interaction": folder / "interactions" / "2026-11-09-hhhhhhhh.yaml"}[what]
    target.parent.mkdir(exist_ok=True)
    target.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX)
    try:
        monkeypatch.chdir(target.parent)  # a socket's path is at most 107 bytes; pytest's are longer
        server.bind(target.name)
        for args in (["check"], ["customer", "show", cid]):
            result = kehu(*args, store=store_path)
            text = result.out + result.err
            assert result.code == 1, (args, text)
            assert f"{target}:1: is a socket, not a record file" in text, (args, text)
    finally:
        server.close()
