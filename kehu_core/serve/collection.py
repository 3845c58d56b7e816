"""What kehu serve's collections are made of: the folders that hold them (the root, a login's
principal), the base of the address book and the calendar (a login's items, their ETag and
the sync states of RFC 6578, kept under ``.kehu/serve/sync/``), and the items whose text is
made only when Radicale serializes them. The two collections themselves, and Radicale's
``Storage``, are in :mod:`.backend`.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from radicale import item as radicale_item
from radicale import storage

from .. import held_folders
from ..i18n import _
from .scope import Refused, Scope, request, served

SYNC_PREFIX = "http://kehu.invalid/ns/sync/"
KEEP_TOKENS = 20  # sync states kept per collection

#: this process's folder of sync states being written, in ``.kehu/serve/sync/``
_WRITING_PREFIX = ".writing-"
_writing: dict[Path, held_folders.HeldFolder] = {}
_writing_lock = threading.Lock()


def _writing_folder(base: Path) -> Path:
    """Where this process writes a sync state before renaming it into place: a folder held
    while it runs (:mod:`kehu_core.held_folders`). A serve killed (`kill -9`, the OOM killer)
    between the write and the rename left its temporary file in ``.kehu/serve/sync/`` for good;
    the first write of the next serve removes the folders of serves no longer running."""
    with _writing_lock:
        held = _writing.get(base)
        if held is None or not held.path.is_dir():
            held_folders.sweep(base, _WRITING_PREFIX)
            held = _writing[base] = held_folders.make(base, _WRITING_PREFIX)
        return held.path


def http_date(seconds: float) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


class Folder(storage.BaseCollection):
    """The root and a login's principal: plain collections holding collections."""

    def __init__(self, path: str) -> None:
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    def get_meta(self, key: str | None = None) -> Any:
        return {} if key is None else None

    def set_meta(self, props: Mapping[str, str]) -> None:
        raise Refused(403, _("kehu serve: the collections are kehu's; nothing here can be changed"))

    @property
    def last_modified(self) -> str:
        return http_date(os.stat(served().store.root / "kehu.yaml").st_mtime)

    def get_all(self) -> Iterable[radicale_item.Item]:
        return []

    def get_multi(self, hrefs: Iterable[str]) -> Iterable[tuple[str, radicale_item.Item | None]]:
        return [(href, None) for href in hrefs]

    def has_uid(self, uid: str) -> bool:
        return False

    @property
    def etag(self) -> str:
        return f'"{hashlib.sha256(self._path.encode()).hexdigest()}"'

    def upload(self, href: str, item: radicale_item.Item) -> tuple[radicale_item.Item, radicale_item.Item | None]:
        raise Refused(403, _("kehu serve: contacts go in the address book (contacts/)"))

    def delete(self, href: str | None = None) -> None:
        raise Refused(403, _("kehu serve: the collections are kehu's and are never deleted"))


class KehuCollection(Folder):
    """What the address book and the calendar share: the items of one login, computed once
    per index generation and day, and the sync states (RFC 6578)."""

    tag_name = ""

    def __init__(self, path: str, scope: Scope) -> None:
        super().__init__(path)
        self.scope = scope

    # the items, each (href, uid, revision), and their texts ------------------------------

    def _state(self) -> dict[str, str]:
        """href → revision of every item."""
        raise NotImplementedError

    def _items(self, hrefs: Iterable[str]) -> Iterator[tuple[str, radicale_item.Item | None]]:
        raise NotImplementedError

    def get_all(self) -> Iterable[radicale_item.Item]:
        for _href, item in self._items(list(self._state())):
            if item is not None:
                yield item

    def get_multi(self, hrefs: Iterable[str]) -> Iterable[tuple[str, radicale_item.Item | None]]:
        return self._items(list(dict.fromkeys(hrefs)))

    @property
    def etag(self) -> str:
        state = json.dumps(self._state(), sort_keys=True)
        digest = hashlib.sha256(f"{self.path}|{request().apple}|{state}".encode()).hexdigest()
        return f'"{digest}"'

    @property
    def last_modified(self) -> str:
        return http_date(os.stat(served().store.root / "kehu.yaml").st_mtime)

    # sync-collection (RFC 6578) -----------------------------------------------------------

    def sync(self, old_token: str = "") -> tuple[str, Iterable[str]]:
        """The token of the current state, and the hrefs changed (or gone) since ``old_token``:
        each state is kept under ``.kehu/serve/sync/`` as href → revision."""
        state = self._state()
        text = json.dumps(state, sort_keys=True)
        name = hashlib.sha256(f"{self.path}|{text}".encode()).hexdigest()
        folder = served().store.state_dir / "serve" / "sync" / self.path.replace("/", "--")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.json"
        if not path.exists():
            # two requests may write it at once; in this process's held folder, which the next
            # serve removes if this one is killed before the rename (`held_folders`)
            tmp = _writing_folder(folder.parent) / f"{name}.{threading.get_ident()}.tmp"
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
            with contextlib.suppress(FileNotFoundError):  # another request pruning at once
                kept = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
                for old in kept[:-KEEP_TOKENS]:
                    with contextlib.suppress(FileNotFoundError):
                        old.unlink()
        token = SYNC_PREFIX + name
        if not old_token:
            return token, list(state)
        old_name = old_token.removeprefix(SYNC_PREFIX)
        old_path = folder / f"{old_name}.json"
        if not old_token.startswith(SYNC_PREFIX) or len(old_name) != 64 or not old_path.is_file():
            raise ValueError(f"unknown or expired sync token {old_token!r}")
        old = json.loads(old_path.read_text(encoding="utf-8"))
        changed = [href for href, revision in state.items() if old.get(href) != revision]
        changed += [href for href in old if href not in state]
        return token, changed




class LazyItem(radicale_item.Item):
    """An item whose text is made when Radicale first serializes it (``text()``), and its
    Last-Modified when first asked for (a PROPFIND of ETags asks for neither).

    Radicale's ``Item.__init__`` checks the collection's path again for every item (two
    ``sanitize_path``, a tenth of a millisecond each): for a book of 10 000 cards that was a
    fifth of a PROPFIND. The path here is the collection's own, checked when it was found."""

    def __init__(self, text: Callable[[], str], *, collection: Folder, href: str, etag: str, uid: str,
                 name: str, component_name: str, last_modified: Callable[[], str]) -> None:
        self._collection_path = collection.path
        self.collection = collection
        self.href = href
        self._text = None
        self._vobject_item = None
        self._etag = etag
        self._uid = uid
        self._name = name
        self._component_name = component_name
        self._time_range = None
        self._make_text = text
        self._make_last_modified: Callable[[], str] | None = last_modified
        self._last_modified: str | None = None

    @property  # type: ignore[override]
    def last_modified(self) -> str | None:
        if self._make_last_modified is not None:
            self._last_modified, self._make_last_modified = self._make_last_modified(), None
        return self._last_modified

    @last_modified.setter
    def last_modified(self, value: str | None) -> None:
        self._last_modified, self._make_last_modified = value, None

    def serialize(self) -> str:
        if self._text is None:
            self._text = self._make_text()
        return self._text

    @property
    def vobject_item(self) -> Any:  # Radicale parses ``_text`` itself for filters (time ranges)
        self.serialize()
        return super().vobject_item
