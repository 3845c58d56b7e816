"""Three-way merge of customer profiles, field by field: git's ``merge=kehu`` driver.

git merges ``customer.yaml`` line by line by default, which turns two reps editing
*different* fields that happen to sit on neighbouring lines into a conflict, and can
silently interleave list items. This merge works on the YAML data instead:

* a field changed on one side only takes that side's value;
* list fields (tags, phones, interests ...) merge as sets: both sides' additions are kept,
  an item removed on either side stays removed;
* nested mappings (fields kehu does not know) merge key by key the same way;
* a field changed two different ways is a **conflict**: our value stays in place and both
  versions are written to a ``conflicts:`` list at the end of the file::

      conflicts:
        - field: level
          ours: 金卡
          theirs: 银卡
          base: 普通

  ``kehu check`` reports each entry as ``path:line: ...`` and the TUI shows it; the user
  picks a value and deletes the entry (``kehu customer set ID level=银卡 conflicts=``).
  A missing ``ours``/``theirs``/``base`` key means the field was absent on that side.

The merged file is produced from *our* round-trip document, so our comments, key order and
quoting survive. Only when a side cannot be read as a YAML mapping at all (broken YAML, git
conflict markers from an earlier merge) does the driver fall back to git's line merge; if
that leaves conflict markers the driver reports failure, so git stops and asks the user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..yamlio import (
    dump_roundtrip,
    shared_roundtrip_yaml,
    to_plain_yaml_value,
)

CONFLICTS_KEY = "conflicts"
#: a profile's list of the customers merged into it (`kehu customer merge`), one entry each:
#: ``{id: OTHER, merged: DATE, ...OTHER's differing values}``
ALSO_KNOWN = "also_known"


class _Missing:
    """A field absent on one side (distinct from a field set to null)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass
class Conflict:
    field: str
    ours: Any = MISSING
    theirs: Any = MISSING
    base: Any = MISSING
    paid: Any = MISSING  # payments one clone took while the other voided the purchase
    copy_of: Any = MISSING  # merge_copies: theirs is the copy another customer held (their id)

    def as_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"field": self.field}
        for side in ("ours", "theirs", "base", "paid", "copy_of"):
            value = getattr(self, side)
            if value is not MISSING:
                entry[side] = value
        return entry


@dataclass
class MergeResult:
    text: str
    conflicts: list[Conflict] = field(default_factory=list)
    # True when the sides could not be read as YAML and the text carries git conflict markers
    markers: bool = False
    #: two customers given one id (:func:`.merge_driver.given_one_id`), left unmerged: this clone's text and
    #: the other's
    one_id_two_customers: tuple[str, str] | None = None


class Unmergeable(Exception):
    """A side that is not a YAML mapping; the caller falls back to a line merge."""


def plain(value: Any) -> Any:
    """ruamel's commented/quoted types as plain Python values, for comparing sides."""
    if isinstance(value, Mapping):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (dt.date, Decimal)):
        return value
    return value


def _load(text: str, what: str) -> CommentedMap:
    if not text.strip():
        return CommentedMap()
    try:
        doc = shared_roundtrip_yaml().load(text)
    except Exception as exc:  # any parse failure means: fall back to a line merge
        raise Unmergeable(f"{what} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if doc is None:
        return CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise Unmergeable(f"{what} is not a mapping of fields")
    return doc


def merge_texts(base: str, ours: str, theirs: str) -> MergeResult:
    """Merge three versions of a profile; raises :class:`Unmergeable` if one is not YAML."""
    if ours == theirs or theirs == base:
        return MergeResult(ours)
    if ours == base:
        return MergeResult(theirs)
    b = _load(base, "the common ancestor")
    o, t = _load(ours, "our version"), _load(theirs, "their version")
    return _merge_docs(b, o, t, ours)


def merge_copies(ours: str, theirs: str, copy_of: str) -> MergeResult:
    """Merge two copies of one record whose common version nobody kept: two clones each merged
    one customer into the other (``customer merge X Y`` here, ``Y X`` there), so X and Y both
    hold the same purchase, then one clone took a payment on it. What the copies hold alike is
    the base: a payment or a tag on one side only is kept, a field set on one side only is
    taken, and a field the two set differently is a conflict for a person (as in a git merge),
    saying that theirs is the copy customer ``copy_of`` held."""
    o, t = _load(ours, "our version"), _load(theirs, "their version")
    return _merge_docs(_alike(plain(o), plain(t)), o, t, ours, copy_of)


def _alike(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, Any]:
    """The fields two copies hold alike, and of a list the items both have: a stand-in for
    the version both came from."""
    alike: dict[str, Any] = {}
    for key, value in ours.items():
        other = theirs.get(key, MISSING)
        if _same(value, other):
            alike[key] = value
        elif isinstance(value, list) and isinstance(other, list):
            alike[key] = [item for item in value if item in other]
    return alike


def _merge_docs(b: Mapping[str, Any], o: CommentedMap, t: CommentedMap, ours: str,
                copy_of: Any = MISSING) -> MergeResult:
    # asked of the two sides as they came, before the merge below writes their fields into
    # ours: the payer's clone merging the void took the void into its own side first and saw a
    # purchase voided on both sides, so a sale voided and paid in full was merged with no word
    voided_paid = _paid_while_voided(b, o, t)
    conflicts: list[Conflict] = []
    _merge_map(b, o, t, "", conflicts, skip=frozenset({CONFLICTS_KEY}))
    _merge_key(b, o, t, CONFLICTS_KEY, "", conflicts)
    conflicts += voided_paid
    for conflict in conflicts:
        conflict.copy_of = copy_of
    if conflicts:
        entries = o.get(CONFLICTS_KEY)
        if not isinstance(entries, CommentedSeq):
            entries = CommentedSeq(entries or [])
            o[CONFLICTS_KEY] = entries
        known = [plain(e) for e in entries]
        for conflict in conflicts:
            entry = plain(conflict.as_entry())
            if entry not in known:
                entries.append(to_plain_yaml_value(conflict.as_entry()))
                known.append(entry)
    return MergeResult(dump_roundtrip(o, like=ours), conflicts)


def _paid_while_voided(base: Mapping[str, Any], ours: Mapping[str, Any],
                       theirs: Mapping[str, Any]) -> list[Conflict]:
    """A purchase voided in one clone and paid in the other: both are kept (the payments merge
    by id, the void is a field only one side set), but money taken for a sale taken back needs a
    person (refund it, or the sale stands and the void goes), as no single clone can make it —
    one refuses to pay a voided purchase. So it is a conflict: the merge waits, unpushed, and
    ``kehu check`` names it, until someone decides."""
    if base.get("voided") is not None:
        return []
    before = [plain(p) for p in (base.get("payments") or []) if isinstance(p, Mapping)]
    for voider, payer, ours_voided in ((ours, theirs, True), (theirs, ours, False)):
        if voider.get("voided") is None or payer.get("voided") is not None:
            continue
        new = [_written(plain(p)) for p in (payer.get("payments") or [])
               if isinstance(p, Mapping) and plain(p) not in before]
        if new:
            mark = _written(plain(voider["voided"]))
            return [Conflict("voided", mark if ours_voided else MISSING, MISSING if ours_voided else mark,
                             paid=new)]
    return []


def _written(value: Any) -> Any:
    """A mark or a payment as the conflict entry keeps it: dates as ISO text and amounts with
    their cents (YAML reads 300.00 back as 300.0), and no value shared with the record, which
    ruamel would write as an anchor and an alias."""
    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dt.date):
            item = item.isoformat()
        elif key == "amount" and isinstance(item, (int, float, Decimal)) and not isinstance(item, bool):
            item = format(Decimal(str(item)), ".2f")
        out[str(key)] = item
    return out


def _merge_map(base: Mapping[str, Any], ours: CommentedMap, theirs: Mapping[str, Any],
               prefix: str, conflicts: list[Conflict], skip: frozenset[str] = frozenset()) -> None:
    keys = list(ours) + [k for k in theirs if k not in ours]
    for key in keys:
        if key in skip:
            continue
        _merge_key(base, ours, theirs, key, prefix, conflicts)


def _merge_key(base: Mapping[str, Any], ours: CommentedMap, theirs: Mapping[str, Any], key: str,
               prefix: str, conflicts: list[Conflict]) -> None:
    b, o, t = base.get(key, MISSING), ours.get(key, MISSING), theirs.get(key, MISSING)
    pb, po, pt = (MISSING if v is MISSING else plain(v) for v in (b, o, t))
    if _same(po, pt) or _same(pb, pt):
        return  # both agree, or only we changed it
    if _same(pb, po):  # only they changed it
        _set(ours, theirs, key, t)
        return
    name = f"{prefix}{key}"
    if all(map(_listish, (pb, po, pt))) and (isinstance(po, list) or isinstance(pt, list)):
        merged = _merge_list(pb, o, pt)
        if key == ALSO_KNOWN and not prefix and isinstance(merged, list):
            named_once(merged)
        _set(ours, theirs, key, merged)
    elif isinstance(po, dict) and isinstance(pt, dict) and (pb is MISSING or isinstance(pb, dict)):
        _merge_map(b if isinstance(b, Mapping) else {}, o, t, f"{name}.", conflicts)
    else:
        conflicts.append(Conflict(name, po, pt, pb))


def _same(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):  # YAML's true is not the number 1
        return type(a) is type(b) and a == b
    return a == b


def _listish(value: Any) -> bool:
    return value is MISSING or value is None or isinstance(value, list)


def _merge_list(base: Any, ours: Any, theirs: Any) -> Any:
    """Set union that honours removals: ours, minus what they removed, plus what they added."""
    base_items = base if isinstance(base, list) else []
    their_items = theirs if isinstance(theirs, list) else []
    result = ours if isinstance(ours, CommentedSeq) else CommentedSeq(ours if isinstance(ours, list) else [])
    removed = [item for item in base_items if item not in their_items]
    for i in reversed(range(len(result))):
        if plain(result[i]) in removed:
            del result[i]
    current = [plain(item) for item in result]
    for item in their_items:
        if item not in base_items and item not in current:
            result.append(to_plain_yaml_value(item))
            current.append(item)
    return result if len(result) else MISSING


def named_once(known: list[Any]) -> list[Any]:
    """``known`` (an ``also_known`` list) with each merge named once, in place: one merge made
    in two clones (on two days: the entries differ by ``merged``) was named twice after a sync,
    as are two merges of one id joined by anything else. The first entry of an id stays, given
    the values only a later one holds (nothing of it is lost). Entries of one id under two
    names are two merges (two customers that stood under the id in turn, the second merged
    again, `kehu customer merge KEEP ID` as check asks): both stay, each with its name and day."""
    first: dict[str, list[Any]] = {}
    later = []
    for i, entry in enumerate(known):
        id_ = entry.get("id") if isinstance(entry, Mapping) else None
        if not isinstance(id_, str):
            continue
        kept = next((e for e in first.get(id_, []) if same_merge(e, entry)), None)
        if kept is None:
            first.setdefault(id_, []).append(entry)
            continue
        for key, value in entry.items():
            if key not in kept:
                kept[key] = value
        later.append(i)
    for i in reversed(later):
        del known[i]
    return known


def same_merge(entry: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Whether two ``also_known`` entries of one id are one merge: their names agree (one of
    them, written before every entry held its name, may have none)."""
    return entry.get("name") in (None, other.get("name")) or other.get("name") is None


def _set(ours: CommentedMap, theirs: Mapping[str, Any], key: str, value: Any) -> None:
    if value is MISSING:
        if key in ours:
            del ours[key]
        return
    if key in ours:
        ours[key] = value
        return
    # A field only they have goes after the field that precedes it on their side.
    order = list(theirs)
    position = 0
    if key in order:
        for previous in reversed(order[: order.index(key)]):
            if previous in ours:
                position = list(ours).index(previous) + 1
                break
    if CONFLICTS_KEY in ours and position > list(ours).index(CONFLICTS_KEY):
        position = list(ours).index(CONFLICTS_KEY)
    ours.insert(position, key, value)
