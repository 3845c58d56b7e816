"""A command imports only what it does (issue 15, start-up).

``kehu --version`` and a plain ``kehu search`` run as a whole process under
``python -X importtime``; each fails when it imports a module from a short explicit list of
what it does not need. Speed itself is measured in bench/startup.py, not here.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

import kehu_core.cli
from kehu_core.cli import BUILTIN_COMMANDS
from kehu_core.demo import generate
from kehu_core.names import shown as shown_name

#: What neither command needs: the TUI, reports, sends, imports and exports, calendars and
#: holidays, templates, Rich (search prints tab-separated lines when piped), kehu serve (Radicale).
NOT_FOR_SEARCH = [
    "textual", "kehu_tui", "jinja2", "holidays", "openpyxl", "python_calamine", "vobject", "icalendar",
    "reportlab", "rich", "kehu_core.reports", "kehu_core.services.outreach",
    "kehu_core.services.importing", "kehu_core.services.exporting", "kehu_core.services.dedupe",
    "kehu_core.services.customer_merge", "babel",
    "pyrage",  # confidential fields are decrypted only where shown (kehu_core.confidential)
    "radicale", "bcrypt", "kehu_core.serve", "kehu_core.services.vcards",
]

#: ``kehu --version`` opens no store: no pydantic models, no plugins, no index either.
NOT_FOR_VERSION = [
    *NOT_FOR_SEARCH, "pydantic", "pluggy", "phonenumbers", "email_validator", "yaml", "ruamel",
    "sqlite3", "kehu_core.store", "kehu_core.models", "kehu_core.plugins", "kehu_core.index",
    "kehu_plugins", "importlib.metadata",
]


def imported_modules(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules ``python -m kehu_core ARGS`` imports (its ``-X importtime`` report)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "kehu_core", *args],
                            capture_output=True, text=True, env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
            if line.startswith("import time:") and "|" in line} - {"package"}


def unwanted(modules: set[str], names: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_version_imports_no_store_and_no_plugin() -> None:
    modules = imported_modules("--version")
    assert "kehu_core.cli" in modules
    assert unwanted(modules, NOT_FOR_VERSION) == []


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("startup") / "store"
    generate(root, 20)
    return root


def test_plain_search_imports_only_what_it_uses(small_store: Path) -> None:
    modules = imported_modules("search", "zm", env={"KEHU_STORE": str(small_store)})
    assert "kehu_core.index" in modules  # it did search
    assert unwanted(modules, NOT_FOR_SEARCH) == []


#: what a search answered from an up-to-date index does not need: the store, its models and
#: settings (pydantic), the YAML parsers, the plugins (issue 15: freshness known in O(1))
NOT_FOR_A_CURRENT_SEARCH = [
    *NOT_FOR_SEARCH, "pydantic", "pluggy", "phonenumbers", "email_validator", "yaml", "ruamel", "yaml_rs",
    "kehu_core.store", "kehu_core.models", "kehu_core.config", "kehu_core.plugins", "kehu_plugins",
    "importlib.metadata",  # the plugins' entry points are kept (kehu_core.entrypoints)
]


def test_a_search_on_an_index_up_to_date_opens_no_store(small_store: Path) -> None:
    env = {"KEHU_STORE": str(small_store)}
    imported_modules("search", "zm", env=env)  # the first one builds the index
    for path in (small_store / "customers").rglob("*"):  # files written a while ago (not "racy")
        os.utime(path, (path.stat().st_mtime - 60, path.stat().st_mtime - 60))
    imported_modules("reindex", env=env)
    modules = imported_modules("search", "zm", env=env)
    assert "kehu_core.index.reader" in modules
    assert unwanted(modules, NOT_FOR_A_CURRENT_SEARCH) == []


def test_the_command_table_names_every_command_of_the_package() -> None:
    """Each entry of BUILTIN_COMMANDS is the command of that name, and every command defined
    in a module of kehu_core.cli is in the table or a sub-command of one that is."""
    listed: list[click.Command] = []
    for name, target in BUILTIN_COMMANDS.items():
        module, attr = target.split(":")
        command = getattr(importlib.import_module(f"kehu_core.cli.{module}"), attr)
        assert isinstance(command, click.Command) and command.name == name, target
        listed.append(command)
    reachable = set()
    todo = list(listed)
    while todo:
        command = todo.pop()
        reachable.add(id(command))
        if isinstance(command, click.Group):
            todo.extend(command.commands.values())
    for info in pkgutil.iter_modules(kehu_core.cli.__path__):
        module = importlib.import_module(f"kehu_core.cli.{info.name}")
        missing = [attr for attr, value in vars(module).items()
                   if isinstance(value, click.Command) and id(value) not in reachable]
        assert missing == [], f"kehu_core/cli/{info.name}.py: add {missing} to BUILTIN_COMMANDS"


#: what ``customer show`` piped into a file or grep needs none of: Rich (plain lines), the TUI,
#: reports, sends, imports, exports, calendars' files, kehu serve
NOT_FOR_SHOW = [m for m in NOT_FOR_SEARCH if m not in (
    "holidays", "babel", "pyrage", "kehu_core.services.dedupe")]


def test_a_piped_customer_show_prints_plain_lines_without_rich(small_store: Path) -> None:
    env = {"KEHU_STORE": str(small_store)}
    found = subprocess.run([sys.executable, "-m", "kehu_core", "customer", "list", "--json", "--sort", "revenue"],
                           capture_output=True, text=True, env={**os.environ, **env}, check=True)
    best = json.loads(found.stdout)[-1]  # values made fresh and kept by the list
    modules = imported_modules("customer", "show", best["id"], env=env)
    assert unwanted(modules, NOT_FOR_SHOW) == []
    shown = subprocess.run([sys.executable, "-m", "kehu_core", "customer", "show", best["id"]],
                           capture_output=True, text=True, env={**os.environ, **env}, check=True).stdout
    lines = shown.splitlines()
    name = next(line for line in lines if line.startswith("Name "))
    assert name.split(None, 1)[1] == best["name"]
    tier = next(line for line in lines if line.startswith("Tier "))
    assert tier.split(None, 1)[1] == shown_name(best["tier"])  # the value kept in the index, as --json says
    history = lines[lines.index("History") + 1:]
    assert history[0].split("\t") == ["Date", "Kind", "What", "Amount", "Paid"]
    data = json.loads(subprocess.run([sys.executable, "-m", "kehu_core", "customer", "show", best["id"], "--json"],
                                     capture_output=True, text=True, env={**os.environ, **env}, check=True).stdout)
    assert len(history) - 1 == len(data["purchases"]) + len(data["interactions"])
    assert all(len(row.split("\t")) == 5 for row in history)


#: a sale recorded from the command line writes a new file, a ledger line and the index: the
#: round-trip editor (ruamel, for edits that keep a file's comments) and the rest are not needed
NOT_FOR_A_PURCHASE = [*NOT_FOR_SEARCH, "ruamel",
                      "importlib.metadata"]  # pydantic told it has no plugins from the kept entry points


def test_recording_a_purchase_imports_no_round_trip_editor(small_store: Path) -> None:
    env = {"KEHU_STORE": str(small_store)}
    listed = subprocess.run([sys.executable, "-m", "kehu_core", "customer", "list", "--limit", "1"],
                            capture_output=True, text=True, env={**os.environ, **env}, check=True)
    buyer = listed.stdout.split("\t", 1)[0]
    # a first sale keeps the environment's entry points (in this test's own $HOME), as any
    # earlier command of the user's would have
    subprocess.run([sys.executable, "-m", "kehu_core", "purchase", "add", buyer, "--date", "2020-01-02",
                    "--item", "龙井", "--amount", "8", "--paid"], env={**os.environ, **env}, check=True,
                   capture_output=True)
    # (an old sale: it moves nobody's tier, whose ledger's first entry has an empty field ruamel writes)
    modules = imported_modules("purchase", "add", buyer, "--date", "2020-01-01", "--item", "龙井", "--amount", "88",
                               "--paid", env=env)
    assert "kehu_core.store" in modules  # (it did record the sale)
    assert unwanted(modules, NOT_FOR_A_PURCHASE) == []


def test_a_program_importing_the_cli_keeps_its_garbage_collector() -> None:
    """The `kehu` command holds the cyclic collector off while it imports (kehu_core.__main__);
    a program importing kehu_core.cli (a plugin's tests, a script calling run()) is left as it
    was, and run() leaves it collecting."""
    code = ("import gc, kehu_core.cli as c; a = gc.isenabled(); c.run(['--version']); "
            "print(a, gc.isenabled())")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.split()[-2:] == ["True", "True"]
    held = ("import gc; from kehu_core.__main__ import main; import sys; sys.argv = ['kehu', '--version']\n"
            "try:\n    main()\nexcept SystemExit:\n    print(gc.isenabled())")
    shown = subprocess.run([sys.executable, "-c", held], capture_output=True, text=True, check=True)
    assert shown.stdout.split()[-1] == "True"  # --version ends before the group's callback
