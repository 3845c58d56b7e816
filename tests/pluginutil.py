"""Helpers for the plugin tests: configure a store's plugins, add customers and purchases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .conftest import kehu


def configure(store: Path, **plugins: Any) -> None:
    """Set ``plugins: <name>: {...}`` (or ``disabled=[...]``) in the store's kehu.yaml."""
    path = store / "kehu.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config.setdefault("plugins", {}).update(plugins)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def add_customer(store: Path, name: str, *args: str) -> str:
    result = kehu("customer", "add", "--name", name, *args, store=store)
    assert result.code == 0, result.err
    return result.out.strip()


def buy(store: Path, cid: str, amount: str | int, date: str, *args: str) -> str:
    argv = ["purchase", "add", cid, "--amount", str(amount), "--date", date, *args]
    result = kehu(*argv, store=store)
    assert result.code == 0, result.err
    return result.out.strip()


def installed_plugin(site: Path, package: str, entry: str, module_text: str) -> Path:
    """A plugin installed as a third party's is (a package and its dist-info naming the ``kehu``
    entry point ``entry``) in the folder ``site``, to put on PYTHONPATH; returns ``site``."""
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text(module_text, encoding="utf-8")
    name = package.replace("_", "-")
    dist = site / f"{package}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(f"[kehu]\n{entry} = {package}\n", encoding="utf-8")
    return site
