"""Which store a command works on, and which day: as a user in a terminal meets it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import DEMO, kehu


def run_in(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed kehu, started in ``cwd`` as a user would (no --store unless given)."""
    environ = {k: v for k, v in os.environ.items() if k != "KEHU_STORE"}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "kehu_core", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=120)


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha1()
    for path in sorted(p for p in folder.rglob("*") if ".kehu" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_inside_a_store_folder_kehu_works_on_that_store_not_the_demo(store_path: Path) -> None:
    sub = store_path / "notes" / "deeper"
    sub.mkdir(parents=True)
    added = run_in(sub, "customer", "add", "--name", "赵敏", "--phone", "13912345678")
    assert added.returncode == 0, added.stderr
    cid = added.stdout.strip().splitlines()[-1]
    assert list((store_path / "customers").rglob(f"{cid}/customer.yaml"))
    listed = run_in(store_path, "customer", "list", "--json")
    assert [c["name"] for c in json.loads(listed.stdout)] == ["赵敏"]
    assert "demo" not in listed.stderr


def test_every_spelling_of_the_path_is_the_same_store_and_index(store_path: Path, tmp_path: Path) -> None:
    assert kehu("customer", "add", "--name", "李雷", "--phone", "13800138000", store=store_path).code == 0
    link = tmp_path / "link"
    link.symlink_to(store_path)
    sub = store_path / "sub"
    sub.mkdir()
    answers = {
        "dot": run_in(store_path, "--store", ".", "customer", "list", "--json"),
        "dotdot": run_in(sub, "--store", "..", "customer", "list", "--json"),
        "env": run_in(sub, "customer", "list", "--json", env={"KEHU_STORE": ".."}),
        "link": run_in(tmp_path, "--store", "link", "customer", "list", "--json"),
    }
    for name, result in answers.items():
        assert result.returncode == 0, (name, result.stderr)
        assert "李雷" in result.stdout, name
    check = run_in(store_path, "--store", ".", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    again = run_in(tmp_path, "--store", str(link), "check")
    assert again.returncode == 0 and "ok: 1 customer, no problems" in again.stderr, again.stderr


def test_check_with_a_relative_store_prints_whole_paths(store_path: Path) -> None:
    assert kehu("customer", "add", "--name", "韩梅梅", "--phone", "13700137000", store=store_path).code == 0
    profile = next((store_path / "customers").rglob("customer.yaml"))
    profile.write_text(profile.read_text(encoding="utf-8").replace("name: 韩梅梅", "name: [broken"),
                       encoding="utf-8")
    result = run_in(store_path, "--store", ".", "check")
    assert result.returncode == 1
    rel = profile.relative_to(store_path).as_posix()
    assert rel in result.stdout + result.stderr


def test_outside_any_store_the_demo_is_a_copy_and_says_so(tmp_path: Path) -> None:
    before = tree_digest(DEMO)
    outside = tmp_path / "nowhere"
    outside.mkdir()
    listed = run_in(outside, "customer", "list", "--json")
    assert listed.returncode == 0
    assert "demo store" in listed.stderr
    assert len(json.loads(listed.stdout)) == 200
    added = run_in(outside, "customer", "add", "--name", "演示客户", "--phone", "13612345678")
    assert added.returncode == 0, added.stderr
    assert "演示客户" in run_in(outside, "customer", "list").stdout  # it went into the copy ...
    assert tree_digest(DEMO) == before  # ... and the tracked records/ did not change


def test_the_demo_opens_at_its_own_day_unless_told_otherwise(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KEHU_TODAY"}
    result = subprocess.run([sys.executable, "-m", "kehu_core", "--demo", "report", "churn", "--json"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "2026-11-20" in result.stdout
    moved = subprocess.run([sys.executable, "-m", "kehu_core", "--demo", "--today", "2027-01-05",
                            "report", "churn", "--json"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert "2027-01-05" in moved.stdout


def test_today_is_the_day_of_every_command(store_path: Path) -> None:
    cid = kehu("--today", "2031-03-04", "customer", "add", "--name", "王五", "--phone", "13512345678",
               store=store_path).out.strip()
    shown = kehu("--today", "2031-03-04", "customer", "show", cid, "--json", store=store_path).json()
    assert shown["created"] == "2031-03-04"
    pid = kehu("--today", "2031-03-05", "purchase", "add", cid, "--amount", "100", "--paid",
               store=store_path).out.strip().splitlines()[-1]
    purchases = kehu("customer", "show", cid, "--json", store=store_path).json()["purchases"]
    assert [p["date"] for p in purchases if p["id"] == pid] == ["2031-03-05"]


def test_a_bad_today_is_a_usage_error_without_a_traceback(store_path: Path) -> None:
    result = run_in(store_path, "--today", "2026-02-30", "customer", "list")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "--today" in result.stderr
    env_bad = run_in(store_path, "customer", "list", env={"KEHU_TODAY": "yesterday"})
    assert env_bad.returncode == 2 and "Traceback" not in env_bad.stderr

