"""Customer tiers: the 1/19/30/50 % pyramid, ABC classes or RFM segments, with manual overrides.

A plain kehu plugin: it uses only ``kehu_core``'s public API and ``hookimpl``. Settings live
under ``plugins: tiering:`` in kehu.yaml (see README "Tiering").
"""

from __future__ import annotations

from typing import Any

from kehu_core import hookimpl
from kehu_core.computed_fields import computed_field_messages
from kehu_core.i18n import N_, _
from kehu_core.models import Customer, Purchase
from kehu_core.plugins import Column, Panel
from kehu_core.store import Store

from .moves import move_text, moves, record_if_changed
from .tier_settings import LEDGER, OVERRIDE_FIELD, TieringSettings, kept_tier, settings
from .tiers import TierInfo, Tiers, compute, tier_of


@hookimpl
def customer_fields() -> dict[str, tuple[Any, Any]]:
    # a rep can pin a customer's tier (e.g. a new key account with no history yet)
    return {OVERRIDE_FIELD: (str | None, None)}


@hookimpl
def validate_customer(store: Store, customer: Customer) -> list[str] | None:
    # the tier and its rank are computed (customer_values): a profile field of either name
    # would be stored and never shown; a rep pins a tier with tier_override instead
    how = _("the tiering plugin ranks customers by what they bought; to fix a tier set {field}").format(
        field=OVERRIDE_FIELD)
    messages = computed_field_messages(customer, {"tier": how, "tier_rank": how})
    override = getattr(customer, OVERRIDE_FIELD, None)
    names = settings(store).tier_names()
    kept = kept_tier(store, override) if override and override not in names else None
    # every door keeps a tier typed as shown (Key customers) as kept (kept_customer_fields):
    # a file holding it was edited by hand, which `kehu check` does not rewrite
    if kept is not None:
        messages.append(_("{field} {tier} is how the tier {kept} is shown; write {kept}").format(
            field=OVERRIDE_FIELD, tier=repr(override), kept=kept))
    elif override and override not in names:
        messages.append(_("{field} {tier} is not a tier here; expected one of {names}").format(
            field=OVERRIDE_FIELD, tier=repr(override), names=", ".join(names)))
    return messages or None


@hookimpl
def kept_customer_fields(store: Store, customer: Customer) -> dict[str, Any] | None:
    """A tier pinned by its name as shown (``Key customers``, ``key CUSTOMERS``), which ``kehu
    tier set`` takes, is kept as the store keeps it (重要客户), whatever door it came by."""
    override = getattr(customer, OVERRIDE_FIELD, None)
    kept = kept_tier(store, override) if override else None
    return {OVERRIDE_FIELD: kept} if kept is not None and kept != override else None


@hookimpl
def tier_names(store: Store) -> list[str]:
    return settings(store).tier_names()


@hookimpl
def customer_values(store: Store, customer: Customer) -> dict[str, Any] | None:
    return _values(compute(store), settings(store).tier_names(), customer)


@hookimpl
def customer_values_many(store: Store, customers: list[Customer]) -> dict[str, dict[str, Any] | None]:
    """``customer_values`` of a list: the store's tiers and the tiers' names looked up once,
    not once a customer (a book of 10 000 asked 10 000 times, a fifth of a second)."""
    tiers, names = compute(store), settings(store).tier_names()
    return {c.id: _values(tiers, names, c) for c in customers}


@hookimpl
def customer_value_figures(store: Store, customer_ids: list[str] | None) -> dict[str, str | None]:
    """A customer's values come from their own record (``tier_override``), the settings and
    their row of the store's tiers: that row is their figure. A purchase then recomputes in
    the index the values of the customers whose tier, class or segment it moved, not everyone's
    (10 000 customers' models made again for the first list after any change)."""
    tiers = compute(store)
    if customer_ids is None:
        return {cid: _figure(info) for cid, info in tiers.by_customer.items()}
    return {cid: _figure(tiers.get(cid)) for cid in customer_ids}


def _figure(info: TierInfo | None) -> str | None:
    # what _values reads of the row, and only that (the revenue is not shown)
    return None if info is None else f"{info.computed}|{info.abc}|{info.rfm}|{info.rfm_segment}"


def _values(tiers: Tiers, names: list[str], customer: Customer) -> dict[str, Any] | None:
    info = tiers.get(customer.id)
    override = getattr(customer, OVERRIDE_FIELD, None)
    if info is None and not override:
        return None
    tier = override or (info.computed if info else None)
    return {
        "tier": tier,
        # a list sorted by tier is in the tiers' order, top first, not their names' (see
        # the customer_values hook: a KEY_rank orders KEY)
        "tier_rank": names.index(tier) + 1 if tier in names else None,
        "abc": info.abc if info else None,
        "rfm": info.rfm if info else None,
        "rfm_segment": info.rfm_segment if info else None,
    }


@hookimpl
def interaction_saved(store: Store, customer: Customer, interaction: Any) -> None:
    """A purchase can move its buyer: record it in the tiers ledger right away."""
    if not isinstance(interaction, Purchase):
        return
    rules = settings(store)  # counting stops past the threshold: not a pass over every customer
    if not rules.records_on_purchase(store.index.count(up_to=rules.auto_record_up_to + 1)):
        return
    tiers = compute(store)
    if not tiers.start <= interaction.date <= tiers.as_of:
        return  # history older than the window (e.g. an import) cannot move anyone
    tier, why = tier_of(store, customer.id, getattr(customer, OVERRIDE_FIELD, None))
    record_if_changed(store, customer.id, tier, f"purchase {interaction.id}; {why}", tiers.as_of, interaction.id)


@hookimpl
def tui_panels(store: Store) -> list[Panel]:
    # the tiers ledger with its names and reasons in the user's language (the TUI's own table
    # of a ledger would show them as kept)
    return [Panel(N_("Tier moves"), _moves_panel, shows=(LEDGER,))]


def _moves_panel(store: Store, customer: Customer) -> str:
    entries = moves(store.ledger(customer.id, LEDGER))
    if not entries:
        return _("no tier move recorded yet")
    return "\n".join(f"{e.get('date')}  {move_text(store, e)}" for e in reversed(entries[-8:]))


@hookimpl
def tui_columns(store: Store) -> list[Column]:
    return [Column("Tier", lambda s, c: (customer_values(s, c) or {}).get("tier"), key="tier")]


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import tier_group

    cli.add_command(tier_group)


@hookimpl
def settings_model() -> type[TieringSettings]:
    """``plugins: tiering:`` in kehu.yaml, checked when the store opens and by ``kehu check``."""
    return TieringSettings
