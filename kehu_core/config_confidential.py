"""``confidential:`` in kehu.yaml: which profile fields are encrypted at rest, to whose keys,
and which fields can never be (see docs/confidential.md)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .config_names import as_stored, rep_name_problem
from .i18n import _
from .keytext import composed

#: an age X25519 public key (``age1`` and 58 bech32 characters) or an SSH public key age
#: encrypts to; the shape by pattern, then what a key holds (``is_age_key``)
_AGE_KEY = re.compile(r"^(age1[02-9ac-hj-np-z]{58}|ssh-ed25519 [A-Za-z0-9+/=]+( .*)?|ssh-rsa [A-Za-z0-9+/=]+( .*)?)$")
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            check ^= gen if (top >> i) & 1 else 0
    return check


def _ssh_fields(blob: bytes, count: int) -> list[bytes] | None:
    """The first ``count`` length-prefixed fields of an SSH key's wire form (None: cut short)."""
    fields, at = [], 0
    for _field in range(count):
        if at + 4 > len(blob):
            return None
        size = int.from_bytes(blob[at:at + 4], "big")
        if at + 4 + size > len(blob):
            return None
        fields.append(blob[at + 4:at + 4 + size])
        at += 4 + size
    return fields


def is_age_key(key: str) -> bool:
    """Whether age can encrypt to ``key``: its shape, the age key's checksum (a character copied
    wrong), an SSH key's body whole and of the kind its name says. In pure Python, so opening a
    store does not import the age library; a key that passed the pattern alone was taken by
    `kehu keys add`, then every write of a confidential field stopped with an internal error."""
    import base64
    import binascii

    if not _AGE_KEY.match(key):
        return False
    if key.startswith("age1"):
        values = [_BECH32.index(c) for c in key[4:]]
        if _bech32_polymod([ord(c) >> 5 for c in "age"] + [0] + [ord(c) & 31 for c in "age"] + values) != 1:
            return False
        return values[-7] & 0b1111 == 0  # the 4 bits past the key's 32 bytes are padding
    kind, body = key.split(" ")[:2]
    try:
        blob = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    fields = _ssh_fields(blob, 2 if kind == "ssh-ed25519" else 3)
    if fields is None or fields[0] != kind.encode():
        return False
    if kind == "ssh-ed25519":
        return len(fields[1]) == 32
    # age takes RSA keys of 2048 to 4096 bits (an old 1024-bit key is refused), n and e odd
    exponent, modulus = (int.from_bytes(f, "big") for f in fields[1:])
    return exponent >= 3 and exponent % 2 == 1 == modulus % 2 and 2048 <= modulus.bit_length() <= 4096

#: profile fields that cannot be confidential: kehu needs them to find, name and route a
#: customer (and ``owner`` says whose key opens the others)
NOT_CONFIDENTIAL = ("id", "name", "owner", "created")
#: profile fields kehu's own rules read for every customer, whoever runs the command: sealed,
#: they read as absent to each rule (the key holder's commands too), so `kehu send` messaged a
#: customer who asked not to be contacted, a loop of referrals and a merge conflict waiting for
#: a choice passed `kehu check` (and so `kehu sync`), and merges lost whom they had merged
KEPT_PLAIN_FOR_RULES = ("referrer", "do_not_contact", "also_known", "conflicts", "import_extra")


def confidential_problem(name: str) -> str | None:
    """Why a profile field ``name`` cannot be confidential (None: it can); the one rule of
    ``confidential: fields:`` in kehu.yaml and of ``kehu keys fields add``."""
    if name in NOT_CONFIDENTIAL:
        return _("{name} cannot be confidential: kehu needs it to find and route a customer "
                 "({join} stay plain)").format(name=repr(name), join=', '.join(NOT_CONFIDENTIAL))
    if name in KEPT_PLAIN_FOR_RULES:
        return _("{name} cannot be confidential: kehu's own rules read it for every customer, whoever "
                 "runs the command (do-not-contact, referral loops, merges: {join} stay plain)").format(
            name=repr(name), join=', '.join(KEPT_PLAIN_FOR_RULES))
    return None


class ConfidentialSettings(BaseModel):
    """``confidential:`` in kehu.yaml: which profile fields are encrypted at rest (per field,
    with age) and to whose public keys (see docs/confidential.md; the rules are in
    :mod:`kehu_core.confidential`). A customer's fields are encrypted to the key of the rep
    who owns it and to the ``supervisors``; without ``supervisors`` every recipient reads
    every customer."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    fields: list[str] = Field(default_factory=list, description="profile fields encrypted at rest")
    recipients: dict[str, str] = Field(
        default_factory=dict, description="rep name → age public key (age1...) of who may read them")
    supervisors: list[str] | None = Field(
        None, description="recipients who read every customer's confidential fields; the others "
                          "read those of the customers they own (absent: every recipient reads all)")

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: list[str]) -> list[str]:
        # read composed, as a profile's field names are (``models.composed_names``): `café` typed
        # decomposed here or there was no field of the profile, kept in plain text
        value = [composed(name) if isinstance(name, str) else name for name in value]
        for name in value:
            if isinstance(name, str) and (problem := confidential_problem(name)) is not None:
                raise ValueError(problem)
        return list(dict.fromkeys(value))

    @field_validator("recipients")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        # a rep's name read as the owner it names is stored (``keytext``: trimmed, composed):
        # `José` typed decomposed or `王芳 ` with a space was a recipient no owner named, so
        # the rep's key opened none of their own customers' fields
        for name, key in value.items():
            if (problem := rep_name_problem(name)) is not None:
                raise ValueError(problem)
            if not isinstance(key, str) or not is_age_key(key.strip()):
                raise ValueError(_("{name}: {key} is not an age public key (age1... as age-keygen prints it, or "
                    "ssh-ed25519 ...)").format(
                    name=name, key=repr(key)))
        return as_stored({name: key.strip() for name, key in value.items()})

    @field_validator("supervisors")
    @classmethod
    def _supervisors(cls, value: list[str] | None) -> list[str] | None:
        # as recipients are read (``as_stored``): `José` twice, once with the accent as a mark
        # of its own, was one supervisor without a word; the same text twice is one
        return None if value is None else list(as_stored(dict.fromkeys(value)))

    @model_validator(mode="after")
    def _readers(self) -> ConfidentialSettings:
        if self.fields and not self.recipients:
            raise ValueError(_("confidential fields need at least one recipient (name: age1...) to encrypt them to"))
        unknown = [s for s in self.supervisors or [] if s not in self.recipients]
        if unknown:
            raise ValueError(_("supervisors {join} have no key under recipients").format(join=', '.join(unknown)))
        return self
