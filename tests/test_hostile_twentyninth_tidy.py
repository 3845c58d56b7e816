"""The twenty-ninth round's tidy findings (issue 16): each test failed before its fix."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from kehu_core.models.purchase import LineItem, Purchase
from kehu_core.store.batch_state import SavedSales

from .conftest import ROOT, kehu
from .peakmem import NEEDS_PROC, kehu_peak_mb


class _PluginsOwn:
    """An object of a plugin's own, saved as an interaction: held as it is, never pickled."""

    def __init__(self, name: str) -> None:
        self.name = name


def test_a_batchs_saved_sales_come_back_as_the_sales_put_in() -> None:
    """A batch keeps the sales it is to tell the plugins of packed (pickled and compressed), in
    a list of its own: a loop over it, or an index into it, gave the packed bytes, not the sales
    (only its `pop` unpacked them), a trap for the next change. It is a class of its own now,
    whose one way to read what it holds gives back each sale as it was put in, in order."""
    sale = Purchase(id="p-1", date=dt.date(2026, 12, 7), items=[LineItem(name="茶", price=Decimal("12.50"))],
                    amount=Decimal("12.50"), text="张三买茶")
    own = _PluginsOwn("甲方")
    saved = SavedSales()
    saved.append(("c-1", sale, frozenset()))
    saved.append(("c-2", own, frozenset()))
    saved.append(("c-1", sale.model_copy(update={"id": "p-2"}), frozenset({"points"})))
    with pytest.raises(TypeError):
        iter(saved)  # type: ignore[call-overload]  # no loop that could give the packed form
    assert len(saved) == 3
    saved.truncate(2)  # what undo_on_error takes back of a plugin's saves
    told = list(saved.drain())
    assert told == [("c-1", sale, frozenset()), ("c-2", own, frozenset())]
    assert told[1][1] is own  # a plugin's object is its own, never a copy made by unpickling it
    assert len(saved) == 0 and not saved


def test_the_demo_store_opens_under_a_c_locale_where_kehu_is_installed_in_a_chinese_folder(tmp_path: Path) -> None:
    """A shop's Python script running a kehu command (``kehu_core.cli.run``) with no store,
    kehu installed in a folder named in Chinese (a venv in /home/张三/), under `LC_ALL=C` with
    Python's UTF-8 mode off (a cron job's environment; the `kehu` command itself starts again in
    UTF-8 mode, a script cannot): the demo's working copy was named from its folder's text
    encoded as UTF-8, which that locale reads as lone surrogates: "internal error:
    UnicodeEncodeError", exit 1. The folder's bytes name it now, as they name the other
    caches kehu keeps (``paths.path_bytes``): the demo opens."""
    installed = tmp_path / "张三的软件"
    shutil.copytree(ROOT / "kehu_core", installed / "kehu_core", ignore=shutil.ignore_patterns("__pycache__"))
    (installed / "records").mkdir()
    shutil.copy(ROOT / "records" / "kehu.yaml", installed / "records")  # the demo's settings: enough
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LC_", "LANG", "PYTHONIOENCODING", "PYTHONUTF8", "KEHU_STORE", "XDG_CACHE"))}
    script = "import sys; from kehu_core.cli import run; sys.exit(run(['--today', '2026-12-08', 'customer', 'list']))"
    done = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, capture_output=True, check=False,
                          timeout=300, env={**env, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONPATH": str(installed),
                                            "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONDONTWRITEBYTECODE": "1"})
    said = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0 and b"internal error" not in done.stderr and b"Traceback" not in done.stderr, said
    assert b"working on the demo store" in done.stderr, said
    copies = list((tmp_path / "cache" / "kehu").glob("demo-*"))
    assert len(copies) == 1 and (copies[0] / "kehu.yaml").is_file(), copies


@NEEDS_PROC
def test_a_commands_peak_memory_is_its_own_not_the_test_processes(tmp_path: Path) -> None:
    """The memory tests of the import (twenty-sixth round memload, twenty-eighth importmem)
    read kehu's peak from its rusage (``ru_maxrss``), which Linux keeps across fork and exec:
    a command started by a test process bigger than kehu (one that made the stores) reported
    the test process's size, for 2 000 cards as for 8 000, and the growth they bound read as
    nothing whatever kehu did. Every such test now reads kehu's own high-water mark
    (``tests/peakmem.py``): a test process holding 300 MB more does not move it."""
    store = tmp_path / "store"
    assert kehu("init", str(store), "--no-git").code == 0
    ballast = bytearray(300 << 20)
    ballast[::4096] = b"\1" * len(range(0, len(ballast), 4096))  # every page touched: resident
    code, _out, err, peak = kehu_peak_mb(store, "--today", "2026-12-08", "customer", "list")
    assert code == 0, err
    assert len(ballast) == 300 << 20 and peak < 200, f"{peak:.0f} MB"
