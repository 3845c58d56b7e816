"""The twenty-fifth round (issue 16, helper editkill): commands killed midway, and plugins'
results. Each test failed on the code before its fix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kehu_core.hookspecs import hookimpl
from kehu_core.store import open_store
from kehu_core.testing import make_store, run_kehu

from .pluginutil import add_customer, installed_plugin

#: a plugin that kills kehu (SIGKILL) once, at the step of `kehu edit` the store's file
#: `kill-at` names: "saving" (the store's lock taken, the edited record not written yet) or
#: "saved" (the edited record written, the command not done)
_KILLER = '''
import fcntl, os, signal, threading, time
from pathlib import Path
from kehu_core import hookimpl


def _once(store):
    marks = store.root / ".kehu" / "killed"
    if marks.exists():
        return False
    marks.write_text("x")
    return True


def _locked(store):
    with open(store.root / ".kehu" / "lock") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
    return False


def _at(store):
    try:
        return (store.root / "kill-at").read_text().strip()
    except OSError:
        return ""


def _when_written(path):
    while "李四" not in path.read_text():
        time.sleep(0.0002)
    os.kill(os.getpid(), signal.SIGKILL)


@hookimpl
def validate_customer(store, customer):
    if customer.name == "李四" and _locked(store) and _once(store):
        if _at(store) == "saving":
            os.kill(os.getpid(), signal.SIGKILL)
        if _at(store) == "saved":  # killed as soon as the record is written
            threading.Thread(target=_when_written, args=(store.customer_file(customer.id),), daemon=True).start()
    return None
'''


def _edit(store: Path, cid: str, editor: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR", "KEHU_EDITOR_NO_TTY")}
    return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), "edit", cid],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
                          env={**environment, **env, "EDITOR": str(editor)})


def _script(path: Path, text: str) -> Path:
    path.write_text("#!/bin/sh\n" + text, encoding="utf-8")
    path.chmod(0o755)
    return path


def _copies(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.glob("kehu-edit-*")]


@pytest.mark.parametrize("inside", [True, False], ids=["TMPDIR in the store", "TMPDIR elsewhere"])
@pytest.mark.parametrize("step", ["editor opening SIGKILL", "editor open SIGKILL", "editor open SIGHUP",
                                  "editor open SIGTERM", "saving", "saved"])
def test_an_edit_killed_at_any_step_leaves_the_record_whole_and_its_copy_goes(
        store_path: Path, tmp_path: Path, step: str, inside: bool) -> None:
    """`kehu edit` killed — SIGKILL, or a closed terminal's SIGHUP, or SIGTERM — as its editor
    opens, while it is open, while the edit is saved (the store's lock taken) or once it is
    written: the copy of the record (`.kehu/kehu-edit-…` when TMPDIR is in the store, else in
    the temp folder; confidential values in plain) stayed for good, every edit killed adding
    one. The record is as it was or as edited, never half; `kehu check` and `git status` see
    no copy; and the next `kehu edit` removes the copies of edits no longer running."""
    cid = add_customer(store_path, "张三")
    temp = store_path / ".kehu" if inside else tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    site = installed_plugin(tmp_path / "site", "kehu_killer", "killer", _KILLER)
    env = {"TMPDIR": str(temp), "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    if step.startswith("editor"):
        kill = step.split()[-1]
        change = "" if "opening" in step else "sed -i 's/^name: .*/name: 李四/' \"$1\"\n"
        editor = _script(tmp_path / "killed.sh", f"{change}kill -{kill.removeprefix('SIG')} $PPID\nsleep 5\n")
        expected = -getattr(signal, kill)
    else:
        (store_path / "kill-at").write_text(step, encoding="utf-8")
        editor = _script(tmp_path / "killed.sh", "sed -i 's/^name: .*/name: 李四/' \"$1\"\n")
        expected = -signal.SIGKILL
    killed = _edit(store_path, cid, editor, env)
    assert killed.returncode == expected, (killed.returncode, killed.stderr)
    (store_path / "kill-at").unlink(missing_ok=True)
    name = open_store(store_path).get(cid).name
    assert name == ("李四" if step == "saved" else "张三"), name
    check = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store_path), "check"],
                           capture_output=True, text=True, env={**os.environ, **env})
    assert check.returncode == 0 and "kehu-edit" not in check.stdout + check.stderr, check.stdout + check.stderr
    status = subprocess.run(["git", "-C", str(store_path), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True).stdout
    assert "kehu-edit" not in status and "kill-at" not in status, status

    again = _edit(store_path, cid, _script(tmp_path / "ok.sh", "sed -i 's/^name: .*/name: 王五/' \"$1\"\n"), env)
    assert again.returncode == 0, again.stderr
    assert open_store(store_path).get(cid).name == "王五"
    assert _copies(temp, store_path / ".kehu") == [], _copies(temp, store_path / ".kehu")


def test_a_copy_kehu_said_it_kept_is_not_removed_by_the_next_edit(store_path: Path, tmp_path: Path) -> None:
    """An edit whose editor exits 1 keeps the user's text and says where: the next edit, which
    removes the copies of killed edits, leaves that one."""
    cid = add_customer(store_path, "张三")
    env = {"TMPDIR": str(store_path / ".kehu")}
    failed = _edit(store_path, cid, _script(tmp_path / "fail.sh", "sed -i 's/^name: .*/name: 李四/' \"$1\"\nexit 1\n"),
                   env)
    assert failed.returncode == 1 and "your text is kept in" in failed.stderr, failed.stderr
    kept = Path(failed.stderr.split("your text is kept in", 1)[1].strip())
    assert "李四" in kept.read_text(encoding="utf-8")
    again = _edit(store_path, cid, _script(tmp_path / "ok.sh", "sed -i 's/^name: .*/name: 王五/' \"$1\"\n"), env)
    assert again.returncode == 0, again.stderr
    assert "李四" in kept.read_text(encoding="utf-8")


class _Sneaky(dict):  # type: ignore[type-arg]
    """A dict whose ``get`` is the plugin's code, run wherever kehu reads it."""

    def get(self, key: Any, default: Any = None) -> Any:
        raise RuntimeError("sneaky get")


class _Many:
    """A plugin whose ``customer_values_many`` answers other than it was asked."""

    def __init__(self, how: str) -> None:
        self.how = how

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        return {"会员": "逐个"}

    @hookimpl
    def customer_values_many(self, store: Any, customers: list[Any]) -> Any:
        asked = {c.id: {"会员": "一次"} for c in customers}
        if self.how == "a stranger":
            return {**asked, "c-stranger": {"会员": "x"}}
        if self.how == "a stranger of no JSON value":
            return {**asked, "c-stranger": {"会员": {1, 2}}}
        if self.how == "every customer of a store":
            return {**asked, **{f"c{n:08d}": {"会员": "x"} for n in range(100_000)}}
        return _Sneaky(asked)


@pytest.mark.parametrize("how", ["a stranger", "a stranger of no JSON value", "every customer of a store",
                                 "a dict of its own"])
def test_values_for_many_of_customers_not_asked_for_are_named_and_the_rest_used(tmp_path: Path, how: str) -> None:
    """A plugin's `customer_values_many` giving values of customers it was not asked for (an
    id of its own, every customer of its store) was passed over without a word — 100 000 of
    them were all checked, and one of them not a JSON value lost the values of every customer
    asked; a dict of a class of its own whose `get` raised ended `customer list --json` in
    "internal error". The plugin is named ("plugin 'many' failed in customer_values_many"), and
    the values of the customers asked are used (or, for a dict not Python's own, asked of
    `customer_values` customer by customer)."""
    store = make_store(tmp_path / "store", plugins={"many": _Many(how)},
                       customers=[{"name": "甲"}, {"name": "乙"}])
    listed = run_kehu(store, "customer", "list", "--json")
    assert listed.code == 0 and "internal error" not in listed.err, listed.err
    assert "plugin 'many' failed in customer_values_many: wrong result" in listed.err, listed.err
    values = [c.get("会员") for c in json.loads(listed.out)]
    assert values == (["逐个"] * 2 if how == "a dict of its own" else ["一次"] * 2), values
    if how != "a dict of its own":
        assert "not asked for ('c" in listed.err, listed.err


def test_a_kehu_yaml_past_its_limit_is_refused_before_it_is_read(store_path: Path) -> None:
    """A kehu.yaml of 60 000 segments (1.8 MB, within a record's 2 MiB; or 60 000 templates):
    every command opening the store read, checked and validated it whole, 3 s of CPU more for
    each `customer set` or `tier` at 10 000 customers and 9 s for `segment show`. kehu.yaml is
    held to `MAX_CONFIG_BYTES` (128 KiB, far past a shop's few KB), and past it refused at once,
    naming the file, its size and the limit, exit 1, nothing written; one within it works."""
    from kehu_core.store.config_file import MAX_CONFIG_BYTES

    from .conftest import kehu
    from .test_hostile import tree_hash

    cid = add_customer(store_path, "赵敏")
    config = store_path / "kehu.yaml"
    base = config.read_text(encoding="utf-8")
    for kind in ("segments", "templates"):
        line = "  {n}: {{tag: t}}\n" if kind == "segments" else "  {n}: 您好\n"
        config.write_text(base + f"{kind}:\n" + "".join(line.format(n=f"x{n}") for n in range(60_000)),
                          encoding="utf-8")
        before = tree_hash(store_path)
        for args in (("customer", "set", cid, "note=x"), ("tier",), ("check",), ("customer", "list")):
            result = kehu(*args, store=store_path)
            assert result.code == 1 and "Traceback" not in result.err + result.out, (args, result.err)
            assert f"kehu.yaml:1: the file is {config.stat().st_size} bytes; kehu.yaml holds at most " \
                   f"{MAX_CONFIG_BYTES} bytes" in result.err + result.out, (args, result.err + result.out)
        assert tree_hash(store_path) == before
    within = base + "segments:\n"
    n = 0
    while len((within + "  x00000: {tag: t}\n").encode()) <= MAX_CONFIG_BYTES:
        within += f"  x{n:05d}: {{tag: t}}\n"
        n += 1
    config.write_text(within, encoding="utf-8")
    assert kehu("customer", "set", cid, "note=y", store=store_path).code == 0
    shown = kehu("segment", "show", "x00001", store=store_path)
    assert shown.code == 0, shown.err


_KILLED_EXPORTER = '''
import os, signal
from kehu_core import hookimpl


class Half:
    name = "half"

    def write(self, store, customers, out):
        out.write_text("id,name\\n" + "".join(f"{c.id},{c.name}\\n" for c in customers[:1]))
        os.kill(os.getpid(), signal.SIGKILL)  # killed half-way: the OOM killer, a shutdown
        return 1


@hookimpl
def exporters():
    return [Half()]
'''


@pytest.mark.parametrize("to", ["a file", "standard output"])
def test_an_export_killed_half_way_leaves_nothing_once_the_next_export_runs(
        store_path: Path, tmp_path: Path, to: str) -> None:
    """`kehu export` killed half-way (`kill -9`, the OOM killer, a shutdown) left the export
    written so far, customers' names and phones, in a hidden folder beside the output
    (`.all.csv.k2j3l4.tmp/`: on the desktop, in a shared folder) or in the temp folder (an
    export to standard output), for good, one more for each export killed. The next export
    removes those of exports no longer running."""
    add_customer(store_path, "赵敏")
    site = installed_plugin(tmp_path / "site", "kehu_half", "half", _KILLED_EXPORTER)
    temp, outdir = tmp_path / "tmp", tmp_path / "out"
    temp.mkdir()
    outdir.mkdir()
    env = {**os.environ, "TMPDIR": str(temp),
           "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    out = "-" if to == "standard output" else str(outdir / "all.csv")
    argv = [sys.executable, "-m", "kehu_core", "--store", str(store_path), "export"]
    killed = subprocess.run([*argv, "--format", "half", out], capture_output=True, text=True, env=env, timeout=300)
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
    again = subprocess.run([*argv, "--format", "csv", out], capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    left = [p.name for p in [*temp.iterdir(), *outdir.iterdir()]]
    assert left == ([] if to == "standard output" else ["all.csv"]), left


class _Tiers:
    """A plugin naming its tiers without bound: a tier per customer, or one of megabytes."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    @hookimpl
    def tier_names(self, store: Any) -> list[str]:
        return self.names

    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        return {"tier": self.names[0]}


@pytest.mark.parametrize("names", ["20 000 names", "a name of 5 MB"])
def test_a_plugin_naming_tiers_without_bound_is_named_and_left_out(tmp_path: Path, names: str) -> None:
    """A plugin's `tier_names` giving 20 000 names (a million ran `customer list --tier` for
    hours: each name was looked for among those before it), or one name of 5 MB (printed whole
    by every `--tier` it did not match): a plugin names at most 100 tiers of at most 64
    characters, more is its wrong result, named, its names left out; the command answers."""
    given = [f"T{n}" for n in range(20_000)] if names == "20 000 names" else ["V" * 5_000_000]
    store = make_store(tmp_path / "store", plugins={"tiers": _Tiers(given)}, customers=[{"name": "甲"}])
    listed = run_kehu(store, "customer", "list", "--tier", "T5")
    assert "plugin 'tiers' failed in tier_names: wrong result" in listed.err, listed.err[:300]
    assert listed.code == 1 and "no tier 'T5'" in listed.err and len(listed.err) < 5_000, listed.err[:300]
