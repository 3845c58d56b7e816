"""kehu run under a bare C locale with Python's UTF-8 mode off (``LC_ALL=C PYTHONUTF8=0``: a
cron job's or a service's environment), as the tests of several rounds run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: what kehu never says of a store it can use
NOISE = (b"Traceback", b"internal error", b"not UTF-8")


def c_locale(where: Path, *args: str, store: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """``LC_ALL=C PYTHONUTF8=0 kehu ARGS`` (``LANG`` unset) run in the folder ``where``, the
    arguments as the UTF-8 bytes a script sends."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LC_", "LANG", "PYTHONIOENCODING", "PYTHONUTF8"))}
    chosen = [b"--store", os.fsencode(store)] if store is not None else []
    argv = [sys.executable.encode(), b"-m", b"kehu_core", *chosen, *(arg.encode("utf-8") for arg in args)]
    return subprocess.run(argv, cwd=where, capture_output=True, check=False, timeout=300,
                          env={**env, "LC_ALL": "C", "PYTHONUTF8": "0"})


def fine(done: subprocess.CompletedProcess[bytes]) -> bytes:
    """The output of a command that succeeded, saying none of :data:`NOISE`."""
    said = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0 and not any(noise in done.stderr for noise in NOISE), said
    return done.stdout


def names(text: str, out: bytes) -> bool:
    """Whether ``out`` names ``text`` as printed: in UTF-8, or escaped where the output's
    encoding is ASCII (``\\u5f20\\u4e09``)."""
    return text.encode() in out or text.encode("ascii", "backslashreplace") in out
