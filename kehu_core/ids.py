"""Ids that two clones of a store can make independently without colliding.

A new id is a time prefix plus 40 random bits; two clones would need to draw the same
random bits in the same second to collide. User-chosen ids are allowed but checked, because
an id becomes a folder name and must never point outside the store.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from .clock import system_seconds
from .errors import InvalidId
from .i18n import _

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # fullmatch: "x\n" is refused
#: the names Windows keeps for devices, in any case and with any extension (``nul.yaml`` too):
#: no clone on Windows can hold a file or folder so named (git for Windows refuses to check the
#: store out), and an id names one (a customer's folder, an interaction's or a ledger's file)
_WINDOWS_DEVICE_RE = re.compile(r"(?i)(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])")


def _base32(number: int, width: int) -> str:
    chars = []
    for _digit in range(width):
        number, rem = divmod(number, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(prefix: str = "c", *, rng: secrets.SystemRandom | None = None, now: float | None = None) -> str:
    """A fresh id such as ``c6nq2k8x4mbz3r``: sortable by creation time, random below that."""
    seconds = int(now if now is not None else system_seconds())
    bits = rng.getrandbits(40) if rng is not None else secrets.randbits(40)
    return f"{prefix}{_base32(seconds, 7)}{_base32(bits, 8)}"


def entry_id(*, rng: secrets.SystemRandom | None = None) -> str:
    """A short id for one ledger entry or payment, such as ``k3x9qa2mzt``: 50 random bits.

    git merges a ledger as the union of both sides' lines, and two equal lines (the same
    redemption made in two clones) would become one; the id makes every entry's line its
    own. It only has to be unique within one customer's ledger, where two entries drawing
    the same 50 bits is beyond any shop's lifetime (a million entries: 1 in 2 000 000)."""
    bits = rng.getrandbits(50) if rng is not None else secrets.randbits(50)
    return _base32(bits, 10)


def check_id(value: str, what: str = "id") -> str:
    """Return ``value`` if it is safe as a folder name, else raise :class:`InvalidId`."""
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise InvalidId(
            _("invalid {what} {value}: expected 1-64 letters, digits, '-' or '_', starting "
                "with a letter or digit (no '/', '..' or spaces)").format(
                what=what, value=repr(value))
        )
    if _WINDOWS_DEVICE_RE.fullmatch(value):
        raise InvalidId(
            _("invalid {what} {value}: Windows keeps that name for a device (CON, PRN, AUX, NUL, COM0-9, "
              "LPT0-9), so no clone of the store on Windows could hold its file or folder").format(
                what=what, value=repr(value))
        )
    return value


def shard(customer_id: str) -> str:
    """Two hex digits spreading customers over 256 folders, so no folder grows huge."""
    return hashlib.sha1(customer_id.encode()).hexdigest()[:2]


def in_wrong_shard(rel: str) -> str | None:
    """The customer id of a file below ``customers/<shard>/<id>/`` (a store-relative path)
    whose shard folder is not that customer's (a folder copied or moved by hand); None else."""
    parts = rel.split("/")
    if len(parts) < 4 or parts[1] == shard(parts[2]):
        return None
    return parts[2]


def case_twin_message(customer_id: str, other: str, rel: str) -> str:
    """Why ``customer_id`` is no new customer's id beside ``other`` (the same but for case, at
    ``rel``): the store's doors (``Store.refuse_case_twin``) and ``kehu check`` say it."""
    return _("customer id {id} differs only in case from customer {other} ({rel}): a person typing an id, "
             "and a file system that ignores case (macOS, Windows), take them for one; choose another id, "
             "or give one of them a new id: `kehu customer reid {plain}`").format(
        id=repr(customer_id), other=repr(other), rel=rel, plain=other)
