"""Customers: writing their profiles, a new one or some fields of one, sealing confidential fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import yamlio as _yamlio
from ..confidential import split_sealed
from ..errors import ConflictError, KehuError, RecordError
from ..i18n import _
from ..models import Customer
from ..problems import validation_problems
from ..yamlio import (
    YamlFileError,
    dump_new,
    dump_roundtrip,
    load_roundtrip,
    load_roundtrip_to_edit,
    to_plain_yaml_value,
)
from .batch import journaled
from .profile_text import compact_values, composed_name, new_field_position


class CustomerWritesMixin:
    """A part of :class:`kehu_core.store.Store`: writing customers' profiles."""

    @journaled
    def add_customer(self, customer: Customer, *, validated: bool = False) -> Customer:
        """Write a new profile; refuses an id that is already taken, or a customer a plugin's
        ``validate_customer`` rule finds wrong. ``validated``: the caller has just made
        ``customer`` with this store's model in its region (an import's 20 000 customers are
        not validated twice); anything else is validated here."""
        kept = dict(customer.sealed)  # encrypted values it came with (a merge, an import)
        if not (validated and type(customer) is self.customer_model):
            customer = self.customer_model.model_validate(customer.model_dump(), context=self.validation_context())
        path = self.customer_file(customer.id)
        self._refuse_bad_referrer(getattr(customer, "referrer", None), customer.id)
        with self.lock():
            if path.exists():
                raise KehuError(_("customer {id} already exists ({rel})").format(
                    id=repr(customer.id), rel=self.rel(path)))
            self.refuse_case_twin(path.parent)
            values = compact_values(customer)
            for key, text in kept.items():
                values.setdefault(key, text)
            values = self._sealed_values(customer.owner, values)
            customer, text = self.door_write(path, customer, dump_new(values))
            stored = self._as_stored(path, values, customer)
            self._write_indexed(path, text, stored)
        return stored

    @journaled
    def update_customer(
        self, customer_id: str, changes: dict[str, Any], *, expect_version: str | None = None
    ) -> Customer:
        """Change some fields, keeping comments, key order and unknown fields of the file.

        Only the lines of changed fields change. ``None`` or an empty list removes a field.
        A confidential field's plain value is written encrypted; an already encrypted value
        (``age:...``, kehu_core.confidential) is written as it is.
        With ``expect_version`` the write is refused if someone changed the file meanwhile.
        """
        path = self.customer_file(customer_id)
        # an encrypted value given as it is (a merge moving another customer's): written as
        # it is, never validated (nobody may be able to read it)
        # a field's name composed (NFC), as the model reads a file's (``models.composed_names``)
        changes, given_sealed = split_sealed({composed_name(k): v for k, v in changes.items()})
        if "referrer" in changes:
            self._refuse_bad_referrer(changes["referrer"], customer_id)
        with self.lock():
            if not path.is_file():
                raise self.no_such_customer(customer_id)
            if expect_version is not None and self.file_version(customer_id) != expect_version:
                raise ConflictError(
                    _("{rel} was changed by someone else since you opened it; reload it and apply your "
                        "change again").format(
                        rel=self.rel(path))
                )
            try:
                # a big entry the edit leaves alone (a list of 40 000 items) is read by the fast
                # loader and written back as the file has it: ruamel's round trip of it took seconds
                doc, aside = load_roundtrip_to_edit(path, lambda name: composed_name(name) in changes)
            except YamlFileError as exc:
                raise RecordError([exc.problem]) from None
            old = self.validate_customer_data(path, dict(doc))
            # an encrypted field is not validated (nobody may be able to read it) and stays as
            # it is unless changed; a new value of a confidential field is validated in plain
            # and written sealed
            # each field as the file spells its name (a hand edit's decomposed `café`): a change
            # of it is written in its line, never as a second line of the composed name
            spelt = {composed_name(k): k for k in doc}
            merged = {**{composed_name(k): v for k, v in doc.items() if k not in old.sealed}, **changes}
            merged = {k: v for k, v in merged.items() if v not in (None, [], "")}
            try:
                new = self.customer_model.model_validate(merged, context=self.validation_context())
            except ValidationError as exc:
                # the lines of the file (the document's are not, with entries set aside)
                lines = doc if aside is None else load_roundtrip(path)
                raise RecordError(validation_problems(exc, path, lines)) from None
            if new.id != customer_id:
                raise KehuError(_("the id of a customer cannot be changed"))
            old_values, new_values = compact_values(old), compact_values(new)
            new_values = self._sealed_values(new.owner, new_values, changed=set(changes),
                                             reseal=old.sealed if new.owner != old.owner else None)
            new_values.update(given_sealed)
            for key, value in new_values.items():
                if key not in spelt:
                    doc.insert(new_field_position(doc, key), key, to_plain_yaml_value(value))
                elif old_values.get(key) != value:
                    if spelt[key] != key:  # written composed, in the line it had
                        at = list(doc).index(spelt[key])
                        del doc[spelt[key]]
                        doc.insert(at, key, None)
                    doc[key] = to_plain_yaml_value(value)
            for name in list(doc):
                key = composed_name(name)
                if changes.get(key, 0) in (None, [], ""):
                    del doc[name]
                elif key in changes and key not in new_values:
                    # set to a default a new file leaves out (do_not_contact=false): the line
                    # shows the new value rather than keeping the old one
                    doc[name] = to_plain_yaml_value(getattr(new, key, changes[key]))
            original = _yamlio.read_text(path)
            new, text = self.door_write(path, new, dump_roundtrip(doc, like=original, aside=aside), old=old,
                                        changed=changes, original=original)
            stored = self._as_stored(path, {k: v for k, v in doc.items() if k != "conflicts"}, new)
            if text != original:
                self._write_indexed(path, text, stored)
        return stored

    def _sealed_values(self, owner: str | None, values: dict[str, Any], *,
                       changed: set[str] | None = None, reseal: dict[str, str] | None = None) -> dict[str, Any]:
        """``values`` with the confidential fields (those in ``changed``, or all) sealed
        (kehu_core.confidential); ``reseal``: sealed values of a customer whose owner changed,
        encrypted again to the new readers when the user's identity opens them."""
        conf = self.config.confidential
        if not conf.fields and not reseal:
            return values  # no confidential fields: the age library is never loaded
        from .. import confidential

        todo = {k: v for k, v in values.items() if k in conf.fields and (changed is None or k in changed)}
        out = {**values, **confidential.seal_values(self, owner, todo)}
        if reseal and confidential.has_identity(self):
            for key, text in reseal.items():
                if key in out or (changed and key in changed):
                    continue
                try:
                    value = confidential.open_sealed(self, text)
                except confidential.Locked:
                    continue  # left to whoever holds a key: kehu keys rotate
                out[key] = confidential.seal(self, owner, value)
        return out

    def _as_stored(self, path: Path, values: Any, customer: Customer) -> Customer:
        """``customer`` as written to ``path`` (``values``, some sealed): what the index and the
        plugins get, with no plain text of an encrypted field."""
        _plain, sealed = split_sealed(dict(values))
        if not sealed:
            return customer
        stored = customer.model_copy(update={k: None for k in sealed})
        stored._sealed = sealed
        return stored
