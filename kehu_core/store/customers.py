"""Customers: reading and validating their profiles (``customer.yaml``).

The rules a write of a profile must pass are in ``customer_rules``, the writes themselves in
``customer_writes``, a profile's text in ``profile_text``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import yamlio as _yamlio
from ..confidential import split_sealed
from ..errors import KehuError, NotFound, Problem, RecordError
from ..i18n import _
from ..ids import new_id, shard
from ..models import TRUSTED, Customer, region_context
from ..problems import validation_problems
from ..yamlio import YamlFileError, line_of, lines_doc, load_scan
from .layout import CUSTOMER_FILE, CUSTOMERS_DIR


class CustomersMixin:
    """A part of :class:`kehu_core.store.Store`: reading customers' profiles."""

    @property
    def customer_model(self) -> type[Customer]:
        return self.plugins.customer_model

    def validation_context(self) -> dict[str, Any]:
        """pydantic's validation context for this store's records (its default phone region):
        ``store.customer_model.model_validate(data, context=store.validation_context())``."""
        return region_context(self.config.region)

    def exists(self, customer_id: str) -> bool:
        return self.customer_file(customer_id).is_file()

    def iter_customer_ids(self) -> Iterator[str]:
        base = self.root / CUSTOMERS_DIR
        if not base.is_dir():
            return
        for shard_dir in sorted(p for p in base.iterdir() if p.is_dir()):
            for cdir in sorted(shard_dir.iterdir()):
                if (cdir / CUSTOMER_FILE).is_file():
                    yield cdir.name

    def no_such_customer(self, customer_id: str) -> NotFound:
        """The one answer of every door to an id no profile holds; where a profile lists it under
        ``also_known`` (a customer merged into that one, which imports, sync and ``kehu serve``
        follow there), that customer is named: a printed list's or a script's id said "no
        customer" and no more. Asked of the index (:meth:`Index.merged_into`)."""
        return NotFound(_("no customer with id {customer_id} in {root}").format(
            customer_id=repr(customer_id), root=self.root) + self._merged_into_note(customer_id))

    def _merged_into_note(self, customer_id: str) -> str:
        """"; it was merged into customer 甲 (…: also_known): use that id" when a profile lists
        ``customer_id`` under ``also_known``, else "": what an unknown id's message adds."""
        from ..index import IndexFailure  # the index's own error, as store.batch asks it

        try:
            keepers = self.index.merged_into(customer_id)
        except (KehuError, OSError, IndexFailure):  # an index that cannot open says so where it is used
            return ""
        if not keepers:
            return ""
        return _("; it was merged into customer {keep} ({rel}: also_known): use that id").format(
            keep=keepers[0], rel=self.rel(self.customer_file(keepers[0])))

    def get(self, customer_id: str) -> Customer:
        path = self.customer_file(customer_id)
        self.refuse_links(path)
        if not path.exists():
            raise self.no_such_customer(customer_id)
        return self.read_customer_file(path)

    def read_customer_file(self, path: Path, place: Path | None = None) -> Customer:
        """Load and validate one profile; errors carry the file and line of the bad field.
        ``place``: the profile's path in the store when ``path`` is a copy of it elsewhere
        (the ``$EDITOR`` copy): the folder rules are checked against the place, not the copy."""
        try:
            data = load_scan(path)
        except YamlFileError as exc:
            raise RecordError([exc.problem]) from None
        return self.validate_customer_data(path, data, place)

    def validate_customer_data(self, path: Path, data: Any, place: Path | None = None) -> Customer:
        if not isinstance(data, dict):
            raise RecordError([Problem(path, 1, "expected a mapping of customer fields (id: ..., name: ...)")])
        data, sealed = split_sealed(data)  # encrypted fields: kept aside, never validated or indexed
        context = self.validation_context()
        if self._validated_before(data):
            context = {**context, **TRUSTED}
        try:
            customer = self.customer_model.model_validate(data, context=context)
        except ValidationError as exc:
            raise RecordError(validation_problems(exc, path, lines_doc(path))) from None
        folder = (place or path).parent
        if folder.name != customer.id:
            line = line_of(lines_doc(path), ["id"])
            message = f"id {customer.id!r} does not match its folder {folder.name!r}"
            raise RecordError([Problem(path, line, message)])
        if folder.parent.name != shard(customer.id):  # `kehu customer show` would not find it
            message = (f"customer {customer.id!r} is in the wrong folder: its place is "
                       f"{CUSTOMERS_DIR}/{shard(customer.id)}/{customer.id}/ (move the folder there)")
            # at the line of the id, which decides the shard folder
            raise RecordError([Problem(path, line_of(lines_doc(path), ["id"]), message)])
        if sealed:
            customer._sealed = sealed
        return customer

    def _validated_before(self, data: dict[str, Any]) -> bool:
        """Whether the profile's phones and emails are exactly those the index holds for it:
        values that passed the phone and email rules when they were indexed (the index keeps
        nothing else), so they are not parsed again. Reading one customer (``customer show``,
        ``purchase add``) then does not load phonenumbers and email_validator (~50 ms); a
        number typed into the file by hand differs from the index's and is checked as ever."""
        cid = data.get("id")
        if not isinstance(cid, str) or not (data.get("phones") or data.get("emails")):
            return False
        index = self._index_for_writes()
        known = index.indexed_profile(cid) if index is not None else None
        return known is not None and all(data.get(key) in (known.get(key), None) for key in ("phones", "emails"))

    def new_customer_id(self) -> str:
        while True:
            candidate = new_id("c")
            if not self.exists(candidate):
                return candidate

    def file_version(self, customer_id: str) -> str:
        """A token that changes whenever the profile file changes (for conflict checks)."""
        try:
            return hashlib.sha1(_yamlio.read_bytes(self.customer_file(customer_id))).hexdigest()
        except YamlFileError as exc:
            raise RecordError([exc.problem]) from None
