"""The plugins' values of customers (the ``customer_values`` hooks), asked through the plugin
host: merged, remembered while records do not change, and what each plugin's values depend on
(:class:`CustomerValues`, a part of :class:`~kehu_core.plugins.host.PluginHost`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from ..models import Customer

if TYPE_CHECKING:
    from ..store import Store


class CustomerValues:
    """The part of :class:`~kehu_core.plugins.host.PluginHost` that asks the plugins for
    customers' values; the host sets these attributes."""

    pm: pluggy.PluginManager
    _running: set[tuple[str, str]]
    #: while values_many (remembering) runs: plugin -> customer id -> its customer_values result
    _memo: dict[str, dict[str, Any]] | None
    _plugins: dict[str, Any]

    if TYPE_CHECKING:  # the host's
        def call(self, hook: str, *, leave_out: Iterable[str] = (), **kwargs: Any) -> list[tuple[str, Any]]: ...

        def names(self) -> list[str]: ...

        def hooks_of(self, name: str) -> list[str]: ...

    def values(
        self, store: Store, customer: Customer, *, skip: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Every plugin's ``customer_values`` merged; plugins named in ``skip`` are not asked
        (by this call: a plugin asked may ask them, as it would without ``skip``)."""
        skip = tuple(skip)
        kept = self._remembered_values(customer, skip)
        if kept is not None:
            return kept
        merged: dict[str, Any] = {}
        for _name, result in self.call("customer_values", leave_out=skip, store=store, customer=customer):
            merge_first_wins(merged, result)
        return merged

    def _remembered_values(self, customer: Customer, skip: tuple[str, ...]) -> dict[str, Any] | None:
        """:meth:`values` from what :meth:`remembering` keeps, when every plugin asked has its
        answer for ``customer`` kept there and no wrapper would see the call: the same merge
        pluggy's call would give (each implementation, last registered first, answers from
        its memo; one running already answers None), without a call through pluggy for each
        customer (a book of 10 000 customers asks 40 000 times, ~0.8 s of CPU). None: not all
        kept, the caller calls the plugins."""
        memo = self._memo
        if memo is None:
            return None
        merged: dict[str, Any] = {}
        for impl in reversed(self.pm.hook.customer_values.get_hookimpls()):
            name = impl.plugin_name
            if impl.wrapper or impl.hookwrapper:
                return None
            if name in skip or (name, "customer_values") in self._running:
                continue
            kept = memo.get(name)
            if kept is None or customer.id not in kept:
                return None
            if kept[customer.id] is not None:
                merge_first_wins(merged, kept[customer.id])
        return merged

    def values_many(
        self, store: Store, customers: Sequence[Customer], *, skip: Iterable[str] = ()
    ) -> list[dict[str, Any]]:
        """:meth:`values` of each customer, in order, with the same answers; a plugin that
        implements ``customer_values_many`` is asked once for all of them (the others, and
        wrappers, per customer; every plugin's answer for a customer is computed once).
        Plugins named in ``skip`` are not asked by this call, but the plugins asked may ask
        them: ``kehu_core.services.derived_values`` computes one plugin's values at a time,
        and the reminders' key-visit rule still gets the tier (it got none, and the next
        reminder kept for lists missed every key-account visit)."""
        skip = tuple(skip)
        outer = self._memo is None
        if outer:
            self._memo = {}
        try:
            if customers:
                self.call("customer_values_many", leave_out=skip, store=store, customers=list(customers))
            return [self.values(store, c, skip=skip) for c in customers]
        finally:
            if outer:
                self._memo = None

    @contextlib.contextmanager
    def remembering(self, known: Mapping[str, Mapping[str, Any]] | None = None) -> Iterator[bool]:
        """Inside the block each plugin's ``customer_values`` of a customer is computed once,
        as within one :meth:`values_many`: for work over records that do not change meanwhile
        that asks for the same customers' values several times (the derived values computed
        plugin by plugin, each plugin asking for the others'). ``known``: answers already
        computed (plugin → customer id → values), taken instead of asking the plugin. Gives
        whether this block remembers anew: False within another's (which may have asked the
        plugins' batches already: a batch that failed there is not asked again here)."""
        if self._memo is not None:
            yield False
            return
        self._memo = {name: dict(values) for name, values in (known or {}).items()}
        try:
            yield True
        finally:
            self._memo = None

    def value_plugins(self) -> list[str]:
        """The plugins that compute values per customer, the one whose value wins a clash of
        keys first (pluggy calls the last registered first, and the first answer wins)."""
        names: list[str] = []
        for hook in (self.pm.hook.customer_values, self.pm.hook.customer_values_many):
            for impl in reversed(hook.get_hookimpls()):
                if impl.plugin_name not in names:
                    names.append(impl.plugin_name)
        return names

    def values_scope(self, name: str) -> str:
        """``"customer"`` when the plugin declares (``values_scope = "customer"``) that its
        values for a customer depend only on that customer's own records, the day and the
        settings: they are then recomputed only for customers whose records changed.
        ``"figures"`` when it gives, with the ``customer_value_figures`` hook, what else each
        customer's values are computed from (a rank among all customers), or names other
        plugins' values it reads (:meth:`values_reads`): recomputed for the customers whose
        records or figure changed. Else ``"store"``: recomputed for everyone
        after any change of the store."""
        declared = getattr(self._plugins.get(name), "values_scope", None)
        if "customer_value_figures" in self.hooks_of(name) or (declared == "customer" and self.values_reads(name)):
            return "figures"
        return "customer" if declared == "customer" else "store"

    def values_reads(self, name: str) -> tuple[str, ...]:
        """The other plugins' values the plugin's values of a customer read (a module attribute
        ``values_reads = ("tier",)``, with ``values_scope = "customer"``: the reminders' key-account
        visits read the tier): they are computed again for a customer whose records or those
        values changed. Nothing declared: ()."""
        declared = getattr(self._plugins.get(name), "values_reads", ())
        if not isinstance(declared, (tuple, list)) or not all(isinstance(k, str) for k in declared):
            return ()
        return tuple(declared)

    def value_figures(self, store: Store, name: str, customer_ids: Sequence[str] | None
                      ) -> dict[str, str | None] | None:
        """``name``'s ``customer_value_figures`` of these customers (None: everyone), or None
        when it failed or gave none (then its values are computed again for everyone asked)."""
        others = [n for n in self.names() if n != name]
        ids = None if customer_ids is None else list(customer_ids)
        for who, result in self.call("customer_value_figures", leave_out=others, store=store, customer_ids=ids):
            if who == name:
                return result  # type: ignore[no-any-return]
        return None


def merge_first_wins(merged: dict[str, Any], result: dict[str, Any]) -> None:
    """Merge results that come last-registered plugin first: the first one seen of a key is
    the one the plugin registered last gave, which wins on a clash (as the hookspecs say)."""
    for key, value in result.items():
        merged.setdefault(key, value)
