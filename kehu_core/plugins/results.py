"""What a hook may return: each hook's documented result (:data:`RESULT_CHECKS`), checked on
every call (what a hook wrapper may do: ``wrapper_results``)."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError, create_model

from ..computed_fields import SHOWN_BY_KEHU
from ..i18n import N_, _
from ..models import Customer, too_deep
from ..models.fields import shows_something
from ..models.hostile import MAX_DEPTH, escaped_text, too_many_digits, too_many_digits_problem
from ..plugin_code import WrongResult
from ..problems import message_reason
from .api import Column, Panel


def kind_of(value: Any) -> str:
    """What a plugin returned, as a wrong result's message names it: its type's name."""
    return type(value).__name__


#: the columns one plugin may give the TUI's list, and the panels the customer screen: a screen
#: shows a dozen; a plugin giving a column per field of its own (2 000) made the list take 10 s
#: to show and 7.7 s for each key pressed
MAX_SHOWN = 50
#: the reminder rules one plugin may give: the built-in reminders give 10. Each is asked of each
#: customer, with the customer and its history copied for a plugin not kehu's: 2 000 rules made
#: `kehu reminders` of 100 customers take 7 s (15 s on a busy machine), and every list showing
#: the next reminder as long
MAX_RULES = 50
#: the tiers one plugin may name (``tier_names``; the built-in tiering's RFM scheme names 11):
#: every tier filter reads them all, and a million made `customer list --tier` run for hours
MAX_TIERS = 100
#: the characters of a tier's name: a customer's level's (``models.customer.MAX_SHORT``); one of
#: 5 MB was printed whole by every refused `--tier`
MAX_TIER_TEXT = 64
#: the fields one plugin may declare (``customer_fields``; the built-in tiering declares one): every
#: command builds the store's model of them, and 20 000 took each command 4 to 6 s
MAX_DECLARED_FIELDS = 100
#: the messages a plugin's rule gives for one customer, and the characters of one: each is a line
#: of `kehu check` and of a refused write; a rule giving a million (a line per note it read) made
#: `customer set` take 14 s and print 90 MB, and one of 5 MB printed a line of 5 MB
MAX_MESSAGES = 100
MAX_MESSAGE_TEXT = 1_000


def _columns(result: Any) -> list[Column]:
    return _at_most(_list_of(result, "Column (its title and key texts)",
                             lambda item: isinstance(item, Column) and _text(item.title)
                             and (item.key is None or _text(item.key))),
                    N_("returned {count} columns; a plugin gives the list at most {most}"))


def _panels(result: Any) -> list[Panel]:
    return _at_most(_list_of(result, "Panel (its title a text, shows a tuple of texts)",
                             lambda item: isinstance(item, Panel) and _text(item.title)
                             and type(item.shows) in (tuple, list) and all(_text(s) for s in item.shows)),
                    N_("returned {count} panels; a plugin gives the customer screen at most {most}"))


def _rules(result: Any) -> list[Any]:
    return _at_most(_list_of(result, "reminder rules (name, due())", _has("name", calls=("due",))),
                    N_("returned {count} reminder rules; a plugin gives at most {most}"), MAX_RULES)


def _at_most(shown: list[Any] | dict[str, Any], message: str, most: int = MAX_SHOWN) -> Any:
    """``shown`` (a plugin's columns, panels, reminder rules or fields), or its wrong result past
    ``most`` of them (:data:`MAX_SHOWN`, :data:`MAX_RULES`, :data:`MAX_DECLARED_FIELDS`)."""
    if len(shown) > most:
        raise WrongResult(_(message).format(count=len(shown), most=most))
    return shown


def _list_of(result: Any, what: str, ok: Callable[[Any], bool]) -> list[Any]:
    if not isinstance(result, list):
        raise WrongResult(_("returned {kind}, expected a list of {what} or None").format(
            kind=kind_of(result), what=what))
    for item in result:
        if not ok(item):
            raise WrongResult(_("returned a list holding {kind} {item}, expected {what}").format(
                kind=kind_of(item), item=f"{item!r:.60}", what=what))
    return result


def _has(*attrs: str, calls: tuple[str, ...] = ()) -> Callable[[Any], bool]:
    """An object with these attributes, each a name (:func:`_a_name`), and these methods (a
    protocol's shape)."""
    def ok(item: Any) -> bool:
        return (all(_a_name(getattr(item, a, None)) for a in attrs)
                and all(callable(getattr(item, c, None)) for c in calls))
    return ok


def _a_name(value: Any) -> bool:
    """A name a plugin gives what it hands over (an importer's, an exporter's, a sender's
    channel): one line of printable text that shows something. It is typed (`--channel`) and
    recorded (a message's ``channel``, one line): a channel holding a line break sent each
    message, then failed to record it, so the next `kehu send` sent it again."""
    return _text(value) and value.isprintable() and bool(value.strip())


def _text(value: Any) -> bool:
    """A text: a ``str`` itself, never an object of a subclass of it, whose ``__eq__``,
    ``__hash__`` or ``__str__`` is the plugin's code: a tier name whose ``__str__`` raised passed
    every check here, then ended `customer list --tier` in "internal error" (the same for numbers,
    lists and dicts of values: :func:`_not_json`)."""
    return type(value) is str


def _values_dict(result: Any) -> dict[str, Any]:
    if type(result) is not dict or not all(_text(k) for k in result):
        raise WrongResult(_("returned {kind}, expected a dict of values by name or None").format(kind=kind_of(result)))
    # values are shown beside the profile: one named as a field of kehu's (`id`, `name`,
    # `owner`) or as what `customer show` adds replaced it in `show`, `list --json` and the
    # TUI, so a script acting on the listed id acted on another customer
    taken = sorted(k for k in result if k in Customer.model_fields or k in SHOWN_BY_KEHU)
    if taken:
        raise WrongResult(_("returned {keys}: named as kehu's own fields of a customer; a plugin's values are "
                            "shown beside the profile, never in its place").format(keys=", ".join(taken)))
    # a value's name is the label of its line (`customer show`, the TUI): a line break or a
    # direction control in one drew lines of the plugin's choosing among kehu's ("Tier  VIP")
    unprintable = sorted(k for k in result if not k.isprintable() or not shows_something(k))
    if unprintable:
        raise WrongResult(_("returned {keys}: a value's name is one line of plain text that shows something (no "
                            "line break, control character or direction mark; not spaces alone)").format(
            keys=", ".join(repr(escaped_text(k)) for k in unprintable)))
    # a record's nesting (MAX_DEPTH): a value holding itself (a dict put in itself) is nested
    # without end, and ended `customer show --json` and `list --json` in "internal error"
    if too_deep(result, controls=False) is not None:
        raise WrongResult(_("returned values nested more than {limit} levels deep (or holding themselves); "
                            "values are at most {limit}").format(limit=MAX_DEPTH))
    wrong = _not_json(result)
    if wrong is not None:
        raise WrongResult(wrong)
    return result


_LEAVES = (str, bool, int, dt.date, dt.datetime)  # each itself, not a subclass's object (_text)

#: what one customer's values from one plugin may hold in all: each customer's are kept in the
#: index and printed with them, and a plugin's 50 MB text took `customer show` 400 MB and grew
#: the index by 100 MB a customer (a record itself is at most 2 MiB)
MAX_VALUES_TEXT = 1 << 20
MAX_VALUES_ITEMS = 100_000


def _not_json(values: dict[str, Any]) -> str | None:
    """What is wrong with the first value that is no JSON value, as the hookspec documents
    ``customer_values``: a set, bytes or a generator was shown as Python's text of it, an object
    whose text raises ended `customer show` and `list --json` in "internal error", NaN made
    `--json` write `NaN`, which no JSON reader takes. Nested at most MAX_DEPTH (checked before).
    Also more than :data:`MAX_VALUES_TEXT` characters or :data:`MAX_VALUES_ITEMS` values in all."""
    stack: list[tuple[str, Any]] = list(values.items())
    text = items = 0
    while stack:
        key, value = stack.pop()
        items += 1
        if _text(value):
            text += len(value)
        if text > MAX_VALUES_TEXT or items > MAX_VALUES_ITEMS:
            return _("returned values of more than {chars} characters or {items} items in all (at {key}); "
                     "a customer's values are at most that").format(
                chars=MAX_VALUES_TEXT, items=MAX_VALUES_ITEMS, key=key)
        if type(value) is int and too_many_digits(value):  # a record's rule: what the index keeps exactly
            return too_many_digits_problem(key)  # (5 000 digits: no text of it, "internal error")
        if value is None or type(value) in _LEAVES:
            continue
        if type(value) in (float, Decimal):
            if isinstance(value, Decimal) and value.is_finite() or isinstance(value, float) and math.isfinite(value):
                continue
            return _not_a_json_value(key, f"{value}")
        if type(value) is dict and all(_text(k) for k in value):
            stack.extend((f"{key}.{k}", v) for k, v in value.items())
        elif type(value) in (list, tuple):
            stack.extend((f"{key}[{i}]", v) for i, v in enumerate(value))
        else:
            return _not_a_json_value(key, kind_of(value))
    return None


def _not_a_json_value(key: str, kind: str) -> str:
    return _("returned {key}: {kind}, expected a JSON value (text, a number, true/false, a date, or lists "
             "and dicts of them)").format(key=key, kind=kind)


def _fields(result: Any) -> dict[str, tuple[Any, Any]]:
    if not isinstance(result, dict):
        raise WrongResult(_("returned {kind}, expected {spec} or None").format(
            kind=kind_of(result), spec="{field name: (type, default)}"))
    _at_most(result, N_("declared {count} fields; a plugin declares at most {most}"), MAX_DECLARED_FIELDS)
    for key, spec in result.items():
        if not _text(key) or not key.isidentifier() or key.startswith("_"):
            raise WrongResult(_("field name {key} is not a valid field name").format(key=repr(key)))
        if key in Customer.model_fields:
            raise WrongResult(_("field {key} is one of kehu's own customer fields").format(key=repr(key)))
        if hasattr(Customer, key):  # a method or property (`copy`, `sealed`): the field would hide it
            raise WrongResult(_("field {key} is a name kehu's customer model uses (not a field: {what}); "
                                "name it otherwise").format(key=repr(key), what=type(getattr(Customer, key)).__name__))
        if not isinstance(spec, tuple) or len(spec) != 2:
            raise WrongResult(_("field {key}: expected (type, default), got {spec}").format(
                key=repr(key), spec=f"{spec!r:.60}"))
    try:
        # what pydantic only warns of (a name in its protected namespace, `model_validate_x`) is
        # refused too: its warning, a path into site-packages naming no plugin, was printed by
        # every command while `kehu check` said ok
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.simplefilter("ignore", DeprecationWarning)  # Python shows those to their authors alone
            model = create_model("PluginFields", **result)  # a type pydantic cannot use
            # a type named by a text no module defines ("NoSuchType"): pydantic builds the model
            # and fails on its first use, which was every new customer's ("internal error")
            model.model_rebuild()
    except Exception as exc:
        raise WrongResult(_("fields that cannot be used: {error}").format(error=exc)) from None
    _refuse_defaults_their_type_refuses(model)
    return result


def _refuse_defaults_their_type_refuses(model: type[BaseModel]) -> None:
    """A field's default is what a new customer is written with and read back as: one its own
    type refuses (``(str, None)``, which means ``str | None``; ``(int, "x")``) made every
    `customer add` and import an "internal error", so it is the plugin's wrong result."""
    defaults = {key: info.get_default(call_default_factory=True)
                for key, info in model.model_fields.items() if not info.is_required()}
    try:
        model.model_validate(defaults)
    except ValidationError as exc:
        for error in exc.errors():
            if error["type"] != "missing" and error["loc"]:
                key = str(error["loc"][0])
                raise WrongResult(_("field {key}: its default {default} is refused by its own type: "
                                    "{error}").format(key=repr(key), default=f"{defaults.get(key)!r:.60}",
                                                      error=error["msg"])) from None


def _kept_fields(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict) or not all(_text(k) for k in result):
        raise WrongResult(_("returned {kind}, expected {spec} or None").format(
            kind=kind_of(result), spec="{field name: value}"))
    return result


def _values_many(result: Any) -> dict[str, dict[str, Any] | None]:
    if type(result) is not dict:  # a subclass's get() ran the plugin's code outside its hook
        raise WrongResult(_("returned {kind}, expected {spec} or None").format(
            kind=kind_of(result), spec="{customer id: values or None}"))
    for key, values in result.items():
        if not _text(key):
            raise WrongResult(_("returned a key {key}, expected customer ids").format(key=f"{key!r:.60}"))
        if values is not None:
            _values_dict(values)
    return result


def _figures(result: Any) -> dict[str, str | None]:
    if not isinstance(result, dict) or not all(
            _text(k) and (v is None or _text(v)) for k, v in result.items()):
        raise WrongResult(_("returned {kind}, expected {spec} or None").format(
            kind=kind_of(result), spec="{customer id: text or None}"))
    return result


def _one_line(message: Any) -> bool:
    """A rule's message is one line of printable text: `kehu check` prints each problem as one
    `path:line: message` line, and a message holding a line break printed a problem line of the
    plugin's making (`fake.yaml:1: …`), another file's, for whoever reads or parses the check.
    At most :data:`MAX_MESSAGE_TEXT` characters, and saying something: `""`, spaces, or a field
    and nothing (`"nickname: "`) refused a write and failed `kehu check` with no reason at all
    (`customer.yaml:1:  (plugin x)`)."""
    return (_text(message) and len(message) <= MAX_MESSAGE_TEXT and message.isprintable()
            and shows_something(message_reason(message)))


def _messages(result: Any) -> list[str]:
    if isinstance(result, list):  # counted before each is looked at
        _at_most(result, N_("returned {count} messages; a rule gives at most {most} for a customer"), MAX_MESSAGES)
    return _list_of(result, "messages (one line of text each saying something, of at most 1000 characters)",
                    _one_line)


def _entry_message(item: Any) -> bool:
    return (isinstance(item, tuple) and len(item) == 2 and type(item[0]) is int and item[0] >= 0
            and _one_line(item[1]))


def _settings_model(result: Any) -> type[BaseModel]:
    if isinstance(result, type) and issubclass(result, BaseModel):
        return result
    raise WrongResult(_("returned {kind}, expected a pydantic model class (BaseModel) or None").format(
        kind=kind_of(result)))


def _ignored(result: Any) -> None:
    return None


#: Each hook's documented result (kehu_core/hookspecs.py), checked on every call: a plugin whose
#: result does not fit is reported by name and its result is left out.
RESULT_CHECKS: dict[str, Callable[[Any], Any]] = {
    "customer_fields": _fields,
    "settings_model": _settings_model,
    "validate_customer": _messages,
    "kept_customer_fields": _kept_fields,
    "validate_ledger": lambda r: _list_of(r, "(entry index, message) pairs", _entry_message),
    "validate_ledger_line": _messages,
    "customer_values": _values_dict,
    "customer_values_many": _values_many,
    "customer_value_figures": _figures,
    "interaction_saved": _ignored,
    "register_commands": _ignored,
    "tier_names": lambda r: _list_of(_at_most(r, N_("returned {count} tier names; a plugin names at most {most}"),
                                              MAX_TIERS) if isinstance(r, list) else r,
                                     "tier names (one line of text each, at most 64 characters)",
                                     lambda name: _a_name(name) and len(name) <= MAX_TIER_TEXT),
    "reminder_rules": _rules,
    "tui_columns": _columns,
    "tui_panels": _panels,
    "importers": lambda r: _list_of(r, "importers (name: one line of text, detect(), read())",
                                    _has("name", calls=("detect", "read"))),
    "exporters": lambda r: _list_of(r, "exporters (name: one line of text, write())", _has("name", calls=("write",))),
    "message_senders": lambda r: _list_of(r, "senders (channel: one line of text, send())",
                                          _has("channel", calls=("send",))),
}


#: what names each object these hooks hand over: a name is one plugin's (``PluginHost.items``)
NAMED_BY: dict[str, str] = {"reminder_rules": "name", "importers": "name", "exporters": "name",
                            "message_senders": "channel", "tui_columns": "key"}


def named_twice(attr: str, name: str, plugins: list[str]) -> WrongResult:
    """What each of ``plugins`` is told when they give one ``name``: two SMS gateways both
    serving `sms` — `kehu send` went through whichever was asked last, without a word of the
    other, and a failure of the one used was reported by the other's name."""
    return WrongResult(_("gives {attr} {name}, as {plugins} do: a name is one plugin's, so none of theirs is "
                         "used; disable all but one (plugins: disabled: in kehu.yaml)").format(
        attr=attr, name=repr(name), plugins=", ".join(map(repr, sorted(plugins)))))


def check_result(hook: str, result: Any, call: dict[str, Any] | None = None,
                 said: Callable[[WrongResult], None] | None = None) -> Any:
    """``result`` if it is what ``hook`` may return (None always is), else WrongResult.
    ``call``: the hook's arguments, for a result that must agree with them; ``said`` is told
    what is wrong with a part of it that is left out, the rest used."""
    if result is None:
        return None
    if hook == "customer_values_many" and call is not None and "customers" in call and type(result) is dict:
        result = _asked_part(result, {c.id for c in call["customers"]}, said)
    if hook == "customer_value_figures" and call is not None and "customer_ids" in call and type(result) is dict:
        result = _asked_part(result, _figures_asked(call), said)
    if hook == "validate_ledger" and call is not None and "entries" in call and isinstance(result, list):
        # at most MAX_MESSAGES an entry, as for a customer, counted before each is looked at: a
        # million took a sale 16 GB of memory and over five minutes, refused with as many lines
        _at_most(result, N_("returned {count} messages; a rule gives at most {most} for the ledger's entries"),
                 MAX_MESSAGES * max(1, len(call["entries"])))
    check = RESULT_CHECKS.get(hook)
    checked = check(result) if check is not None else result
    if hook == "validate_ledger" and call is not None and "entries" in call:
        _entries_named(checked, len(call["entries"]))
    return checked


def _figures_asked(call: dict[str, Any]) -> set[str]:
    """The customers a ``customer_value_figures`` call asked for: those named, or (None) every
    customer of the store, as its index knows them."""
    ids = call["customer_ids"]
    return set(call["store"].index.ids()) if ids is None else set(ids)


def _asked_part(result: dict[Any, Any], asked: set[str],
                said: Callable[[WrongResult], None] | None) -> dict[Any, Any]:
    """A ``customer_values_many`` (or ``customer_value_figures``) result holding only the
    customers it was asked for: values of others (an id of the plugin's own, every customer of
    the store) were passed over without a word — 300 000 of them checked took a list 8 s —, and
    one of them not a JSON value lost the values of all the customers asked. They are named
    (``said``), the rest used. Figures of customers not asked (asked for everyone: of no
    customer of the store) were so kept without a word, 300 000 of them a second more for each
    `customer show`."""
    strangers = [key for key in result if key not in asked]
    if not strangers:
        return result
    if said is not None:
        said(WrongResult(_("returned values of {count} customer(s) it was not asked for ({first}); only the "
                           "values of the customers asked are used").format(
            count=len(strangers), first=f"{strangers[0]!r:.60}")))
    return {key: values for key, values in result.items() if key in asked}


def _entries_named(pairs: list[tuple[int, str]], count: int) -> None:
    """A ledger rule's pairs name entries the ledger has: an index past them (the rule's own
    off-by-one) was printed at the ledger's line 1, a fault of a line that holds none."""
    past = sorted({n for n, _message in pairs if n >= count})
    if past:
        raise WrongResult(_("named entry {index} of a ledger of {count} entries (counted from 0)").format(
            index=past[0], count=count))
