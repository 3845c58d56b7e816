"""The files a command moving a customer's files changes (``kehu customer merge``, ``kehu
customer reid``): each kept as it was before it is written or removed, so that a failure puts
them all back and a success is one commit."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..store import CUSTOMERS_DIR, remove_empty_folders
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


class FileChanges:
    """Every file a command moving a customer's files writes or removes, as it was before: put
    back whole on failure (:meth:`take_back`), committed whole on success (:meth:`commit`)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.before: dict[Path, bytes | None] = {}

    def note(self, path: Path) -> None:
        self.store.note_change(path)  # the change journal keeps it too (kehu undo)
        if path not in self.before:
            self.before[path] = path.read_bytes() if path.is_file() else None

    def write(self, path: Path, text: str) -> None:
        self.note(path)
        atomic_write(path, text)

    def remove(self, path: Path) -> None:
        self.note(path)
        path.unlink()

    def reindex(self) -> None:
        """The index told of every file changed so far (an opened one; none is made for it)."""
        idx = self.store.opened_index
        if idx is not None:
            idx.refresh_paths(list(self.before))

    def take_back(self) -> None:
        """Every file as it was before, and the index told so."""
        stop = self.store.root / CUSTOMERS_DIR
        for path, content in self.before.items():
            if content is None:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                remove_empty_folders(path.parent, stop)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(path, content.decode("utf-8"))
        self.reindex()

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
        return gitops.head(store.root) if gitops.commit(store.root, message, rels) else None
