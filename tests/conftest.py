"""Shared fixtures: real stores on disk (real git), and the real CLI run in-process."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import settings

from kehu_core.cli import run as run_cli
from kehu_core.demo import generate

# In CI the property tests draw the same examples every run (a red CI names a change, not a
# draw); on a developer's machine they draw new ones, to keep finding what CI would not.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _thread_safe_faketime() -> None:
    """The suite is also run at another date: ``faketime '2028-02-29 10:00:00' make test``.
    faketime preloads libfaketime's plain library, which is not safe in a process with several
    threads (it says so; its MT library is): pytest-xdist's workers, each with a thread reading
    from the controller, died of a segmentation fault in about half the runs, while Python
    handed its lock between threads (a timed wait libfaketime rewrites). The processes the
    suite starts (xdist's workers, kehu serve, git) get the thread-safe library instead, with
    the same settings. (Not also FAKETIME_DONT_FAKE_MONOTONIC: with it, libfaketime 0.9.10
    turns Python's time.sleep into EINVAL.)"""
    preload = os.environ.get("LD_PRELOAD", "")
    if "/libfaketime.so" in preload:
        os.environ["LD_PRELOAD"] = preload.replace("/libfaketime.so", "/libfaketimeMT.so")


_thread_safe_faketime()


def libfaketime(threads: bool = False) -> Path | None:
    """libfaketime itself (``MT``: its thread-safe variant), found where distributions put it.
    Tests that set a process's clock preload it with ``FAKETIME`` (:func:`faketime_env`) rather
    than run the ``faketime`` wrapper: the wrapper makes a named semaphore and shared memory
    from its process id, and one left in /dev/shm by a killed run made a later wrapper with a
    reused id refuse to start ("sem_open: File exists")."""
    name = "libfaketimeMT.so.1" if threads else "libfaketime.so.1"
    for folder in ("/usr/lib/*/faketime", "/usr/lib/faketime", "/usr/local/lib/faketime", "/usr/lib64/faketime"):
        found = sorted(Path("/").glob(f"{folder.lstrip('/')}/{name}"))
        if found:
            return found[0]
    return None


def faketime_env(spec: str, *, threads: bool = False, **extra: str) -> dict[str, str]:
    """This process's environment for a child whose clock reads ``spec`` (libfaketime's own
    format: ``2026-11-20 23:59:59`` stands still, ``@2026-12-05 23:59:50`` starts there and runs
    on), without any faketime of the suite's own (``faketime '2028-02-29 10:00:00' make test``:
    the two would add up)."""
    library = libfaketime(threads)
    assert library is not None, "libfaketime is not installed (Debian: apt-get install faketime)"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("FAKETIME") and key != "LD_PRELOAD"}
    return {**env, "LD_PRELOAD": str(library), "FAKETIME": spec, **extra}


# the plugin kit is also a pytest plugin (plugins/example/conftest.py): let pytest rewrite its
# asserts before this file imports it
pytest.register_assert_rewrite("kehu_core.testing")
from kehu_core.testing import Result  # noqa: E402 - what a command did: the kit's, one shape

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "records"


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never depend on the developer's git config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Rep")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "rep@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Rep")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "rep@example.com")
    monkeypatch.delenv("KEHU_STORE", raising=False)


#: The day every test works at, whatever the machine's clock says (time is data): the demo
#: store's own day. A test about another day passes ``--today`` or sets KEHU_TODAY itself.
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests read kehu's English, whatever the machine's locale (a test of another language
    sets it itself): LANGUAGE comes first of the environment variables gettext reads."""
    from kehu_core import i18n

    monkeypatch.setenv("LANGUAGE", "en")
    monkeypatch.delenv("KEHU_LANG", raising=False)
    i18n.defer(None)


@pytest.fixture(scope="session", autouse=True)
def _fixed_today_for_shared_fixtures() -> Iterator[None]:
    """TODAY for the fixtures made once for a module (a base store copied by each test): the
    function-scoped fixture below is not set yet when they run, and they worked at the
    machine's date (a customer created "2026-12-05" in a store whose day is 2026-11-20)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KEHU_TODAY", TODAY.isoformat())
        yield


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEHU_TODAY", TODAY.isoformat())


def kehu(*args: str, store: Path | None = None, input: str | None = None) -> Result:
    """Run a kehu command in this process, exactly as the ``kehu`` script would."""
    argv = [*(["--store", str(store)] if store is not None else []), *map(str, args)]
    runner = CliRunner()
    with runner.isolation(input=input) as streams:
        code = run_cli(argv)
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return Result(code, out.decode(), err.decode())


def kehu_subprocess(*args: str, store: Path | None = None, **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run the installed ``kehu`` in its own process (for crash and exit-code tests)."""
    argv = [sys.executable, "-m", "kehu_core", *(["--store", str(store)] if store else []), *args]
    return subprocess.run(argv, capture_output=True, text=True, **kw)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A fresh, empty store made with ``kehu init`` (a git repo with one commit)."""
    path = tmp_path / "store"
    result = kehu("init", str(path))
    assert result.code == 0, result.err
    return path


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled demo store."""
    path = tmp_path / "demo"
    shutil.copytree(DEMO, path, ignore=shutil.ignore_patterns(".kehu"))
    return path


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    """A generated 30-customer store (fixed seed), not a git repo."""
    path = tmp_path / "small"
    generate(path, 30, seed=7)
    return path


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, capture_output=True, text=True, check=True, env=os.environ
    ).stdout


def fs_now(folder: Path) -> float:
    """Now on the files' clock (a probe file's mtime), not the process's: under faketime (the
    outside check runs the suite at a faked date) the two differ by years."""
    import tempfile

    with tempfile.NamedTemporaryFile(dir=folder) as probe:
        return os.stat(probe.name).st_mtime
