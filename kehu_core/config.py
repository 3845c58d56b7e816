"""The store's settings file, ``kehu.yaml``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1
CONFIG_FILE = "kehu.yaml"


class PluginSettings(BaseModel):
    """``plugins:`` in kehu.yaml: which plugins run and their settings.

    Any key besides ``enabled``/``disabled`` is the name of a plugin and holds its settings.
    """

    model_config = ConfigDict(extra="allow")

    enabled: list[str] | None = None  # None: every installed plugin
    disabled: list[str] = Field(default_factory=list)

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

    model_config = ConfigDict(extra="forbid")

    respond_within_hours: int = Field(24, ge=1, le=24 * 30, description="acknowledge within")
    resolve_within_days: int = Field(3, ge=1, le=365, description="resolve within")
    remind_ahead_hours: int = Field(
        0, ge=0, le=24 * 30,
        description="remind this many hours before a deadline (0: on the deadline's day)")


class PurchaseSettings(BaseModel):
    """``purchases:`` in kehu.yaml: how a new purchase is recorded when nobody says (the CLI's
    ``kehu purchase add`` and the TUI's purchase form take the same default; see
    docs/payments.md and :mod:`kehu_core.services.payments`)."""

    model_config = ConfigDict(extra="forbid")

    default_paid: bool = Field(False, description="a new purchase is paid (true) or on credit (false)")
    credit_days: int | None = Field(
        30, ge=0, le=3650,
        description="a purchase on credit without --due is due this many days after its date "
                    "(null: no due date)")


class StoreConfig(BaseModel):
    """Everything a store can configure. Unknown keys are kept for plugins and for the future."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION
    name: str = "kehu store"
    region: str = "CN"
    currency: str = "CNY"
    plugins: PluginSettings = Field(default_factory=PluginSettings)
    import_columns: dict[str, str] = Field(
        default_factory=dict,
        description="extra sheet header → field mappings used by `kehu import`",
    )
    segments: dict[str, dict[str, Any]] = Field(default_factory=dict)
    smtp: dict[str, Any] = Field(default_factory=dict)
    complaints: ComplaintSettings = Field(default_factory=ComplaintSettings)
    purchases: PurchaseSettings = Field(default_factory=PurchaseSettings)
    today: dt.date | None = Field(
        default=None,
        description="a fixed day this store works at (a demo or training store); "
                    "--today and KEHU_TODAY still win",
    )

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value > SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {value} is newer than this kehu understands ({SCHEMA_VERSION}); "
                "upgrade kehu"
            )
        return value

    @field_validator("region")
    @classmethod
    def _region_upper(cls, value: str) -> str:
        return value.upper()
