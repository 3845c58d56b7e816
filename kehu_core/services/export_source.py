"""The customers an export writes, read from the index as they are written: one customer (a
part of the purchases, :data:`PART`) in memory at a time, never the store's. ``kehu export``
of 25 000 customers held every one as a model (5-6 KB each: 198 MB), and its rows besides."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING

from ..errors import KehuError
from ..i18n import _
from ..models import Customer

if TYPE_CHECKING:
    from ..store import Store

#: the purchases looked up with their customers at once (one query of the index each)
PART = 500


class Chosen:
    """The customers with ``tag`` (in ``segment``) in id order, read anew at each pass. With
    ``reveal``, each with its confidential fields in plain where the user's key opens them (the
    index holds none of them: each such profile is read from its file)."""

    def __init__(self, store: Store, *, tag: str | None = None, segment: str | None = None,
                 reveal: bool = False) -> None:
        self.store, self.tag, self.reveal = store, tag, reveal
        self.members: set[str] | None = None
        if segment is not None:  # a saved segment (README "Segments"): its members' ids
            from .segments import segment_ids

            self.members = segment_ids(store, segment)
        if reveal:
            from .. import confidential

            if not confidential.has_identity(store):
                raise KehuError(_("--reveal writes confidential fields in plain: give your age identity "
                    "(--identity FILE or {IDENTITY_ENV})").format(IDENTITY_ENV=confidential.IDENTITY_ENV))

    def __iter__(self) -> Iterator[Customer]:
        for row in self.store.index.each(tag=self.tag):
            if self.members is None or row.customer.id in self.members:
                yield self._shown(row.customer)

    def among(self, ids: Iterable[str]) -> dict[str, Customer]:
        """Those of ``ids`` that are chosen, by id (the customers of a part of the purchases)."""
        out = {}
        for customer in self.store.index.customers_of(list(dict.fromkeys(ids))):
            if self.tag is not None and self.tag not in customer.tags:  # as the index's tags table holds them
                continue
            if self.members is None or customer.id in self.members:
                out[customer.id] = self._shown(customer)
        return out

    def fields_beyond(self, known: Collection[str]) -> Iterator[str] | None:
        """The names of the fields the chosen customers hold beyond ``known``, in order of the
        first (by id) to hold each, repeated; None when only a pass over the customers tells
        (with ``reveal``: the opened fields are none of the index's)."""
        if self.reveal:
            return None
        return (key for cid, key in self.store.index.fields_beyond(known, tag=self.tag)
                if self.members is None or cid in self.members)

    def _shown(self, customer: Customer) -> Customer:
        if not self.reveal:
            return customer
        from .. import confidential

        full = self.store.get(customer.id)
        return confidential.revealed(self.store, full).customer if full.sealed else customer


def fields_beyond(customers: Iterable[Customer], known: Collection[str]) -> Iterator[str]:
    """What :meth:`Chosen.fields_beyond` says, of any customers (a list a caller made)."""
    found = customers.fields_beyond(known) if isinstance(customers, Chosen) else None
    if found is not None:
        return found
    return (key for customer in customers for key in (customer.model_extra or {}) if key not in known)
