"""A plugin that prints (issue 16, kind 9): `print()` in a hook went to stdout before the
command's own output, so `customer list --json` was no JSON, with exit 0. What a hook prints
now goes to stderr; stdout is the command's."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kehu_core.hookspecs import hookimpl
from kehu_core.testing import make_store, run_kehu


class Noisy:
    @hookimpl
    def customer_values(self, store: Any, customer: Any) -> dict[str, Any]:
        print("noisy: working on", customer.name)
        sys.stdout.write("noisy: more\n")
        return {"noisy": 1}

    @hookimpl
    def validate_customer(self, store: Any, customer: Any) -> list[str]:
        print("noisy: validating")
        return []


def test_what_a_plugin_prints_never_mixes_with_json(tmp_path: Path) -> None:
    store = make_store(tmp_path, customers=[{"name": "赵敏"}], plugins={"noisy": Noisy()})
    cid = next(iter(store.iter_customer_ids()))
    for argv in (["customer", "list", "--json"], ["customer", "show", cid, "--json"], ["search", "赵", "--json"]):
        result = run_kehu(store, *argv)
        assert result.code == 0, result.err
        data = json.loads(result.out)  # only JSON on stdout
        assert "noisy: working on 赵敏" in result.err
        shown = data[0] if isinstance(data, list) else data
        assert shown["noisy"] == 1


NOISY_MODULE = '''
import sys

import click

print("noisy: imported")                     # at the module's import time
sys.stdout.write("noisy: imported, again\\n")

from kehu_core.hookspecs import hookimpl


@hookimpl
def register_commands(cli):
    print("noisy: registering my command")

    @cli.command("noisy")
    def noisy():
        """Say hello (the command's own output: stdout)."""
        click.echo("hello from noisy")


@hookimpl
def customer_values(store, customer):
    return {"noisy": 1}
'''


def test_what_a_plugin_prints_when_imported_or_registering_goes_to_stderr(tmp_path: Path) -> None:
    """A plugin installed through its entry point that prints at import time or in
    ``register_commands`` (outside any other hook): that reached stdout before a command's own
    output (`customer list --json` was no JSON, exit 0). Now the import and the registration
    print to stderr, as every hook does; a plugin command's own output is still stdout."""
    import os
    import subprocess

    site = tmp_path / "site"
    (site / "noisy_kehu").mkdir(parents=True)
    (site / "noisy_kehu" / "__init__.py").write_text(NOISY_MODULE, encoding="utf-8")
    dist = site / "noisy_kehu-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: noisy-kehu\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[kehu]\nnoisy = noisy_kehu\n", encoding="utf-8")
    store = make_store(tmp_path / "store", customers=[{"name": "赵敏"}])
    cid = next(iter(store.iter_customer_ids()))
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def kehu_run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kehu_core", "--store", str(store.root), *argv],
                              capture_output=True, text=True, env=env)

    for argv in (["customer", "list", "--json"], ["customer", "show", cid, "--json"], ["plugins", "--json"]):
        result = kehu_run(*argv)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)  # only JSON on stdout
        assert "noisy: imported\nnoisy: imported, again" in result.stderr, result.stderr
        if argv[0] == "customer":
            assert (data[0] if isinstance(data, list) else data)["noisy"] == 1
        else:
            assert "noisy" in [p["name"] for p in data]
    command = kehu_run("noisy")
    assert command.returncode == 0, command.stderr
    assert command.stdout == "hello from noisy\n"
    assert "noisy: imported" in command.stderr and "noisy: registering my command" in command.stderr
