"""Interactions (purchases, visits, complaints ...): reading, validating and writing their files
under a customer's ``interactions/`` folder, and telling the plugins of a new one."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .. import yamlio as _yamlio
from ..errors import FutureDate, KehuError, NotFound, Problem, RecordError
from ..i18n import _
from ..ids import check_id
from ..models import Complaint, Customer, Interaction, parse_interaction
from ..problems import validation_problems
from ..yamlio import (
    FastLoader,
    YamlFileError,
    dump_new,
    dump_roundtrip,
    lines_doc,
    load_roundtrip_to_edit,
    load_scan,
    to_plain_yaml_value,
    unlisted_folder_message,
)
from ..yamlio.setaside import ASIDE_AT
from .batch import journaled
from .layout import interaction_id
from .profile_text import text_doc


class InteractionsMixin:
    """A part of :class:`kehu_core.store.Store` (see the package's docstring)."""

    def interactions(self, customer_id: str) -> list[Interaction]:
        folder = self.interactions_dir(customer_id)
        self.refuse_links(folder)
        if not folder.exists():
            return []
        # hidden files are none of kehu's, as the index and `kehu check` leave them out (an
        # editor's or a sync tool's copy, ``.x.yaml``, failed `customer show` as a bad id)
        try:  # listed so that an unreadable folder is said: a glob of it was empty without a word, so
            # `customer show --json` gave no purchases and nothing owed, exit 0, while `check` named it
            names = os.listdir(folder)
        except OSError as exc:
            raise RecordError([Problem(folder, 1, unlisted_folder_message(exc))]) from None
        found = [self.read_interaction_file(folder / name) for name in sorted(names)
                 if name.endswith(".yaml") and not name.startswith(".")]
        return sorted(found, key=lambda i: (i.date, i.id))

    def read_interaction_file(self, path: Path) -> Interaction:
        try:
            data = load_scan(path)
        except YamlFileError as exc:
            raise RecordError([exc.problem]) from None
        if not isinstance(data, dict):
            raise RecordError([Problem(path, 1, "expected a mapping of interaction fields (kind: ..., date: ...)")])
        stem = path.stem
        data.setdefault("id", stem)
        try:
            interaction = parse_interaction(data)
        except ValidationError as exc:
            raise RecordError(validation_problems(exc, path, lines_doc(path))) from None
        if interaction.id != stem:
            raise RecordError([Problem(path, 1, f"id {interaction.id!r} does not match the file name {stem!r}")])
        return interaction

    def check_not_future(self, day: dt.date, what: str = "date", *, allow_future: bool = False) -> None:
        """The one rule on the dates people give kehu (a purchase, a visit, a payment, an
        import's rows): nothing dated after the store's day (``store.today``), which is
        nearly always a typo (next year for this year) that would earn points and sit in every
        report, unless ``allow_future``. Raises :class:`FutureDate` saying so."""
        if not allow_future and day > self.today:
            raise FutureDate(_("{what} {isoformat} is after today ({isoformat2})").format(
                what=what, isoformat=day.isoformat(), isoformat2=self.today.isoformat()))

    def check_days_not_future(self, interaction: Interaction, *, allow_future: bool = False) -> None:
        """:meth:`check_not_future` of a record's day and of the days a purchase holds: its
        payments' and its void's (an import's 付款记录 cell, a plugin's record). A payment dated
        next year came in through `kehu import`, which `kehu purchase pay` refuses. The
        :class:`FutureDate` raised has the day's field as its ``loc`` (``("payments", 0)``), so
        an import names the cell it was read from."""
        days = [(("date",), interaction.date, f"{interaction.kind} date")]
        days += [(("payments", n), payment.date, "payment date")
                 for n, payment in enumerate(getattr(interaction, "payments", None) or [])]
        if (voided := getattr(interaction, "voided", None)) is not None:
            days.append((("voided", "date"), voided.date, "void date"))
        for loc, day, what in days:
            try:
                self.check_not_future(day, what, allow_future=allow_future)
            except FutureDate as exc:
                exc.loc = loc
                raise

    def _check_not_later_today(self, interaction: Interaction, *, allow_future: bool = False) -> None:
        """A complaint received today at a time still to come is refused as a later day is
        (:meth:`check_not_future`): `kehu complaint ack|resolve` refuses a move before the
        complaint was received, so one recorded at 21:00 by a slip at noon could not be
        answered all day (and never on a day given by ``--today``, whose moment is midday)."""
        time = getattr(interaction, "time", None)
        if allow_future or not time or interaction.date != self.today:
            return
        now = self.now().strftime("%H:%M")
        if time > now:
            raise FutureDate(_("complaint time {time} today is after now ({now})").format(time=time, now=now))

    @journaled
    def add_interaction(self, customer_id: str, data: dict[str, Any], *,
                        allow_future: bool = False, customer: Customer | None = None) -> Interaction:
        """Record a purchase, visit, call ... and tell the plugins (points, tiers ...).
        A date after ``today`` is refused unless ``allow_future`` (:meth:`check_not_future`).
        ``customer``: the profile as the caller read it with the store's lock held (it cannot
        have changed since), handed to the plugins instead of reading it again."""
        if not self.exists(customer_id):
            raise self.no_such_customer(customer_id)
        data = dict(data)
        brought = "id" in data  # a plugin may name its record (the API's door): held to check's rules
        date_text = str(data.get("date", ""))
        data.setdefault("id", interaction_id(date_text[:10] if date_text else "undated"))
        try:
            interaction = parse_interaction(data)
        except ValidationError as exc:
            raise RecordError(validation_problems(exc, self.interactions_dir(customer_id) / "(new)")) from None
        self.check_days_not_future(interaction, allow_future=allow_future)
        if isinstance(interaction, Complaint) and interaction.time is None and interaction.date == self.today:
            # received now: its deadlines count from it, whichever door recorded it (the TUI's
            # form recorded none, so its complaints were taken as received at 23:59, a day's
            # grace the CLI's, recorded with the time, did not have)
            interaction.time = self.now().strftime("%H:%M")
        self._check_not_later_today(interaction, allow_future=allow_future)
        path = self.interactions_dir(customer_id) / f"{interaction.id}.yaml"
        # the record and what the plugins write of it (points, a tier's move) are one: a disk
        # full under the plugins' writes left the sale without its points, exit 0
        with self.undo_on_error() if self._batch is None else contextlib.nullcontext():
            self._add_interaction(customer_id, interaction, path, brought, customer)
        return interaction

    def _add_interaction(self, customer_id: str, interaction: Interaction, path: Path, brought: bool,
                         customer: Customer | None) -> None:
        with self.lock():
            if not self.exists(customer_id):  # again, under the lock: a merge or an undo in another
                # process may have deleted the customer since; the file would be without a profile
                raise self.no_such_customer(customer_id)
            if path.exists():
                raise KehuError(_("interaction {id} already exists").format(id=repr(interaction.id)))
            if brought:
                self._refuse_brought_id(customer_id, path, interaction.id)
            payload = interaction.model_dump(mode="python", exclude_none=True)
            payload = {"kind": payload.pop("kind"), **payload}
            payload.pop("id")  # the file name is the id
            payload = {k: v for k, v in payload.items() if v not in ([], None)}
            self.note_saved(path)
            self._write_indexed(path, dump_new(payload), interaction)
        if self._batch is not None:
            self._batch.saved.append((customer_id, interaction, self.saved_by_plugins()))
        elif self.plugins.names():
            fresh = customer is not None and customer.id == customer_id and self.holds_lock()
            self.plugins.interaction_saved(self, customer if fresh else self.get(customer_id), interaction)

    def _refuse_brought_id(self, customer_id: str, path: Path, interaction_id: str) -> None:
        """Refuse a record id a caller chose (a plugin) that `kehu check` would reject: one a
        record of another customer holds (one record under two customers counts twice: revenue,
        points, what is owed) or one differing only in case from a record in the folder (one
        file on macOS and Windows, ``case_twins``). Each was written with exit 0."""
        others = [cid for cid in self.index.customers_with_interaction(interaction_id) if cid != customer_id]
        if others:
            raise KehuError(_(
                "interaction {id} is a record of customer {other} already: one record under two "
                "customers counts twice (revenue, points, what is owed); give it an id of its own").format(
                    id=interaction_id, other=others[0]))
        if path.parent.is_dir():
            from ..case_twins import case_twin_problems

            rels = [self.rel(p) for p in path.parent.iterdir()]
            twins = [p for p in case_twin_problems(self.root, [*rels, self.rel(path)]) if p.path == path]
            if twins:
                raise RecordError(twins)

    def interaction_file(self, customer_id: str, interaction_id: str) -> Path:
        check_id(interaction_id, "interaction id")
        return self.interactions_dir(customer_id) / f"{interaction_id}.yaml"

    def get_interaction(self, customer_id: str, interaction_id: str) -> Interaction:
        path = self.interaction_file(customer_id, interaction_id)
        self.refuse_links(path)
        if not path.exists():
            if not self.exists(customer_id):
                raise self.no_such_customer(customer_id)
            raise NotFound(_("customer {customer_id} has no record {interaction_id}").format(
                customer_id=customer_id, interaction_id=repr(interaction_id)))
        return self.read_interaction_file(path)

    def _edited(self, path: Path, original: str, changes: dict[str, Any], append: dict[str, list[Any]],
                *, as_text: bool) -> tuple[str, Any] | None:
        """The text of ``path`` with ``changes`` and ``append`` made, and what the fast loader
        reads of it; ``as_text``: each list appended to set aside and its items added as lines
        at its end (``SetAside.append``), or None when that cannot be done or its text does not
        read as the list with the items at its end (then the caller reads it whole)."""
        try:
            # a big entry the change leaves alone (a purchase's 40 000 payments, voided) is
            # read by the fast loader and written back as the file has it: ruamel's round
            # trip of it took 38 s of CPU and 700 MB (as a profile's edit, customer_writes)
            doc, aside = load_roundtrip_to_edit(
                path, lambda name: name in changes or (not as_text and name in append))
        except YamlFileError as exc:
            raise RecordError([exc.problem]) from None
        for key, value in changes.items():
            if value is None:
                doc.pop(key, None)
            elif doc.get(key) != value:
                doc[key] = to_plain_yaml_value(value)
        lengths: dict[str, int] = {}
        for key, items in append.items():
            values = []
            for item in items:
                value = to_plain_yaml_value(item)
                if isinstance(item, dict):
                    value.fa.set_flow_style()
                values.append(value)
            if as_text:
                if aside is None or not aside.append(key, values):
                    return None
                lengths[key] = len(doc[key])
                continue
            if key not in doc or doc[key] is None:
                doc[key] = to_plain_yaml_value([])
            doc[key].extend(values)
        text = dump_roundtrip(doc, like=original, aside=aside)
        try:
            data = yaml.load(text, Loader=FastLoader)  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            if as_text:
                return None
            raise
        if as_text and not (isinstance(data, dict) and all(
                isinstance(data.get(key), list) and len(data[key]) == n for key, n in lengths.items())):
            return None
        return text, data

    @journaled
    def update_interaction(
        self, customer_id: str, interaction_id: str, changes: dict[str, Any],
        *, append: dict[str, list[Any]] | None = None,
    ) -> Interaction:
        """Change fields of one interaction file (a complaint's state, a purchase's payments),
        keeping its comments and the lines of other fields; ``append`` adds items to the end
        of each named list field (created if missing), a mapping as one line (``- {a: 1}``),
        so two clones' additions touch different lines. The result is validated before
        anything is written: an invalid change leaves the file as it was."""
        path = self.interaction_file(customer_id, interaction_id)
        append = append or {}
        with self.lock():
            self.get_interaction(customer_id, interaction_id)  # NotFound, or invalid as it is
            original = _yamlio.read_text(path)
            # a big list appended to (a purchase's 40 000 payments) gets its new lines as text
            # at its end, its other lines unread by the round trip; checked, else read whole
            found = self._edited(path, original, changes, append, as_text=bool(append) and len(original) >= ASIDE_AT)
            if found is None:
                found = self._edited(path, original, changes, append, as_text=False)
            assert found is not None
            text, data = found
            data.setdefault("id", interaction_id)
            try:
                interaction = parse_interaction(data)
            except ValidationError as exc:  # at the line of the file as it would be written
                raise RecordError(validation_problems(exc, path, text_doc(text))) from None
            if text != original:
                self._write_indexed(path, text, interaction)
        return interaction
