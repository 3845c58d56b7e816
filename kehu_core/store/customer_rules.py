"""Customers: what a write of a profile is refused for (a referrer, the plugins' rules, an id
taken another way) and what the plugins keep of it: every door's write goes through here."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..calendar import birthday_after, created_after
from ..computed_fields import shown_by_kehu_messages, spelled_as_field_messages
from ..errors import KehuError, Problem, RecordError
from ..i18n import _
from ..ids import case_twin_message, check_id
from ..models import TRUSTED, Customer, referral_loop, referral_loop_message
from ..plugin_code import WrongResult
from ..problems import plugin_problems
from ..yamlio import YamlFileError, load_scan
from .profile_text import text_doc, with_values


class CustomerRulesMixin:
    """A part of :class:`kehu_core.store.Store`: the rules every write of a profile passes."""

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
            text = with_values(text, self._sealed_values(kept.owner, changes))
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

    def refuse_case_twin(self, folder: Path, beside: Iterable[str] | None = None) -> None:
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
