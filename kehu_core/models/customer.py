"""A customer's profile (客户资料卡): its limits, its model and the names of its fields. A list
typed as one text is read in ``typed_lists``, loops of referrals in ``referrals``."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..i18n import _
from ..ids import check_id
from ..keytext import composed
from ..money import amount_text, unsigned_zero
from .fields import (
    COMPOSED,
    Day,
    Email,
    Flag,
    Money,
    Phone,
    Whole,
    as_list,
    check_birthday,
    check_lunar_birthday,
    shows_something,
)
from .hostile import ONE_LINE, TooDeep, escaped_text, key_problem, refuse_deep
from .typed_lists import LIST_SEPARATORS

#: How long a profile's texts and lists may be: the one home of these limits, as every door
#: (``customer add``/``set``, imports, the TUI's form, ``kehu serve``, a hand edit read by
#: ``kehu check``) validates a profile with :class:`Customer`. Far above any real customer (the
#: demo store's longest tag has 5 characters, its most tags are 3), low enough that one profile
#: cannot hold 16 000 tags or a 1 MB tag or owner, which every list, search and screen then carries.
#: Notes are held by the record's own limit (``yamlio.max_bytes``: 2 MiB).
MAX_SHORT = 64  # a tag, an owner, a level, a credit grade
MAX_TEXT = 200  # a name, an organization, a title, a nickname, an interest
MAX_ADDRESS = 500  # one address
MAX_LONG = 10_000  # family, personality (notes: the record's limit)
MAX_TAGS = 200  # tags, interests: how many
MAX_CONTACTS = 50  # phones, emails, addresses: how many

#: a tag, an owner, a name, a title ... is one line (``hostile.ONE_LINE``): a listing shows one
#: row per customer, a vCard's FN one line; addresses, family, personality and notes may hold many

# a tag, an owner, a level, a credit grade is found by equality: kept in one spelling
# (``fields.COMPOSED``); ONE_LINE took off the spaces
Short = Annotated[str, Field(max_length=MAX_SHORT), ONE_LINE, COMPOSED]
Text = Annotated[str, Field(max_length=MAX_TEXT), ONE_LINE]
#: why something was done, as a person wrote it (a redemption's `--reason`, a void's, an
#: over-limit sale's, a ledger line's texts): a name's bound, on one line or more (a ledger line
#: shows it on its own line): `points redeem --reason` kept 100 000 characters on one line
Reason = Annotated[str, Field(max_length=MAX_TEXT)]


class Customer(BaseModel):
    """A customer's profile (客户资料卡). Fields kehu does not know are kept as they are."""

    model_config = ConfigDict(defer_build=True, extra="allow", validate_assignment=True)

    id: str
    name: Annotated[str, Field(min_length=1, max_length=MAX_TEXT), ONE_LINE]
    phones: list[Phone] = Field(default_factory=list, max_length=MAX_CONTACTS)
    emails: list[Email] = Field(default_factory=list, max_length=MAX_CONTACTS)
    addresses: list[Annotated[str, Field(max_length=MAX_ADDRESS)]] = Field(default_factory=list,
                                                                           max_length=MAX_CONTACTS)
    organization: Text | None = None
    title: Text | None = None
    nickname: Text | None = None
    birthday: str | None = None
    lunar_birthday: str | None = None
    level: Short | None = None
    owner: Short | None = None
    referrer: str | None = None
    tags: list[Short] = Field(default_factory=list, max_length=MAX_TAGS)
    credit: Short | None = None
    credit_limit: Money | None = Field(None, ge=0)  # 赊账额度; None: the level's (kehu.yaml credit:)
    payment_terms: Whole | None = Field(None, ge=0, le=3650)  # days; None: the level's
    interests: list[Text] = Field(default_factory=list, max_length=MAX_TAGS)
    family: Annotated[str, Field(max_length=MAX_LONG)] | None = None
    personality: Annotated[str, Field(max_length=MAX_LONG)] | None = None
    notes: str | None = None
    do_not_contact: Flag = False
    created: Day | None = None

    @model_validator(mode="before")
    @classmethod
    def _not_too_deep(cls, data: Any, info: ValidationInfo) -> Any:
        return composed_names(refuse_deep(data, info), info)

    @model_validator(mode="after")
    def _reserved_fields(self) -> Customer:
        """Fields kehu itself writes into a profile keep their shape, whoever sets them."""
        extra = self.model_extra or {}
        conflicts = extra.get("conflicts")
        if conflicts is not None and not (
                isinstance(conflicts, list)
                and all(isinstance(c, dict) and isinstance(c.get("field"), str) for c in conflicts)):
            raise ValueError(_("conflicts: expected the list a git merge leaves ({field: ..., ours: ..., "
                               "theirs: ...} entries); pick a value and set conflicts= to clear it"))
        imported = extra.get("import_extra")
        if imported is not None and not (
                isinstance(imported, dict) and all(isinstance(k, str) for k in imported)):
            raise ValueError(_("import_extra: expected a mapping of column names to what an import kept"))
        # written by `kehu customer merge`, read by the next merge, an import (an old id still
        # finds its customer) and sync; `also_known: hello` passed every door, and the next
        # merge made it the list h, e, l, l, o
        known = extra.get("also_known")
        if known is not None and not (
                isinstance(known, list) and all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in known)):
            raise ValueError(_("also_known: expected the list `kehu customer merge` writes ({id: ..., merged: ..., "
                               "name: ...} entries, one per customer merged into this one)"))
        return self

    #: fields whose value in the file is encrypted (confidential, kehu_core.confidential):
    #: field → the sealed text as written. Such a field reads as None here, so nothing that
    #: works from a Customer (the index, lists, exports, reports) holds it; ``reveal`` opens it
    _sealed: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def sealed(self) -> dict[str, str]:
        """The encrypted fields of this profile (field → sealed text); see ``_sealed``."""
        return self._sealed

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        return check_id(value, "customer id")

    @field_validator("referrer")
    @classmethod
    def _safe_referrer(cls, value: str | None) -> str | None:
        return None if value is None else check_id(value, "referrer id")

    @field_validator("name")
    @classmethod
    def _visible_name(cls, value: str) -> str:
        """A name shows something: spaces and invisible format characters (a zero-width
        space, a direction mark) alone are no name, and list as an empty row."""
        if not shows_something(value):
            raise ValueError(_("expected a name, not only spaces or invisible characters"))
        return value

    @field_validator("owner", "level", "credit")
    @classmethod
    def _visible_key(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A rep, a level or a credit grade shows something, or the field is left out: `customer
        add --owner "   "` stored an owner no `--owner` filter, handover or visit plan can name (the
        TUI's form and an import's cell of spaces leave it out)."""
        if value is not None and not shows_something(value):
            raise ValueError(_("{value} shows nothing: leave the field out for none (`customer set ID {field}=`)"
                               ).format(value=repr(value), field=info.field_name))
        return value

    @model_validator(mode="after")
    def _not_own_referrer(self) -> Customer:
        if self.referrer is not None and self.referrer == self.id:
            raise ValueError(_("referrer: a customer cannot have referred themself"))
        return self

    @field_validator("phones", "emails", "addresses", "tags", "interests", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return as_list(value)

    @field_validator("phones")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        return _unique(value)

    @field_validator("emails")
    @classmethod
    def _one_address_once(cls, value: list[str]) -> list[str]:
        """An address once, whatever its case: `customer set emails+=USER@qq.com` beside
        user@qq.com stored both (shown, exported and sent to twice), where an import, the index's
        lookup and `kehu duplicates` take them for one. The first spelling is kept."""
        seen: set[str] = set()
        return [e for e in value if not (e.casefold() in seen or seen.add(e.casefold()))]

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return _unique(str(t).strip() for t in value if str(t).strip())

    @field_validator("tags", "interests")
    @classmethod
    def _one_each(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.context and info.context.get("indexed"):
            return value  # checked when its file was read
        for item in value:
            found = next((c for c in item if c in LIST_SEPARATORS), None)
            if found is not None:
                raise ValueError(_("{item!r} holds {sep!r}, which separates one from the next in a sheet and "
                                   "an export; give them as two").format(item=item, sep=found))
        return value

    @field_validator("credit_limit", mode="before")
    @classmethod
    def _typed_money(cls, value: Any) -> Any:
        # typed as an amount is (`¥5,000`, `5000元`: money.amount_text, every door's rule for
        # typed money), where `purchase add --amount ¥5,000` was taken and this refused
        return amount_text(value) if isinstance(value, str) else value

    @field_validator("credit_limit")
    @classmethod
    def _no_minus_zero(cls, value: Any) -> Any:
        return value if value is None else unsigned_zero(value)  # -0 is 0, never written `-0`

    @field_validator("birthday", mode="before")
    @classmethod
    def _birthday(cls, value: Any) -> Any:
        if isinstance(value, dt.date):  # YAML loaders turn 1990-04-12 into a date
            return value.isoformat()
        return None if value in (None, "") else check_birthday(str(value))

    @field_validator("lunar_birthday", mode="before")
    @classmethod
    def _lunar(cls, value: Any) -> Any:
        return None if value in (None, "") else check_lunar_birthday(str(value))

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(_("name must not be empty"))
        return value


def _blank_name(name: str) -> str | None:
    # a row of `customer show` with no label, an export's column with no header
    if shows_something(name):
        return None
    return _("{field}: a field's name that shows nothing (spaces or invisible characters alone); "
             "give it a name").format(field=repr(name))


def field_name_problem(name: str) -> str | None:
    """What is wrong with ``name`` as the name of a profile's own field (None: nothing): the
    rules a file's are read by (:func:`composed_names`, ``hostile.too_deep``), for a door that
    is given a name alone (``customer set ID NAME=…``, which names the argument)."""
    found = key_problem(name, (name,))
    return str(found) if found is not None else _blank_name(name)


def composed_names(data: Any, info: ValidationInfo | None = None) -> Any:
    """``data`` (a profile's fields) with each field's name in composed form (NFC), as a tag's
    or a rep's is kept (``keytext``): a profile's own field ``café`` written composed by one
    colleague and decomposed (``e`` + U+0301, pasted from a macOS file name) by another was two
    fields of one name to ``customer show``, an export's columns and ``confidential: fields``,
    with ``kehu check`` ok. Two names that are one so are the field written twice, refused at
    the second (a duplicate key, which no door writes). ASCII names, all of kehu's own, as they are."""
    if not isinstance(data, dict) or (info is not None and info.context and info.context.get("indexed")):
        return data  # what the index holds was composed when its file was read
    if all(not isinstance(name, str) or (name.isascii() and name.strip()) for name in data):
        return data
    out: dict[Any, Any] = {}
    spelt: dict[Any, Any] = {}
    for name, value in data.items():
        if isinstance(name, str) and (problem := _blank_name(name)) is not None:
            raise TooDeep(problem, (name,))
        key = composed(name) if isinstance(name, str) else name
        if key in out:
            first = spelt[key]
            loose = name if name != key else first  # the decomposed one: its marks, which show as none
            marks = ", ".join(f"U+{ord(c):04X}" for c in loose if unicodedata.combining(c))
            raise TooDeep(_("{field}: the field {other} written twice, its name typed two ways (one with "
                            "{marks} as a mark of its own, as a macOS file name has it); keep one").format(
                field=escaped_text(name), other=escaped_text(first), marks=marks), (name,))
        out[key], spelt[key] = value, name
    return out


def _unique(values: Any) -> list[str]:
    return list(dict.fromkeys(values))
