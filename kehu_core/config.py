"""The store's settings file, ``kehu.yaml``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .config_confidential import ConfidentialSettings
from .config_credit import CreditSettings, PurchaseSettings
from .config_names import SHOP_NAME_MAX, shop_name_problem
from .config_outreach import MailServerSettings, OutreachSettings
from .config_reports import ReportSettings
from .config_serve import ServeSettings
from .i18n import _
from .paths import CONFIG_FILE as CONFIG_FILE  # where it always was, for callers

SCHEMA_VERSION = 1


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
