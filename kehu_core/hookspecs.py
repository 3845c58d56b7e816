"""Every hook a kehu plugin can implement.

A plugin is a module (or object) with functions decorated ``@kehu_core.hookimpl`` and named
after the hooks below; it is found through the ``kehu`` entry-point group. Each hook is called
for every enabled plugin that implements it. Arguments are passed by name, so an
implementation may accept only the ones it needs. A plugin that raises is reported by name and
skipped; the other plugins still run and nothing is written on its behalf.

Unless a hook says otherwise, all results are collected (``None`` results are dropped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from .models import Customer, Interaction
    from .plugins import Column, Exporter, Importer, MessageSender, Panel, ReminderRule
    from .store import Store

hookspec = pluggy.HookspecMarker("kehu")
hookimpl = pluggy.HookimplMarker("kehu")


@hookspec
def customer_fields() -> dict[str, tuple[Any, Any]] | None:
    """Declare extra customer fields.

    Returns ``{field name: (type, default)}``, e.g. ``{"wechat": (str | None, None)}``. The
    fields become part of the customer model: they are validated on every load and save, shown
    by ``customer show`` and settable with ``customer set``. ``None``: no fields.
    """


@hookspec
def validate_customer(store: Store, customer: Customer) -> list[str] | None:
    """Check a customer beyond its field types (store-wide rules, cross-field rules).

    Returns messages, one per problem; ``kehu check`` reports them with the file and exit 1.
    ``None`` or an empty list: nothing wrong.
    """


@hookspec
def customer_values(store: Store, customer: Customer) -> dict[str, Any] | None:
    """Compute values shown with a customer: tier, points, lifecycle stage, next reminder ...

    Returns ``{key: JSON-able value}``; the keys are added to ``customer show`` (and its
    ``--json``), the TUI detail screen, and can be filtered on (``customer list --tier A``).
    Results of all plugins are merged; on a clash the plugin registered last wins.
    ``None``: nothing to add for this customer.
    """


@hookspec
def interaction_saved(store: Store, customer: Customer, interaction: Interaction) -> None:
    """React to a purchase, visit, call ... that was just written (e.g. award points).

    Called after the interaction file is safely on disk. Return value ignored. Write only
    through ``store`` (``store.append_ledger``), which is atomic and locked.
    """


@hookspec
def reminder_rules(store: Store) -> list[ReminderRule] | None:
    """Contribute reminder rules (``kehu_core.plugins.ReminderRule``) such as "greet 2 days after a
    purchase". ``kehu reminders`` and the TUI's Today screen run every rule of every plugin.
    ``None``: no rules.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``kehu`` CLI: ``@cli.command()`` functions. Return value ignored."""


@hookspec
def tui_columns(store: Store) -> list[Column] | None:
    """Columns for the TUI customer list (``kehu_core.plugins.Column``: title and a value function).
    ``None``: no columns.
    """


@hookspec
def tui_panels(store: Store) -> list[Panel] | None:
    """Panels for the TUI customer detail screen (``kehu_core.plugins.Panel``: a title and a function
    from customer to text or a Rich renderable). ``None``: no panels.
    """


@hookspec
def importers() -> list[Importer] | None:
    """File formats ``kehu import`` can read (``kehu_core.plugins.Importer``). ``None``: none."""


@hookspec
def exporters() -> list[Exporter] | None:
    """File formats ``kehu export`` can write (``kehu_core.plugins.Exporter``). ``None``: none."""


@hookspec
def message_senders(store: Store) -> list[MessageSender] | None:
    """Channels ``kehu send`` can use (``kehu_core.plugins.MessageSender``: e.g. an SMS gateway).
    ``None``: none.
    """
