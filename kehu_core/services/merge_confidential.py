"""Confidential fields in a customer merge (``kehu customer merge KEEP OTHER``): none is lost.

The rest of a merge (:mod:`kehu_core.services.customer_merge`) works on the profile as the store
loads it, where an encrypted field reads as empty; so its confidential fields are decided here,
field by field, and never reach ``also_known`` (which is plain text):

* **only OTHER holds the field.** When KEEP's readers are OTHER's (the same owner, or every
  recipient reads every customer), the ciphertext moves as it is: nobody needs to read it.
  Otherwise it is opened with the user's key and encrypted again to KEEP's readers (the store
  does that when it writes the plain value).
* **both hold it.** KEEP's value stays first and OTHER's is kept after it: text is joined on a
  new line (as ``notes`` are), lists are unioned; a value already in KEEP's adds nothing. This
  needs both values in plain, so the user's key must open both. A value that cannot be joined
  (a number, a date: ``credit_limit`` 5000 and 8000) is not chosen for the user: the merge is
  refused, naming the field, until one of the two is set or cleared.
* **a value the user cannot read** that the merge would have to read: the merge is refused
  before anything changes, naming OTHER's fields and what would open them (the identity of
  someone who reads both customers: a supervisor's).

A confidential value written in plain (a hand edit, a field made confidential after it was
filled in) takes part as its plain value and is written encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import KehuError
from ..i18n import N_, _

if TYPE_CHECKING:
    from collections.abc import Collection

    from ..models import Customer
    from ..store import Store

#: how each of OTHER's confidential fields reached KEEP (the merge report's ``confidential``)
MOVED = N_("moved, encrypted to KEEP's readers")  # said in the language by DedupeReport.summary
MOVED_SEALED = N_("moved as encrypted")
JOINED = N_("joined: KEEP's first, OTHER's after it")


class Unjoinable(KehuError):
    """Both customers hold a different value of these confidential ``fields``, which cannot be
    joined: the merge is refused, nothing changed (a sync says what to do in its own words)."""

    def __init__(self, message: str, fields: list[str]) -> None:
        super().__init__(message)
        self.fields = fields


class Unreadable(KehuError):
    """OTHER's confidential ``fields`` would have to be read and the user's key cannot open
    them: the merge is refused, nothing changed (a sync says what to do in its own words)."""

    def __init__(self, message: str, fields: list[str]) -> None:
        super().__init__(message)
        self.fields = fields


@dataclass
class ConfidentialMerge:
    #: changes to KEEP's profile: a plain value (the store encrypts it) or a sealed text that
    #: is written as it is
    changes: dict[str, Any] = field(default_factory=dict)
    #: field → how it was merged (MOVED, MOVED_SEALED, JOINED)
    how: dict[str, str] = field(default_factory=dict)


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def merge_fields(store: Store, keep: Customer, other: Customer, settled: Collection[str] = ()) -> ConfidentialMerge:
    """What OTHER's confidential fields change in KEEP; raises KehuError (naming the fields)
    when the user's key cannot open what the merge must read. Reads nothing that need not be
    read, and loads the age library only when a value is encrypted. ``settled``: OTHER's fields
    an earlier merge of the two decided (a sync merging OTHER in again: values the clone that
    kept OTHER did not change), left as KEEP holds them."""
    from .. import confidential

    out = ConfidentialMerge()
    config = store.config
    unreadable: list[str] = []
    unjoinable: list[str] = []
    same_readers = set(confidential.readers(config, keep.owner)) == set(confidential.readers(config, other.owner))
    for name in confidential.fields(config):
        if name in settled:
            continue
        theirs_sealed, theirs_plain = other.sealed.get(name), getattr(other, name, None)
        if theirs_sealed is None and _empty(theirs_plain):
            continue
        mine_sealed, mine_plain = keep.sealed.get(name), getattr(keep, name, None)
        if mine_sealed is None and _empty(mine_plain):
            if theirs_sealed is None:
                out.changes[name], out.how[name] = theirs_plain, MOVED
            elif same_readers:
                out.changes[name], out.how[name] = theirs_sealed, MOVED_SEALED
            else:
                try:
                    out.changes[name] = confidential.open_sealed(store, theirs_sealed)
                    out.how[name] = MOVED
                except confidential.Locked:
                    unreadable.append(name)
            continue
        try:
            mine = mine_plain if mine_sealed is None else confidential.open_sealed(store, mine_sealed)
            theirs = theirs_plain if theirs_sealed is None else confidential.open_sealed(store, theirs_sealed)
        except confidential.Locked:
            unreadable.append(name)
            continue
        try:
            joined = _joined(store, keep, name, mine, theirs)
        except ValueError:
            unjoinable.append(name)
            continue
        if joined is not None:
            out.changes[name], out.how[name] = joined, JOINED
    if unreadable:
        raise Unreadable(
            _("cannot merge {id} into {id2}: {id}'s confidential {join} would have to be read "
                "(to be encrypted to {id2}'s readers, or joined with {id2}'s), and your identity "
                "cannot open {value}. Nothing was changed: merge with the identity of someone "
                "who reads both customers (a supervisor's: --identity FILE or {IDENTITY_ENV})").format(
                id=other.id, id2=keep.id, join=', '.join(unreadable),
                value=_('them') if len(unreadable) > 1 else _('it'),
                IDENTITY_ENV=confidential.IDENTITY_ENV), unreadable)
    if unjoinable:
        raise Unjoinable(
            _("cannot merge {id} into {id2}: both hold a different confidential {join}, which "
                "cannot be joined. Nothing was changed: set the value to keep on {id2} (kehu "
                "customer set {id2} {value}=...) and clear {id}'s (kehu customer set {id} "
                "{value}=), then merge again").format(
                id=other.id, id2=keep.id, join=', '.join(unjoinable), value=unjoinable[0]), unjoinable)
    return out


def _joined(store: Store, keep: Customer, name: str, mine: Any, theirs: Any) -> Any:
    """KEEP's value with OTHER's kept after it, None when OTHER's adds nothing; ValueError
    when the two cannot be joined into one valid value of the field."""
    if isinstance(mine, list) and isinstance(theirs, list):
        seen = {repr(v) for v in mine}
        extra = [v for v in theirs if repr(v) not in seen]
        return [*mine, *extra] if extra else None
    if mine == theirs or (isinstance(mine, str) and isinstance(theirs, str) and theirs in mine):
        return None
    if not (isinstance(mine, str) and isinstance(theirs, str)):
        raise ValueError(name)
    joined = f"{mine}\n{theirs}"
    # a free-text field takes the joined text as it is; one the model checks (a birthday, a
    # code) refuses it or changes it, and is not joined
    from pydantic import ValidationError

    try:
        checked = type(keep).model_validate({"id": keep.id, "name": keep.name, name: joined},
                                            context=store.validation_context())
    except ValidationError:
        raise ValueError(name) from None
    if getattr(checked, name, None) != joined:
        raise ValueError(name)
    return joined
