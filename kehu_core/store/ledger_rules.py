"""The ledger rules asked of a line before it is added (``Store.append_ledger``): kehu's own
rule of a reminders line, the plugins' ``validate_ledger_line`` of the line, and the
``validate_ledger`` of every entry of the plugins without the line hook. ``kehu check`` asks
``Store.ledger_rule_messages`` of the whole ledger, the one judge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import RecordError

if TYPE_CHECKING:
    from . import Store


def plugins_ledger_messages(store: Store, customer_id: str, name: str, entries: list[dict[str, Any]],
                            leave_out: tuple[str, ...] = ()) -> list[tuple[int, str]]:
    """The plugins' ``validate_ledger`` pairs of these entries, each message naming its plugin."""
    if store.plugins is None:
        return []
    return [(n, f"{message} (plugin {plugin})")
            for plugin, pairs in store.plugins.call("validate_ledger", leave_out=leave_out, store=store,
                                                    customer_id=customer_id, ledger=name,
                                                    entries=[dict(e) for e in entries])
            for n, message in pairs]


def new_line_messages(store: Store, customer_id: str, name: str, entry: dict[str, Any]) -> list[str]:
    """The messages ``entry`` added to the customer's ledger ``name`` would bring. The ledger
    is read whole only for a plugin whose rule needs it: kehu's rule of a reminders line is the
    line's own, and a plugin implementing ``validate_ledger_line`` answers of the line (the
    points plugin reads the rest only for a line that spends or names a sale the ledger names
    already): reading and checking a ledger of 23 000 entries for every sale doubled the CPU of
    `kehu purchase add`. A ledger no reader takes is the reader's to name."""
    from ..reminder_state import LEDGER as REMINDERS
    from ..reminder_state import state_entry_problem

    new = [problem for problem in [state_entry_problem(entry, customer_id)] if problem] if name == REMINDERS else []
    if store.plugins is None:
        return new
    by_line = tuple(store.plugins.implementers("validate_ledger_line"))
    if by_line:
        new += [f"{message} (plugin {plugin})" for plugin, messages in store.plugins.call(
            "validate_ledger_line", store=store, customer_id=customer_id, ledger=name, entry=dict(entry))
            for message in messages]
    if any(p not in by_line for p in store.plugins.implementers("validate_ledger")):
        new += _whole_ledger_messages(store, customer_id, name, entry, by_line)
    return new


def _whole_ledger_messages(store: Store, customer_id: str, name: str, entry: dict[str, Any],
                           leave_out: tuple[str, ...]) -> list[str]:
    """The messages the ``validate_ledger`` rules of the plugins not in ``leave_out`` bring when
    ``entry`` is added to the ledger: those of its entries before (the ledger broken by hand)
    are no fault of this line."""
    try:
        held = store.ledger(customer_id, name)
    except RecordError:
        return []
    after = plugins_ledger_messages(store, customer_id, name, [*held, entry], leave_out)
    if not any(n < len(held) for n, _m in after):
        return [message for _n, message in after]
    before = set(plugins_ledger_messages(store, customer_id, name, held, leave_out))
    return [message for n, message in after if (n, message) not in before]
