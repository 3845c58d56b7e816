"""Anniversaries: a WeChat id field, years as a customer (a value, and a column in the TUI's
list), and a reminder on the anniversary of the first purchase (老客户周年). The example of
the plugin authoring guide (docs/plugins.md); its tests, in tests/, use ``kehu_core.testing``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import click
from pydantic import BaseModel, ConfigDict, Field

from kehu_core import hookimpl
from kehu_core.calendar import anniversary
from kehu_core.models import Customer, Reminder
from kehu_core.plugins import Column, plugin_settings, require_enabled
from kehu_core.store import Store

NAME = "anniversary"
WECHAT = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$")  # WeChat's own rule for ids


class Settings(BaseModel):  # `plugins: anniversary: {min_years: 1}` in kehu.yaml
    model_config = ConfigDict(extra="forbid")  # a misspelt key is named too
    min_years: int = Field(1, ge=0, le=200)


@hookimpl
def settings_model() -> type[Settings]:
    """Declared, so `kehu check` names a bad `min_years` at its kehu.yaml line."""
    return Settings


def first_purchase(store: Store, customer_id: str) -> dt.date | None:
    row = store.index.get(customer_id)  # the index already knows it: no file is read
    return dt.date.fromisoformat(row.first_purchase) if row and row.first_purchase else None


@hookimpl
def customer_fields() -> dict[str, tuple[Any, Any]]:
    return {"wechat": (str | None, None)}


def years_as_customer(store: Store, customer_id: str) -> int | None:
    """Whole years since the first purchase, at the store's day (never the clock's)."""
    first = first_purchase(store, customer_id)
    return None if first is None else (store.today - first).days // 365


@hookimpl
def validate_customer(store: Store, customer: Customer) -> list[str]:
    wechat = getattr(customer, "wechat", None)
    if wechat and not WECHAT.match(wechat):
        # "FIELD: ...": `kehu check` reports it at the line of `wechat:` in customer.yaml
        return [f"wechat: {wechat!r} is not a WeChat id (6-20 letters, digits, - or _, starting with a letter)"]
    return []


@hookimpl
def customer_values(store: Store, customer: Customer) -> dict[str, Any] | None:
    years = years_as_customer(store, customer.id)
    return None if years is None else {"customer_years": years}


@hookimpl
def tui_columns(store: Store) -> list[Column]:
    def cell(store: Store, customer: Customer) -> str:
        years = years_as_customer(store, customer.id)
        return "" if years is None else str(years)

    return [Column("客户年数", cell, key="customer_years")]


class AnniversaryRule:
    """A ``kehu_core.plugins.ReminderRule``: what the engine reads from a rule is declared there."""

    name = "anniversary"
    plugin = NAME
    outreach = True  # a greeting: the engine skips customers marked do_not_contact

    def __init__(self, min_years: int):
        self.min_years = min_years

    def due(self, store: Store, customer: Customer, history: list[Any], start: dt.date,
            end: dt.date) -> list[Reminder]:
        first = min((i.date for i in history if i.kind == "purchase"), default=None)
        out = []
        for year in range(start.year, end.year + 1):
            if first is None or year - first.year < self.min_years:
                continue
            day = anniversary(first, year)  # kehu's rule: 29 February -> 28 February in a common year
            if start <= day <= end:
                out.append(Reminder(
                    customer_id=customer.id, customer_name=customer.name, due=day,
                    rule=self.name, title=f"成为客户 {year - first.year} 周年",
                    key=f"{self.name}:{customer.id}:{day.isoformat()}",
                ))
        return out


@hookimpl
def reminder_rules(store: Store) -> list[AnniversaryRule]:
    return [AnniversaryRule(plugin_settings(store, NAME, Settings).min_years)]


@hookimpl
def register_commands(cli: click.Group) -> None:
    from kehu_core.cli import Context, emit_json, pass_ctx

    @cli.command("wechat")
    @click.argument("customer_id")
    @pass_ctx
    def wechat(ctx: Context, customer_id: str) -> None:
        """A customer's WeChat id and years as a customer."""
        store = ctx.store
        require_enabled(store, NAME)
        customer = store.get(customer_id)
        emit_json({"wechat": getattr(customer, "wechat", None),
                   **(customer_values(store, customer) or {})})
