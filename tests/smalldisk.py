"""A driver script run on a small disk of the test's own: a tmpfs mounted in a mount namespace
the test makes (root: `unshare -m`; another user: `unshare -rm`), so a disk that fills up is
played without touching the machine's. The full-disk tests of several rounds run their
drivers so (skipped where no namespace is allowed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: what every driver starts with: the disk and the store on it (``python DRIVER DISK ARGS…``),
#: ``kehu(*args)`` run on that store, and ``records()``, a digest of every record file, to tell
#: that a refused command left the store as it was
DRIVER_PRELUDE = r'''
import hashlib, json, os, sqlite3, subprocess, sys
from pathlib import Path

disk = Path(sys.argv[1])
store = disk / "store"
env = {**os.environ, "KEHU_TODAY": "2026-12-07", "LANG": "C.UTF-8"}

def kehu(*args, extra=None):
    done = subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), *args], cwd=disk,
                          capture_output=True, text=True, env={**env, **(extra or {})}, timeout=300)
    return {"code": done.returncode, "err": done.stderr, "out": done.stdout}

def records():
    digest = hashlib.sha256()
    for path in sorted((store / "customers").rglob("*")):
        digest.update(str(path.relative_to(store)).encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()
'''


def in_own_mounts() -> list[str] | None:
    """A command prefix running a shell in a mount namespace of its own, where a small file
    system can be mounted without touching the machine's, or None where none is allowed."""
    if shutil.which("unshare") is None:
        return None
    for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
        tried = subprocess.run([*prefix, "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /tmp && echo ok"],
                               capture_output=True, text=True, check=False)
        if tried.stdout.strip() == "ok":
            return prefix
    return None


def run_driver(tmp_path: Path, driver: str, size: str, *args: str, env: dict[str, str] | None = None,
               timeout: int = 900) -> tuple[Path, str]:
    """``driver`` (a Python script's text) run as ``python DRIVER DISK ARGS…`` with ``DISK``
    (``tmp_path/disk``) a tmpfs of ``size`` (``4m``); the disk and the driver's standard output.
    Skips the test where no mount namespace of its own is allowed."""
    prefix = in_own_mounts()
    if prefix is None:
        pytest.skip("no mount namespace of its own to mount a small file system in")
    disk = tmp_path / "disk"
    disk.mkdir()
    script = tmp_path / "driver.py"
    script.write_text(driver, encoding="utf-8")
    mount = f'mount -t tmpfs -o size={size} tmpfs "$0" && exec "$@"'
    done = subprocess.run([*prefix, "sh", "-c", mount, str(disk), sys.executable, str(script), str(disk), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    return disk, done.stdout
