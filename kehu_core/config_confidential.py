"""``confidential:`` in kehu.yaml: which profile fields are encrypted at rest, to whose keys,
and which fields can never be (see docs/confidential.md)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .config_names import as_stored, rep_name_problem
from .i18n import _
from .keytext import composed

#: the shape of a public key age encrypts to: an X25519 key (``age1`` and 58 bech32 characters)
#: or an SSH key (ssh-ed25519, ssh-rsa). Only the shape is checked as kehu.yaml is read, so
#: opening a store does not load the age library; what the key holds (its checksum, an SSH
#: key's body) pyrage reads where a key is written or used (``confidential.recipient_problem``)
AGE_KEY_SHAPE = re.compile(
    r"^(age1[02-9ac-hj-np-z]{58}|ssh-ed25519 [A-Za-z0-9+/=]+( .*)?|ssh-rsa [A-Za-z0-9+/=]+( .*)?)$")


def not_an_age_key(name: str, key: object) -> str:
    """What is said of ``name``'s ``key`` that age cannot encrypt to (kehu.yaml and pyrage)."""
    return _("{name}: {key} is not an age public key (age1... as age-keygen prints it, or "
             "ssh-ed25519 ...)").format(name=name, key=repr(key))


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
            if not isinstance(key, str) or not AGE_KEY_SHAPE.match(key.strip()):
                raise ValueError(not_an_age_key(name, key))
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
