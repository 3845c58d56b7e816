"""The peak memory of a kehu process, whole and measured (the project's rule: no timed unit
test), for the tests that bound it: a command run in a process of its own
(:func:`kehu_peak_mb`), or a process already running (:func:`peak_mb`, ``kehu serve``).

Both read Linux's high-water mark of the process's own memory (``VmHWM`` in /proc), not its
rusage: ``ru_maxrss`` is kept across fork and exec, so a command started from a test process
bigger than kehu (one that made the stores) reported the test process's size, for a small
import as for a large one, and a test of how kehu's peak grows saw it grow by nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

import pytest

from .conftest import kehu

#: on a test whose bound is read by this module: where there is no /proc it cannot be
NEEDS_PROC = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="no /proc: the peak is read there")

# kehu run in this small launcher's own process (its workers and git, forked from it, are its
# children: not counted); its peak read as it ends, in KiB
_LAUNCHER = """
import os, sys
me, report = os.getpid(), sys.argv[1]
sys.argv = ["kehu", *sys.argv[2:]]
code = 0
try:
    from kehu_core.__main__ import main
    main()
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
finally:
    if os.getpid() == me:
        with open("/proc/self/status") as status, open(report, "w") as out:
            out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
sys.exit(code)
"""


def kehu_peak_mb(store: Path, *args: str, timeout: float = 600) -> tuple[int, str, str, float]:
    """``kehu --store STORE ARGS`` in a process of its own: its exit code, output, errors and
    the peak resident memory (MB) of kehu's own process. One still running after ``timeout``
    seconds is killed, with what it started, and the test fails."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "peak"
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(report), "--store", str(store), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                start_new_session=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:  # a runaway command is killed, not waited for
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"kehu {' '.join(args)} still ran after {timeout:.0f} s")
        return proc.returncode, out.decode(), err.decode(), int(report.read_text()) / 1024


def peak_mb(pid: int) -> float:
    """The peak resident memory (MB) so far of the running process ``pid``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


class Imported(NamedTuple):
    store: Path
    out: str  # what the import printed (its summary)
    peak: float  # kehu's own peak, MB


def import_peaks(tmp_path: Path, sizes: Iterable[int], made: Callable[[Path, int], Path]) -> dict[int, Imported]:
    """`kehu import` of a file of each size (``made(tmp_path, size)`` writes it) into a fresh
    store of its own: what each import did, by size; each must have succeeded."""
    imported = {}
    for size in sizes:
        store = tmp_path / f"store-{size}"
        assert kehu("init", str(store)).code == 0
        code, out, err, peak = kehu_peak_mb(store, "import", str(made(tmp_path, size)))
        assert code == 0, err
        imported[size] = Imported(store, out, peak)
    return imported


def demo_shops(factory: pytest.TempPathFactory, *counts: int) -> dict[int, Path]:
    """Demo stores of ``counts`` customers (each with a sale or two, extra fields of the shop's
    own, birthdays, complaints, bills owed), indexed: what an export's or the reminders' peak
    is measured on, by count."""
    from kehu_core.demo import generate

    made = {}
    for count in counts:
        root = factory.mktemp("shops") / f"store-{count}"
        generate(root, count, interactions_per_customer=2)
        assert kehu("reindex", store=root).code == 0
        made[count] = root
    return made
