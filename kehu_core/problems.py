"""A pydantic ``ValidationError`` as ``Problem(path, line, message)`` items: the one converter.

Every place that validates user input with pydantic — a customer or interaction file, kehu.yaml
and its ``plugins:`` and ``segments:`` sections, ``kehu customer add``, an import, the TUI's
forms — turns the error into problems here, so a message reads the same wherever it is shown:

    customers/ab/c1ab.../customer.yaml:7: phones.1: not a phone number: '12'

``message`` is ``<dotted location>: <reason>``; pydantic's ``Value error, `` prefix is dropped,
and so is the tag pydantic puts in the location of a union member (``purchase`` in
``purchase.items.0.price``), which is no key of the file. With the YAML document of the file
(``yamlio.load_roundtrip`` or ``yamlio.lines_doc``) the line is the line of the field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import Problem
from .i18n import N_, _, is_chinese
from .yamlio import line_of

#: the tags of the interaction union (``models.Interaction``): in a location, never in a file
UNION_TAGS = frozenset({"purchase", "visit", "call", "message", "complaint", "feedback", "note"})

Loc = tuple[str | int, ...]


def validation_problems(
    exc: ValidationError, path: Path | str, doc: Any = None, *, prefix: Sequence[str | int] = (),
    known: Iterable[str] | None = None, noun: str = "field",
) -> list[Problem]:
    """One ``Problem`` per error of ``exc``.

    ``doc``: the YAML document the data came from, for the line of each field (else line 1);
    ``prefix``: where the validated data sits in that document (``["plugins", "points"]``);
    ``known``: the keys allowed, named in the message of an unknown key (a typo), which is
    called an unknown ``noun`` ("unknown condition; expected one of tag, owner, ...").
    """
    path = Path(path)
    allowed = ", ".join(known) if known is not None else None
    out = []
    # the union's tags name the variant tried, never a field; a model's own errors (a ledger
    # line's, titled by its model) keep every part: a field `note` was reported without its name
    union = not exc.title.isidentifier()
    for error in exc.errors():
        loc: Loc = (*prefix, *(p for p in error["loc"] if not (union and isinstance(p, str) and p in UNION_TAGS)))
        reason = reason_of(error)
        if error["type"] == "extra_forbidden" and allowed is not None:
            reason = _("unknown {noun}; expected one of {allowed}").format(noun=_(NOUNS.get(noun, noun)),
                                                                           allowed=allowed)
        where = ".".join(str(p) for p in loc)
        message = f"{where}: {reason}" if where else reason
        # a problem found below the field pydantic names (a value nested too deep) is at the
        # line of the key where it was found
        deeper: Loc = getattr((error.get("ctx") or {}).get("error"), "loc", ())
        at = (*loc, *deeper)
        if deeper and not loc:
            # a check of the whole record that found where (a control character in tags.0):
            # that is the field, so a form shows the reason under the field it was typed in
            # (under the name, or under no field shown at all, before)
            said = ".".join(str(p) for p in deeper)
            loc, reason = deeper, reason.removeprefix(said + ": ").removeprefix(said + "：")  # zh_CN's colon
        out.append(Problem(path, line_of(doc, at) if doc is not None else 1, message,
                           loc=loc, reason=reason, value=_value_at(error.get("input"), deeper)))
    return out


def _value_at(data: Any, loc: Loc) -> Any:
    """The value at ``loc`` below ``data`` (a check of the whole record names where it found
    the problem; pydantic's input is then the whole record; a rule's problem names a field of
    the record's model, a declared field or one kept from the file), or None."""
    for part in loc:
        if isinstance(part, str) and isinstance(getattr(type(data), "model_fields", None), dict):
            data = getattr(data, part) if part in type(data).model_fields else (data.model_extra or {}).get(part)
            continue
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


#: pydantic's error types in the user's language (pydantic speaks English only): its own words
#: are kept in English, these are said in Chinese; an error of a validator of kehu's
#: (``value_error``) is said in the user's language where it is raised
TYPE_MESSAGES = {
    "missing": N_("required"),
    "extra_forbidden": N_("unknown field"),
    "string_type": N_("expected text"),
    "int_parsing": N_("expected a whole number"), "int_type": N_("expected a whole number"),
    "int_from_float": N_("expected a whole number"),
    "float_parsing": N_("expected a number"), "float_type": N_("expected a number"),
    "decimal_parsing": N_("expected a number"), "decimal_type": N_("expected a number"),
    "decimal_max_places": N_("expected at most {decimal_places} decimal places"),
    "bool_parsing": N_("expected yes or no (true/false)"), "bool_type": N_("expected yes or no (true/false)"),
    "date_parsing": N_("expected a date (YYYY-MM-DD)"), "date_type": N_("expected a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("expected a date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": N_("expected a date (YYYY-MM-DD)"),
    "datetime_parsing": N_("expected a date and time"), "datetime_type": N_("expected a date and time"),
    "greater_than": N_("expected more than {gt}"), "greater_than_equal": N_("expected at least {ge}"),
    "less_than": N_("expected less than {lt}"), "less_than_equal": N_("expected at most {le}"),
    "string_too_short": N_("expected at least {min_length} characters"),
    "string_too_long": N_("expected at most {max_length} characters"),
    "too_short": N_("expected at least {min_length} items"), "too_long": N_("expected at most {max_length} items"),
    "literal_error": N_("expected {expected}"), "enum": N_("expected {expected}"),
    "list_type": N_("expected a list"), "dict_type": N_("expected a mapping (key: value)"),
    "model_type": N_("expected a mapping (key: value)"),
    "model_attributes_type": N_("expected a mapping (key: value)"),
}
#: what an unknown key is called in a message (``noun``)
NOUNS = {"field": N_("field"), "condition": N_("condition"), "setting": N_("setting")}


def settings_numbers(model: Any, data: Any, path: Path, *, prefix: tuple[str, ...] = (),
                     text: str | None = None) -> tuple[Any, list[Problem]]:
    """Settings with their numbers read by the rule of every door's numbers, and what it refuses
    (:func:`~kehu_core.models.fields.numbers_as_written`: ``1_000``, another script's digits,
    ``true`` where a number belongs), each at its line of ``path``: kehu.yaml's own and each
    plugin's section (``prefix``: ``("plugins", "points")``). The document is read for lines
    only when there is something to say; ``text``: the file's text about to be written."""
    from .models.fields import numbers_as_written
    from .yamlio import lines_doc

    read, found = numbers_as_written(model, data, prefix)
    if not found:
        return read, []
    doc = lines_doc(path, text) if text is not None or path.is_file() else None
    return read, [Problem(path, line_of(doc, loc), f"{'.'.join(map(str, loc))}: {message}") for loc, message in found]


def reason_of(error: Mapping[str, Any]) -> str:
    """One pydantic error's reason, in the user's language (:data:`TYPE_MESSAGES`)."""
    money = _money_reason(error)
    if money is not None:
        return money
    reason = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    unquoted = _unquoted(error)
    if unquoted is not None:
        return unquoted
    template = TYPE_MESSAGES.get(str(error["type"]))
    if template is None or not is_chinese():
        return reason
    context = {k: (str(v).replace(" or ", _(" or ")) if k == "expected" else v)
               for k, v in (error.get("ctx") or {}).items()}
    try:
        return _(template).format(**context)
    except (KeyError, IndexError, ValueError):  # a context pydantic did not give: its own words
        return reason


def _unquoted(error: Mapping[str, Any]) -> str | None:
    """Text YAML read as something else because it was not quoted (`referrer: 00`, `wechat:
    yes`, `code: 2026-01-01`): "Input should be a valid string" said nothing of the fix."""
    if error["type"] != "string_type":
        return None
    value = error.get("input")
    if isinstance(value, bool):
        kind = _("yes or no")
    elif isinstance(value, (int, float, Decimal)):
        kind = _("a number")
    elif isinstance(value, dt.date):
        kind = _("a date")
    else:
        return None
    return _("expected text, and YAML reads this as {kind}: write it in quotes ('...') to keep it as typed").format(
        kind=kind)


def _money_reason(error: Mapping[str, Any]) -> str | None:
    """An amount of a file written with more digits than a float keeps (the loaders hand its
    text as a Decimal: ``yamlio.reading._construct_float``) is said by money's rule, as the
    digits typed at every other door are: pydantic said "no more than 14 digits in total" of
    ``99.999999999999999999999999999``. Money is the only decimal of 14 digits (``Money``,
    ``Amount``; a quantity has 12) and of 2 places (a credit limit too): `purchase add --amount
    100.001` said pydantic's "Decimal input should have no more than 2 decimal places" where
    `purchase pay` and an import's row said money's rule."""
    value = error.get("input")
    context = error.get("ctx") or {}
    money = ((error["type"] == "decimal_max_digits" and context.get("max_digits") == 14)
             or (error["type"] == "decimal_max_places" and context.get("decimal_places") == 2))
    if isinstance(value, float):  # a file's 100.001, read by YAML as a float
        value = Decimal(repr(value))
    if not money or not isinstance(value, Decimal):
        return None
    from .money import amount_problem

    wrong = amount_problem(value)
    return f"{value:f}: {wrong}" if wrong else None


def field_messages(problems: Iterable[Problem], whole: str = "") -> dict[str, str]:
    """The first problem of each top-level field, for a form that shows a message under each
    field: ``{"phones": "item 2: not a phone number: '12'"}``; a problem of the whole record
    (no location) goes under ``whole``."""
    out: dict[str, str] = {}
    for problem in problems:
        loc = problem.loc
        text = problem.reason or problem.message
        if len(loc) > 1 and isinstance(loc[1], int):
            text = _("item {n}: {text}").format(n=loc[1] + 1, text=text)
        out.setdefault(str(loc[0]) if loc else whole, text)
    return out


_FIELD_PREFIX = re.compile(r"^([A-Za-z_]\w*(?:\.\w+)*): ")


def message_reason(message: str) -> str:
    """What a rule's message says after the field it names (``"wechat: not an id"`` → ``"not an
    id"``), or the whole message when it names none."""
    head, sep, rest = message.partition(": ")  # the pattern matched on the head alone: quick on 1 000 characters
    return rest if sep and _FIELD_PREFIX.match(head + sep) else message


def plugin_problems(path: Path, plugin: str | None, customer: Any, messages: Iterable[str],
                    doc: Callable[[], Any]) -> list[Problem]:
    """A plugin's ``validate_customer`` messages as problems, the same in ``kehu check`` and
    when a write is refused. A message that starts with a field of the customer and a colon
    (``wechat: ...``, ``addresses.1: ...``, see the hookspec) is reported at that field's line
    in customer.yaml (``doc()`` gives its round-trip document, asked for only then), any other
    at line 1; each ends with ``(plugin NAME)`` (``plugin`` None: kehu's own rule, said as it is)."""
    out: list[Problem] = []
    loaded: list[Any] = []
    for message in messages:
        line = 1
        where = _field_of(customer, message)
        said = message if plugin is None else f"{message} (plugin {plugin})"
        if where is None:
            out.append(Problem(path, line, said))
            continue
        if not loaded:
            loaded.append(doc())
        if loaded[0] is not None:  # no document: a form's values, not yet a file
            line = line_of(loaded[0], where)
        # the field and the reason alone, for a form to put under the field (field_messages)
        reason = message_reason(message)
        out.append(Problem(path, line, said, loc=tuple(where),
                           reason=reason if plugin is None else f"{reason} (plugin {plugin})",
                           value=_value_at(customer, tuple(where))))
    return out


def _field_of(customer: Any, message: str) -> list[str | int] | None:
    """``"addresses.1: no city"`` → ``["addresses", 1]`` when ``addresses`` is a field of the
    customer (declared or kept from the file); None for a message about no field."""
    found = _FIELD_PREFIX.match(message)
    extra = customer.model_extra or {}
    if found is None:  # a field's name written with its invisible characters escaped (`\u200bowner`)
        from .models.hostile import escaped_text

        return next(([key] for key in extra if isinstance(key, str) and not key.isprintable()
                     and message.startswith(f"{escaped_text(key)}: ")), None)
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in found.group(1).split(".")]
    known = set(type(customer).model_fields) | set(extra)
    return parts if parts[0] in known else None
