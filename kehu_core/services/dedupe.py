"""One customer, one record: when two records are the same customer.

**The rule** (one home: ``customer add``, ``kehu import`` and ``kehu duplicates`` all ask here):

* the same customer — a phone in E.164 (the store normalises every phone with phonenumbers)
  or an email compared case-insensitively that both records have (:func:`contact_keys`).
  ``customer add`` refuses such a customer unless ``--allow-duplicate``; an import merges its
  row into that customer.
* likely the same customer (``kehu duplicates``, for a person to decide) — besides the above,
  the same name with a similar phone (the same last 8 digits, or one digit apart), or names
  written with different characters that sound the same (the same pinyin: 张敏 and 章敏), or
  that look the same (Anna, and Аnna with a Cyrillic А: ``lookalike.look_alike_key``).
  Two customers with the same name and unrelated phones are not listed: namesakes are common;
  two of one name and no phone nor email whose cards say the same (one card twice:
  :func:`card_key`, a sheet imported in two clones) are.

Merging two records found the same: :mod:`kehu_core.services.customer_merge`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import KehuError
from ..i18n import _
from ..lookalike import look_alike_key, look_alike_letters, may_look_like_another
from ..models import Customer
from ..textsearch import name_key, spoken_key
from .profile_merge import ALSO_KNOWN  # noqa: F401 (its home: the merge driver names it too)

if TYPE_CHECKING:
    from ..store import Store


# --- the rule ---------------------------------------------------------------------------------


def phone_key(phone: str) -> str:
    """A stored (E.164) phone as the rule compares it."""
    return f"phone {phone}"


def email_key(email: str) -> str:
    """An email as the rule compares it: case does not matter."""
    return f"email {email.strip().lower()}"


def contact_keys(phones: Iterable[str] = (), emails: Iterable[str] = ()) -> list[str]:
    """What makes two records the same customer: ``phone +8613912345678``, ``email a@b.cn``.
    Two records sharing a key are the same customer (phones as stored: E.164)."""
    return [*(phone_key(p) for p in phones or ()), *(email_key(e) for e in emails or ())]


def similar_phones(a: str, b: str) -> str | None:
    """Why two different phones look like one mistyped (None if they do not): the same last
    8 digits (a landline with and without its area code, a mobile with another prefix), or
    one digit apart."""
    if a == b:
        return None
    da, db = a.lstrip("+"), b.lstrip("+")
    if len(da) >= 8 and len(db) >= 8 and da[-8:] == db[-8:]:
        return _("same last 8 digits")
    if len(da) == len(db) and sum(x != y for x, y in zip(da, db, strict=True)) == 1:
        return _("one digit apart")
    return None


@dataclass
class Match:
    """An existing customer that a new record would duplicate, and what matched."""

    customer_id: str
    name: str
    matched: list[str]  # ["phone +8613912345678", "email zm@example.com"]

    def describe(self) -> str:
        return _("{name} ({id}) has the same {what}").format(
            name=self.name, id=self.customer_id, what=", ".join(_contact_key(k) for k in self.matched))


def same_contact(store: Store, phones: Sequence[str], emails: Sequence[str], *,
                 exclude: str | None = None) -> list[Match]:
    """Customers in the store who share a phone or email with these (the index, read as it is)."""
    wanted = set(contact_keys(phones, emails))
    if not wanted:
        return []
    idx = store.index
    found = []
    for cid, name, their_phones, their_emails in idx.contacts(idx.contact_candidates(phones, emails)):
        if cid == exclude:
            continue
        shared = [k for k in contact_keys(their_phones, their_emails) if k in wanted]
        if shared:
            found.append(Match(cid, name, list(dict.fromkeys(shared))))
    return found


class DuplicateCustomer(KehuError):
    """``customer add`` of someone the store already has."""

    def __init__(self, matches: list[Match]):
        self.matches = matches
        lines = "; ".join(m.describe() for m in matches)
        super().__init__(_("already in the store: {matches}. Nothing was added; use that customer, or add with "
                           "--allow-duplicate if this is really someone else").format(matches=lines))


def _contact_key(key: str) -> str:
    """``phone +8613…`` / ``email …`` (a contact key) as a person reads it."""
    kind, _sep, value = key.partition(" ")
    if kind == "phone":
        return _("phone {value}").format(value=value)
    if kind == "email":
        return _("email {value}").format(value=value)
    return key


def add_customer(store: Store, customer: Customer, *, allow_duplicate: bool = False) -> Customer:
    """Add a new customer unless one with the same phone or email exists (DuplicateCustomer).
    The look-up and the write are one step under the store lock: two processes adding the
    same person at once cannot both pass."""
    with store.lock():
        if not allow_duplicate:
            store.index.refresh()  # what other processes wrote before we took the lock
            matches = same_contact(store, customer.phones, customer.emails)
            if matches:
                raise DuplicateCustomer(matches)
        return store.add_customer(customer)


# --- likely duplicates ------------------------------------------------------------------------


@dataclass
class Reason:
    kind: str  # phone | email | similar_phone | pinyin | look_alike | sheet_row | one_card
    customers: list[str]
    text: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "customers": self.customers, "text": self.text}


@dataclass
class DuplicateGroup:
    customers: list[str]
    names: list[str]
    reasons: list[Reason] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"customers": self.customers, "names": self.names,
                "reasons": [r.text for r in self.reasons],
                "details": [r.as_json() for r in self.reasons]}


def _similar_keys(phone: str) -> list[str]:
    """What two phones :func:`similar_phones` calls alike share: their last 8 digits, or the
    number with the one digit they differ in masked (one key per digit)."""
    digits = phone.lstrip("+")
    keys = [f"8 {digits[-8:]}"] if len(digits) >= 8 else []
    return keys + [f"1 {digits[:i]}?{digits[i + 1:]}" for i in range(len(digits))]


def _similar_phone_reasons(name: str, entries: list[tuple[str, list[str]]]) -> list[Reason]:
    """The customers of one name whose phones look like one mistyped, linked by a reason each
    pair: the phones are put in buckets by what similar ones share (:func:`_similar_keys`), and
    each bucket's phones in turn are a pair, so every customer of a bucket is in one group. A
    name held by thousands (``微信用户`` from a dirty import) compared every pair: 6 000 took
    32 s; the buckets take each phone a dozen times. Customers of one phone are linked by the
    "same phone" reason; a pair is said once."""
    buckets: dict[str, dict[str, str]] = defaultdict(dict)  # key → phone → its first customer
    for cid, phones in entries:
        for phone in dict.fromkeys(phones):
            for key in _similar_keys(phone):
                buckets[key].setdefault(phone, cid)
    said: set[frozenset[str]] = set()
    out = []
    for by_phone in buckets.values():
        listed = list(by_phone.items())
        for (pa, a), (pb, b) in zip(listed, listed[1:], strict=False):
            pair = frozenset((a, b))
            if a == b or pair in said or (why := similar_phones(pa, pb)) is None:
                continue
            said.add(pair)
            out.append(Reason("similar_phone", [a, b], _(
                "same name {name}, similar phones {a} and {b} ({why})").format(name=name, a=pa, b=pb, why=why)))
    return out


def _letters_told(name: str) -> str:
    """``name`` with the letters that only look like what :func:`look_alike_key` reads them as
    named (``Аnna (А U+0410 CYRILLIC CAPITAL LETTER A)``): in the message the two look alike too."""
    import unicodedata

    told = [f"{c} U+{ord(c):04X} {unicodedata.name(c, '')}".rstrip() for c in look_alike_letters(name)]
    return f"{name} ({', '.join(told)})" if told else name


def imported_row(record: Any) -> Any:
    """What names a record an import made (``imported_from``: the sheet's row) with all it says
    but its id, or None for a record no import made. The same sheet imported in two clones (each
    rep before a sync) made each customer twice with the row's sale under another id in each:
    merging the two customers kept both sales, the revenue and the points counted twice: a merge
    keeps it once (``customer_merge``), the sync and ``kehu duplicates`` name the two."""
    if not getattr(record, "imported_from", None):
        return None
    return repr(sorted(record.model_dump(mode="json", exclude={"id"}).items()))


#: what one card written twice differs in: the id each copy was given, the day each was made
_NOT_THE_CARD = ("id", "created", "updated")


def card_key(profile: dict[str, Any]) -> str | None:
    """What names a profile of a name and no phone nor email (those are :func:`contact_keys`'):
    every value it holds but its id and the day it was made, or None for a profile with a
    phone or an email (or no name). The shop's sheet imported in two clones before a sync made
    a row of a name alone (a walk-in's, a note) twice, which neither the contact rule nor a
    sheet row's sale (:func:`imported_row`) named: two profiles of one key are one card
    twice. Namesakes that differ in anything (another note, a tag) are not."""
    if not profile.get("name") or contact_keys(profile.get("phones") or [], profile.get("emails") or []):
        return None
    import json

    return json.dumps({k: v for k, v in profile.items() if k not in _NOT_THE_CARD}, sort_keys=True, default=str)


def _one_card_reasons(store: Store, alone: dict[str, list[str]]) -> list[Reason]:
    """Customers of one name and no phone nor email (``alone``: the name's key -> their ids)
    whose profiles are one card (:func:`card_key`): read only for names held more than once."""
    from ..yamlio import YamlFileError, load_fast

    out = []
    for ids in alone.values():
        if len(ids) < 2:
            continue
        by_card: dict[str, list[str]] = defaultdict(list)
        for cid in ids:
            try:
                profile = load_fast(store.customer_file(cid))
            except (YamlFileError, OSError):  # (a profile `kehu check` names)
                continue
            if isinstance(profile, dict) and (key := card_key(profile)) is not None:
                by_card[key].append(cid)
        out += [Reason("one_card", same, _("the same card twice: one name and nothing else to tell them apart "
                                           "(no phone, no email)")) for same in by_card.values() if len(same) > 1]
    return out


def _one_row_reasons(store: Store) -> list[Reason]:
    """Customers holding one record of one sheet's row (the same ``imported_from`` and content:
    :func:`imported_row`, by which a merge keeps it once): the sheet imported in
    two clones before a sync, each making the customer. A row of a name and a sale, without a
    phone or an email, was listed by no other reason."""
    import json

    from ..models.interactions import parse_interaction

    out = []
    for held in store.index.imported_rows_held_twice():
        by_row: dict[Any, list[str]] = defaultdict(list)
        for cid, data in held:
            try:
                record = parse_interaction(json.loads(data))
            except ValueError:  # (a record `kehu check` names)
                continue
            if cid not in by_row[key := imported_row(record)]:
                by_row[key].append(cid)
        for ids in by_row.values():
            if len(ids) > 1:
                row = str(json.loads(held[0][1]).get("imported_from"))
                said = _("made from one row of one sheet, {row}, imported twice").format(row=row)
                out.append(Reason("sheet_row", ids, said))
    return out


def find_duplicates(store: Store) -> list[DuplicateGroup]:
    """Groups of customers that are likely one person, each with why (see the module's rule)."""
    names: dict[str, str] = {}
    by_key: dict[str, list[str]] = defaultdict(list)
    by_name: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    by_pinyin: dict[str, list[str]] = defaultdict(list)
    by_look: dict[str, list[str]] = defaultdict(list)
    alone: dict[str, list[str]] = defaultdict(list)  # no phone, no email: by name
    for cid, name, phones, emails in store.index.contacts():
        names[cid] = name
        # (an ASCII name looks like itself alone, compared as written; 张伟 like no other name)
        if not name.isascii() and may_look_like_another(name):
            by_look[look_alike_key(name)].append(cid)
        for key in dict.fromkeys(contact_keys(phones, emails)):
            by_key[key].append(cid)
        by_name[name_key(name)].append((cid, phones))
        if not phones and not emails:
            alone[name_key(name)].append(cid)
        # the name read aloud, its digits and letters too: the pinyin alone made every 客户1,
        # 客户2 … (a phone's unnamed contacts) one group, "same pinyin kehu"
        if spoken := spoken_key(name):
            by_pinyin[spoken].append(cid)
    reasons: list[Reason] = []
    for key, ids in by_key.items():
        if len(ids) > 1:
            kind, value = key.split(" ", 1)
            said = _("same phone {value}") if kind == "phone" else _("same email {value}") if kind == "email" \
                else _("same {kind} {value}")
            reasons.append(Reason(kind, ids, said.format(kind=kind, value=value)))
    for name, entries in by_name.items():
        if len(entries) > 1:
            reasons.extend(_similar_phone_reasons(name, entries))
    for spelled, ids in by_pinyin.items():
        spellings = list(dict.fromkeys(names[c] for c in ids))
        if len(spellings) > 1:
            reasons.append(Reason("pinyin", ids, _("same pinyin {pinyin}: {names}").format(
                pinyin=spelled, names=" / ".join(spellings))))
    if by_look:  # the ASCII names each look-alike looks like
        for cid, name in names.items():
            if name.isascii() and (key := look_alike_key(name)) in by_look:
                by_look[key].append(cid)
    for ids in by_look.values():
        shown = list(dict.fromkeys(name_key(names[c]) for c in ids))
        if len(shown) > 1:
            reasons.append(Reason("look_alike", sorted(ids), _("names that look alike: {names}").format(
                names=" / ".join(_letters_told(name) for name in shown))))
    reasons.extend(_one_row_reasons(store))
    reasons.extend(_one_card_reasons(store, alone))
    # customers linked by any reason form one group
    parent: dict[str, str] = {}

    def root(c: str) -> str:
        while parent.get(c, c) != c:
            # halving: c's parent becomes its grandparent, then c moves there. Written as one
            # `c = parent[c] = ...` the assignment went to the grandparent's own entry (targets
            # are assigned left to right), cutting it from its parent: a chain of reasons four
            # links long came out as groups that overlap, one customer in two
            parent[c] = parent.get(parent[c], parent[c])
            c = parent[c]
        return c

    for reason in reasons:
        first = root(reason.customers[0])
        for other in reason.customers[1:]:
            parent[root(other)] = first
    groups: dict[str, list[Reason]] = defaultdict(list)
    for reason in reasons:
        groups[root(reason.customers[0])].append(reason)
    out = []
    for group_reasons in groups.values():
        ids = sorted({c for r in group_reasons for c in r.customers})
        out.append(DuplicateGroup(ids, [names[c] for c in ids], group_reasons))
    return sorted(out, key=lambda g: g.customers)
