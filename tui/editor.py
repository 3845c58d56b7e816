"""Editing a customer file in ``$EDITOR``, safely.

The editor works on a copy. The copy is validated exactly as the store validates the real
file; only a valid copy replaces the record, atomically, under the store lock, and only if
nobody changed the record while the editor was open. So an invalid edit or a clash never
reaches the store, and the user's text is never lost (the copy stays until it is saved or
abandoned).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kehu_core.errors import ConflictError, RecordError
from kehu_core.yamlio import atomic_write

if TYPE_CHECKING:
    from kehu_core.store import Store


def editor_command() -> list[str]:
    raw = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(raw)


@dataclass
class EditSession:
    """A copy of one customer's file being edited, and the version it started from."""

    store: Store
    customer_id: str
    version: str
    original: str
    copy: Path

    @classmethod
    def start(cls, store: Store, customer_id: str) -> EditSession:
        path = store.customer_file(customer_id)
        text = path.read_text(encoding="utf-8")
        # The copy sits in a folder named after the id: validation checks the folder name.
        folder = Path(tempfile.mkdtemp(prefix="kehu-edit-")) / customer_id
        folder.mkdir()
        copy = folder / path.name
        copy.write_text(text, encoding="utf-8")
        return cls(store, customer_id, store.file_version(customer_id), text, copy)

    def run_editor(self) -> int:
        return subprocess.run([*editor_command(), str(self.copy)], check=False).returncode

    @property
    def text(self) -> str:
        return self.copy.read_text(encoding="utf-8")

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def problems(self) -> list[str]:
        """What is wrong with the edited copy, as ``path:line: message`` of the real file."""
        real = self.store.rel(self.store.customer_file(self.customer_id))
        try:
            self.store.read_customer_file(self.copy)
        except RecordError as exc:
            return [f"{real}:{p.line}: {p.message}" for p in exc.problems]
        return []

    def save(self) -> None:
        """Replace the record with the copy; refused (ConflictError) if it changed meanwhile."""
        if self.problems():
            raise RecordError([])
        path = self.store.customer_file(self.customer_id)
        with self.store.lock():
            if self.store.file_version(self.customer_id) != self.version:
                raise ConflictError(
                    f"{self.store.rel(path)} was changed by someone else while you edited it; "
                    f"your text is kept in {self.copy}"
                )
            atomic_write(path, self.text)
        self.store.index.refresh_paths([path])
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.copy.parent.parent, ignore_errors=True)
