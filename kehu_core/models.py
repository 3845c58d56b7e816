"""The domain: customers (客户档案) and what happens with them (purchases, visits, calls ...).

Validation needs the store's default phone region, passed as pydantic context
``{"region": "CN"}``; without it CN is assumed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .calendar import parse_lunar, parse_solar
from .clock import day_range_problem
from .entrypoints import skip_pydantic_plugin_scan
from .i18n import N_, _, ngettext
from .ids import check_id
from .money import CENT, MONEY_DIGITS

skip_pydantic_plugin_scan()  # before any model validates: see the function


def _why_not_possible(why: object) -> str:
    import phonenumbers

    possible = phonenumbers.ValidationResult
    return {
        possible.TOO_SHORT: _("is too short"),
        possible.TOO_LONG: _("is too long"),
        possible.INVALID_LENGTH: _("has the wrong number of digits"),
        possible.INVALID_COUNTRY_CODE: _("has an unknown country code"),
        possible.IS_POSSIBLE_LOCAL_ONLY: _("is a local number without its area code"),
    }.get(why, _("is not a possible number"))  # type: ignore[call-overload]


def region_problem(region: str) -> str | None:
    """Why kehu.yaml's ``region:`` cannot read a national number (None: it can). ``ZZZ`` or
    ``china`` passed every command, then every phone written without +country was refused as
    "no country has that code", the file at fault named nowhere."""
    import phonenumbers

    if region in phonenumbers.SUPPORTED_REGIONS:
        return None
    return _("region: {region!r} is no country phone numbers know; write its two-letter code, "
             "such as CN, HK, TW or SG").format(region=region)


def normalise_phone(raw: str, region: str = "CN") -> str:
    """Return ``raw`` as E.164 (``+8613912345678``) or raise ValueError saying why not.

    The one phone rule, for every door (``customer add``/``set``, imports, the TUI's form,
    a hand-edited file found by ``kehu check``): a number the phone library can parse, of a
    possible length, and valid for its country (``12345`` is refused as too short, where it
    used to be stored as ``+8612345``). National numbers are read in ``region`` (kehu.yaml's
    ``region:``); ``00`` and ``+`` start an international one."""
    return _e164(str(raw), region)


@functools.lru_cache(maxsize=1 << 16)
def _e164(raw: str, region: str) -> str:
    """:func:`normalise_phone`, remembered: an import validates a row, then the merged customer,
    and the number given and its E.164 form each cost a parse (~0.2 ms) only once. A number
    that raises is not remembered (its message is in the language of the moment)."""
    import phonenumbers  # on first use: a command that validates no number never pays for it

    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+") and (wrong := region_problem(region)) is not None:
        raise ValueError(f"kehu.yaml: {wrong}")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_("not a phone number: {raw} ({why})").format(
            raw=repr(raw), why=_parse_failure(exc))) from None
    where = phonenumbers.region_code_for_country_code(number.country_code)
    where = region if where in (None, "ZZ") else where
    why = phonenumbers.is_possible_number_with_reason(number)
    if why != phonenumbers.ValidationResult.IS_POSSIBLE:
        reason = _why_not_possible(why)
        raise ValueError(_("not a phone number: {raw} {reason} for region {region}").format(
            raw=repr(raw), reason=reason, region=where))
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_("not a phone number: {raw} is not a valid number for region {region}").format(
            raw=repr(raw), region=where))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


#: why phonenumbers could not read a number (its NumberParseException.error_type), as a person reads it
_PARSE_FAILURES = {0: N_("no country has that code"), 1: N_("it is not a number"),
                   2: N_("too short after the international prefix"), 3: N_("too short"), 4: N_("too long")}


def _parse_failure(exc: Any) -> str:
    said = _PARSE_FAILURES.get(getattr(exc, "error_type", None))  # phonenumbers' own words are English
    return _(said) if said else str(exc)


def normalise_email(raw: str) -> str:
    return _normal_email(str(raw))


@functools.lru_cache(maxsize=1 << 16)
def _normal_email(raw: str) -> str:
    from email_validator import EmailNotValidError, validate_email  # on first use (~25 ms to import)

    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(_("not an email address: {raw} ({why})").format(
            raw=repr(raw), why=_email_failure(exc))) from None


#: what email_validator's English says, in kehu's words (translated): a part of its message → ours
_EMAIL_FAILURES = (
    ("must have an @-sign", N_("it has no @")),
    ("something before the @-sign", N_("there is nothing before the @")),
    ("something after the @-sign", N_("there is nothing after the @")),
    ("characters before the @-sign", N_("the part before the @ holds characters an address cannot have")),
    ("characters after the @-sign", N_("the part after the @ holds characters an address cannot have")),
    ("after the @-sign is not valid", N_("the part after the @ is not a domain like qq.com")),
    ("period", N_("a full stop is out of place: at either end of a part, or two in a row")),
    ("too long", N_("it is too long")),
)


def _email_failure(exc: Exception) -> str:
    """Why an address is refused, in the user's language (a reason not listed: the library's)."""
    said = next((ours for theirs, ours in _EMAIL_FAILURES if theirs in str(exc)), None)
    return _(said) if said else str(exc)


def check_birthday(value: str) -> str:
    """``YYYY-MM-DD``, or ``--MM-DD`` when the year is unknown (as vCard writes it)."""
    parse_solar(value)  # the one parser, in kehu_core.calendar; raises ValueError saying why
    return value


def check_lunar_birthday(value: str) -> str:
    """``MM-DD`` in the Chinese lunar calendar; ``闰MM-DD`` for a leap month."""
    parse_lunar(value)  # the one parser, in kehu_core.calendar
    return value


def _region(info: ValidationInfo) -> str:
    return (info.context or {}).get("region", "CN")


def _as_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value


Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
#: An amount of money that is never negative (a purchase, a price): a refund is a void.
Amount = Annotated[Decimal, Field(max_digits=14, decimal_places=2, ge=0)]
#: How many of an item: a finite number of at most 12 digits (``--qty 1e309`` is refused
#: here, not in the decimal arithmetic of every later total).
Quantity = Annotated[Decimal, Field(max_digits=12)]


def _day_in_range(value: dt.date) -> dt.date:
    problem = day_range_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: A date kehu keeps: 1900-01-01 to 2199-12-31 (``kehu_core.clock.day_range_problem``).
Day = Annotated[dt.date, AfterValidator(_day_in_range)]

#: How deep the fields of a record may nest (a mapping in a list in a mapping ...): deeper is
#: a broken or hostile file, which would otherwise hit recursion limits further on.
MAX_DEPTH = 32


class TooDeep(ValueError):
    """A value nested deeper than :data:`MAX_DEPTH`; ``loc`` is the first key found too deep,
    so the problem is reported at its line (``kehu_core.problems.validation_problems``)."""

    def __init__(self, message: str, loc: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.loc = loc


#: characters no text of a record holds: the C0 controls but tab, line feed and carriage return,
#: DEL, and the C1 controls but NEL (U+0085, which chat apps paste). ESC in a name would drive the
#: terminal of whoever lists it (clear the screen, retitle the window, hide what follows); YAML
#: writes such characters escaped ("\e"), so a file holding them parses, and only this refuses them.
CONTROL_CHARACTERS = "".join(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20),
                                                *range(0x7F, 0x85), *range(0x86, 0xA0)))
_CONTROL = re.compile(f"[{re.escape(CONTROL_CHARACTERS)}]")


#: half of a UTF-16 pair, no character: what a JSON "\ud800" (a vCard's X-KEHU-* value) or an
#: argument's byte that is not UTF-8 decodes to; no file, index or terminal holds one, and a
#: record holding it ended its write in "internal error: UnicodeEncodeError"
_SURROGATE = re.compile("[\ud800-\udfff]")


def _control_problem(text: str, loc: tuple[str | int, ...]) -> TooDeep | None:
    if text.isprintable():  # the common case, in C: no control character at all
        return None
    found = _CONTROL.search(text)
    field = ".".join(str(part) for part in loc) if loc else _("the record")
    if found is None:
        half = _SURROGATE.search(text)
        if half is None:
            return None
        return TooDeep(_("{field}: holds U+{code:04X}, half of a UTF-16 pair and no character; records hold "
                         "text only (remove it)").format(field=field, code=ord(half.group())), loc)
    return TooDeep(_("{field}: holds the control character U+{code:04X}; records hold text only "
                     "(remove it)").format(field=field, code=ord(found.group())), loc)


#: the most digits of a whole number in a record: what SQLite (the index) and JSON readers keep
#: exactly; one of 5 000 digits (a hand edit) ended `customer show`, `list --json` and every
#: export in "internal error" (Python writes no int of over 4 300 digits as text)
_INT_DIGITS = 18
_BIGGEST_INT = 10 ** _INT_DIGITS - 1


def too_deep(data: Any, limit: int = MAX_DEPTH, *, controls: bool = True) -> TooDeep | None:
    """Where ``data`` nests deeper than ``limit``, or holds a control character in a key or a
    text, or a whole number of more than 18 digits (None: none of these; ``controls=False``:
    the nesting only, for kehu.yaml). Iterative, so a
    file nested thousands of levels deep costs no recursion."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if len(loc) > limit:
            field = str(loc[0]) if loc else _("the record")
            return TooDeep(_("{field}: nested more than {limit} levels deep; records are at most {limit}").format(
                field=field, limit=limit), loc)
        if controls and isinstance(value, str):
            found = _control_problem(value, loc)
            if found is not None:
                return found
        elif controls and isinstance(value, int) and not -_BIGGEST_INT <= value <= _BIGGEST_INT:
            field = ".".join(str(part) for part in loc) if loc else _("the record")
            return TooDeep(_("{field}: a whole number of more than {digits} digits; records hold at most "
                             "{digits} (put it in quotes if it is text, such as an account number)").format(
                field=field, digits=_INT_DIGITS), loc)
        if isinstance(value, dict):
            for k, v in value.items():
                if controls and isinstance(k, str) and (found := _control_problem(k, (*loc, k))) is not None:
                    return found
                stack.append((v, (*loc, k)))
        elif isinstance(value, (list, tuple)):
            stack.extend((v, (*loc, i)) for i, v in enumerate(value))
    return None


def nesting_problem(data: Any, limit: int = MAX_DEPTH) -> str | None:
    """What :func:`too_deep` finds, as a message."""
    found = too_deep(data, limit)
    return None if found is None else str(found)


def _refuse_deep(data: Any, info: ValidationInfo | None = None) -> Any:
    if info is not None and info.context and info.context.get("indexed"):
        return data  # checked when its file was read, and written by kehu since
    found = too_deep(data)
    if found is not None:
        raise found
    return data


TRUSTED = {"trusted": True}
"""Validation context for data kehu itself serialised from a validated model (the index):
phones and emails are already normalised, and re-parsing them cost ~190 µs a customer."""


INDEXED = {**TRUSTED, "indexed": True}
"""Validation context for what the index holds: kehu serialised it from a model that passed
every check, so neither its phones nor its nesting and control characters are checked again
(that check was a sixth of loading 10 000 customers and their histories from the index).
Not for a file's data, even one whose phones match the index (:data:`TRUSTED`)."""


def _trusted(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("trusted"))


def _phone_item(value: Any, info: ValidationInfo) -> str:
    return value if _trusted(info) else normalise_phone(value, _region(info))


def _email_item(value: Any, info: ValidationInfo) -> str:
    return value if _trusted(info) else normalise_email(value)


def _phone_text(value: Any) -> Any:
    """A phone written without quotes in YAML (``phones: [13912345678]``) is read as an
    integer; a number is not taken as a phone (``0571...`` or ``+86...`` would lose digits or
    be read as octal): the message says to quote it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(_("a phone number is text: write it in quotes, e.g. '{value}'").format(value=value))
    return value


Phone = Annotated[str, BeforeValidator(_phone_text), AfterValidator(_phone_item)]

YES = ("true", "yes", "y", "on", "1", "是", "对", "t")
NO = ("false", "no", "n", "off", "0", "否", "不", "f")


def parse_flag(value: Any) -> bool:
    """A yes/no field as people write it: true/yes/1/on/是 or false/no/0/off/否 (any case);
    anything else is refused, naming what is understood. The one rule for ``customer set
    do_not_contact=no``, imports, a hand-edited file and a plugin's ``Flag`` field."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(_("{value} is not yes or no; write true/yes/1/on/是 or false/no/0/off/否").format(
        value=repr(value)))


Flag = Annotated[bool, BeforeValidator(parse_flag)]
Email = Annotated[str, AfterValidator(_email_item)]


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

Short = Annotated[str, Field(max_length=MAX_SHORT)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]


class Customer(BaseModel):
    """A customer's profile (客户资料卡). Fields kehu does not know are kept as they are."""

    model_config = ConfigDict(defer_build=True, extra="allow", validate_assignment=True)

    id: str
    name: str = Field(min_length=1, max_length=MAX_TEXT)
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
    payment_terms: int | None = Field(None, ge=0, le=3650)  # days; None: the level's
    interests: list[Text] = Field(default_factory=list, max_length=MAX_TAGS)
    family: Annotated[str, Field(max_length=MAX_LONG)] | None = None
    personality: Annotated[str, Field(max_length=MAX_LONG)] | None = None
    notes: str | None = None
    do_not_contact: Flag = False
    created: Day | None = None

    @model_validator(mode="before")
    @classmethod
    def _not_too_deep(cls, data: Any, info: ValidationInfo) -> Any:
        return _refuse_deep(data, info)

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
        if not "".join(c for c in value if not c.isspace() and unicodedata.category(c) != "Cf"):
            raise ValueError(_("expected a name, not only spaces or invisible characters"))
        return value

    @model_validator(mode="after")
    def _not_own_referrer(self) -> Customer:
        if self.referrer is not None and self.referrer == self.id:
            raise ValueError(_("referrer: a customer cannot have referred themself"))
        return self

    @field_validator("phones", "emails", "addresses", "tags", "interests", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("phones", "emails")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        return _unique(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return _unique(str(t).strip() for t in value if str(t).strip())

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


def _unique(values: Any) -> list[str]:
    return list(dict.fromkeys(values))


class LineItem(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="allow")

    name: str = Field(min_length=1)
    qty: Quantity = Decimal(1)
    price: Amount | None = None

    @field_validator("price")
    @classmethod
    def _cents(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else value.quantize(CENT)

    @field_validator("qty")
    @classmethod
    def _qty(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError(_("qty must be more than 0"))
        return value.to_integral_value() if value == value.to_integral_value() else value

    @property
    def total(self) -> Decimal | None:
        return None if self.price is None else (self.qty * self.price).quantize(CENT)


class InteractionBase(BaseModel):
    """What every interaction has. ``id`` is the file's name, unique within the customer."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    id: str
    date: Day
    text: str | None = None
    by: str | None = None  # the rep who recorded it

    @model_validator(mode="before")
    @classmethod
    def _not_too_deep(cls, data: Any, info: ValidationInfo) -> Any:
        return _refuse_deep(data, info)

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        return check_id(value, "interaction id")


class Payment(BaseModel):
    """One payment towards a purchase (``kehu purchase pay``): when, how much, who took it."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    date: Day
    amount: Money = Field(gt=0)
    by: str | None = None

    @field_validator("amount")
    @classmethod
    def _cents(cls, value: Decimal) -> Decimal:
        return value.quantize(CENT)


class Voided(BaseModel):
    """A purchase taken back (``kehu purchase void``): kept in the history, counted nowhere."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    date: Day
    reason: str | None = None
    by: str | None = None


class OverLimit(BaseModel):
    """A credit sale let through over the customer's credit limit (``--over-limit REASON``):
    why, and the figures at the time (see :mod:`kehu_core.credit`)."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    reason: str = Field(min_length=1)
    limit: Money
    outstanding: Money  # owed before this sale
    by: str | None = None

    @field_validator("limit", "outstanding")
    @classmethod
    def _cents(cls, value: Decimal) -> Decimal:
        return value.quantize(CENT)


def _items_total(items: Iterable[LineItem]) -> Decimal | None:
    """What a purchase's items add up to: its amount when it names none (None if an item has
    no price, or there are none)."""
    totals = [item.total for item in items]
    if not totals or any(t is None for t in totals):
        return None
    return sum(totals, Decimal(0))


def _sale_amount(data: dict[str, Any]) -> Decimal | None:
    """A purchase's amount from the fields validated so far: its ``amount``, else what its
    items add up to (None if that is not known: the purchase is refused for it anyway)."""
    amount = data.get("amount")
    if amount is None:
        amount = _items_total(data.get("items") or ())
    return None if amount is None else Decimal(amount).quantize(CENT)


class Purchase(InteractionBase):
    """A sale. ``paid`` is true once it is settled; ``payments`` are what was paid later
    (a purchase paid at the counter has none); ``voided`` marks a sale taken back."""

    kind: Literal["purchase"] = "purchase"
    items: list[LineItem] = Field(default_factory=list)
    amount: Amount | None = None
    gifts: list[str] = Field(default_factory=list)
    due: Day | None = None
    paid: Flag = False
    payments: list[Payment] = Field(default_factory=list)
    voided: Voided | None = None
    over_limit: OverLimit | None = None

    @field_validator("gifts", mode="before")
    @classmethod
    def _gifts(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("payments")
    @classmethod
    def _paid_after_the_sale(cls, value: list[Payment], info: ValidationInfo) -> list[Payment]:
        """No payment before the sale: `kehu purchase pay` refuses one, and so does every other
        door (a hand edit passed `check` while the reports counted the money in a period before
        the sale was made)."""
        sale = info.data.get("date")
        early = next((p for p in value if sale is not None and p.date < sale), None)
        if early is not None:
            raise ValueError(_("a payment dated {day} is before the purchase ({date})").format(
                day=early.date, date=sale))
        # nor more paid than the sale's amount (`kehu purchase pay` refuses more than is owed):
        # a hand edit, or two clones each recording the rest as paid, showed a receivable of
        # -100.00 while `check` said ok
        amount = _sale_amount(info.data)
        paid = sum((p.amount for p in value), Decimal(0)).quantize(CENT)
        if amount is not None and paid > amount:
            raise ValueError(_("the payments add up to {paid}, more than the purchase's amount {amount}").format(
                paid=paid, amount=amount))
        return value

    @field_validator("voided")
    @classmethod
    def _voided_after_the_sale(cls, value: Voided | None, info: ValidationInfo) -> Voided | None:
        """No sale taken back before it was made, as no payment is made before it: `kehu
        purchase void` on a day (`--today`) before the sale wrote such a void with exit 0, and
        `check` said ok, while the reports counted the sale in one period and its void in one before."""
        sale = info.data.get("date")
        if value is not None and sale is not None and value.date < sale:
            raise ValueError(_("voided on {day}, before the purchase ({date})").format(day=value.date, date=sale))
        return value

    @model_validator(mode="after")
    def _amount_from_items(self) -> Purchase:
        if self.amount is None:
            self.amount = _items_total(self.items)
            if self.amount is None:
                raise ValueError(_("a purchase needs an amount, or a price for every item"))
            # what the items add up to is held to the rule an amount given is held to: qty
            # 999999999999 at a price of as much was written (24 digits) with exit 0, then
            # refused by `kehu check`, so `kehu sync` stopped
            if self.amount and self.amount.adjusted() >= MONEY_DIGITS:
                raise ValueError(_("amount: the items add up to {total}; amounts have at most {digits} "
                                   "digits before the point").format(total=self.amount, digits=MONEY_DIGITS))
        self.amount = Decimal(self.amount).quantize(CENT)
        return self

    @property
    def item_names(self) -> list[str]:
        return [i.name for i in self.items]

    @property
    def paid_amount(self) -> Decimal:
        """What the payments add up to."""
        return sum((p.amount for p in self.payments), Decimal(0)).quantize(CENT)

    @property
    def owed(self) -> Decimal:
        """What is still to be paid: nothing once ``paid`` (or voided), else the amount less
        the payments."""
        if self.paid or self.voided is not None:
            return Decimal(0).quantize(CENT)
        return max(Decimal(self.amount or 0) - self.paid_amount, Decimal(0)).quantize(CENT)

    def owed_on(self, day: dt.date) -> Decimal:
        """What was still owed at the end of ``day``: nothing before the sale, once voided, or
        for a sale settled without payments (paid at the counter); else the amount less the
        payments made by then (the supervisor's review looks back at past periods)."""
        if day < self.date or self.voided is not None or (self.paid and not self.payments):
            return Decimal(0).quantize(CENT)
        paid = sum((p.amount for p in self.payments if p.date <= day), Decimal(0))
        return max(Decimal(self.amount or 0) - paid, Decimal(0)).quantize(CENT)

    def collected_between(self, start: dt.date, end: dt.date) -> Decimal:
        """Money taken for this sale from ``start`` to ``end`` (both included): its payments
        dated then, or, for a sale paid at the counter (paid, no payments), its amount on the
        day of the sale."""
        if self.voided is not None:
            return Decimal(0).quantize(CENT)
        if self.paid and not self.payments:
            return Decimal(self.amount or 0).quantize(CENT) if start <= self.date <= end else Decimal(0).quantize(CENT)
        return sum((p.amount for p in self.payments if start <= p.date <= end), Decimal(0)).quantize(CENT)


class Visit(InteractionBase):
    kind: Literal["visit"] = "visit"


class Call(InteractionBase):
    kind: Literal["call"] = "call"


class Message(InteractionBase):
    kind: Literal["message"] = "message"
    channel: str | None = None  # wechat, sms, email ...


ComplaintState = Literal["open", "acknowledged", "resolved", "closed"]
COMPLAINT_STATES: tuple[str, ...] = ("open", "acknowledged", "resolved", "closed")


def _check_minute(value: str, fmt: str, what: str) -> str:
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        raise ValueError(_("{value} is not {what}").format(value=repr(value), what=_(what))) from None
    return value


class ComplaintStep(BaseModel):
    """One move of a complaint along open → acknowledged → resolved → closed: who, when."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    state: ComplaintState
    at: str  # YYYY-MM-DDTHH:MM, the store's local time (a string: every YAML loader agrees)
    by: str | None = None
    text: str | None = None

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, value: Any) -> str:
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%dT%H:%M")
        return _check_minute(str(value), "%Y-%m-%dT%H:%M", N_("a moment; expected YYYY-MM-DDTHH:MM"))

    @property
    def moment(self) -> dt.datetime:
        return dt.datetime.strptime(self.at, "%Y-%m-%dT%H:%M")


class Complaint(InteractionBase):
    """A complaint (投诉) and how it was handled; the workflow is :mod:`kehu_core.complaints`.

    ``status`` is the state it is in now; ``history`` the moves that brought it there (the
    file written before the workflow existed has ``status: open|resolved`` and no history)."""

    kind: Literal["complaint"] = "complaint"
    status: ComplaintState = "open"
    time: str | None = None  # HH:MM it was received, when known: deadlines count from it
    resolution: str | None = None
    history: list[ComplaintStep] = Field(default_factory=list)

    @field_validator("time", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        if isinstance(value, dt.time):
            return value.strftime("%H:%M")
        if isinstance(value, int):  # 14:30 read by a YAML 1.1 loader as sexagesimal 870
            return f"{value // 60:02d}:{value % 60:02d}"
        return None if value in (None, "") else _check_minute(str(value), "%H:%M", N_("a time; expected HH:MM"))

    def step(self, state: str) -> ComplaintStep | None:
        """The move into ``state`` (the latest, if there were several), or None."""
        found = [s for s in self.history if s.state == state]
        return found[-1] if found else None


class Feedback(InteractionBase):
    kind: Literal["feedback"] = "feedback"
    rating: int | None = Field(default=None, ge=1, le=5)


class Note(InteractionBase):
    kind: Literal["note"] = "note"


Interaction = Annotated[
    Purchase | Visit | Call | Message | Complaint | Feedback | Note,
    Field(discriminator="kind"),
]
INTERACTION_KINDS = ("purchase", "visit", "call", "message", "complaint", "feedback", "note")
interaction_adapter: TypeAdapter[Interaction] = TypeAdapter(Interaction, config=ConfigDict(defer_build=True))


def parse_interaction(data: dict[str, Any]) -> Interaction:
    return interaction_adapter.validate_python(data)


class Reminder(BaseModel):
    """Something a rep should do for a customer on a day (greeting, birthday, visit ...)."""

    model_config = ConfigDict(defer_build=True)

    customer_id: str
    customer_name: str
    due: dt.date
    rule: str
    title: str
    key: str = Field(description="stable id of this reminder, used to mark it done or snooze it")
    detail: str | None = None
    group: str | None = Field(None, description="set by the engine: complaints, payments, visits, occasions, "
                                                "follow_ups, contact or other (kehu_core.reminder_engine.GROUPS)")


class LedgerEntry(BaseModel):
    """What every line of a plugin's ledger (points, tiers, reminders) must hold, so that a
    hand-edited line is found by ``kehu check`` rather than crashing the plugin reading it:
    a ``date`` and an ``until`` (1900-01-01 to 2199-12-31), a whole-number ``delta``, an
    ``expires`` date where present. Checked when a line is written and when a ledger is read; plugins'
    own keys are kept as they are."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    date: Day
    delta: Annotated[int, Strict()] | None = None
    # computed from a date (a purchase's, plus a year): may lie past LATEST_DAY
    expires: dt.date | None = None
    # a day someone chose (`kehu reminders snooze --until`, which keeps the range): a hand-edited
    # `until: 9999-12-31` passed `kehu check` while the command refused it
    until: Day | None = None

    def as_entry(self, raw: dict[str, Any]) -> dict[str, Any]:
        """``raw`` with its dates as dates (a quoted '2026-11-01' too), as plugins read it."""
        out = dict(raw)
        for key in ("date", "expires", "until"):
            if raw.get(key) is not None:
                out[key] = getattr(self, key)
        return out

    @model_validator(mode="before")
    @classmethod
    def _not_too_deep(cls, data: Any, info: ValidationInfo) -> Any:
        return _refuse_deep(data, info)


def referral_loop(customer_id: str, referrer: str | None,
                  referrer_of: Callable[[str], str | None]) -> list[str] | None:
    """The loop ``customer_id`` would close by naming ``referrer`` (``[A, B, A]``: A referred
    by B, B by A), or None. ``referrer_of`` gives each customer's referrer as stored (or as an
    import plans it). Follows the chain once, stopping at a customer seen before: a loop among
    others (a hand edit) never makes this run forever. The one rule for every door: CLI, TUI,
    import, and ``kehu check`` (:func:`referral_loops`)."""
    chain = [customer_id]
    seen = {customer_id}
    current = referrer
    while current:
        chain.append(current)
        if current == customer_id:
            return chain
        if current in seen:
            return None  # a loop further up the chain, not through this customer
        seen.add(current)
        current = referrer_of(current)
    return None


def referral_loops(referrers: dict[str, str]) -> list[list[str]]:
    """Every loop of referrals among ``referrers`` (customer id → referrer id), each once, as
    ``[A, B, A]`` starting at its smallest id; linear in the customers."""
    done: set[str] = set()
    loops: list[list[str]] = []
    for start in sorted(referrers):
        path: list[str] = []
        on_path: dict[str, int] = {}
        current: str | None = start
        while current is not None and current not in done and current not in on_path:
            on_path[current] = len(path)
            path.append(current)
            current = referrers.get(current)
        if current is not None and current in on_path:
            members = path[on_path[current]:]
            first = members.index(min(members))
            members = members[first:] + members[:first]
            loops.append([*members, members[0]])
        done.update(path)
    return loops


#: the ids a loop's message names at each end; between them, how many it leaves out (a loop of
#: 5 000 customers made by hand is 5 000 problems in ``kehu check``, each not 60 KB long)
_LOOP_ENDS = 4


def referral_loop_message(chain: list[str]) -> str:
    """What every door says of a loop of referrals."""
    if len(chain) > 2 * _LOOP_ENDS + 1:
        left = len(chain) - 2 * _LOOP_ENDS
        shown = " → ".join([*chain[:_LOOP_ENDS], ngettext("… {count} more …", "… {count} more …", left).format(
            count=left), *chain[-_LOOP_ENDS:]])
    else:
        shown = " → ".join(chain)
    return _("referrer {referrer!r}: a loop of referrals ({chain}); someone in it was referred by "
             "someone else, or by nobody").format(referrer=chain[1], chain=shown)
