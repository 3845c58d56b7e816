"""Twenty-sixth round, helper memload: `kehu import`'s memory does not grow with the file
(issue 16, kind 8)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from .conftest import kehu
from .test_hostile_twentyfifth_memload import _cards

# kehu run in this small launcher's own process (the import's worker processes and git, forked
# from it, are its children: they are not counted); its peak from its own rusage, in KiB
_LAUNCHER = """
import os, resource, sys
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
        with open(report, "w") as out:
            out.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
sys.exit(code)
"""


def _peak_mb(store: Path, *args: str) -> tuple[int, str, str, float]:
    """``kehu --store STORE ARGS``: its exit code, output, errors and the peak resident memory
    (MB) of kehu's own process."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "maxrss"
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(report), "--store", str(store), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                start_new_session=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        try:
            out, err = proc.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"kehu {' '.join(args)} still ran after 600 s")
        return proc.returncode, out.decode(), err.decode(), int(report.read_text()) / 1024


CARDS = 2000  # from 2 000 cards on the workers prepare the contacts (vcard.PARALLEL_FROM): both sizes alike


def test_an_imports_memory_hardly_grows_with_the_number_of_contacts(tmp_path: Path) -> None:
    """Every contact read, every customer planned and every one written was held (packed, the
    last round) until the import was written, with its index rows and the journal's copy of
    its file: a phone's export of 100 000 cards took 1.2 GB, 10 000 took 200 MB. What is read
    and planned now lies in a file, and the customers are written, indexed and let go of 2 000
    at a time. The peak of 4 times the cards, into a fresh store, against that of 2 000: it
    grew by 81 MB (13.5 KB a card); now by 24 MB, what the index, the duplicate check and the
    undo journal keep of each customer."""
    peaks = {}
    for count in (CARDS, 4 * CARDS):
        store = tmp_path / f"store-{count}"
        assert kehu("init", str(store)).code == 0
        path = _cards(tmp_path / f"phone-{count}.vcf", count)
        code, out, err, peaks[count] = _peak_mb(store, "import", str(path))
        assert code == 0, err
        assert f"{count} created, 0 merged, 0 skipped" in out
    grown = peaks[4 * CARDS] - peaks[CARDS]
    assert grown < 45, f"{peaks}: {grown:.0f} MB more for {3 * CARDS} more cards"
