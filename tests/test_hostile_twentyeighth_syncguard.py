"""The twenty-eighth round's syncguard findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from .conftest import git, kehu
from .pluginutil import installed_plugin
from .test_hostile_twentyseventh_gitedges import force_push_taking_out_one, pushed_back, sync_stops_at_the_force_push
from .test_serve import card_url, serving
from .test_team_merge import ok

# --- kind 5: a force-push hidden by a `git fetch` of the user's own ------------------------------


def test_a_force_push_is_said_though_a_git_fetch_ran_before_the_sync(tmp_path: Path) -> None:
    """The sync stopped at a force-push only when its own fetch saw the rewrite: a `git fetch`
    before it (an editor's background fetch, the user's own) moved the remote-tracking branch
    past it, and the sync merged and pushed the taken-out commit back, exit 0, without a word.
    The sync now compares with what it last synced itself, which no fetch moves."""
    a, _b = force_push_taking_out_one(tmp_path)
    git(a, "fetch", "-q")  # the editor's background fetch (it moves neither a's HEAD nor the remote)
    sync_stops_at_the_force_push(tmp_path, a)
    pushed_back(tmp_path, a)  # told, the person decides the rewrite was a mistake


def test_a_clone_synced_before_kehu_noted_its_syncs_still_stops_at_a_force_push(tmp_path: Path) -> None:
    """A clone whose last sync was made by a kehu that noted nothing (no refs/kehu/synced): the
    sync compares with the remote-tracking branch as before; once a sync finishes, it is noted.
    The clone that rewrote the history itself (it no longer holds the commit) syncs as ever."""
    a, b = force_push_taking_out_one(tmp_path)
    git(a, "update-ref", "-d", "refs/kehu/synced/origin/master")
    synced = kehu("sync", store=a)
    assert synced.code == 1 and "origin/master was rewritten" in synced.err, synced.out + synced.err
    ok("sync", store=b)  # its own rewrite: nothing of it held here to push back
    ok("sync", "--push-back", store=a)
    assert git(a, "rev-parse", "refs/kehu/synced/origin/master") == git(tmp_path / "remote.git", "rev-parse", "HEAD")


# --- kind 9: a plugin changing the process in a request of `kehu serve` --------------------------

_SDK_PLUGIN = '''
import io, logging, os, signal, sys
from pathlib import Path
from kehu_core import hookimpl

@hookimpl
def validate_customer(store, customer):
    mode = Path(os.environ["SDK_MODE"]).read_text(encoding="utf-8").strip()
    if mode == "quiet":  # an SDK quieting itself, and its own timeout for a call of its own
        logging.disable(logging.CRITICAL)
        logging.getLogger().setLevel(logging.CRITICAL)
        sys.stderr = io.StringIO()
        sys.stdout = io.StringIO()
        signal.setitimer(signal.ITIMER_REAL, 0.05)
    elif mode == "fail":
        raise RuntimeError("the gateway said no")
    return []
'''


def test_a_plugin_quieting_the_process_in_a_served_request_breaks_no_later_one(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kehu serve` answers requests in threads of its own, where kehu put back nothing a
    plugin's hook changed of the process: a plugin quieting logging (`logging.disable`),
    replacing `sys.stderr` and `sys.stdout`, and setting a timer for a call of its own
    (`signal.setitimer`) in a phone's edit left the server's log silent — a later plugin
    failure, a refused edit, not a word —, and the timer's signal ended the server ("Alarm
    clock"), every phone refused after. Now each is put back as the hook returns, in any
    thread: the next edit's failure is in the log, and the server answers."""
    base = tmp_path_factory.mktemp("sdk")
    site = installed_plugin(base / "site", "sdk_quiet", "sdk", _SDK_PLUGIN)
    mode = base / "mode.txt"
    mode.write_text("", encoding="utf-8")
    monkeypatch.setenv("SDK_MODE", str(mode))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(Path(__file__).resolve().parents[1]), str(site)]))
    with serving(tmp_path_factory, "sdk-serve") as server:
        session = server.session("wangfang")
        url = card_url(server, "wangfang", "李四")

        def put(phone: str) -> requests.Response:
            got = session.get(url)
            assert got.status_code == 200, got.text
            edited = re.sub(r"tel:\+86[-0-9]+", f"tel:{phone}", got.text)
            return session.put(url, data=edited.encode(), headers={"If-Match": got.headers["ETag"],
                                                                   "Content-Type": "text/vcard"})

        mode.write_text("quiet", encoding="utf-8")
        assert put("+8613712341111").status_code == 204
        mode.write_text("fail", encoding="utf-8")
        refused = put("+8613712342222")
        assert refused.status_code == 503 and "the gateway said no" in refused.text, refused.text
        mode.write_text("", encoding="utf-8")
        assert put("+8613712343333").status_code == 204
        assert server.process.poll() is None
        log = (server.root.parent / "serve.log").read_text(encoding="utf-8")
        assert "refused PUT" in log and "plugin 'sdk' failed in validate_customer" in log, log


# --- kind 2: Chinese arguments under a bare C locale ----------------------------------------------


def _c_locale(store: Path, *args: str | bytes) -> subprocess.CompletedProcess[bytes]:
    """``LC_ALL=C PYTHONUTF8=0 kehu ARGS`` (a cron job's or a service's environment), the
    arguments as the bytes a terminal or script sends (UTF-8 unless given as bytes)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LC_", "LANG", "PYTHONIOENCODING", "PYTHONUTF8"))}
    argv = [arg if isinstance(arg, bytes) else arg.encode("utf-8") for arg in args]
    return subprocess.run([sys.executable.encode(), b"-m", b"kehu_core", b"--store", bytes(store), *argv],
                          capture_output=True, check=False, env={**env, "LC_ALL": "C", "PYTHONUTF8": "0"},
                          timeout=300)


def test_chinese_arguments_under_a_c_locale_are_read_as_typed(tmp_path: Path) -> None:
    """Under `LC_ALL=C` with Python's UTF-8 mode off, Python reads each byte past ASCII of an
    argument alone, and `kehu customer add --name 张三` and `kehu search 张` were refused:
    "argument 4 (张三) is not UTF-8 text". The arguments are now read as the UTF-8 they are; a
    new file named in Chinese is written under its name (`export … 客户.csv`), one that is there
    is read, and an import's summary of it says its names; bytes that are not UTF-8 (GBK) are
    still refused."""
    store = tmp_path / "store"
    assert kehu("init", str(store)).code == 0
    added = _c_locale(store, "customer", "add", "--name", "张三", "--phone", "13900000001")
    assert added.returncode == 0, added.stderr.decode("utf-8", "replace")
    names = [c["name"] for c in json.loads(ok("customer", "list", "--json", store=store))]
    assert names == ["张三"], names
    found = _c_locale(store, "search", "张")
    assert found.returncode == 0, found.stderr.decode("utf-8", "replace")
    assert b"\\u5f20\\u4e09" in found.stdout, found.stdout
    gbk = _c_locale(store, "search", "张".encode("gbk"))
    assert gbk.returncode == 2 and b"is not UTF-8 text" in gbk.stderr, gbk.stderr
    sheet = tmp_path / "客户.csv"
    exported = _c_locale(store, "export", "--format", "csv", str(sheet))
    assert exported.returncode == 0, exported.stderr.decode("utf-8", "replace")
    assert "张三" in sheet.read_text(encoding="utf-8-sig")
    read = _c_locale(store, "import", str(sheet), "--dry-run")
    assert read.returncode == 0 and b"internal error" not in read.stderr, read.stderr.decode("utf-8", "replace")
    assert b"1 rows read, 0 failed" in read.stdout, read.stdout
