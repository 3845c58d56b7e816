"""The store's settings file, ``kehu.yaml``."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .config_names import SHOP_NAME_MAX, as_stored, rep_name_problem, shop_name_problem
from .config_reports import ReportSettings
from .i18n import _
from .keytext import composed, key_text
from .paths import CONFIG_FILE as CONFIG_FILE  # where it always was, for callers

SCHEMA_VERSION = 1
_LOGIN = re.compile(r"[A-Za-z0-9._-]+\Z")  # a login is a path segment of kehu serve's URLs


class PluginSettings(BaseModel):
    """``plugins:`` in kehu.yaml: which plugins run and their settings.

    Any key besides ``enabled``/``disabled`` is the name of a plugin and holds its settings.
    """

    model_config = ConfigDict(defer_build=True, extra="allow")

    enabled: list[str] | None = Field(None, description="only these plugins run (none: every installed one)")
    disabled: list[str] = Field(default_factory=list, description="every installed plugin but these runs")

    def settings_for(self, name: str) -> dict[str, Any]:
        value = (self.model_extra or {}).get(name)
        return dict(value) if isinstance(value, dict) else {}

    def is_enabled(self, name: str) -> bool:
        if name in self.disabled:
            return False
        return self.enabled is None or name in self.enabled


class ComplaintSettings(BaseModel):
    """``complaints:`` in kehu.yaml: how soon a complaint is answered and resolved
    (see docs/complaints.md; the deadlines are computed in :mod:`kehu_core.complaints`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    respond_within_hours: int = Field(24, ge=1, le=24 * 30, description="acknowledge within")
    resolve_within_days: int = Field(3, ge=1, le=365, description="resolve within")
    remind_ahead_hours: int = Field(
        0, ge=0, le=24 * 30,
        description="remind this many hours before a deadline (0: on the deadline's day)")


class PurchaseSettings(BaseModel):
    """``purchases:`` in kehu.yaml: how a new purchase is recorded when nobody says (the CLI's
    ``kehu purchase add`` and the TUI's purchase form take the same default; see
    docs/payments.md and :mod:`kehu_core.services.payments`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    default_paid: bool = Field(False, description="a new purchase is paid (true) or on credit (false)")
    credit_days: int | None = Field(
        30, ge=0, le=3650,
        description="a purchase on credit without --due is due this many days after its date "
                    "(null: no due date)")


class LevelCredit(BaseModel):
    """One member level's credit defaults under ``credit: levels:``."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    limit: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2,
                                  description="credit limit (null: no limit)")
    terms_days: int | None = Field(None, ge=0, le=3650, description="payment terms in days")


class CreditSuggestSettings(BaseModel):
    """``credit: suggest:``: when ``kehu report credit`` suggests a limit up or down."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    window_days: int = Field(365, ge=1, le=3650, description="credit sales settled in this many days count")
    raise_after: int = Field(3, ge=1, le=1000, description="settled on time this many times, none late: up")
    raise_by: float = Field(0.5, gt=0, le=10, description="up by this share (0.5: +50 %)")
    lower_overdue_days: int = Field(30, ge=0, le=3650, description="anything overdue longer: down")
    lower_late_share: float = Field(0.5, gt=0, le=1, description="this share of settled sales paid late: down")
    lower_by: float = Field(0.5, gt=0, lt=1, description="down by this share (0.5: halved)")
    round_to: int = Field(100, ge=1, le=1_000_000, description="suggested limits are rounded to this")


class CreditSettings(BaseModel):
    """``credit:`` in kehu.yaml: credit limits and payment terms per member level, and the
    rules of ``kehu report credit`` (see docs/credit.md; the rules are :mod:`kehu_core.credit`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    default_limit: Decimal | None = Field(
        None, ge=0, max_digits=14, decimal_places=2,
        description="the limit of a customer whose level names none (null: no limit)")
    levels: dict[str, LevelCredit] = Field(default_factory=dict, description="member level → limit, terms")
    grace_days: int = Field(0, ge=0, le=365, description="paid this many days after due is still on time")
    plan_weeks: int = Field(4, ge=1, le=52, description="weeks of the collection plan")
    suggest: CreditSuggestSettings = Field(default_factory=CreditSuggestSettings)

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: dict[str, LevelCredit]) -> dict[str, LevelCredit]:
        return as_stored(value)  # as a customer's level is stored: `Café` decomposed held nobody
#: an age X25519 public key (``age1`` and 58 bech32 characters) or an SSH public key age
#: encrypts to; checked by pattern so opening a store does not import the age library
_AGE_KEY = re.compile(r"^(age1[02-9ac-hj-np-z]{58}|ssh-ed25519 [A-Za-z0-9+/=]+( .*)?|ssh-rsa [A-Za-z0-9+/=]+( .*)?)$")

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
            if not isinstance(key, str) or not _AGE_KEY.match(key.strip()):
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


class VisitSettings(BaseModel):
    """``visits:`` in kehu.yaml: the day's visit plan and its 客户资料卡 (see docs/visits.md;
    the plan is made in :mod:`kehu_core.visits.plan`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    day_limit: int = Field(6, ge=1, le=50, description="visits one rep makes in a day")
    dormant_tiers: list[str] = Field(
        default_factory=lambda: ["重要客户", "主要客户"],
        description="tiers whose dormant or lost customers are worth a visit (large customers)")
    birthday_days: int = Field(
        7, ge=1, le=31, description="a birthday (solar or lunar) this many days from the day, "
                                    "the day included, is a reason to visit")
    purchases_on_card: int = Field(5, ge=1, le=20, description="last purchases a card lists")


class ServeUser(BaseModel):
    """One login of ``kehu serve`` (``serve: users:`` in kehu.yaml): a rep, who sees and edits
    the customers they own, or a supervisor, who sees and edits everyone."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    rep: str | None = Field(None, min_length=1, description="the owner name of the rep's customers")
    supervisor: bool = Field(False, description="sees and edits every customer")
    name: str | None = Field(None, min_length=1,
                             description="who the change journal names (default: the rep, else the login)")

    @field_validator("rep", "name")
    @classmethod
    def _rep_name(cls, value: str | None) -> str | None:
        if value is not None and (problem := rep_name_problem(value)) is not None:
            raise ValueError(problem)
        return None if value is None else key_text(value)  # as the owner it names is stored

    @model_validator(mode="after")
    def _rep_or_supervisor(self) -> ServeUser:
        if bool(self.rep) == bool(self.supervisor):
            raise ValueError(_("give either rep: NAME (a rep) or supervisor: true, not both or neither"))
        return self

    @property
    def who(self) -> str:
        return self.name or self.rep or ""


class ServeSettings(BaseModel):
    """``serve:`` in kehu.yaml: who may log in to ``kehu serve`` (docs/serve.md)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    htpasswd: str = Field(min_length=1, description="the htpasswd file (bcrypt); absolute or relative to the store")
    users: dict[str, ServeUser] = Field(default_factory=dict)
    workers: int | None = Field(default=None, ge=0, le=64, description=(
        "processes that make an address book made whole and render its cards (default: one a core, at most 4, "
        "for a book of 1000 customers or more; 0: none)"))

    def htpasswd_file(self, root: Path) -> Path:
        """The htpasswd file: ``~`` expanded, a relative path taken from the store's folder ``root``."""
        path = Path(self.htpasswd).expanduser()
        return path if path.is_absolute() else root / path

    @field_validator("users")
    @classmethod
    def _plain_logins(cls, value: dict[str, ServeUser]) -> dict[str, ServeUser]:
        for login in value:
            if not _LOGIN.match(login):
                raise ValueError(_("{login}: a login is letters, digits, '.', '_' or '-'").format(login=repr(login)))
        return value


DEFAULT_CARD_FIELDS = ["phones", "addresses", "birthday|lunar_birthday", "level", "interests", "family",
                       "personality"]


class RepsSettings(BaseModel):
    """``reps:`` in kehu.yaml: what ``kehu report reps`` (the supervisor's review) counts."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    card_fields: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CARD_FIELDS), min_length=1,
        description="the fields of a complete 客户资料卡; a|b: either one")

    @field_validator("card_fields")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not all(part.strip().isidentifier() for part in str(name).split("|")):
                raise ValueError(_("{name} is not a field name (or names joined by |)").format(name=repr(name)))
        return value


class AttitudeSettings(BaseModel):
    """``attitude:`` in kehu.yaml: the rule that reads a customer's attitude (loyal, brand-
    switching, no loyalty) from their purchases (docs/attitude.md; :mod:`kehu_core.attitude`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    window_days: int = Field(730, ge=30, le=3650, description="purchases in this many days count")
    loyal_purchases: int = Field(3, ge=2, le=100, description="buying days it takes to be loyal")
    lapse_factor: float = Field(2.0, ge=1, le=20,
                                description="no purchase for this many times the usual gap: switching")
    min_gap_days: int = Field(14, ge=1, le=365, description="the usual gap is at least this many days")
    loyal_share: float = Field(0.3, ge=0, le=1,
                               description="share of the shop's categories a loyal customer buys")
    categories: dict[str, list[str]] = Field(
        default_factory=dict, description="category → words of product names in it (绿茶: [龙井, 碧螺春])")


class ImportLimits(BaseModel):
    """``import_limits:`` in kehu.yaml: what one file given to ``kehu import`` may cost, so a
    hostile or broken file (a vCard with a 20 MB photo, an xlsx zip bomb) is refused with a
    message instead of taking gigabytes of memory (docs/import-export.md#limits; checked in
    :mod:`kehu_core.services.importing.limits`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    file_mb: int = Field(100, ge=1, le=100_000, description="an import file larger than this is refused")
    vcard_property_mb: int = Field(
        2, ge=1, le=1_000,
        description="a vCard text property (NOTE, ADR ...) larger than this refuses its card; "
                    "photos, logos, sounds and keys are skipped unread whatever their size")
    xlsx_unpacked_mb: int = Field(
        100, ge=1, le=100_000, description="what the parts of an .xlsx may unpack to, in all")
    xlsx_ratio: int = Field(
        200, ge=10, le=100_000,
        description="how many times its packed size a part of an .xlsx may unpack to (a zip bomb: ~1000)")
    rows: int = Field(
        200_000, ge=1, le=100_000_000,
        description="the most rows (sheet lines, vCards) one import reads, its files together; past it "
                    "nothing is imported: each row is held in memory until the import is written "
                    "(about 4 KB a row), so a 100 MB file of short rows took 15 GB")


class MailServerSettings(BaseModel):
    """``smtp:`` in kehu.yaml: the email server of `kehu send`: `host`, `port`, `security`,
    `username`, `password_env`, `from`, `timeout` (see docs/reports.md). Never a `password`:
    kehu.yaml is shared by `kehu sync`, so one written here would be pushed to the team's remote;
    it is refused, at its line, whenever kehu.yaml is read."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    password: None = Field(None, description="never here: the password is read from the variable password_env "
                                             "names")
    # read by every door's rule of numbers, at their line, as every setting's (`port: 4_65` was
    # port 465, `timeout: abc` ended `kehu send` in "internal error: ValueError")
    port: int | None = Field(None, ge=1, le=65535, description="the server's port (default 25; 465: ssl, "
                                                                "587: starttls)")
    timeout: float | None = Field(None, gt=0, le=3600, description="seconds to wait for the server (default 30)")

    @field_validator("password", mode="before")
    @classmethod
    def _no_password(cls, value: Any) -> None:
        raise ValueError(_("passwords are never kept in the store (it is shared through git); remove it, "
                           "put the password in an environment variable and name that variable in "
                           "smtp.password_env"))


#: `kehu send`'s pace when neither `--rate` nor kehu.yaml's `outreach.rate_per_minute` gives one
DEFAULT_RATE = 30
#: the slowest pace, in messages a minute: one in under 17 hours
LEAST_RATE = 0.001


def rate_problem(per_minute: float) -> str | None:
    """What is wrong with a send's pace (`--rate`, `outreach.rate_per_minute`), or None: a
    number, LEAST_RATE at the least. `1e-9` sent one message, then waited past what time.sleep
    takes ("internal error: OverflowError"), the rest unsent; `nan` was no rate."""
    if math.isfinite(per_minute) and per_minute >= LEAST_RATE:
        return None
    return _("rate {per_minute}: expected a number of messages per minute, at least {least}").format(
        per_minute=per_minute, least=LEAST_RATE)


class OutreachSettings(BaseModel):
    """``outreach:`` in kehu.yaml: how `kehu send` paces its messages (see docs/reports.md)."""

    # a settings model, read as kehu.yaml is (`kehu check` too): `rate_per_minute: abc` was read
    # by `kehu send` alone, refused only as it ran
    model_config = ConfigDict(defer_build=True, extra="forbid")

    rate_per_minute: float | None = Field(
        None, description=f"messages a minute `kehu send` sends at most (default {DEFAULT_RATE}); `--rate` wins")

    @field_validator("rate_per_minute")
    @classmethod
    def _a_pace(cls, value: float | None) -> float | None:
        problem = None if value is None else rate_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class StoreConfig(BaseModel):
    """Everything a store can configure. Unknown keys are kept for plugins and for the future."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    schema_version: int = Field(SCHEMA_VERSION, description="the record format; a newer one than this kehu "
                                                            "understands is refused")
    name: str = Field("kehu store", max_length=SHOP_NAME_MAX,
                      description="the shop's name (the TUI's title, {{ shop }} in templates)")
    region: str = Field("CN", description="the country of phone numbers written without +country")
    currency: str = Field("CNY", description="the currency of amounts")
    plugins: PluginSettings = Field(default_factory=PluginSettings)
    import_columns: dict[str, str] = Field(
        default_factory=dict,
        description="extra sheet header → field mappings used by `kehu import`",
    )
    import_limits: ImportLimits = Field(default_factory=ImportLimits)
    segments: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                                description="saved groups of customers (docs/reports.md)")
    smtp: MailServerSettings = Field(default_factory=MailServerSettings,
                                     description="the email server for kehu send")
    outreach: OutreachSettings = Field(default_factory=OutreachSettings, description="the pace of kehu send")
    reports: ReportSettings = Field(default_factory=ReportSettings,
                                    description="the thresholds of the lifecycle, churn and CLV figures")
    complaints: ComplaintSettings = Field(default_factory=ComplaintSettings)
    purchases: PurchaseSettings = Field(default_factory=PurchaseSettings)
    credit: CreditSettings = Field(default_factory=CreditSettings)
    confidential: ConfidentialSettings = Field(default_factory=ConfidentialSettings)
    visits: VisitSettings = Field(default_factory=VisitSettings)
    language: str | None = Field(
        default=None,
        description="the language of kehu's help, messages and TUI for this store: zh_CN or en; "
                    "--lang and KEHU_LANG win over it, and without it LANGUAGE, LC_ALL, LC_MESSAGES "
                    "or LANG decide (docs/translating.md)",
    )
    serve: ServeSettings | None = Field(None, description="kehu serve: the htpasswd file and its users")
    reps: RepsSettings = Field(default_factory=RepsSettings)
    attitude: AttitudeSettings = Field(default_factory=AttitudeSettings)
    today: dt.date | None = Field(
        default=None,
        description="a fixed day this store works at (a demo or training store); "
                    "--today and KEHU_TODAY still win",
    )

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value < 1:  # no kehu ever wrote one: a slip of a hand edit, said as such
            raise ValueError(_("{value}: the record formats are numbered from 1 (this kehu "
                               "writes {SCHEMA_VERSION})").format(value=value, SCHEMA_VERSION=SCHEMA_VERSION))
        if value > SCHEMA_VERSION:
            raise ValueError(
                _("schema_version {value} is newer than this kehu understands ({SCHEMA_VERSION}); "
                    "upgrade kehu").format(
                    value=value, SCHEMA_VERSION=SCHEMA_VERSION)
            )
        return value

    @field_validator("name")
    @classmethod
    def _one_line_name(cls, value: str) -> str:
        problem = shop_name_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        from .i18n import LANGUAGES, normalize

        if value is not None and normalize(value) is None:
            raise ValueError(_("expected one of {join}").format(join=', '.join(LANGUAGES)))
        return value

    @field_validator("today")
    @classmethod
    def _today_kept(cls, value: dt.date | None) -> dt.date | None:
        """The range `--today` keeps: kehu.yaml is shared by every clone, and `today: 9999-12-31`
        there passed `check`, then ended `customer show`, points, tiers, reminders and the
        reports of the whole team in "internal error: OverflowError"."""
        from .clock import day_range_problem

        wrong = None if value is None else day_range_problem(value)
        if wrong is not None:
            raise ValueError(wrong)
        return value

    @field_validator("region")
    @classmethod
    def _region_upper(cls, value: str) -> str:
        return value.upper()
