"""Customers: reading, validating and writing their profiles (``customer.yaml``)."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import yamlio as _yamlio
from ..calendar import birthday_after, created_after
from ..computed_fields import shown_by_kehu_messages, spelled_as_field_messages
from ..confidential import split_sealed
from ..errors import ConflictError, KehuError, NotFound, Problem, RecordError
from ..handed import WrongResult
from ..i18n import _
from ..ids import case_twin_message, check_id, new_id, shard
from ..keytext import composed
from ..models import TRUSTED, Customer, referral_loop, referral_loop_message, region_context
from ..problems import plugin_problems, validation_problems
from ..yamlio import (
    YamlFileError,
    dump_new,
    dump_roundtrip,
    line_of,
    lines_doc,
    load_roundtrip,
    load_roundtrip_to_edit,
    load_scan,
    to_plain_yaml_value,
)
from .batch import journaled
from .layout import _FIELD_ORDER, CUSTOMER_FILE, CUSTOMERS_DIR


class CustomersMixin:
    """A part of :class:`kehu_core.store.Store` (see the module docstring)."""

    # --- customers ----------------------------------------------------------------------

    @property
    def customer_model(self) -> type[Customer]:
        return self.plugins.customer_model

    def validation_context(self) -> dict[str, Any]:
        """pydantic's validation context for this store's records (its default phone region):
        ``store.customer_model.model_validate(data, context=store.validation_context())``."""
        return region_context(self.config.region)

    def exists(self, customer_id: str) -> bool:
        return self.customer_file(customer_id).is_file()

    def referrer_problem(self, referrer: str | None, customer_id: str | None = None,
                         planned: dict[str, str | None] | None = None,
                         stored: dict[str, str | None] | None = None) -> str | None:
        """What is wrong with ``referrer`` as the referrer of ``customer_id`` (None: nothing):
        the one rule, for the CLI, the TUI form, an import and every write. A referrer must be
        a customer of the store (or one ``planned``: an import's customers and their referrers
        as it will write them), and must not close a loop of referrals back to this customer.
        ``stored``: the stored referrers read so far, kept by a caller asking for many rows (an
        import of 300 rows naming the last of a chain 5 000 deep read 1.5 million files: 38 s)."""
        if not referrer:
            return None
        try:
            check_id(referrer, "referrer id")
        except KehuError as exc:
            return str(exc)
        planned = planned or {}
        if referrer not in planned and not self.exists(referrer):
            return _("referrer {referrer}: no such customer").format(referrer=repr(referrer)) + self._merged_into_note(
                referrer)
        if customer_id is None:
            return None
        if referrer == customer_id:  # the model's rule, said as the model says it
            return _("referrer: a customer cannot have referred themself")
        stored = {} if stored is None else stored

        def referrer_of(cid: str) -> str | None:
            if cid in planned:
                return planned[cid]
            if cid not in stored:
                stored[cid] = self._stored_referrer(cid)
            return stored[cid]

        chain = referral_loop(customer_id, referrer, referrer_of)
        return None if chain is None else referral_loop_message(chain)

    def _stored_referrer(self, customer_id: str) -> str | None:
        """A customer's referrer as its file says (None if it names none or cannot be read:
        the chain ends there; ``kehu check`` reports such a file on its own)."""
        try:
            data = load_scan(self.customer_file(customer_id))
        except (YamlFileError, KehuError, OSError):
            return None
        referrer = data.get("referrer") if isinstance(data, dict) else None
        return referrer if isinstance(referrer, str) else None

    def _refuse_bad_referrer(self, referrer: str | None, customer_id: str | None = None) -> None:
        if self._batch is not None:  # an import checked its referrers before its batch
            return
        problem = self.referrer_problem(referrer, customer_id)
        if problem is not None:
            raise KehuError(problem)

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

    def rule_problems(self, path: Path, customer: Customer,
                      doc: Callable[[], Any] = lambda: None) -> list[Problem]:
        """What the plugins' ``validate_customer`` rules find wrong with ``customer`` (whose
        file is ``path``; ``doc()`` its round-trip document, for the line of a field): the one
        place they are asked, by ``kehu check`` and before every write of a profile. kehu's
        own rules beyond the model are asked here too: a birthday after the store's day (a
        typo, 2062 for 1962), which needs the day, and a field named as what ``customer show``
        computes (``computed_fields.SHOWN_BY_KEHU``)."""
        born = birthday_after(customer.birthday, self.today)
        own = [born] if born is not None else []
        own += [*shown_by_kehu_messages(customer), *spelled_as_field_messages(customer)]
        out = plugin_problems(path, None, customer, own, doc)
        if self.plugins is None:
            return out
        for plugin, messages in self.plugins.call("validate_customer", store=self, customer=customer):
            out.extend(plugin_problems(path, plugin, customer, messages, doc))
        return out

    def door_problems(self, path: Path, customer: Customer,
                      doc: Callable[[], Any] = lambda: None) -> list[Problem]:
        """What every door that writes a profile refuses beyond the model (``customer add`` and
        ``set``, ``kehu edit``, the TUI's form, an import): :meth:`rule_problems`, and a
        ``created`` day after the store's day, which ``kehu check`` only warns of
        (``calendar.created_after``)."""
        late = created_after(customer.created, self.today)
        own = plugin_problems(path, None, customer, [late], doc) if late is not None else []
        return [*self.rule_problems(path, customer, doc), *own]

    def kept_customer(self, customer: Customer,
                      changed: Iterable[str] | None = None) -> tuple[Customer, dict[str, Any]]:
        """``customer`` with the plugins' fields as they keep them, and those fields' kept values
        (``{}``: all kept as given): the one place the ``kept_customer_fields`` hook is asked,
        by :meth:`door_write` (every door's write of a profile) and by the forms that judge a
        profile before it is saved (the TUI's, ``kehu edit``'s). ``changed``: the fields this
        write gives (None: every field, a new profile's); a plugin's field left as it was is
        not asked about, and a plugin none of whose fields is given is not asked. A value the
        field's type refuses is that plugin's wrong result: reported, left out."""
        if self.plugins is None:
            return customer, {}
        owners = self.plugins.field_owners()
        given = [f for f in (owners if changed is None else changed)
                 if f in owners and getattr(customer, f, None) not in (None, [], "")]
        if not given:
            return customer, {}
        by_plugin: dict[str, dict[str, Any]] = {}
        for key, (plugin, value) in self.plugins.kept_fields(self, customer, given).items():
            if value is not None and value != getattr(customer, key, None):
                by_plugin.setdefault(plugin, {})[key] = value
        kept, changes = customer, {}
        for plugin, values in by_plugin.items():
            data = {**kept.model_dump(mode="python"), **values}
            try:  # the rest as validated before: phones and emails not parsed again
                made = self.customer_model.model_validate(data, context={**self.validation_context(), **TRUSTED})
            except ValidationError as exc:
                error = exc.errors()[0]
                self.plugins.report(plugin, "kept_customer_fields", WrongResult(_(
                    "returned {field}: {value}, which the field's type refuses ({error})").format(
                    field=".".join(map(str, error["loc"])), value=f"{error.get('input')!r:.60}",
                    error=error["msg"])))
                continue
            made._sealed = dict(customer.sealed)
            kept = made
            changes.update({key: getattr(made, key) for key in values})
        return kept, changes

    def door_write(self, path: Path, customer: Customer, text: str, *, old: Customer | None = None,
                   changed: Iterable[str] | None = None, original: str | None = None) -> tuple[Customer, str]:
        """What a door writes to ``path`` for a profile: ``customer`` and its file's ``text``,
        with the plugins' fields as they keep them (:meth:`kept_customer`; ``changed``: the
        fields this write gives, None for a new profile), refused (RecordError, nothing
        written) if the profile so kept brings a rule's problem (:meth:`door_problems`; one the
        file ``old`` already had is left for ``kehu check``). ``original``: the file's text
        now; a write leaving it as it is is not refused. The one place every door's write of a
        profile goes through: :meth:`add_customer`, :meth:`update_customer` (``customer set``,
        the TUI's form, an import's merge, ``kehu tier set``), ``add_rendered_customers`` (a big
        import) and ``kehu edit`` (``services.editing``). Returns the kept customer and text."""
        kept, changes = self.kept_customer(customer, changed)
        if changes:
            text = _with_values(text, self._sealed_values(kept.owner, changes))
        if text != original:
            self._refuse_rule_problems(path, kept, text, old)
        return kept, text

    def _refuse_rule_problems(self, path: Path, new: Customer, text: str,
                              old: Customer | None = None) -> None:
        """Refuse a write that would make a plugin's rule fail (``customer set ID wechat=qd``):
        nothing is written. A problem the file already had is left for ``kehu check`` (an
        unrelated change to a customer is not blocked by it)."""
        problems = self.door_problems(path, new, lambda: text_doc(text))
        if problems and old is not None:
            before = {p.message for p in self.door_problems(path, old)}
            problems = [p for p in problems if p.message not in before]
        if problems:
            raise RecordError(problems)

    def refuse_merged_away_id(self, customer_id: str) -> None:
        """Refuse ``customer_id`` for a new customer (``customer add --id``, ``customer reid``)
        when a profile names it under ``also_known``: a customer merged into that one, whose id
        an import's row and a sync's records of it follow to the customer kept; a second
        customer under it would have its references point two ways. Asked of the index."""
        keepers = self.index.merged_into(customer_id)
        if keepers:
            raise KehuError(_("customer id {id} was merged into customer {keep} ({rel}: also_known), and "
                              "imports and sync take it for that customer; choose another id").format(
                id=repr(customer_id), keep=keepers[0], rel=self.rel(self.customer_file(keepers[0]))))

    def _refuse_case_twin(self, folder: Path, beside: Iterable[str] | None = None) -> None:
        """Refuse a new customer folder whose name differs only in case from one beside it
        (``ABC`` next to ``abc``): on macOS and Windows, whose file systems ignore case, a clone
        would check both out as one folder and mix two customers' files. ``beside``: the names
        in its parent folder, if the caller knows them, or those of them whose casefold is its own
        (else they are listed)."""
        wanted = folder.name.casefold()
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            for name in os.listdir(folder.parent) if beside is None else beside:
                if name.casefold() == wanted and name != folder.name:
                    raise KehuError(_("customer id {id} differs only in case from {other} "
                                      "({rel}): on macOS and Windows they would be one folder; "
                                      "choose another id").format(
                        id=repr(folder.name), other=repr(name), rel=self.rel(folder.parent / name)))
        # and in the store: ids in two shard folders (`c-ab12`, `C-AB12`) were two customers, one
        # id to a person typing it, to a folder name elsewhere (a visit plan's, an export's)
        written = self._batch.folded_ids.get(wanted) if self._batch is not None else None
        for other in [*self.index.case_twins(folder.name), *([written] if written not in (None, folder.name) else [])]:
            # the index's twin, unless its folder is gone since it looked (removed by hand, `git
            # checkout` of an older commit): refused for a customer no longer there
            if other == written or self.customer_file(other).is_file():
                raise KehuError(case_twin_message(folder.name, other, self.rel(self.customer_file(other))))

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
            self._refuse_case_twin(path.parent)
            values = _compact(customer)
            for key, text in kept.items():
                values.setdefault(key, text)
            values = self._sealed_values(customer.owner, values)
            customer, text = self.door_write(path, customer, dump_new(values))
            stored = self._as_stored(path, values, customer)
            self._write(path, text)
            self._touched(path, stored)
        return stored

    def file_version(self, customer_id: str) -> str:
        """A token that changes whenever the profile file changes (for conflict checks)."""
        try:
            return hashlib.sha1(_yamlio.read_bytes(self.customer_file(customer_id))).hexdigest()
        except YamlFileError as exc:
            raise RecordError([exc.problem]) from None

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
        changes, given_sealed = split_sealed({_named(k): v for k, v in changes.items()})
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
                doc, aside = load_roundtrip_to_edit(path, lambda name: _named(name) in changes)
            except YamlFileError as exc:
                raise RecordError([exc.problem]) from None
            old = self.validate_customer_data(path, dict(doc))
            # an encrypted field is not validated (nobody may be able to read it) and stays as
            # it is unless changed; a new value of a confidential field is validated in plain
            # and written sealed
            # each field as the file spells its name (a hand edit's decomposed `café`): a change
            # of it is written in its line, never as a second line of the composed name
            spelt = {_named(k): k for k in doc}
            merged = {**{_named(k): v for k, v in doc.items() if k not in old.sealed}, **changes}
            merged = {k: v for k, v in merged.items() if v not in (None, [], "")}
            try:
                new = self.customer_model.model_validate(merged, context=self.validation_context())
            except ValidationError as exc:
                # the lines of the file (the document's are not, with entries set aside)
                lines = doc if aside is None else load_roundtrip(path)
                raise RecordError(validation_problems(exc, path, lines)) from None
            if new.id != customer_id:
                raise KehuError(_("the id of a customer cannot be changed"))
            old_values, new_values = _compact(old), _compact(new)
            new_values = self._sealed_values(new.owner, new_values, changed=set(changes),
                                             reseal=old.sealed if new.owner != old.owner else None)
            new_values.update(given_sealed)
            for key, value in new_values.items():
                if key not in spelt:
                    doc.insert(_position(doc, key), key, to_plain_yaml_value(value))
                elif old_values.get(key) != value:
                    if spelt[key] != key:  # written composed, in the line it had
                        at = list(doc).index(spelt[key])
                        del doc[spelt[key]]
                        doc.insert(at, key, None)
                    doc[key] = to_plain_yaml_value(value)
            for name in list(doc):
                key = _named(name)
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
                self._write(path, text)
                self._touched(path, stored)
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
        out = {**values, **confidential.seal_values(self.config, owner, todo)}
        if reseal and confidential.has_identity(self):
            for key, text in reseal.items():
                if key in out or (changed and key in changed):
                    continue
                try:
                    value = confidential.open_sealed(self, text)
                except confidential.Locked:
                    continue  # left to whoever holds a key: kehu keys rotate
                out[key] = confidential.seal(self.config, owner, value)
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


def _named(name: Any) -> Any:
    """A field's name as the model reads it: composed (NFC; ``models.composed_names``)."""
    return composed(name) if isinstance(name, str) else name


def _position(doc: Any, key: str) -> int:
    """Where a new field goes: after the last present field that comes before it canonically."""
    if key not in _FIELD_ORDER:
        return len(doc)
    rank = _FIELD_ORDER.index(key)
    keys = list(doc)
    pos = 0
    for i, existing in enumerate(keys):
        if existing in _FIELD_ORDER and _FIELD_ORDER.index(existing) < rank:
            pos = i + 1
    return pos


def _with_values(text: str, values: dict[str, Any]) -> str:
    """A profile's ``text`` with these fields' values replaced in their lines (comments kept),
    or added where :func:`_position` puts a new field."""
    from ruamel.yaml.scalarstring import PlainScalarString

    doc = _yamlio.roundtrip_yaml().load(text)
    spelt = {_named(k): k for k in doc}
    for key, value in values.items():
        if key in spelt:
            # quoted only if it must be: ruamel gives a new text the quotes of the one it
            # replaces (' Small customers ', typed with spaces, made '小客户')
            one_line = isinstance(value, str) and "\n" not in value and "\r" not in value
            doc[spelt[key]] = PlainScalarString(value) if one_line else to_plain_yaml_value(value)
        else:
            doc.insert(_position(doc, key), key, to_plain_yaml_value(value))
    return dump_roundtrip(doc, like=text)


def text_doc(text: str) -> Any:
    """The round-trip document of a text about to be written, for the lines of its fields
    (a profile's or an interaction's)."""
    try:
        return _yamlio.roundtrip_yaml().load(text)
    except Exception:  # only for line numbers: line 1 will do
        return None


def new_profile_text(customer: Customer) -> str:
    """The text of a new profile file of ``customer`` (validated, nothing to seal): what
    :meth:`CustomersMixin.add_customer` writes for it."""
    return dump_new(_compact(customer))


def _compact(customer: Customer) -> dict[str, Any]:
    """The fields worth writing: set, non-empty, non-default, in a stable order."""
    data = customer.model_dump(mode="python")
    out: dict[str, Any] = {}
    for key in [*_FIELD_ORDER, *[k for k in data if k not in _FIELD_ORDER]]:
        value = data.get(key)
        if value in (None, [], "") or (key == "do_not_contact" and value is False):
            continue
        out[key] = value
    return out
