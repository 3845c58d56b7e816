"""A plugin's customer fields as the customer model gets them: each type guarded, its numbers
read by the rule of every door (see :func:`guarded_fields`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import localcontext
from typing import Annotated, Any

from pydantic import ValidationError, WrapValidator

from ..i18n import _
from ..plugin_code import error_text, plugin_exits, stops_kehu


def guarded_fields(plugin: str, declared: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    """A plugin's ``customer_fields`` with each type guarded: its validators are the plugin's
    code, run on whatever a profile holds (a colleague's hand edit), and one raising KeyError or
    calling sys.exit on a value, instead of refusing it, ended `kehu check`, `customer list`
    and every other command reading that customer in "internal error" (or the plugin's exit
    code, without a word). Such a failure is that field's problem, named with the plugin."""
    return {key: (Annotated[kind, WrapValidator(_failure_is_a_problem(plugin, kind))], default)
            for key, (kind, default) in declared.items()}


def _failure_is_a_problem(plugin: str, kind: Any) -> Callable[[Any, Any], Any]:
    from ..models.fields import numbers_as_written, reads_numbers

    # whether the kind holds a number anywhere: answered here once, not on each value (its
    # annotation walked for every profile `kehu check` and a list read)
    try:
        numbers = reads_numbers(kind)
    except Exception:  # noqa: BLE001 - a type of the plugin's own that cannot be asked: each value read
        numbers = True

    def validate(value: Any, handler: Any) -> Any:
        # its numbers read by every door's rule, before the type's own (pydantic's lax rule
        # took `shoe_size=1_000` and a float's `١٢٣`): models.fields.numbers_as_written
        if numbers:
            value, found = numbers_as_written(kind, value)
            if found:
                from ..models.hostile import TooDeep

                loc, message = found[0]
                raise TooDeep(message, loc)
        try:
            with plugin_exits(), localcontext():  # Decimal's context is kehu's (plugin_code.plugin_code)
                kept = handler(value)
        except ValidationError:
            raise
        except BaseException as exc:
            if stops_kehu(exc):
                raise
            error = f"sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else error_text(exc)
            raise ValueError(_("the field type of plugin {plugin} failed on this value ({error})").format(
                plugin=repr(plugin), error=error)) from None
        # a float type reads "nan" and "inf" as numbers: a record holds neither (models.too_deep)
        if isinstance(kept, float) and not math.isfinite(kept):
            from ..models.hostile import no_number_problem

            raise ValueError(no_number_problem())
        return kept

    return validate
