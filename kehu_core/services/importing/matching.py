"""Folding imported contacts into the store without ever creating a customer twice.

Two passes, so that ``--dry-run`` and a real import decide exactly the same things:

1. **plan** — every contact is normalised and checked on its own (a bad phone fails that row,
   named by file and line, and nothing else), then matched: by customer id, else by any
   normalised phone or email, else — for a contact with neither — by exact name. Existing
   customers are looked up once through the index; contacts planned earlier in the same batch
   are matched the same way, so the ten rows of one customer in a sheet become one customer
   with ten purchases. Matching adds new phones, emails, tags and addresses, fills empty
   fields, and lists fields that disagree (it never overwrites them).
2. **apply** — under one store lock, new customers are added, changed ones updated (only the
   changed lines of their files), purchases written; the index is refreshed once at the end
   (:mod:`.applying`). What is planned for each customer is a :class:`.plan.Planned`; its sales
   are matched by :mod:`.purchase_match`.

Purchases get an id derived from their content (date, items, amount ...) and how many
identical purchases came before them in the batch, so importing the same file again finds
every purchase already there and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ...calendar import birthday_after
from ...errors import KehuError
from ...i18n import _
from ...plugins import ImportedContact
from ...textsearch import name_key
from ..dedupe import ALSO_KNOWN, contact_keys
from .applying import apply_plan
from .base import EXTRA_KEY
from .plan import ImportSummary, Plan, Planned
from .prepare import LIST_FIELDS, Normaliser, Prepared
from .purchase_match import PurchaseMatching
from .spill import Spill

if TYPE_CHECKING:
    from ...index import Index
    from ...store import Store

_SINGULAR = {"phones": "phone", "emails": "email", "addresses": "address", "tags": "tag",
             "interests": "interest"}


class Merger(PurchaseMatching):
    """Plans and applies one import batch against one store."""

    def __init__(self, store: Store, index: Index | None, *, today: dt.date | None = None,
                 allow_future: bool = False, spill: Spill | None = None):
        self.store = store
        self.allow_future = allow_future
        self.index = index
        self.region = store.config.region
        self.model = store.customer_model
        self.today = today or store.today
        self.by_id: dict[str, str] = {}
        # "phone +86...", "email a@b" (the one rule: services.dedupe.contact_keys) → customer
        self.by_contact: dict[str, str] = {}
        # → every customer that has it, where more than one does (a set for each key cost 650 bytes a contact)
        self.shared_contact: dict[str, set[str]] = {}
        self.by_name: dict[str, list[str]] = {}
        self.existing_data: dict[str, dict[str, Any]] = {}
        self.plan = Plan(spill if spill is not None else Spill())  # past the most recent: in ``spill``
        self.purchase_ids: set[tuple[str, str]] = set()
        self.seen_purchases: Counter[bytes] = Counter()
        # each customer's purchases in the store as (day, items, amount), read when first asked
        self.store_sales: dict[str, Counter[tuple[Any, ...]]] = {}
        self.batch_source_ids: dict[str, str] = {}  # customer made by this batch → id in the file
        self.normaliser = Normaliser(self.region, self.model)
        if index is not None:
            self._load_existing()

    @classmethod
    def detached(cls, store: Store) -> Merger:
        """A merger that knows no customer (a worker guessing a contact's new profile)."""
        return cls(store, None)

    # --- what the store already has ----------------------------------------------------

    def _load_existing(self) -> None:
        for cid, record in self.index.profile_dicts():
            self.existing_data[cid] = record
            self._remember(cid, record)
        self.purchase_ids = self.index.purchase_ids()

    def _remember(self, cid: str, record: dict[str, Any]) -> None:
        self.by_id[cid] = cid
        for merged in record.get(ALSO_KNOWN) or []:  # a customer merged into this one
            if isinstance(merged, dict) and isinstance(merged.get("id"), str):
                self.by_id.setdefault(merged["id"], cid)
        for key in contact_keys(record.get("phones") or [], record.get("emails") or []):
            first = self.by_contact.setdefault(key, cid)
            if first != cid:
                self.shared_contact.setdefault(key, {first}).add(cid)
        if record.get("name"):
            ids = self.by_name.setdefault(name_key(record["name"]), [])
            if cid not in ids:
                ids.append(cid)

    # --- pass 1: plan ------------------------------------------------------------------

    def add(self, contact: ImportedContact, summary: ImportSummary, *, packable: bool = True) -> None:
        prepared: Prepared | None = getattr(contact, "prepared", None)  # by a worker (.prepare)
        try:
            if prepared is None:
                fields, extra = self.normaliser.normalise(contact)
            elif prepared.error is not None:
                raise ValueError(prepared.error)
            else:
                fields, extra = prepared.fields, prepared.extra
            # the store's rule (asked again as the profile is written), here where the row and its
            # cell are known: found at the write, it was said at the customer's first row
            if (born := birthday_after(fields.get("birthday"), self.store.today)) is not None:
                where = contact.places.get("birthday")
                raise ValueError(f"{where}: {born}" if where else born)
            purchases = [self._check_purchase(p, contact.places) for p in contact.purchases]
        except (ValueError, KehuError) as exc:
            summary.problems.append(f"{contact.source}: {exc}")
            return
        for key, value in contact.extra.items():
            if key == "_skipped":
                summary.not_imported.update(value)
            elif not key.startswith("_") and key != "labels":
                summary.extra_fields[key] += 1
        cid, reason = self._match(fields)
        if reason:
            summary.skipped.append({"id": None, "name": fields.get("name"), "source": contact.source,
                                    "reason": reason})
            return
        entry = self._entry(cid, fields, contact.source, prepared.cid if prepared else None)
        if not packable:
            self.plan.keep(entry)
        if entry.new and len(entry.sources) == 1 and prepared is not None and prepared.cid == entry.cid:
            entry.prepared = prepared
        if prepared is not None:  # read: held with the plan until it is written, only the guess is asked
            prepared.fields, prepared.extra = {}, {}
        as_of = max((p["date"] for p in purchases), default=None)
        self._merge_fields(entry, fields, contact.source, as_of)
        if extra:
            self._merge_extra(entry, extra, contact.source)
        for purchase in purchases:
            self._plan_purchase(entry, purchase, contact.source, summary)
        self._remember(entry.cid, entry.current)

    def _match(self, fields: dict[str, Any]) -> tuple[str | None, str | None]:
        """The customer this contact is (None: a new one), or a reason to skip it."""
        own_id = fields.get("id")
        if own_id in self.by_id:
            return self.by_id[own_id], None
        for key in contact_keys(fields.get("phones", []), fields.get("emails", [])):
            cid = self.by_contact.get(key)
            if cid is None:
                continue
            # Two rows of one file with different ids are two customers by the file's own
            # word (a family sharing a phone, a duplicate membership): only customers
            # already in the store, or rows without an id, are merged by phone or email.
            source_id = self.batch_source_ids.get(cid)
            if own_id and source_id and source_id != own_id:
                fields.setdefault("_shared", []).append(f"{key} also belongs to {cid}")
                continue
            return cid, None
        if own_id or fields.get("phones") or fields.get("emails"):
            return None, None
        name = fields.get("name")
        if not name:
            return None, _("no name, and no id, phone or email that matches a customer")
        # Nothing else to go by: the same name is the same customer, unless that is ambiguous.
        matches = self.by_name.get(name_key(name), [])
        if len(matches) == 1:
            return matches[0], None
        if len(matches) > 1:
            return None, _("{count} customers are named {name}; add a phone or email to choose").format(
                count=len(matches), name=name)
        return None, None

    def planned_new(self, fields: dict[str, Any], extra: dict[str, Any], source: str) -> Planned:
        """A new customer's entry as this merge would plan it from a row's ``fields`` and ``extra``
        (both changed as the merge changes them): the import's guess at a new profile before the
        merge step (``prepare``), made by the merge step's own code."""
        entry = self._entry(None, fields, source)
        self._merge_fields(entry, fields, source, None)
        if extra:
            self._merge_extra(entry, extra, source)
        return entry

    def _entry(self, cid: str | None, fields: dict[str, Any], source: str,
               guessed_id: str | None = None) -> Planned:
        planned = self.plan.get(cid) if cid is not None else None
        if planned is not None:
            entry = planned
        elif cid is not None:
            entry = Planned(cid, False, dict(self.existing_data[cid]))
            self.plan.add(entry)
        else:
            if not fields.get("name"):  # a sheet row with only a phone: name the customer by it
                fields["name"] = str(fields.get("id") or (fields.get("phones") or fields["emails"])[0])
            new_id = fields.get("id") or self._new_id(guessed_id)
            entry = Planned(new_id, True, {"id": new_id, "name": fields["name"], "created": self.today})
            self.plan.add(entry)
            if fields.get("id"):
                self.batch_source_ids[new_id] = fields["id"]
        entry.sources.append(source)
        if fields.get("id") and fields["id"] != entry.cid:
            # The file's own id for a customer we know by phone: keep it, and find by it later.
            fields.setdefault("_source_id", fields["id"])
            self.by_id.setdefault(fields["id"], entry.cid)
        return entry

    def _new_id(self, guessed: str | None = None) -> str:
        # a worker's guess (.prepare) is as random as any, and as free: checked the same way
        if guessed is not None and guessed not in self.plan and not self.store.exists(guessed):
            return guessed
        while True:
            candidate = self.store.new_customer_id()
            if candidate not in self.plan:
                return candidate

    def _merge_fields(self, entry: Planned, fields: dict[str, Any], source: str,
                      as_of: dt.date | None) -> None:
        current = entry.current
        source_id = fields.pop("_source_id", None)
        entry.conflicts.extend(f"not merged: {note}" for note in fields.pop("_shared", []))
        for key, value in fields.items():
            if key == "id":
                continue
            if key in LIST_FIELDS:
                have = list(current.get(key) or [])
                known = {v.lower() for v in have} if key == "emails" else set(have)
                new = [v for v in value if (v.lower() if key == "emails" else v) not in known]
                if new:
                    self._set(entry, key, have + new)
                    entry.added.extend(f"{_SINGULAR.get(key, key)} {v}" for v in new)
                continue
            if key == "level" and as_of is not None:
                # A sheet has a row per transaction: the member level of the latest one is
                # current, older rows' levels are history, not conflicts. Decided in finish().
                if entry.level is None or as_of >= entry.level[0]:
                    entry.level = (as_of, value, source)
                continue
            old = current.get(key)
            if key == "created" and entry.new:
                self._set(entry, key, value)  # a kehu export keeps its creation date
                continue
            if old in (None, "", []):
                self._set(entry, key, value)
                if not entry.new:
                    entry.added.append(f"{key} {value}")
            elif old == value:
                continue
            elif key == "birthday" and _same_day(old, value):
                if old.startswith("--"):  # the file knows the year the store did not
                    self._set(entry, key, value)
                    entry.added.append(f"birthday year {value[:4]}")
            elif key == "notes" and str(value) in str(old):
                continue
            elif self._kept_as(entry, key, old) == self._kept_as(entry, key, value):
                continue  # a plugin's field, the same value typed two ways (a tier as it is shown)
            else:
                entry.conflicts.append(f"{key}: kept {old!r}, {source} has {value!r}")
        if source_id:
            self._merge_extra(entry, {"source_id": source_id}, source)

    def _kept_as(self, entry: Planned, key: str, value: Any) -> Any:
        """``value`` of a plugin's field ``key`` as the store keeps it, which the write keeps it as
        (``Store.kept_customer``): a row's `Key customers` is the tier 重要客户 a customer has, no
        conflict. Any other field's, or one the model refuses, as it is."""
        plugins = self.store.plugins
        if plugins is None or key not in plugins.field_owners():
            return value
        try:
            customer = self.model.model_validate({**entry.current, key: value}, context=self.store.validation_context())
        except ValidationError:
            return value
        return self.store.kept_customer(customer, {key})[1].get(key, value)

    def _merge_extra(self, entry: Planned, extra: dict[str, Any], source: str) -> None:
        current = dict(entry.current.get(EXTRA_KEY) or {})
        changed = False
        for key, value in extra.items():
            if key not in current:
                current[key] = value
                changed = True
            elif isinstance(current[key], dict) and isinstance(value, dict):
                merged = {**value, **current[key]}
                if merged != current[key]:
                    current[key] = merged
                    changed = True
            elif current[key] != value:
                entry.conflicts.append(f"{EXTRA_KEY}.{key}: kept {current[key]!r}, {source} has {value!r}")
        if changed:
            self._set(entry, EXTRA_KEY, current)
            if not entry.new:
                entry.added.append(f"{EXTRA_KEY} ({', '.join(extra)})")

    def _set(self, entry: Planned, key: str, value: Any) -> None:
        entry.current[key] = value
        if not entry.new:
            entry.changes[key] = value

    # --- pass 2: apply -----------------------------------------------------------------

    def finish(self, summary: ImportSummary, *, dry_run: bool, progress: Callable[[int], None] | None = None,
               on_total: Callable[[int], None] | None = None) -> None:
        """Sort the plan into created / merged / skipped, and write it unless ``dry_run``
        (:func:`.applying.apply_plan`), a part at a time. ``on_total(n)``: the records to write."""
        planned, total = self.plan.referrers()
        if on_total:
            on_total(total)
        apply_plan(self.store, self._settled(), planned, summary, dry_run=dry_run,
                   allow_future=self.allow_future, progress=progress)

    def _settled(self) -> Iterator[Planned]:
        """The plan's customers in order, let go of as given, each's level its latest row's."""
        for entry in self.plan.drain():
            if entry.level is not None:
                _when, level, source = entry.level
                self._merge_fields(entry, {"level": level}, source, None)
            yield entry


def _same_day(a: str, b: str) -> bool:
    return a[-5:] == b[-5:]
