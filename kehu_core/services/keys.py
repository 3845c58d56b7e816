"""``kehu keys``: the recipients of confidential fields in kehu.yaml, and re-encrypting.

The rules (who reads a customer, what a sealed value is) are in :mod:`kehu_core.confidential`;
this module changes ``confidential.recipients``/``supervisors`` in kehu.yaml (keeping its
comments) and re-encrypts every confidential value to the current recipients (:func:`rotate`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import confidential
from ..config import CONFIG_FILE
from ..errors import KehuError, RecordError
from ..i18n import _
from ..keytext import key_text
from ..store.config_file import read_config
from ..yamlio import (
    YamlFileError,
    atomic_write,
    dump_roundtrip,
    load_roundtrip,
    read_text,
    to_plain_yaml_value,
)
from .file_changes import FileChanges

if TYPE_CHECKING:
    from ..store import Store


@dataclass
class Recipient:
    name: str
    key: str
    supervisor: bool
    reads: str  # "every customer" / "the customers they own"
    you: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key, "supervisor": self.supervisor,
                "reads": self.reads, "you": self.you}


def recipients(store: Store) -> list[Recipient]:
    """Who may read confidential fields, and which customers' (the rule of
    :func:`kehu_core.confidential.readers`); ``you``: the user's identity is that key."""
    conf = store.config.confidential
    mine = set(confidential.whoami(store)) if confidential.has_identity(store) else set()
    out = []
    for name, key in conf.recipients.items():
        boss = conf.supervisors is None or name in conf.supervisors
        out.append(Recipient(name, key, conf.supervisors is not None and name in conf.supervisors,
                             "every customer" if boss else "the customers they own", name in mine))
    return out


def _edit_config(store: Store, change: Any) -> None:
    """Apply ``change(section)`` to kehu.yaml's ``confidential:`` mapping; validated before
    anything is written (a bad key is refused as ``kehu.yaml:LINE: ...``)."""
    # read, changed and written under the store's lock: read before it, a colleague's `kehu keys
    # add` written meanwhile was lost by this write
    with store.lock():
        _edit_config_locked(store, change)


def _edit_config_locked(store: Store, change: Any) -> None:
    path = store.root / CONFIG_FILE
    try:
        doc = load_roundtrip(path)
        original = read_text(path)
    except YamlFileError as exc:
        raise RecordError([exc.problem]) from None
    if doc.get("confidential") is None:
        doc["confidential"] = to_plain_yaml_value({"fields": [], "recipients": {}})
    section = doc["confidential"]
    if section.get("recipients") is None:
        section["recipients"] = to_plain_yaml_value({})
    change(section)
    text = dump_roundtrip(doc, like=original)  # its line ends and byte order mark kept, as a record's
    # read as every door reads kehu.yaml, at the lines of the text this would write (a section
    # just added has none in the file): PyYAML's YAML 1.1 read a Norwegian shop's `region: NO`
    # as false and refused the edit of a kehu.yaml every other door takes
    config = read_config(path, text)
    wrong = confidential.recipient_problems(path, config, text)  # a key copied wrong: refused here, at its line
    if wrong:
        raise RecordError(wrong)
    atomic_write(path, text)
    store.config = config


def add(store: Store, name: str, key: str, *, supervisor: bool = False) -> None:
    """Add (or replace) ``name``'s public key; ``supervisor``: also list them under supervisors."""
    _edit_config(store, lambda section: _add_recipient(section, name, key, supervisor))


def _add_recipient(section: Any, name: str, key: str, supervisor: bool) -> None:
    name = key_text(name)  # as an owner is stored, and as kehu.yaml's names are read (config)
    was_supervisor = _forget(section, name)  # the same name written another way is replaced
    section["recipients"][name] = key.strip()
    if supervisor or was_supervisor:
        if section.get("supervisors") is None:
            section["supervisors"] = to_plain_yaml_value([])
        section["supervisors"].append(name)


def _forget(section: Any, name: str) -> bool:
    """Take ``name`` (in whatever spelling kehu.yaml has it) out of the recipients and the
    supervisors; whether it was a supervisor."""
    for written in [n for n in section["recipients"] if isinstance(n, str) and key_text(n) == name]:
        del section["recipients"][written]
    supervisors = section.get("supervisors")
    found = [n for n in supervisors or [] if isinstance(n, str) and key_text(n) == name]
    for written in found:
        supervisors.remove(written)
    return bool(found)


def remove(store: Store, name: str) -> None:
    name = key_text(name)
    if name not in store.config.confidential.recipients:
        known = ", ".join(store.config.confidential.recipients) or "none"
        raise KehuError(_("{name} is not a recipient of confidential fields (recipients: {known})").format(
            name=repr(name), known=known))

    def change(section: Any) -> None:
        _forget(section, name)

    _edit_config(store, change)


@dataclass
class Rotation:
    customers: list[str] = field(default_factory=list)  # the ids re-encrypted
    fields: int = 0  # values re-encrypted (or encrypted for the first time)
    index_scrubbed: bool = True  # False: another process held the index, old pages may remain

    def as_json(self) -> dict[str, Any]:
        return {"customers": len(self.customers), "fields": self.fields, "ids": self.customers}


def rotate(store: Store) -> Rotation:
    """Encrypt every confidential value again, to the recipients kehu.yaml names now (and
    encrypt confidential values found in plain text; write in plain a value of a field that is
    no longer confidential). Everything is opened first: when the user's identity cannot open
    a value, nothing is written and the error names each file and field.

    Read and written under one hold of the store's lock: each write took it alone, so a field
    another process changed while rotate waited for it was written back as rotate had read it."""
    with store.lock(), _whole(store) as changes:
        return _rotate(store, changes.note)


@contextlib.contextmanager
def _whole(store: Store) -> Iterator[FileChanges]:
    """Every customer's profile and kehu.yaml that the block changes put back as they were when
    it fails (:class:`.file_changes.FileChanges`): `kehu keys rotate` failing on a nearly full
    disk had encrypted some customers' values again and not the others' (a departed rep's key
    still opening the rest), saying only "index.sqlite: No space left on device"."""
    changes = FileChanges(store)
    try:
        yield changes
    except BaseException:
        changes.take_back()
        raise


def _rotate(store: Store, note: Callable[[Path], None]) -> Rotation:
    conf_fields = set(store.config.confidential.fields)
    todo: list[tuple[str, dict[str, Any]]] = []
    locked: list[str] = []
    for cid in store.iter_customer_ids():
        customer = store.get(cid)
        plain = confidential.plain_confidential(store, customer)
        if not customer.sealed and not plain:
            continue
        if customer.sealed and not confidential.has_identity(store):
            raise KehuError(_("kehu keys rotate opens every confidential value to encrypt it again: give your "
                "age identity (--identity FILE or KEHU_IDENTITY); nothing was changed"))
        opened = confidential.revealed(store, customer)
        if opened.locked:
            locked.append(f"{store.rel(store.customer_file(cid))}: {', '.join(opened.locked)}")
            continue
        names = [*customer.sealed, *plain]
        todo.append((cid, {n: getattr(opened.customer, n) for n in names}))
    if locked:
        shown = locked[:20] + ([f"... and {len(locked) - 20} more"] if len(locked) > 20 else [])
        who = ", ".join(confidential.whoami(store)) or "no recipient of kehu.yaml"
        raise KehuError.of_lines(_("your identity ({who}) cannot open these confidential values, so they cannot be "
                                   "encrypted again; nothing was changed:\n  {shown}\nrun kehu keys rotate with a "
                                   "supervisor's identity"), who=who, shown=shown)
    out = Rotation()
    were_plain: set[str] = set()
    for cid, changes in todo:
        customer = store.get(cid)
        were_plain.update(confidential.plain_confidential(store, customer))
        note(store.customer_file(cid))
        store.update_customer(cid, changes)
        out.customers.append(cid)
        out.fields += sum(1 for n in changes if n in conf_fields)
    if were_plain:  # values found in plain now encrypted: nothing of them left in .kehu/ either
        from .. import journal_entries

        journal_entries.forget_plain(store, were_plain)
        out.index_scrubbed = store.index.try_scrub()
    return out


#: the fields ``kehu keys add`` makes confidential when kehu.yaml names none and no ``--field``
#: is given: the personal ones a 客户资料卡 keeps (docs/confidential.md)
DEFAULT_FIELDS = ("family", "personality")


@dataclass
class FieldChange:
    fields: list[str]  # the confidential fields now
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    encrypted: int = 0  # plain values of the added fields now encrypted
    opened: int = 0  # encrypted values of the removed fields now written in plain
    customers: list[str] = field(default_factory=list)  # the ids written
    unknown: list[str] = field(default_factory=list)  # added names that are no field of kehu's profile
    undo_lost: int = 0  # earlier changes whose kept copies held the added fields in plain: dropped
    index_scrubbed: bool = True  # False: another process held the index, old pages may remain

    def as_json(self) -> dict[str, Any]:
        return {"fields": self.fields, "added": self.added, "removed": self.removed,
                "encrypted": self.encrypted, "opened": self.opened, "customers": len(self.customers),
                "ids": self.customers, "unknown": self.unknown,
                "undo_lost": self.undo_lost}


def _field_problem(name: str) -> str | None:
    from ..config_confidential import confidential_problem

    if not name.isidentifier():
        return _("{name} is not a field name (a profile field such as family, personality, notes)").format(
            name=repr(name))
    return confidential_problem(name)


def change_fields(store: Store, add: list[str] = (), remove: list[str] = (),  # type: ignore[assignment]
                  *, recipient: tuple[str, str, bool] | None = None) -> FieldChange:
    """Make ``add`` confidential and ``remove`` plain again (``recipient``: also add that
    (name, key, supervisor) to kehu.yaml in the same edit, as ``kehu keys add --field``).

    kehu.yaml changes first, then the customers: plain values of an added field are encrypted
    to their readers (public keys only: no identity needed); encrypted values of a removed field
    are opened and written in plain, which needs an identity opening every one of them, checked
    before anything is written (refused naming the files and fields, nothing changed). Under
    one hold of the store's lock, as :func:`rotate`: what is opened is what is written back."""
    with store.lock(), _whole(store) as changes:
        return _change_fields(store, add, remove, recipient=recipient, note=changes.note)


def _change_fields(store: Store, add: list[str], remove: list[str],
                   *, recipient: tuple[str, str, bool] | None, note: Callable[[Path], None]) -> FieldChange:
    problems = [p for p in map(_field_problem, [*add, *remove]) if p]
    if problems:
        raise KehuError(*problems)
    current = list(store.config.confidential.fields)
    added = [f for f in dict.fromkeys(add) if f not in current]
    removed = [f for f in dict.fromkeys(remove) if f in current and f not in add]

    if added and recipient is None and not store.config.confidential.recipients:
        raise KehuError(_("nobody to encrypt {fields} to: kehu.yaml names no recipient yet; add a reader with "
                          "their key first: kehu keys add NAME AGE_PUBKEY --field {first}").format(
            fields=", ".join(added), first=added[0]))
    to_open: list[tuple[str, dict[str, Any]]] = []
    if removed:
        locked: list[str] = []
        for cid in store.iter_customer_ids():
            customer = store.get(cid)
            names = [n for n in removed if n in customer.sealed]
            if not names:
                continue
            if not confidential.has_identity(store):
                raise KehuError(_("{fields} hold encrypted values: give an age identity that opens them "
                                  "(--identity FILE or KEHU_IDENTITY) to write them in plain; nothing was "
                                  "changed").format(fields=", ".join(removed)))
            opened = confidential.revealed(store, customer)
            if any(n in opened.locked for n in names):
                locked.append(f"{store.rel(store.customer_file(cid))}: "
                              f"{', '.join(n for n in names if n in opened.locked)}")
                continue
            to_open.append((cid, {n: getattr(opened.customer, n) for n in names}))
        if locked:
            shown = locked[:20] + ([f"... (+{len(locked) - 20})"] if len(locked) > 20 else [])
            raise KehuError.of_lines(_("your identity cannot open these encrypted values, so they cannot be written "
                                       "in plain; nothing was changed:\n  {shown}"), shown=shown)

    def change(section: Any) -> None:
        if recipient is not None:
            _add_recipient(section, *recipient)
        if section.get("fields") is None:
            section["fields"] = to_plain_yaml_value([])
        for name in added:
            section["fields"].append(name)
        for name in removed:
            section["fields"].remove(name)

    if added or removed or recipient is not None:
        note(store.root / CONFIG_FILE)
        _edit_config(store, change)
    out = FieldChange(list(store.config.confidential.fields), added, removed,
                      unknown=[n for n in added if n not in store.customer_model.model_fields])
    if added:
        for cid in store.iter_customer_ids():
            customer = store.get(cid)
            plain = {n: getattr(customer, n) for n in confidential.plain_confidential(store, customer)
                     if n in added}
            if plain:
                note(store.customer_file(cid))
                store.update_customer(cid, plain)  # written sealed: the fields are confidential now
                out.encrypted += len(plain)
                out.customers.append(cid)
    if added:
        from .. import journal_entries

        out.undo_lost = journal_entries.forget_plain(store, set(added))
        if out.encrypted:  # the plain values' old rows and log pages: gone from .kehu/ too
            out.index_scrubbed = store.index.try_scrub()
    for cid, values in to_open:
        note(store.customer_file(cid))
        store.update_customer(cid, values)  # no longer confidential: written in plain
        out.opened += len(values)
        if cid not in out.customers:
            out.customers.append(cid)
    return out
