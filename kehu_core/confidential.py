"""Confidential fields (客户资料保密): profile fields encrypted at rest, per field, with age.

kehu.yaml names the fields and who may read them (:class:`kehu_core.config_confidential.ConfidentialSettings`)::

    confidential:
      fields: [family, personality]
      recipients: {王芳: age1..., 主管: age1...}
      supervisors: [主管]          # optional; absent: every recipient reads every customer

**Who reads what.** A recipient's name is a rep's name (the ``owner`` of customers). A
customer's confidential values are encrypted to the key of its owner (when the owner is a
recipient) and to every supervisor; without ``supervisors:`` to every recipient. A customer
whose owner has no key is encrypted to the supervisors only.

**On disk.** The value of a confidential field becomes one line, ``family: age:YWdl...``: the
age file (binary, base64) of the value as JSON. So a git diff names the field that changed,
two clones' edits of different fields merge (the ``merge=kehu`` driver, field by field), and
``age -d`` opens it by hand (``cut -c5- | base64 -d | age -d -i key.txt``).

**In memory.** :meth:`Store.validate_customer_data` takes sealed values out of the data before
validation: the field reads as None and the sealed text is kept in ``customer.sealed``. So
the index, lists, search, exports, reports and ``send`` never see either the plain text or
the ciphertext. Plain values exist only where a caller asks with a key: :func:`reveal` (one
field, for a printed card) and :func:`revealed` (the whole profile, for ``customer show``,
``kehu edit`` and the TUI).

**Writing.** ``Store.add_customer``/``update_customer`` seal a confidential field's plain value
(:func:`seal_values`); writing needs only the public keys, so a rep without a key can replace
a value, never read it. Every other field is edited as usual and the sealed lines stay as
they are.

The private key comes from ``--identity FILE`` or ``KEHU_IDENTITY`` (an age identity file as
``age-keygen`` writes it). ``pyrage`` is imported on first use only: a command that touches
no confidential field never loads it (tests/test_startup.py).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import KehuError, Problem, RecordError, os_error_text
from .i18n import _
from .paths import CONFIG_FILE
from .smallfiles import read_given_file

if TYPE_CHECKING:
    from .config import StoreConfig
    from .models import Customer
    from .store import Store

#: what a sealed value starts with: our tag, then the base64 of age's header line
#: ``age-encryption.org/v1`` (so a note that happens to start with "age:" is not taken for one)
SEALED_PREFIX = "age:"
_MAGIC = "YWdlLWVuY3J5cHRpb24ub3JnL3Yx"

#: what a person without the key sees instead of the value
LOCK = "🔒"

IDENTITY_ENV = "KEHU_IDENTITY"


class Locked(KehuError):
    """The identity given (or none) cannot open a confidential value."""


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX + _MAGIC)


def split_sealed(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """``data`` without its sealed values, and those values (field → sealed text)."""
    sealed = {k: v for k, v in data.items() if is_sealed(v)}
    if not sealed:
        return data, sealed
    return {k: v for k, v in data.items() if k not in sealed}, sealed


def fields(config: StoreConfig) -> list[str]:
    """The fields kehu.yaml marks confidential."""
    return list(config.confidential.fields)


def readers(config: StoreConfig, owner: str | None) -> list[str]:
    """The recipients (names) a customer owned by ``owner`` is encrypted to: the one rule."""
    conf = config.confidential
    if conf.supervisors is None:
        return list(conf.recipients)
    names = list(conf.supervisors)
    if owner and owner in conf.recipients and owner not in names:
        names.append(owner)
    return names


def _recipient(key: str) -> Any:
    import pyrage

    if key.startswith("ssh-"):
        return pyrage.ssh.Recipient.from_str(key)
    return pyrage.x25519.Recipient.from_str(key)


def recipient_problem(key: str) -> str | None:
    """Why age cannot encrypt to ``key`` (None: it can), as pyrage reads it: a character copied
    wrong (the age key's checksum), an SSH key cut short or of another kind than its name
    says, an RSA key age refuses (under 2048 bits). Such a key passed kehu.yaml's shape, was
    taken by `kehu keys add`, and every write of a confidential field then stopped with
    "internal error: RecipientError: invalid Bech32 encoding"."""
    import pyrage

    try:
        _recipient(key)
    except pyrage.RecipientError as exc:
        return str(exc)
    return None


def recipient_problems(path: Path, config: StoreConfig, text: str | None = None) -> list[Problem]:
    """Each key under ``confidential.recipients`` of kehu.yaml at ``path`` (``text``: what is to
    be written there) that age cannot encrypt to, at its line: kehu.yaml's reading checks a
    key's shape only (the age library is not loaded to open a store); `kehu keys`, the writes
    that seal a field and `kehu check` ask pyrage (``confidential.recipient_problem``)."""
    recipients = config.confidential.recipients
    if not recipients:
        return []
    from .config_confidential import not_an_age_key
    from .yamlio import line_of, lines_doc

    wrong = [(name, key, why) for name, key in recipients.items() if (why := recipient_problem(key)) is not None]
    if not wrong:
        return []
    lines = lines_doc(path, text)
    return [Problem(path, line_of(lines, ("confidential", "recipients", name)), f"{not_an_age_key(name, key)}: {why}")
            for name, key, why in wrong]


def _keys(store: Store, names: list[str]) -> list[Any]:
    """The recipients ``names`` as pyrage's; a key age cannot encrypt to is said at its line of
    kehu.yaml (every key there, before anything is written)."""
    import pyrage

    try:
        return [_recipient(store.config.confidential.recipients[n]) for n in names]
    except pyrage.RecipientError:
        raise RecordError(recipient_problems(store.root / CONFIG_FILE, store.config)) from None


def seal(store: Store, owner: str | None, value: Any) -> str:
    """``value`` (JSON-able) encrypted to the readers of a customer owned by ``owner``."""
    import pyrage

    names = readers(store.config, owner)
    if not names:
        raise KehuError(_("confidential: nobody to encrypt to (no supervisors, and the owner {value} has "
            "no key under confidential.recipients)").format(
            value=owner or '(none)'))
    keys = _keys(store, names)
    payload = json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    return SEALED_PREFIX + base64.b64encode(pyrage.encrypt(payload, keys)).decode("ascii")


def seal_values(store: Store, owner: str | None, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (a profile's fields, JSON-ready) with each confidential one sealed."""
    names = set(store.config.confidential.fields)
    return {k: seal(store, owner, v) if k in names and v not in (None, [], "") and not is_sealed(v)
            else v for k, v in values.items()}


# --- the identity -----------------------------------------------------------------------------

IDENTITY_MOST_BYTES = 1024 * 1024  # age-keygen writes ~200 bytes a key; an SSH key is a few KB


def identity_file(store: Store) -> Path | None:
    """The identity file this store's user gave: ``--identity`` (``store.identity_file``),
    else ``KEHU_IDENTITY``, else none."""
    given = getattr(store, "identity_file", None) or os.environ.get(IDENTITY_ENV) or None
    return Path(given).expanduser() if given else None


def load_identities(path: Path) -> list[Any]:
    """The age identities in ``path``: ``AGE-SECRET-KEY-1...`` lines (age-keygen's file; other
    lines are comments) or an unencrypted OpenSSH private key."""
    import pyrage

    try:
        # a byte order mark (the file saved again in Windows Notepad) is no part of the text
        text = read_given_file(path, IDENTITY_MOST_BYTES).decode("utf-8").removeprefix("\ufeff")
    except OSError as exc:
        raise KehuError(_("{path}: cannot read the identity file ({value})").format(
            path=path, value=os_error_text(exc))) from None
    except ValueError as exc:  # a FIFO, a device, a folder, too big: refused without reading on
        raise KehuError(_("{path}: cannot read the identity file ({value})").format(path=path, value=exc)) from None
    except UnicodeDecodeError:
        raise KehuError(_("{path}: not an age identity file").format(path=path)) from None
    if "BEGIN OPENSSH PRIVATE KEY" in text:
        try:
            return [pyrage.ssh.Identity.from_buffer(text.encode())]
        except Exception as exc:  # pyrage raises its own error types
            raise KehuError(_("{path}: cannot read the SSH key ({exc})").format(path=path, exc=exc)) from None
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                found.append(pyrage.x25519.Identity.from_str(line))
            except Exception:
                raise KehuError(_("{path}:{number}: not a valid age secret key").format(
                    path=path, number=number)) from None
    if not found:
        raise KehuError(_("{path}: no age identity in it (a line AGE-SECRET-KEY-1..., as age-keygen writes)").format(
            path=path))
    return found


def identities(store: Store) -> list[Any]:
    """The user's identities (loaded once per store), or [] without an identity file."""
    cached = getattr(store, "_age_identities", None)
    if cached is None:
        path = identity_file(store)
        cached = load_identities(path) if path is not None else []
        store._age_identities = cached  # type: ignore[attr-defined]
    return cached


def has_identity(store: Store) -> bool:
    return identity_file(store) is not None


def whoami(store: Store) -> list[str]:
    """The recipients (names in kehu.yaml) whose public key is the user's identity."""
    mine = set()
    for ident in identities(store):
        try:
            mine.add(str(ident.to_public()))
        except AttributeError:  # an SSH identity does not tell its public key
            continue
    return [name for name, key in store.config.confidential.recipients.items() if key in mine]


# --- opening ----------------------------------------------------------------------------------


def open_sealed(store: Store, text: str) -> Any:
    """The plain value of one sealed text; Locked when the user's identity cannot open it."""
    import pyrage

    keys = identities(store)
    if not keys:
        raise Locked(_("encrypted; give your age identity with --identity FILE or {variable}").format(
            variable=IDENTITY_ENV))
    try:
        payload = pyrage.decrypt(base64.b64decode(text[len(SEALED_PREFIX):]), keys)
    except pyrage.DecryptError:
        raise Locked(_("encrypted to other keys than yours")) from None
    except ValueError:
        raise Locked(_("not a readable encrypted value (damaged?)")) from None
    # what a colleague sealed is read as any record is: JSON nested thousands deep (past
    # Python's stack) or deeper than a record may nest, or not text, is no value
    from .models import too_deep

    try:
        value = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Locked(_("not a readable encrypted value (damaged?)")) from None
    if too_deep(value) is not None:
        raise Locked(_("not a readable encrypted value (damaged?)"))
    return value


def reveal(store: Store, customer: Customer, name: str, default: Any = LOCK) -> Any:
    """One field of ``customer`` as its owner wrote it: the plain value when the field is not
    encrypted or the user's identity opens it, else ``default`` (the lock mark). The public
    function for whoever prints a confidential field (a visit card, a report the user asked
    to reveal); it never raises for a locked field."""
    text = customer.sealed.get(name)
    if text is None:
        return getattr(customer, name, None)
    try:
        return open_sealed(store, text)
    except Locked:
        return default


@dataclass
class Revealed:
    """A profile with the confidential values the user's identity opens (``customer``), and
    the fields it could not open (``locked``), which read as None in ``customer``."""

    customer: Customer
    locked: list[str] = field(default_factory=list)


def revealed(store: Store, customer: Customer) -> Revealed:
    """``customer`` with every sealed field the user can open in plain (for ``customer show``,
    ``kehu edit``, the TUI); without an identity, nothing is decrypted and pyrage is not
    loaded."""
    if not customer.sealed:
        return Revealed(customer)
    if not has_identity(store):
        return Revealed(customer, list(customer.sealed))
    plain: dict[str, Any] = {}
    locked: list[str] = []
    for name, text in customer.sealed.items():
        try:
            plain[name] = open_sealed(store, text)
        except Locked:
            locked.append(name)
    if not plain:
        return Revealed(customer, locked)
    from pydantic import ValidationError

    data = {**customer.model_dump(mode="python"), **plain}
    try:
        opened = type(customer).model_validate(data, context=store.validation_context())
    except ValidationError:  # a value kehu did not write: shown as it is
        opened = customer.model_copy(update=plain)
    opened._sealed = {k: v for k, v in customer.sealed.items() if k in locked}
    return Revealed(opened, locked)


def misspelt_fields(store: Store) -> list[Problem]:
    """Warnings of `kehu check` for ``confidential: fields:`` names that look like a slip of
    the keyboard: held by no profile, plain or encrypted, and close to a field kehu knows or a
    profile holds (`phnoes`, `Phones`: meant phones). Such a name encrypted nothing and the
    field meant stayed in plain text, pushed to the remote, with check ok. A field of the
    shop's own that no customer has yet (`id_card`) is no slip and is not named."""
    from .field_slips import meant_fields, slip_problem

    names = list(store.config.confidential.fields)
    return [slip_problem(store, ["confidential", "fields", names.index(name)], _(
        "confidential.fields: no customer has a field {name}, so it encrypts nothing; did you mean "
        "{meant}? (that field stays in plain text)").format(name=repr(name), meant=repr(meant)))
        for name, meant in meant_fields(store, names).items()]


def plain_confidential(store: Store, customer: Customer) -> list[str]:
    """Confidential fields of ``customer`` that are written in plain text (a hand edit, a
    field made confidential after it was filled in): ``kehu keys rotate`` encrypts them."""
    return [name for name in store.config.confidential.fields
            if name not in customer.sealed and getattr(customer, name, None) not in (None, [], "")]


def plain_fields(text: str, fields: set[str]) -> set[str]:
    """Which of ``fields`` a record's text holds in plain (not an ``age:`` line), read from its
    top-level lines: a scalar after the key, or a block (a list, a folded text) under it."""
    import re

    found = set()
    for name in fields:
        match = re.search(rf"^{re.escape(name)}:[ \t]*(.*)$", text, re.M)
        if match is None:
            continue
        rest = match.group(1).split(" #")[0].strip()
        if rest.startswith("age:") or rest in ("null", "~", "[]", "''", '""', "{}"):
            continue
        if rest in ("", "|", ">", "|-", ">-", "|+", ">+"):
            following = text[match.end():].lstrip("\n").split("\n", 1)[0]
            if not following.startswith((" ", "\t", "- ")):
                continue  # an empty value
        found.add(name)
    return found
