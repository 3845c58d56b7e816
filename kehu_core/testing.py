"""A kit for testing kehu plugins: a store on a fixed day, the real CLI, the real TUI.

Everything here is real (files on disk, the index, the plugin host, the click commands, the
Textual app); nothing is mocked. A plugin's own tests need only this module::

    import datetime as dt
    from kehu_core.testing import make_store, run_kehu, tui

    import my_plugin

    def test_my_value(tmp_path):
        store = make_store(tmp_path, today=dt.date(2026, 11, 20),
                           customers=[{"name": "赵敏", "interactions": [
                               {"kind": "purchase", "date": "2024-11-20", "amount": 300}]}],
                           plugins={"mine": my_plugin})
        result = run_kehu(store, "customer", "list", "--json")
        assert result.code == 0, result.err
        assert result.json()[0]["my_value"] == 2

Time is data: the store works at ``today`` (its ``store.today``), and the CLI and the TUI are
run at that day, whatever the machine's clock says.

``plugins=``: plugin objects (a module or an object with ``@hookimpl`` functions) registered
by name besides the installed ones, as if they were installed; a plugin you installed
(``pip install -e .``) is found through its entry point without it.

This module imports neither pytest nor the TUI until asked. For pytest fixtures
(``kehu_today``, ``kehu_store``, ``kehu_plugins``), add to your top-level ``conftest.py``::

    pytest_plugins = ["kehu_core.testing"]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot

    from .models import Interaction
    from .store import Store

__all__ = [
    "DEFAULT_TODAY", "Result", "add_customer", "add_interaction", "make_store", "open_customer", "reopen",
    "run_kehu", "screen_text", "tui", "wait_until",
]

#: The day :func:`make_store` works at when none is given (a fixed day, never the clock's).
DEFAULT_TODAY = dt.date(2026, 11, 20)

# store -> the plugin objects it was made with, so the CLI and reopen() use them too
_EXTRA: weakref.WeakKeyDictionary[Store, dict[str, Any]] = weakref.WeakKeyDictionary()


# --- a store ---------------------------------------------------------------------------------


def make_store(
    path: str | os.PathLike[str],
    *,
    today: dt.date | str = DEFAULT_TODAY,
    customers: Iterable[Mapping[str, Any]] = (),
    plugins: Mapping[str, Any] | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    disabled: Iterable[str] = (),
    name: str = "test store",
    git: bool = False,
) -> Store:
    """A new store in ``path`` (a folder that does not hold one yet; it is created if needed),
    opened at ``today`` with its plugins, holding ``customers``.

    - ``customers``: one mapping of customer fields each (``name`` is required; ``id`` and
      ``created`` default to a new id and ``today``; plugin fields are accepted), with an
      optional ``interactions`` list of interaction mappings (``kind``, ``date`` ...), saved
      in order through the store as ``kehu purchase add`` would (``interaction_saved``
      runs). See :func:`add_customer`.
    - ``plugins``: plugin objects by name, used besides the installed plugins (by this
      store, :func:`run_kehu`, :func:`reopen` and :func:`tui`).
    - ``settings``: plugin settings written to kehu.yaml (``plugins: NAME: {...}``).
    - ``disabled``: plugins kehu.yaml disables (e.g. built-in ones the test does not need).
    - ``git``: make the store a git repository with a first commit (needs a git identity).
    """
    from .store import Store, open_store
    from .yamlio import atomic_write, dump_roundtrip, load_roundtrip, to_plain_yaml_value

    root = Path(path)
    Store.init(root, name)
    config_file = root / "kehu.yaml"
    doc = load_roundtrip(config_file)  # kehu init's settings, comments kept
    block = {"disabled": list(disabled), **{plugin: dict(values) for plugin, values in (settings or {}).items()}}
    doc["plugins"] = to_plain_yaml_value(block)
    atomic_write(config_file, dump_roundtrip(doc))
    if git:
        from .services import git_hooks

        git_hooks.init_repo(root)
    extra = dict(plugins or {})
    store = open_store(root, today=today, extra_plugins=extra)
    _EXTRA[store] = extra
    for fields in customers:
        add_customer(store, **fields)
    return store


def add_customer(store: Store, *, interactions: Iterable[Mapping[str, Any]] = (), **fields: Any) -> str:
    """Add a customer (its fields as keyword arguments: ``name=``, ``phones=`` ...) and its
    ``interactions``; return its id. Phones are read in the store's region, as the CLI does."""
    data = {"id": fields.pop("id", None) or store.new_customer_id(), "created": store.today, **fields}
    customer = store.customer_model.model_validate(data, context=store.validation_context())
    store.add_customer(customer)
    for interaction in interactions:
        add_interaction(store, customer.id, **interaction)
    return customer.id


def add_interaction(store: Store, customer_id: str, **data: Any) -> Interaction:
    """Record an interaction (``kind="purchase", date=..., amount=...``; ``date`` defaults to
    the store's day) through the store, so the plugins hear of it."""
    data.setdefault("date", store.today)
    return store.add_interaction(customer_id, data)


def reopen(store: Store, *, today: dt.date | str | None = None) -> Store:
    """The same store opened afresh (same plugin objects, same day unless ``today`` is given):
    what another process would see, e.g. after :func:`run_kehu` changed records."""
    from .store import open_store

    extra = _EXTRA.get(store, {})
    fresh = open_store(store.root, today=today or store.today, extra_plugins=extra)
    _EXTRA[fresh] = extra
    return fresh


# --- the CLI ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What a ``kehu`` command did: its exit code and what it printed."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """The standard output parsed as JSON (for commands run with ``--json``)."""
        return json.loads(self.out)


def run_kehu(store: Store, *args: str | os.PathLike[str] | int, input: str | None = None) -> Result:
    """Run ``kehu --store STORE --today DAY ARGS...`` in this process, as the ``kehu`` script
    would (the store's plugin objects included, their commands too); never raises for a
    failing command: look at ``code`` and ``err``. ``input`` is fed to standard input."""
    from click.testing import CliRunner

    from .cli import run

    argv = ["--store", str(store.root), "--today", store.today.isoformat(), *map(str, args)]
    runner = CliRunner()
    with runner.isolation(input=input) as streams:
        code = run(argv, extra_plugins=_EXTRA.get(store) or None)
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return Result(code, out.decode(), err.decode())


# --- the TUI ---------------------------------------------------------------------------------


@asynccontextmanager
async def tui(store: Store, *, size: tuple[int, int] = (140, 40), theme: str | None = None) -> AsyncIterator[Pilot]:
    """The TUI (``KehuApp``) on ``store`` at the store's day, driven by Textual's Pilot::

        async with tui(store) as pilot:
            await wait_until(pilot, lambda: "赵敏" in screen_text(pilot.app))
            await pilot.press("enter")

    Notifications are shown (Textual's test mode would hide them); watching the folder for
    other processes' changes is off (``watch_interval=0``).
    """
    try:
        from kehu_tui.app import KehuApp
    except ImportError:  # running from a source checkout whose tui/ is not installed
        from tui.app import KehuApp  # type: ignore[no-redef]

    kwargs: dict[str, Any] = {"today": store.today, "watch_interval": 0}
    if theme is not None:
        kwargs["theme"] = theme
    app = KehuApp(store, **kwargs)
    async with app.run_test(size=size, notifications=True) as pilot:  # Textual's default hides them
        await pilot.pause()
        yield pilot


def screen_text(app: App[Any]) -> str:
    """The text the app shows right now, one line per screen row, notifications and the screens
    under a dialog included: what a user reads (``export_screenshot``, as text)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    # what App.export_screenshot renders (Textual has no public "screen as text")
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


async def wait_until(pilot: Pilot, condition: Callable[[], bool], *, timeout: float = 10.0,
                     what: str = "the condition") -> None:
    """Let the app work until ``condition()`` holds (values are computed in the background);
    AssertionError naming ``what`` after ``timeout`` seconds."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.02)


async def open_customer(pilot: Pilot, name: str, *, showing: str = "") -> None:
    """The customer named ``name`` opened as a user opens them: the list searched for the name
    (``/``, the name, enter: the first found); waited for until their screen is up and shows
    ``showing`` (a plugin panel's words, computed in the background)."""
    try:
        from kehu_tui.screens.customer import CustomerScreen
    except ImportError:  # running from a source checkout whose tui/ is not installed
        from tui.screens.customer import CustomerScreen  # type: ignore[no-redef]

    app = pilot.app
    await wait_until(pilot, lambda: name in screen_text(app), what="the list")
    await pilot.press("slash", *name)
    await pilot.pause()
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, CustomerScreen) and showing in screen_text(app),
                     what=f"{name}'s screen" + (f" showing {showing!r}" if showing else ""))


# --- pytest fixtures (only when pytest loads this module as a plugin) ------------------------


def pytest_configure(config: Any) -> None:
    """Register the fixtures; pytest calls this when ``pytest_plugins = ["kehu_core.testing"]``."""
    if not config.pluginmanager.has_plugin("kehu-testing-fixtures"):
        config.pluginmanager.register(_fixtures(), "kehu-testing-fixtures")


def _fixtures() -> object:
    import pytest

    class Fixtures:
        @pytest.fixture
        def kehu_today(self) -> dt.date:
            """The day ``kehu_store`` works at; override it to test another day."""
            return DEFAULT_TODAY

        @pytest.fixture
        def kehu_plugins(self) -> dict[str, Any]:
            """Plugin objects ``kehu_store`` registers; override it with your plugin(s)."""
            return {}

        @pytest.fixture
        def kehu_store(self, tmp_path: Path, kehu_today: dt.date, kehu_plugins: dict[str, Any]) -> Store:
            """An empty store at ``kehu_today`` with ``kehu_plugins`` (see :func:`make_store`)."""
            return make_store(tmp_path / "store", today=kehu_today, plugins=kehu_plugins)

    return Fixtures()
