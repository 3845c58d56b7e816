"""Every hook a kehu plugin can implement.

A plugin is a module (or object) with functions decorated ``@kehu_core.hookimpl`` and named
after the hooks below; it is found through the ``kehu`` entry-point group. Each hook is called
for every enabled plugin that implements it. Arguments are passed by name, so an
implementation may accept only the ones it needs.

Hooks are called through pluggy, so hook wrappers work: ``@hookimpl(wrapper=True)`` (a
generator that yields once and returns the list of results, changed or not) and old-style
``@hookimpl(hookwrapper=True)``. A wrapper of a hook receives and returns the list of the
implementations' results, each of the type the hook documents.

A plugin fails when its implementation raises, calls ``sys.exit``, or returns something of
another type than its hook documents. A failing plugin is reported by name (the
``kehu.plugins`` logger; on stderr once as ``kehu: plugin 'NAME' failed in HOOK: ...``, as a
notification in the TUI; ``kehu --debug`` adds the traceback) and its result is left out; the
other plugins still run, and nothing is written on its behalf: what it wrote through the store
during that call (``store.append_ledger``, ``store.add_interaction``, ``store.update_customer``
...) is put back as it was (``Store.undo_on_error``). A failing wrapper leaves the result it
wrapped unchanged.

Unless a hook says otherwise, all results are collected (``None`` results are dropped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from pydantic import BaseModel

    from .models import Customer, Interaction
    from .plugins import Column, Exporter, Importer, MessageSender, Panel, ReminderRule
    from .store import Store

hookspec = pluggy.HookspecMarker("kehu")
hookimpl = pluggy.HookimplMarker("kehu")


@hookspec
def customer_fields() -> dict[str, tuple[Any, Any]] | None:
    """Declare extra customer fields.

    Called once per store when the customer model is built. Returns ``{field name: (type,
    default)}``, e.g. ``{"wechat": (str | None, None)}``. The fields become part of the
    customer model: they are validated on every load and save, shown by ``customer show`` and
    settable with ``customer set``. ``None``: no fields. All results are merged; on a clash
    the plugin registered last wins. A plugin declares at most 100 fields (more is its wrong
    result: every command reading a profile builds the model of them).
    """


@hookspec
def settings_model() -> type[BaseModel] | None:
    """Declare the plugin's settings: the pydantic model of its section of kehu.yaml, ``plugins:
    <name>:`` under the name the plugin is registered by (its entry point's name).

    Called when a store is opened with its plugins, and by ``kehu check``: the section is
    validated by the model, so a bad value stops every command (as a bad setting of kehu's own
    does) and ``kehu check`` names it at its kehu.yaml line, with the plugin, the field and
    what is expected: ``kehu.yaml:9: plugins.points.expiry_days: Input should be less than or
    equal to 36500``. Without it a typo passed ``kehu check`` and failed later, in the first
    command that read the setting. Read the settings with ``plugin_settings(store, name,
    Model)`` (:mod:`kehu_core.plugins`): validated once per store, the same object. Give the
    model ``extra="forbid"`` to have a misspelt key named too. ``None``: no settings.
    A validator is given the store's folder as ``info.context["store_root"]`` (a ``Path``; no
    context outside a store), to judge a path setting where it lands (the outbox plugin's
    ``folder`` is refused among the records).
    """


@hookspec
def validate_customer(store: Store, customer: Customer) -> list[str] | None:
    """Check a customer beyond its field types (store-wide rules, cross-field rules).

    Called by ``kehu check`` for every customer, and before kehu writes a profile
    (``customer add``/``set``, an import, the TUI's form): a write that would bring a new
    message is refused (exit 1, nothing written). Returns messages, one per problem; they are
    reported as ``path:line: message (plugin NAME)`` and make the check exit 1. A message about
    one field starts with the field's name and a colon, ``"wechat: 'x1' is not a WeChat id"``
    (a nested value: ``"addresses.1: no city"``), and is reported at that field's line in
    customer.yaml; any other message at line 1. ``None`` or an empty list: nothing wrong.
    Every plugin is asked; all messages are kept. A rule gives at most 100 messages a customer,
    each one line of at most 1 000 characters (more is its wrong result).
    """


@hookspec
def kept_customer_fields(store: Store, customer: Customer) -> dict[str, Any] | None:
    """The values this plugin's own customer fields (those it declares in ``customer_fields``)
    are kept as, for a profile about to be written: a value as a person typed it given as the
    store keeps it (the tiering plugin: ``tier_override`` typed as the tier is shown, ``Key
    customers``, kept as ``重要客户``, as ``kehu tier set`` keeps it).

    Called by ``Store.kept_customer``, the one place every door that writes a profile asks it
    (``customer add`` and ``set``, the TUI's form, ``kehu edit``, an import, ``kehu serve``, a
    plugin's command writing through ``store.update_customer``), with the customer as the door
    would write it, before the ``validate_customer`` rules are asked of the value kept; and
    only when a field a plugin declares is given a value by this write (a field the write
    leaves as it was keeps its line). Returns ``{field: the value to keep}``; a field left out,
    given as it is or as None, is written as typed. A key that is no field this plugin declares (kehu's
    own ``name``, another plugin's field) or a value its field's type refuses is the plugin's
    wrong result: reported by name, its values left out, the write goes on as typed. Keep a
    kept value as it is when asked again. ``kehu check`` never asks it and writes nothing: a
    hand-edited file holding a value as typed is for ``validate_customer`` to name (with what
    to write). ``None`` or ``{}``: nothing to change. Every plugin is asked, each for its own
    fields.
    """


@hookspec
def validate_ledger(store: Store, customer_id: str, ledger: str,
                    entries: list[dict[str, Any]]) -> list[tuple[int, str]] | None:
    """Check a customer's ledger beyond the shape of its lines: a rule across its entries.

    Called by ``kehu check`` (and so by ``kehu sync`` before it pushes, on the merged store
    too) for each ledger file of the customers checked (``<ledger>.ledger.yaml``, whatever
    plugin writes it: look at ``ledger`` first), with its ``entries`` in the file's order,
    each a dict as its line holds it (dates as dates), once the lines themselves are valid.
    Returns ``(n, message)`` pairs, ``n`` the index in ``entries`` of the entry at fault (one
    past them is the plugin's wrong result, not a problem of the ledger's first line); each
    is reported at that entry's line as ``path:line: message (plugin NAME)`` and makes the
    check exit 1 — so a merge of two clones' entries that cannot both stand (the same points
    redeemed twice) is not pushed. Asked too before a line is added (``store.append_ledger``,
    whoever adds it, in an import too), with the line as the last entry:
    a line that would bring a new message is refused (RecordError, nothing written), as a
    profile is by ``validate_customer``.
    ``None`` or an empty list: nothing wrong. Every plugin is asked; all messages are kept.
    A plugin that implements ``validate_ledger_line`` too is asked that instead before a line
    is added, and this one by ``kehu check`` alone.
    """


@hookspec
def validate_ledger_line(store: Store, customer_id: str, ledger: str,
                         entry: dict[str, Any]) -> list[str] | None:
    """What ``validate_ledger`` would say of ``entry`` added as the last line of the ledger, asked
    before the line is written (``store.append_ledger``) instead of ``validate_ledger`` with
    every entry: a ledger of 23 000 entries was read and checked whole for every sale. Optional,
    and only for a plugin that implements ``validate_ledger``: answer from the line and what the
    store says cheaply (``store.ledger_has``), and where the line needs the rest, read it
    (``store.ledger``) and ask your ``validate_ledger`` rules of it, keeping the messages of the
    new entry. Returns messages (one line of text each), each a refusal of the line as one of
    ``validate_ledger``'s would be (RecordError, nothing written). ``kehu check`` never asks it:
    ``validate_ledger`` stays the one judge of a ledger, so a line this passes and that would
    find at fault is still named there. ``None`` or an empty list: nothing wrong.
    """


@hookspec
def customer_values(store: Store, customer: Customer) -> dict[str, Any] | None:
    """Compute values shown with a customer: tier, points, lifecycle stage, next reminder ...

    Called for each customer shown (``customer show``, ``customer list --json``, the TUI), so
    it must be cheap: compute store-wide figures once and cache them (see the tiering plugin).
    Returns ``{key: JSON-able value}``; the keys are added to ``customer show`` (and its
    ``--json``), the TUI detail screen, and can be filtered on (``customer list --tier A``).
    Results of all plugins are merged; on a clash the plugin registered last wins.
    ``None``: nothing to add for this customer. A plugin whose implementation asks for the
    values again (``store.plugins.values``) is skipped on that inner call. A value wins over a
    profile field of the same name, which would be stored and never shown: refuse such fields
    in ``validate_customer`` (``kehu_core.computed_fields.computed_field_messages``). A key
    named as one of kehu's own customer fields (``id``, ``name``, ``owner`` ...) or as what
    ``customer show`` adds (``purchases``, ``credit_status`` ...: ``computed_fields.SHOWN_BY_KEHU``)
    is the plugin's failure: values are shown beside the profile, never in its place.

    A value whose order is not its text's (a tier's name) can come with ``KEY_rank``, a number,
    1 first: a list sorted by ``KEY`` (``--sort tier``, the TUI's column) follows the rank, and
    people are shown ``KEY`` without its rank (the tiering plugin gives ``tier_rank``).
    """


@hookspec
def tier_names(store: Store) -> list[str] | None:
    """The tiers a customer can be in, top tier first: the values this plugin gives as ``tier``
    in ``customer_values``.

    Every tier filter (``customer list --tier``, a segment's ``tier:``, the TUI list's tier
    box) goes through ``kehu_core.services.scoring.tier_filter``, which checks a name
    against these (any case) and refuses an unknown one with the list. Returns the names (at
    most 100, each at most 64 characters: more is the plugin's wrong result, its names left
    out); ``None``: this plugin gives no tiers. The names of all plugins are used together.
    """


@hookspec
def customer_values_many(store: Store, customers: list[Customer]) -> dict[str, dict[str, Any] | None] | None:
    """``customer_values`` for many customers at once (``customer list --json``), optional.

    Called by ``store.plugins.values_many`` instead of ``customer_values`` once per customer,
    for a plugin that implements both: do the work in one pass (one query for all the
    customers). Returns ``{customer id: the dict customer_values would return, or None}``; it
    must give exactly what ``customer_values`` gives for each (a customer left out counts as
    ``None``: nothing to add); a customer it was not asked for is the plugin's wrong result,
    named, and the values of those asked are used. ``None`` as the whole result, or raising (or
    another type, a subclass of dict too): kehu asks ``customer_values`` customer by customer
    instead. Plugins without it are asked per
    customer first, so values they give (a tier) are ready, without being computed again, when
    this hook asks ``store.plugins.values`` for them.
    """


@hookspec
def customer_value_figures(store: Store, customer_ids: list[str] | None) -> dict[str, str | None] | None:
    """What this plugin's ``customer_values`` of each customer are computed from, besides that
    customer's own records, the day and the settings, optional: for values that rank a customer
    among all the others (the tiering plugin: the customer's pyramid tier, ABC class and RFM
    code, from its store-wide ranking).

    Returns ``{customer id: a text that changes whenever what the customer's values are
    computed from changes}`` for these customers (``customer_ids`` None: every customer). A
    customer left out, or None, has no figure; a customer it was not asked for (asked for
    everyone: one the store does not hold) is the plugin's wrong result, named, and the figures
    of those asked are used. Without this hook the values kept in the index
    (docs/architecture.md, "Derived values") are computed again for every customer after any
    change of the store; with it, only for the customers whose text or own records changed. So
    give the texts from one query or a store-wide result already made, not from each
    customer's model. ``None`` as the whole result, or raising: every customer asked is
    computed again, as for a plugin without it.
    """


@hookspec
def interaction_saved(store: Store, customer: Customer, interaction: Interaction) -> None:
    """React to a purchase, visit, call ... that was just written (e.g. award points).

    Called by ``store.add_interaction`` after the interaction file is safely on disk, for
    every plugin, with the customer as loaded after the write. Called again, with the purchase
    as it now is, after a payment (``kehu purchase pay``: ``payments``, ``paid``) or a void
    (``kehu purchase void``: ``voided``), so a reaction must be idempotent (points are awarded
    once per purchase, reversed once when it is voided). Returns None (ignored). Write only
    through ``store`` (``store.append_ledger``), which is atomic and locked; a plugin that
    raises is reported and the interaction stays saved.
    """


@hookspec
def reminder_rules(store: Store) -> list[ReminderRule] | None:
    """Contribute reminder rules (``kehu_core.plugins.ReminderRule``) such as "greet 2 days after a
    purchase".

    Called each time ``kehu_core.reminder_engine`` computes reminders (``kehu reminders``, the TUI's
    Today screen, ``next_reminder``). Returns a list of rules; a rule's ``due(store, customer,
    history, start, end)`` yields ``Reminder`` objects whose ``key`` is
    ``RULE:CUSTOMER_ID:ANCHOR`` and stays the same while it is the same reminder (done and
    snooze are stored by key), ``RULE`` being the rule's ``name`` (or a name of its own that no
    other rule has, as the built-in birthday rule's ``lunar-birthday``). ``None``: no rules. The
    rules of all plugins are used together; a rule that raises (or yields something else than
    ``Reminder`` objects of that customer, keyed so) is reported by its plugin's name and the
    other rules still run. A plugin gives at most 50 rules (each is asked of each customer;
    more is its wrong result).

    The engine's rules hold for every plugin's rules: a customer marked ``do_not_contact``
    gets no reminder from a rule, unless the rule declares ``outreach = False`` (a reminder
    that is not outreach, like the built-in overdue-bill one); a rule need not check it.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``kehu`` CLI: ``cli.add_command(...)`` or ``@cli.command()``.

    Called once when the CLI is built, for every installed plugin (the store is not known
    yet); a command should call ``kehu_core.plugins.require_enabled(store, NAME)`` so it
    refuses clearly in a store whose kehu.yaml disables the plugin. Returns None (ignored).
    A command runs as a hook does: when it raises, what it wrote through the store is put back
    (an exit it chooses, ``ctx.exit`` or ``sys.exit``, keeps its writes), and an exception that
    is neither a refusal (``KehuError``, click's) nor an OS error is said as the plugin's
    failure, by name, exit 1.
    """


@hookspec
def tui_columns(store: Store) -> list[Column] | None:
    """Columns for the TUI customer list (``kehu_core.plugins.Column``: title and a value function).

    Called when the list is built. Returns a list of ``Column(title, value, key)``; ``value(store,
    customer)`` gives the cell (kept short). ``None``: no columns. All plugins' columns are
    shown, in registration order; a plugin gives at most 50 (more is its wrong result), and a
    ``key`` another plugin's column has too is left out in both. A ``value`` that raises or
    calls ``sys.exit`` is reported by the plugin's name and its cell says so; the list goes on.
    """


@hookspec
def tui_panels(store: Store) -> list[Panel] | None:
    """Panels for the TUI customer detail screen (``kehu_core.plugins.Panel``: a title and a function
    from customer to text or a Rich renderable).

    Called when a customer is opened. Returns a list of ``Panel(title, render)``;
    ``render(store, customer)`` gives the content. ``None``: no panels. All are shown (at
    most 50 a plugin: more is its wrong result; a panel's text at most 1 000 lines and
    100 000 characters, ``kehu_core.handed.MAX_PANEL_LINES``, likewise). A
    ``render`` that raises, calls ``sys.exit`` or gives anything but text or a Rich renderable
    is reported by the plugin's name and its panel says it failed; the screen goes on.
    """


@hookspec
def importers() -> list[Importer] | None:
    """File formats ``kehu import`` can read (``kehu_core.plugins.Importer``).

    Returns a list of importers (``name``, ``detect(path, head)``, ``read(path, store)`` yielding
    ``ImportedContact``). ``None``: none. Plugin importers are tried before the built-in ones,
    and the first importer with a given ``name`` wins.
    """


@hookspec
def exporters() -> list[Exporter] | None:
    """File formats ``kehu export`` can write (``kehu_core.plugins.Exporter``).

    Returns a list of exporters (``name``, ``write(store, customers, out)`` returning how many
    were written). ``None``: none. The first exporter with a given ``name`` wins.
    """


@hookspec
def message_senders(store: Store) -> list[MessageSender] | None:
    """Channels ``kehu send`` can use (``kehu_core.plugins.MessageSender``: e.g. an SMS gateway).

    Returns a list of senders (``channel``, ``send(store, customer, subject, body)`` returning a
    message id, raising on failure). ``None``: none. One sender per channel name. A ``send``
    that raises or calls ``sys.exit`` fails its message (``sys.exit`` is reported by the
    plugin's name too) and what it wrote through ``store`` is undone; an id that is not text a
    record can hold is reported and left out, the message recorded as sent.
    """
