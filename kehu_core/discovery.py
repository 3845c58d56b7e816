"""Which store a command works on.

As git finds a repository: ``--store PATH`` or ``KEHU_STORE``, else the working directory or the
nearest folder above it that holds a ``kehu.yaml``. Only when there is none does kehu open the
bundled demo store, and then it says so. Every spelling of a path (``.``, ``..``, relative,
through a symlink) names the same store: paths are resolved before a store is opened.

The demo is opened as a working copy in the user's cache folder, never in place: the bundled
``records/`` is tracked by git (and installed read-only in a wheel), and a session of ``make run``
must not change it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from pathlib import Path

from .errors import KehuError
from .i18n import _
from .paths import CONFIG_FILE, path_bytes


def find_store(start: Path) -> Path | None:
    """The folder holding ``kehu.yaml``: ``start`` or the nearest one above it.

    Anything of that name counts (a FIFO, a socket, a folder, a link to nowhere): the store then
    refuses it by name when it opens. Looking only for regular files took such a store for no
    store at all, and every command went on to the demo, ``kehu check`` saying "ok"."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if os.path.lexists(folder / CONFIG_FILE) and records_holding(folder) is None:
            return folder
    return None


#: the folders of a store no other store is in: its records, its state, git's own
_NO_STORE_INSIDE = ("customers", ".kehu", ".git")


def records_holding(folder: Path) -> Path | None:
    """The store whose records (``customers/``, ``.kehu/``, ``.git/``) hold ``folder``, if any.
    A ``kehu.yaml`` there is a stray copy (`kehu check` names it), no store: run in a customer's
    folder holding one, kehu took the folder for a store and wrote a new customer's records, an
    index and a journal among the records of the store around it, with exit 0."""
    for above in folder.parents:
        if folder.relative_to(above).parts[0] in _NO_STORE_INSIDE and os.path.lexists(above / CONFIG_FILE):
            return above
    return None


def bundled_demo() -> Path:
    """The bundled demo store: ``records/`` beside the sources, or the installed copy."""
    source_tree = Path(__file__).resolve().parents[1] / "records"
    if (source_tree / CONFIG_FILE).is_file():
        return source_tree
    spec = importlib.util.find_spec("kehu_records")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / CONFIG_FILE).is_file():
            return Path(location)
    raise KehuError(_("the bundled demo store is missing; pass --store PATH or set KEHU_STORE"))


def demo_working_copy(cache_root: Path | None = None) -> Path:
    """A private, writable copy of the bundled demo (made on first use, kept afterwards).

    Named after the bundled demo's settings, so a new kehu with a new demo gets a fresh copy."""
    from platformdirs import user_cache_dir

    source = bundled_demo()
    stamp = hashlib.sha1((source / CONFIG_FILE).read_bytes() + path_bytes(source)).hexdigest()[:12]
    copy = (cache_root or Path(user_cache_dir("kehu"))) / f"demo-{stamp}"
    if not (copy / CONFIG_FILE).is_file():
        partial = copy.with_name(copy.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(source, partial, ignore=shutil.ignore_patterns(".kehu"))
        partial.replace(copy)  # a copy interrupted half-way is never taken for the demo
    return copy


def resolve_store_path(explicit: Path | None, cwd: Path | None = None) -> tuple[Path, bool]:
    """The store to open and whether it is the demo (``explicit`` is --store / KEHU_STORE)."""
    if explicit is not None:
        outer = records_holding(explicit.resolve())
        if outer is not None:
            raise KehuError(_("{path}: is inside the records of the store {root}, no store of its own; "
                              "name the store {root}").format(path=explicit, root=outer))
        if os.path.isdir(explicit) and not os.access(explicit, os.R_OK | os.X_OK):
            # click's own check said it as a usage error, exit 2 ("Invalid value for '--store'"),
            # as if the command were mistyped; past it, the OS's word on a file inside (".kehu:
            # Permission denied")
            raise KehuError(_("{path}: the store's folder cannot be read (no permission for this user); "
                              "ask its owner to let you read it, or name another store").format(path=explicit))
        return explicit.resolve(), False
    found = find_store(cwd or Path.cwd())
    if found is not None:
        return found, False
    return demo_working_copy(), True
