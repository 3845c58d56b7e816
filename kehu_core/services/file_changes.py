"""The files a command moving a customer's files changes (``kehu customer merge``, ``kehu
customer reid``): each kept as it was before it is written or removed, so that a failure puts
them all back and a success is one commit."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .. import held_folders
from ..errors import KehuError, os_error_text
from ..i18n import _
from ..paths import STATE_DIR
from ..store import CUSTOMERS_DIR, remove_empty_folders
from ..store.undo_on_error import written_back
from ..yamlio import atomic_write
from . import gitops

if TYPE_CHECKING:
    from ..store import Store


def files_below(folder: Path) -> tuple[list[Path], list[Path]]:
    """The regular files (hidden ones left out) and the folders below ``folder``, by a loop that
    never goes through a link: ``rglob`` recursed (folders 1 200 deep in the customer's folder, a
    colleague's commit, ended the merge in RecursionError) and went through links to folders."""
    files: list[Path] = []
    folders: list[Path] = []
    stack = [folder]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(Path(entry.path))
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False) and not entry.name.startswith("."):
                        files.append(Path(entry.path))
        except OSError:  # gone, or unreadable: what check names
            continue
    return sorted(files), folders


def _put_back(path: Path, content: bytes) -> None:
    """``path`` holding ``content`` again, its folder made again if it went: replaced whole, or,
    where the disk has no room for the copy that needs, written over itself (the store's one rule
    for it, :func:`kehu_core.store.undo_on_error.written_back`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file():  # (written over itself only when it is there)
        atomic_write(path, content.decode("utf-8"))
        return
    written_back(path, content)


def _holds(path: Path, content: bytes) -> bool:
    """Whether ``path`` is a regular file holding ``content``."""
    try:
        return path.is_file() and path.read_bytes() == content
    except OSError:
        return False


#: the folder in ``.kehu/`` holding a command's removed files until it is done
_ASIDE = "removed-"


class FileChanges:
    """Every file a command moving a customer's files writes or removes, as it was before: put
    back whole on failure (:meth:`take_back`), committed whole on success (:meth:`commit`)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.before: dict[Path, bytes | None] = {}
        #: each file removed, moved aside until the command is done (:meth:`done`)
        self.aside: dict[Path, Path] = {}
        self._held: held_folders.HeldFolder | None = None
        self.staged: list[str] = []  # what :meth:`commit` gave git

    def note(self, path: Path) -> None:
        self.store.note_change(path)  # the change journal keeps it too (kehu undo)
        if path not in self.before:
            self.before[path] = path.read_bytes() if path.is_file() else None

    def write(self, path: Path, text: str) -> None:
        self.note(path)
        atomic_write(path, text)

    def remove(self, path: Path) -> None:
        """``path`` gone from the store, moved aside (into a folder of ``.kehu/`` this command
        holds) until :meth:`done`: moving it back needs no room on a full disk, where writing
        it anew may find none. Where no such folder can be made, removed at once."""
        self.note(path)
        folder = self._aside_folder()
        if folder is not None:
            aside = folder / str(len(self.aside))
            try:
                os.rename(path, aside)
            except OSError:
                pass
            else:
                self.aside[path] = aside
                return
        path.unlink()

    def _aside_folder(self) -> Path | None:
        if self._held is None:
            parent = self.store.root / STATE_DIR
            try:
                held_folders.sweep(parent, _ASIDE)  # a command killed half-way left its own
                self._held = held_folders.make(parent, _ASIDE)
            except OSError:
                return None
        return self._held.path

    def done(self) -> None:
        """The command succeeded: the files removed are gone for good."""
        if self._held is not None:
            self._held.remove()
            self._held = None
        self.aside.clear()

    def reindex(self) -> None:
        """The index told of every file changed so far (an opened one; none is made for it)."""
        idx = self.store.opened_index
        if idx is not None:
            idx.refresh_paths(list(self.before))

    def take_back(self) -> None:
        """Every file as it was before, and the index told so. The files the command made are
        removed first: on a full disk, the likeliest cause of a failure, putting a changed file
        back needs room, which they give back; a file the room does not suffice for is written
        back over itself (:func:`_put_back`); one that cannot be put back stops none of the
        others, and is named. Before, a merge failing on a nearly full disk put KEEP's profile
        back first, which failed too, and left OTHER's records copied under KEEP: each counted
        twice, `kehu check` naming a dozen problems; a reid left a rep's plan naming the new id."""
        stop = self.store.root / CUSTOMERS_DIR
        failed: list[tuple[Path, OSError]] = []
        for path, content in self.before.items():
            if content is None:
                try:
                    path.unlink()
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    failed.append((path, exc))
                remove_empty_folders(path.parent, stop)
        for path, aside in self.aside.items():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                os.rename(aside, path)
            except OSError as exc:
                failed.append((path, exc))
        self.done()
        for path, content in self.before.items():
            if content is not None and not _holds(path, content):  # (a write that failed left it so)
                try:
                    _put_back(path, content)
                except OSError as exc:
                    failed.append((path, exc))
        with contextlib.suppress(OSError):  # the same full disk: the index finds the files changed at its next look
            self.reindex()
        if self.staged and not gitops.unstage(self.store.root, self.staged) and not failed:
            raise KehuError(_("the files are as they were, but git's index still holds what the failed commit had "
                              "staged (the disk is full?): run `git reset` once there is room"))
        if failed:
            raise KehuError(_("{what}: could not be put back as it was ({error}): `git status` shows it, "
                              "`git checkout -- FILE` puts it back").format(
                what=", ".join(self.store.rel(path) for path, _exc in failed), error=os_error_text(failed[0][1])))

    def commit(self, message: str, paths: Iterable[Path]) -> str | None:
        """One commit of ``paths`` (files or folders) as they are now, those gone included (a
        path neither there nor tracked is left out: git refuses it); the commit's id, or None
        when nothing changed."""
        store = self.store
        rels = sorted({store.rel(p) for p in paths})
        gone = [rel for rel in rels if not (store.root / rel).exists()]
        # which of those git tracks, asked once (a git process for each, a merge's hundreds of
        # records: one each); a folder is tracked where a file below it is
        listed = gitops.run(store.root, "ls-files", "-z", "--", *gone).stdout if gone else ""
        tracked = set(listed.split("\0")) - {""}
        rels = [rel for rel in rels if rel not in gone or any(t == rel or t.startswith(rel + "/") for t in tracked)]
        self.staged = rels  # a commit that fails is unstaged again by take_back, once there is room
        return gitops.head(store.root) if gitops.commit(store.root, message, rels) else None
