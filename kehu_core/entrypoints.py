"""Where plugins are advertised: the entry-point group, and what is in it.

Light on purpose: a command that answers from the index (``kehu customer list --tier``) checks
that the installed plugins are the ones its kept values were computed by, without loading any.

What the installed distributions advertise is read through :mod:`importlib.metadata` once per
Python environment and kept in the user's cache folder, keyed the way importlib.metadata keys
its own in-process cache: each ``sys.path`` folder's modification time (installing, upgrading
or removing a distribution adds or removes a ``*.dist-info`` folder there, which changes it).
Without it every command paid for importing importlib.metadata and reading every installed
distribution's metadata (~15 ms of a 100 ms ``kehu search``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from pathlib import Path

from .paths import path_bytes
from .smallfiles import read_kept_json

ENTRY_POINT_GROUP = "kehu"
#: pydantic's own plugins (pydantic.plugin): pydantic reads every installed distribution's
#: metadata to find them when it builds its first validator
PYDANTIC_GROUP = "pydantic"

#: bump when the cache file's shape changes
_CACHE_VERSION = 3

#: the package of kehu's own plugins: a name one of them has is kehu's (see :func:`advertised_entries`)
BUILT_IN_PACKAGE = "kehu_plugins"


def advertised() -> list[str]:
    """The names advertised in the group, sorted (a plugin that fails to load included)."""
    return sorted({name for name, _value in advertised_entries()})


def advertised_entries() -> list[tuple[str, str]]:
    """``(name, "module[:attr]")`` of the plugin kehu loads for each name in the ``kehu``
    group: one of kehu's own plugins where one has the name, else the first distribution on
    the path that advertises it (:func:`importlib.metadata.entry_points`' order)."""
    return [(name, values[0]) for name, values in _by_name().items()]


def shadowed_entries() -> list[tuple[str, str, str]]:
    """``(name, value, the value loaded instead)`` of each other distribution advertising a
    name: another package named ``points`` took the built-in points plugin's place without a
    word when it came first on the path (its rules unasked, no purchase earning points)."""
    return [(name, value, values[0]) for name, values in _by_name().items() for value in values[1:]]


def _by_name() -> dict[str, list[str]]:
    """Each name's distinct values, the one kehu loads first."""
    found: dict[str, list[str]] = {}
    for name, value in _groups().get(ENTRY_POINT_GROUP, []):
        values = found.setdefault(name, [])
        if value not in values:
            values.append(value)
    for values in found.values():
        values.sort(key=lambda value: not _built_in(value))  # stable: the path's order otherwise
    return found


def _built_in(value: str) -> bool:
    return value.split(":", 1)[0].strip().split(".", 1)[0] == BUILT_IN_PACKAGE


def skip_pydantic_plugin_scan() -> None:
    """Tell pydantic it has no plugins when no installed distribution advertises one (what
    pydantic would find itself, by reading every distribution's metadata: ~5 ms of each
    command that validates anything). With a pydantic plugin installed, pydantic looks as usual.
    Setting pydantic's own cache, not ``PYDANTIC_DISABLE_PLUGINS``: that would also reach the
    programs kehu starts ($EDITOR, git hooks), whose environment may have plugins."""
    if _groups().get(PYDANTIC_GROUP):
        return
    loader = sys.modules.get(_PYDANTIC_LOADER)
    if loader is not None:  # already imported (by pydantic, or a test): tell it its answer
        if getattr(loader, "_plugins", None) is None:
            loader._plugins = {}
        return
    # Not imported yet: stand in for it. Importing pydantic's loader imports importlib.metadata
    # (and email, socket ...: ~18 ms of a `kehu purchase add`) only to look up the entry points
    # this cache already knows are not there. pydantic imports it when it builds its first
    # validator and calls only ``get_plugins()``; the stand-in answers as the loader would.
    import types

    stand_in = types.ModuleType(_PYDANTIC_LOADER, "pydantic's plugin loader, answered from kehu's "
                                "entry-point cache: no distribution advertises a pydantic plugin")
    stand_in.__dict__.update(PYDANTIC_ENTRY_POINT_GROUP=PYDANTIC_GROUP, _plugins={},
                             _loading_plugins=False, get_plugins=_no_pydantic_plugins)
    sys.modules[_PYDANTIC_LOADER] = stand_in


_PYDANTIC_LOADER = "pydantic.plugin._loader"


def _no_pydantic_plugins() -> tuple[()]:
    return ()


def load(value: str) -> object:
    """The object an entry point's value names (``module`` or ``module:attr.attr``)."""
    import pkgutil

    return pkgutil.resolve_name(value.split("[", 1)[0].strip())


def environment_stamp() -> list[list[object]]:
    """What the cache is valid for: the interpreter and each ``sys.path`` entry's mtime."""
    stamp: list[list[object]] = [[sys.executable, sys.version]]
    for entry in sys.path:
        try:
            stamp.append([entry, os.stat(entry or ".").st_mtime_ns])
        except (OSError, ValueError):
            stamp.append([entry, None])
    return stamp


def cache_file() -> Path:
    """One file per interpreter (a venv) and search path, rewritten when its environment
    changes. The path is in the name: two environments differing only by PYTHONPATH, used in
    turn (a plugin tried from a folder), sharing one file would each find the other's there
    and read all the metadata every time."""
    from platformdirs import user_cache_dir

    # (a folder in Chinese on the path under LC_ALL=C, lone surrogates, is no error: path_bytes)
    key = hashlib.sha1(b"\0".join(map(path_bytes, [sys.executable, sys.prefix, *sys.path]))).hexdigest()[:16]
    return Path(user_cache_dir("kehu")) / f"entry-points-{key}.json"


@functools.cache
def _groups() -> dict[str, list[list[str]]]:
    stamp = environment_stamp()
    path = cache_file()
    kept = read_kept_json(path)  # never waits on a FIFO put there, nor fails on JSON too deep
    try:
        if kept.get("version") == _CACHE_VERSION and kept.get("environment") == stamp:
            return {group: [list(pair) for pair in pairs] for group, pairs in kept["groups"].items()}
    except (OSError, ValueError, TypeError, AttributeError, KeyError):
        pass  # none yet, another environment's, or damaged: read the metadata again
    groups = _read_metadata()
    _keep(path, {"version": _CACHE_VERSION, "environment": stamp, "groups": groups})
    return groups


def _read_metadata() -> dict[str, list[list[str]]]:
    from importlib.metadata import entry_points

    groups: dict[str, list[list[str]]] = {}
    for group in (ENTRY_POINT_GROUP, PYDANTIC_GROUP):
        seen: list[list[str]] = []  # every distinct pair, in the path's order (two of one name too)
        for ep in entry_points(group=group):
            if [ep.name, ep.value] not in seen:
                seen.append([ep.name, ep.value])
        groups[group] = seen
    return groups


def _keep(path: Path, data: dict[str, object]) -> None:
    """Written whole or not at all (a temporary file renamed); a cache folder that cannot be
    written only means the metadata is read again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        # escaped (ensure_ascii): a path entry under LC_ALL=C holds 客户档案 as lone surrogates
        partial.write_text(json.dumps(data), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass
