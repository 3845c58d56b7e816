"""Twenty-fourth round, helper bulk: imports at the same time and killed, exports that attack
the reader, resource exhaustion (issue 16, kinds 6, 7 and 8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import kehu

# a kehu command in a process killed (SIGKILL: nothing of Python runs after it) the moment the
# plugins are first told of a saved record: every record of the command is written, no point
KILLED_BEFORE_THE_PLUGINS_HEAR = """
import os, signal, sys
from kehu_core.plugins.host import PluginHost
def dying(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
PluginHost.interaction_saved = dying
from kehu_core.cli import main
sys.argv = ["kehu", *sys.argv[1:]]
main()
"""


def _killed(path: Path, *argv: str) -> None:
    killed = subprocess.run([sys.executable, "-c", KILLED_BEFORE_THE_PLUGINS_HEAR, "--store", str(path), *argv],
                            capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr


def _points(path: Path) -> dict[str, int]:
    listed = kehu("customer", "list", "--json", store=path)
    assert listed.code == 0, listed.err
    return {c["name"]: c["points"] for c in listed.json()}


def test_an_import_killed_before_the_plugins_heard_gives_the_points_when_run_again(tmp_path: Path) -> None:
    """An import writes its records, then tells the plugins (points, tier moves) of every sale
    at once. Killed in between, the next command said "run it again", and the import run again
    found every sale already there and added nothing: 2 793 of 3 000 customers kept 0 points for
    their ¥200, for good, and `check` said ok. The plugins now hear of what a killed command
    saved when its change is recovered, as part of that change."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    sheet = tmp_path / "sales.csv"
    rows = ["姓名,联系电话,交易日期,购买商品,成交金额"]
    for i in range(6):
        rows += [f"客户{i},1391234{i:04d},2026-11-01,茶,100", f"客户{i},1391234{i:04d},2026-11-05,茶,100"]
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _killed(path, "import", str(sheet))
    again = kehu("import", str(sheet), store=path)
    assert again.code == 0, again.err
    assert "was stopped before it finished" in again.err, again.err
    assert "12 already there" in again.out, again.out  # nothing doubled
    assert _points(path) == {f"客户{i}": 200 for i in range(6)}
    assert kehu("check", store=path).code == 0
    undone = kehu("undo", store=path)  # the points are part of the change the import made
    assert undone.code == 0, undone.err
    assert kehu("customer", "list", "--json", store=path).json() == []
    assert not list(path.glob("customers/*/*/ledgers/*"))


def test_a_sale_killed_before_the_plugins_heard_earns_its_points_at_the_next_command(tmp_path: Path) -> None:
    """`kehu purchase add` killed between writing the sale and the points plugin's line: the
    sale stayed without its points whatever was run next."""
    path = tmp_path / "store"
    assert kehu("init", str(path)).code == 0
    cid = kehu("customer", "add", "--name", "王芳", "--phone", "13800138000", store=path).out.strip()
    _killed(path, "purchase", "add", cid, "--date", "2026-11-01", "--item", "茶", "--amount", "300")
    noted = kehu("interaction", "add", cid, "--kind", "note", "--date", "2026-11-02", "--text", "x", store=path)
    assert noted.code == 0, noted.err
    assert "was stopped before it finished" in noted.err, noted.err
    assert _points(path) == {"王芳": 300}
