"""Variants of issue 16's kinds found by the sixth outside round (2026-12-05): each failed on
the code before its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from . import test_hostile_limits
from .conftest import kehu
from .test_hostile import tree_hash

# the fixtures of a store of one customer, copied for each test
base, store = test_hostile_limits.base, test_hostile_limits.store


def kehu_in(folder: Path, *argv: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """kehu run in ``folder`` without --store: the store is found as git finds a repository."""
    env = {k: v for k, v in os.environ.items() if k not in ("KEHU_STORE", "KEHU_TODAY")}
    env["XDG_CACHE_HOME"] = str(tmp / "cache")  # where the demo's working copy would go
    return subprocess.run([sys.executable, "-m", "kehu_core", *argv], cwd=folder,
                          capture_output=True, text=True, env=env)


@pytest.mark.parametrize("kind", ["fifo", "socket", "folder", "dangling link"])
def test_a_kehu_yaml_of_another_kind_is_this_store_refused_not_the_demo(
        store: tuple[Path, str], tmp_path: Path, kind: str) -> None:
    """A socket, FIFO, folder or link to nowhere named kehu.yaml: discovery looked for a regular
    file only, so kehu took the folder for no store and went on to the demo — `kehu check` said
    "ok: 200 customers", `customer add` wrote into the demo, exit 0. Now it is this store,
    refused by name."""
    path, _cid = store
    config = path / "kehu.yaml"
    config.unlink()
    if kind == "fifo":
        os.mkfifo(config)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(config))
        sock.close()
    elif kind == "folder":
        config.mkdir()
    else:
        config.symlink_to("nowhere")
    before = tree_hash(path)
    for argv in (["check"], ["customer", "add", "--name", "王芳"]):
        result = kehu_in(path, *argv, tmp=tmp_path)
        assert result.returncode == 1, (argv, result.stdout, result.stderr)
        assert "demo" not in result.stderr and "Traceback" not in result.stderr
        assert f"{config}:1:" in result.stderr, result.stderr
    assert not list((tmp_path / "cache").glob("kehu/demo-*"))  # the demo was never opened
    assert tree_hash(path) == before


@pytest.mark.parametrize("typed", ["1,5", "1,50", "12,34,5", "１，５"])
def test_a_decimal_comma_in_an_amount_is_refused_never_read_as_thousands(
        store: tuple[Path, str], tmp_path: Path, typed: str) -> None:
    """Every door took every comma out of a typed amount: `--amount 1,5` (a decimal comma, as
    much of Europe writes 1.5) was stored as ¥15.00, `1,50` as ¥150.00, and so was a sheet's
    cell, exit 0. A comma is now a thousands separator only where it separates thousands."""
    path, cid = store
    before = tree_hash(path)
    added = kehu("purchase", "add", cid, "--date", "2026-05-01", "--item", "x", "--amount", typed, store=path)
    assert added.code == 2 and "is not an amount" in added.err, added.err
    sheet = tmp_path / "sales.csv"
    sheet.write_text(f'name,phone,date,item,amount\n李雷,13800138000,2026-05-01,x,"{typed}"\n', encoding="utf-8")
    imported = kehu("import", str(sheet), store=path)
    assert imported.code == 1 and "sales.csv:2" in imported.err, imported.err
    assert tree_hash(path) == before
    grouped = kehu("purchase", "add", cid, "--date", "2026-05-01", "--item", "x", "--amount", "1,288.50", store=path)
    assert grouped.code == 0, grouped.err
    assert "1288.50" in kehu("customer", "show", cid, "--json", store=path).out


@pytest.mark.parametrize("typed", ["0x10", ".inf", "", "1,5", "abc"])
def test_a_quantity_that_is_no_number_is_a_usage_error(store: tuple[Path, str], typed: str) -> None:
    """`--qty 0x10`, `.inf`, `1,5` or an empty value: "internal error: InvalidOperation"."""
    path, cid = store
    before = tree_hash(path)
    added = kehu("purchase", "add", cid, "--date", "2026-05-01", "--item", "x", "--qty", typed, "--price", "10",
                 store=path)
    assert added.code == 2 and "is not a quantity" in added.err, added.err
    assert "internal error" not in added.err
    assert tree_hash(path) == before


def test_minus_zero_is_an_amount_of_zero(store: tuple[Path, str]) -> None:
    """`--amount -0` was stored as `amount: -0.00` and shown as ¥-0.00."""
    path, cid = store
    assert kehu("purchase", "add", cid, "--date", "2026-05-01", "--item", "x", "--amount", "-0", store=path).code == 0
    assert "¥-0" not in kehu("customer", "show", cid, store=path).out
    texts = [p.read_text(encoding="utf-8") for p in path.rglob("interactions/*.yaml")]
    assert texts and all("\namount: 0.00\n" in t for t in texts), texts


def git(folder: Path, *argv: str) -> str:
    return subprocess.run(["git", *argv], cwd=folder, capture_output=True, text=True, check=True).stdout


def test_sync_on_a_detached_head_commits_nothing(tmp_path: Path) -> None:
    """`git checkout COMMIT` (a look at the past) or a rebase stopped half-way, then a new
    customer and `kehu sync`: the sync committed the customer on the detached HEAD and then
    refused, saying `git switch main`; doing so left the commit on no branch, and the customer
    was gone from the store. Now the sync refuses before committing anything."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(path, "remote", "add", "origin", str(remote))
    assert kehu("sync", store=path).code == 0
    branch = git(path, "symbolic-ref", "--short", "HEAD").strip()
    git(path, "checkout", "-q", "--detach", "HEAD")
    head = git(path, "rev-parse", "HEAD")
    cid = kehu("customer", "add", "--name", "王芳", store=path).out.strip()
    result = kehu("sync", store=path)
    assert result.code == 1 and "detached" in result.err and "nothing was committed" in result.err, result.err
    assert git(path, "rev-parse", "HEAD") == head
    git(path, "switch", "-q", branch)  # what the message asks for
    assert kehu("customer", "show", cid, store=path).code == 0  # the customer is still in the store
    assert kehu("sync", store=path).code == 0
    assert cid in git(path, "ls-tree", "-r", "--name-only", "origin/" + branch)

