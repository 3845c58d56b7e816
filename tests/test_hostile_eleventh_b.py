"""Eleventh outside round, B (issue 16, kinds 5 to 9): doors the ten rounds before did not try,
each seen failing before its fix. Real stores, real processes, real git remotes and clones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kehu_core.testing import add_customer, make_store

from .pluginutil import installed_plugin

# --- kind 9: two installed plugins of one name -------------------------------------------------


def _kehu_with(site: Path, tmp_path: Path, store: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The real kehu in its own process, with the distributions in ``site`` installed (ahead
    of kehu's own on the path, as a user's site-packages or a PYTHONPATH is)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)}
    return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store), *argv],
                          capture_output=True, text=True, env=env, timeout=120)


def test_a_plugin_named_as_a_built_in_one_is_refused_not_put_in_its_place(tmp_path: Path) -> None:
    """A third party's distribution whose entry point is named ``points`` (a fork, a typo'd
    copy, a malicious package) took the built-in points plugin's place without a word: the
    first distribution on the path wins a name, so no purchase earned points, `kehu points`
    was gone and the points rules `kehu check` and `kehu sync` ask (points spent twice) were
    never asked. A built-in plugin's name is kehu's: the other distribution is not loaded and
    is named as a failure, as a plugin that fails to import is; of two third parties of one
    name, the first on the path is loaded and the other named."""
    site = installed_plugin(tmp_path / "site", "other_points", "points",
                            "from kehu_core import hookimpl\n\n@hookimpl\n"
                            "def customer_values(store, customer):\n    return {'other': 1}\n")
    installed_plugin(site, "first_extra", "extra", "")
    installed_plugin(site, "second_extra", "extra", "")
    store = make_store(tmp_path / "store")
    cid = add_customer(store, name="赵敏")
    bought = _kehu_with(site, tmp_path, store.root, "purchase", "add", cid, "--amount", "100",
                        "--date", "2026-11-01")
    assert bought.returncode == 0, bought.stderr
    said = bought.stderr
    assert "plugin 'points' failed in import" in said and "other_points" in said, said
    assert "kehu_plugins.points" in said, said
    assert "plugin 'extra' failed in import" in said, said
    points = _kehu_with(site, tmp_path, store.root, "points", cid, "--json")
    assert points.returncode == 0, points.stderr
    assert json.loads(points.stdout)["balance"] == 100
    listed = json.loads(_kehu_with(site, tmp_path, store.root, "plugins", "--json").stdout)
    modules = {p["name"]: p["module"] for p in listed}
    assert modules["points"] == "kehu_plugins.points", modules
    other = {"first_extra", "second_extra"} - {modules["extra"]}  # the path's order within a folder
    assert len(other) == 1 and f"{other.pop()} is not loaded" in said, (modules, said)
