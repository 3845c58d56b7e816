"""Variants of issue 16's kinds found by the sixth outside round (2026-12-05): each failed on
the code before its fix. See docs/reliability.md, "The outside attacker's variants"."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile import tree_hash


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("sixth") / "base"
    assert kehu("init", str(path), "--no-git").code == 0
    cid = kehu("customer", "add", "--name", "李雷", "--phone", "13800138000", store=path).out.strip()
    shutil.rmtree(path / ".kehu", ignore_errors=True)
    return path, cid


@pytest.fixture
def store(base: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "store"
    shutil.copytree(base[0], path)
    return path, base[1]


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
