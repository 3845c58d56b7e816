"""kehu's own parts of a clone's git: its field-by-field merge driver and the hooks that keep
the index up to date after git changes files (``kehu git-setup``), and a new store's first
commit (``kehu init``)."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from ..i18n import _
from ..yamlio import atomic_write
from .gitops import SKIP_HOOK, is_repo, path_said, run


def driver_command() -> str:
    """The merge driver as git should run it.

    git runs drivers through the shell, long after ``kehu`` was started, from wherever the
    user runs ``git merge`` (a terminal without the venv, a GUI, cron). So the driver names
    the interpreter kehu is installed in by its absolute path rather than trusting ``kehu``
    to be on PATH. If that interpreter moves (a new venv), ``kehu git-setup`` re-points it.
    """
    return f"{shlex.quote(sys.executable)} -m kehu_core merge-file %O %A %B %P"


def install_merge_driver(root: Path) -> bool:
    """Register kehu's field-by-field merge driver for customer.yaml in this clone.

    Returns True if the clone's config changed (it was missing or pointed elsewhere).
    """
    current = run(root, "config", "--local", "--get", "merge.kehu.driver", check=False).stdout
    if current.strip() == driver_command():
        return False
    run(root, "config", "merge.kehu.name", "kehu record merge (field by field)")
    run(root, "config", "merge.kehu.driver", driver_command())
    return True


INDEX_HOOKS = ("post-merge", "post-checkout", "post-rewrite")
_HOOK_MARK = "# kehu: keep the store's index up to date with what git changed"


def index_hook_script(root: Path) -> str:
    """The hook that re-reads exactly the record files a pull, checkout or rebase changed,
    so the next command answers at once. It names the interpreter kehu is installed in (as
    the merge driver does) and the store relative to the repository, and never fails git."""
    toplevel = Path(path_said(run(root, "rev-parse", "--show-toplevel").stdout))
    rel = root.resolve().relative_to(toplevel.resolve()).as_posix()
    store = '"$(git rev-parse --show-toplevel)"' + ("" if rel == "." else f'/{shlex.quote(rel)}')
    # kehu sync merges with SKIP_HOOK set: it reads what the merge changed itself, right after
    return (f"#!/bin/sh\n{_HOOK_MARK} (kehu git-setup)\n"
            f'[ -n "${SKIP_HOOK}" ] || {shlex.quote(sys.executable)} -m kehu_core --store {store} reindex --git '
            ">/dev/null 2>&1 || true\n")


#: the shells whose scripts kehu's hook lines can be added to (a hook's ``#!`` line names one)
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "yash"})


def _shell_script(text: str) -> bool:
    """Whether a hook's text is a script of a shell kehu's lines run in (``#!/bin/sh``,
    ``#!/usr/bin/env bash``): a node or Python hook with shell lines added at its end fails."""
    first = text.split("\n", 1)[0]
    words = first[2:].split() if first.startswith("#!") else []
    names = [Path(word).name for word in words if not word.startswith("-")]
    if names and names[0] == "env":
        names = names[1:]
    return bool(names) and names[0] in _SHELLS


@dataclass
class IndexHooks:
    """What :func:`install_index_hooks` did: the hooks it changed, and the lines saying what it
    left to the user and how to add kehu's hook by hand."""
    changed: list[str]
    left: list[str]


def install_index_hooks(root: Path) -> IndexHooks:
    """Install kehu's index hooks in this clone's own hooks folder (in its .git); a shell hook
    of the user's own is kept, and kehu's line added to it.

    Never elsewhere: a ``core.hooksPath`` (global, for husky or a company's hooks, or the
    clone's own naming a committed folder) sends git's hooks to a folder other repositories
    share, or one ``kehu sync`` would commit and push to the team; a hook that is not a plain
    shell script (a link, a node or Python script) is the user's. Those are left as they are,
    with a line saying how to add kehu's by hand (the index catches up on the next command)."""
    said = path_said(run(root, "rev-parse", "--git-path", "hooks").stdout)
    hooks = Path(said) if Path(said).is_absolute() else root / said
    own = Path(path_said(run(root, "rev-parse", "--git-common-dir").stdout))
    own = own if own.is_absolute() else root / own
    script = index_hook_script(root)
    wanted = script.splitlines(keepends=True)[-1]
    by_hand = wanted.rstrip("\n")
    if not hooks.resolve().is_relative_to(own.resolve()):
        return IndexHooks([], [_("git hooks: not installed: git's core.hooksPath sends this clone's hooks to "
                                 "{folder}, outside its .git (a folder other repositories share, or one that "
                                 "is committed); to keep the index up to date after git changes files, add "
                                 "this line to its {names} hooks yourself: {line}").format(
            folder=hooks, names=", ".join(INDEX_HOOKS), line=by_hand)])
    hooks.mkdir(parents=True, exist_ok=True)
    changed, left = [], []
    for name in INDEX_HOOKS:
        path = hooks / name
        plain = path.is_file() and not path.is_symlink()
        text = path.read_text(encoding="utf-8", errors="replace") if plain else ""
        if not plain and (path.exists() or path.is_symlink()) or text and not _shell_script(text):
            left.append(_("git hook {name}: left as it is ({path} is not a shell script kehu adds to); to keep "
                          "the index up to date after git changes files, add this line to it yourself: "
                          "{line}").format(name=name, path=path, line=by_hand))
            continue
        if _HOOK_MARK in text:
            mine = [ln for ln in text.splitlines(keepends=True) if "kehu_core" in ln and "reindex --git" in ln]
            if mine == [wanted]:
                continue
            text = "".join(wanted if ln in mine else ln for ln in text.splitlines(keepends=True))
        elif text:  # the user's own hook: kehu's lines go at its end
            text = text.rstrip("\n") + "\n" + "".join(script.splitlines(keepends=True)[1:])
        else:
            text = script
        atomic_write(path, text)  # a full disk: named, and a hook of the user's never left half written
        path.chmod(0o755)
        changed.append(name)
    return IndexHooks(changed, left)


def init_repo(root: Path) -> None:
    toplevel = path_said(run(root, "rev-parse", "--show-toplevel").stdout) if is_repo(root) else None
    if toplevel != str(root.resolve()):
        run(root, "init", "-q")
    install_merge_driver(root)
    install_index_hooks(root)
    run(root, "add", "-A", ".")
    run(root, "commit", "-q", "-m", "kehu init: new store", "--allow-empty")
