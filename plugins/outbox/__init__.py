"""kehu built-in plugin: outbox — an SMS "gateway" that writes each message to a file.

It is the reference for a real gateway plugin: implement ``message_senders`` and return
objects with a ``channel`` and a ``send(store, customer, subject, body) -> str`` that returns
the gateway's reference for the message (recorded with the message interaction).

Each message becomes one JSON file in the outbox folder (default ``.kehu/outbox/`` in the
store, which git ignores, so phone numbers do not travel with the records)::

    plugins:
      outbox:
        folder: /var/spool/kehu-sms     # absolute, or relative to the store
        channel: sms                    # the channel name it serves

A separate program (the shop's SMS modem script, a gateway uploader) can pick the files up:
each is written to a temporary name and renamed, so it never sees half a message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from kehu_core.hookspecs import hookimpl
from kehu_core.i18n import _
from kehu_core.ids import new_id
from kehu_core.plugins import plugin_settings
from kehu_core.yamlio import atomic_write

if TYPE_CHECKING:
    from kehu_core.models import Customer
    from kehu_core.store import Store

DEFAULT_FOLDER = ".kehu/outbox"


class OutboxSettings(BaseModel):
    """``plugins: outbox:`` in kehu.yaml, checked when the store opens and by ``kehu check``."""

    model_config = ConfigDict(extra="forbid")

    folder: str = DEFAULT_FOLDER
    channel: str = "sms"

    @field_validator("folder")
    @classmethod
    def _not_among_the_records(cls, folder: str, info: ValidationInfo) -> str:
        # kehu gives the store's folder (the settings_model hook's context): a folder among the
        # records passed `kehu check` and `send --dry-run`, and every message of the send failed
        root = (info.context or {}).get("store_root")
        if root is not None and (among := _among_records(Path(root), _folder_of(Path(root), folder), folder)):
            raise ValueError(among)  # said at its kehu.yaml line, as plugins.outbox.folder
        return folder


class OutboxSender:
    """Writes ``<timestamp>-<customer id>-<random>.json`` per message."""

    def __init__(self, folder: Path, channel: str = "sms"):
        self.folder = folder
        self.channel = channel

    def send(self, store: Store, customer: Customer, subject: str, body: str) -> str:
        _refuse_records(store.root, self.folder)  # (a link made since kehu.yaml was read)
        if not customer.phones:
            raise ValueError(_("{name} ({id}) has no phone number").format(name=customer.name, id=customer.id))
        now = store.now()
        name = f"{now:%Y%m%dT%H%M%S}-{customer.id}-{new_id('')[7:]}.json"
        message: dict[str, Any] = {
            "channel": self.channel,
            "to": customer.phones[0],
            "customer_id": customer.id,
            "name": customer.name,
            "subject": subject,
            "body": body,
            "created": now.isoformat(timespec="seconds"),
        }
        atomic_write(self.folder / name, json.dumps(message, ensure_ascii=False, indent=2) + "\n")
        return name


#: the one place in the store an outbox may be: kehu's own state, which git ignores
_UNSHARED = ".kehu"


def _folder_of(root: Path, folder: str) -> Path:
    """The outbox folder ``folder:`` names: absolute, or relative to the store."""
    path = Path(folder).expanduser()
    return path if path.is_absolute() else root / path


def _refuse_records(root: Path, folder: Path) -> None:
    """Refuse the outbox ``folder`` (the sender's: absolute, or in the store) if it is no folder
    (a file, a FIFO, a device: each message failed as "FileExistsError: [Errno 17] File exists")
    or one the store's git shares (:func:`_among_records`), as a message is written: a link may
    have been made since."""
    resolved = folder.resolve()
    if resolved.exists() and not resolved.is_dir():
        from kehu_core.yamlio import special_kind

        raise ValueError(_("plugins: outbox: folder: {folder} is {what}, not a folder; name a folder (kehu makes "
                           "it if it is not there)").format(folder=folder, what=special_kind(resolved.stat().st_mode)))
    if among := _among_records(root, folder, folder):
        raise ValueError(f"plugins: outbox: folder: {among}")


def _among_records(root: Path, folder: Path, written: object) -> str | None:
    """Why ``folder`` may not be the outbox, if it is inside the store anywhere but ``.kehu/``
    (``customers/``, ``.git``, ``outbox/``, ``visits/``, ``templates/``, however it is named:
    ``customers/../customers``, a link in the store to it); the message names it ``written``
    (as kehu.yaml has it when the setting is checked). ``folder:`` comes from kehu.yaml,
    shared with every clone: a message written among a customer's records was taken for a
    record by the next ``kehu sync``, and one written in ``outbox/`` was committed and pushed,
    the customers' phone numbers with it, which the default (``.kehu/outbox``) keeps from git."""
    root = root.resolve()
    resolved = folder.resolve()
    if resolved.is_relative_to(root):
        inside = resolved.relative_to(root).parts
        if not inside or inside[0] != _UNSHARED:
            return _("{folder} is inside the store's records ({root}), which git shares with every clone; kehu "
                     "writes messages outside the store or in .kehu/ (the default is .kehu/outbox)").format(
                folder=written, root=root)
    return None


@hookimpl
def settings_model() -> type[OutboxSettings]:
    return OutboxSettings


@hookimpl
def message_senders(store: Store) -> list[OutboxSender]:
    settings = plugin_settings(store, "outbox", OutboxSettings)
    return [OutboxSender(_folder_of(store.root, settings.folder), settings.channel)]
