"""The twenty-eighth round's cpath findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .clocale import c_locale as _c_locale
from .clocale import fine as _fine
from .clocale import names
from .conftest import kehu


def test_a_store_in_a_chinese_named_folder_works_under_a_c_locale(tmp_path: Path) -> None:
    """A store made in 客户档案/ (under a UTF-8 locale), then used under `LC_ALL=C` with Python's
    UTF-8 mode off: Python names the folder by its bytes each read alone, and every command
    ended in "internal error: UnicodeEncodeError" (the index's cache key, the entry points'
    cache, git's paths, a commit's message of 张三) or refused the store's own kehu.yaml as "the
    name is not UTF-8 text". Each command now works, from the folder and with --store; the sync
    commits and pushes; `kehu init` of a folder in Chinese works there too."""
    store, remote = tmp_path / "客户档案", tmp_path / "远程.git"
    assert kehu("init", str(store)).code == 0
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    subprocess.run(["git", "-C", str(store), "remote", "add", "origin", str(remote)], check=True)
    cid = _fine(_c_locale(store, "customer", "add", "--name", "张三", "--phone", "13900000001")).strip().decode()
    assert names("张三", _fine(_c_locale(tmp_path, "customer", "list", store=store)))
    assert names("张三", _fine(_c_locale(store, "customer", "list")))
    assert names("张三", _fine(_c_locale(store, "customer", "show", cid)))
    checked = _c_locale(store, "check")
    assert b"no problems" in checked.stderr and _fine(checked) == b"", checked.stderr
    assert names("张三", _fine(_c_locale(store, "search", "张")))
    _fine(_c_locale(store, "purchase", "add", cid, "--item", "茶", "--amount", "10"))
    _fine(_c_locale(store, "sync"))
    log = subprocess.run(["git", "-C", str(remote), "log", "--format=%s"], capture_output=True, check=True)
    assert "张三: new customer".encode() in log.stdout, log.stdout
    # a store made under the C locale, in a folder named in Chinese
    _fine(_c_locale(tmp_path, "init", "新店"))
    _fine(_c_locale(tmp_path / "新店", "customer", "add", "--name", "张三"))
    assert names("张三", _fine(_c_locale(tmp_path, "customer", "list", store=tmp_path / "新店")))


def test_a_store_named_in_bytes_that_are_not_utf8_is_still_refused(tmp_path: Path) -> None:
    """What held: a store whose folder's name is GBK bytes is refused, under either locale,
    as a name that is not UTF-8 text, never read."""
    made = tmp_path / "store"
    assert kehu("init", str(made)).code == 0
    gbk = os.fsencode(tmp_path) + b"/" + "店".encode("gbk")
    os.rename(made, gbk)
    done = _c_locale(tmp_path, "check", store=Path(os.fsdecode(gbk)))
    assert done.returncode == 1 and b"the name is not UTF-8 text" in done.stderr, done.stderr


def test_a_remote_named_in_chinese_that_cannot_be_reached_is_said_under_a_c_locale(tmp_path: Path) -> None:
    """`kehu sync` under `LC_ALL=C` with `PYTHONUTF8=0`, its remote a folder in Chinese that is
    not there (a shared drive not mounted): git's error names it in UTF-8, which kehu read in
    ASCII, and the sync ended in "internal error: UnicodeDecodeError". It is said as without
    that locale, the clone as it was."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    subprocess.run(["git", "-C", str(store), "remote", "add", "origin", str(tmp_path / "共享盘" / "客户.git")],
                   check=True)
    _fine(_c_locale(store, "customer", "add", "--name", "张三"))
    done = _c_locale(store, "sync")
    said = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 1 and "cannot reach remote origin" in said and "internal error" not in said, said
    assert "共享盘/客户.git" in said or "\\u5171" in said, said
    head = subprocess.run(["git", "-C", str(store), "log", "--format=%s"], capture_output=True, check=True)
    assert head.stdout == b"kehu init: new store\n", head.stdout
