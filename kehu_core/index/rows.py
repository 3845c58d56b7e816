"""What one record file becomes in the index: rows for its tables, or problems.

Parsing runs in worker processes during a big build, so the results are plain tuples
(``Batch``), cheap to send back and ready for ``executemany``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import KehuError, RecordError, os_error_text
from ..i18n import _
from ..ids import in_wrong_shard
from ..models import Customer, Purchase
from ..phones import display_phone
from ..textsearch import search_text, sort_key
from ..yamlio.files import LEDGER_SUFFIX, YamlFileError, not_text_name_message, read_text
from .freshness import NOT_TEXT

if TYPE_CHECKING:
    from ..store import Store


@dataclass
class Row:
    """A customer as the index knows it: the profile plus figures derived from interactions."""

    customer: Customer
    last_contact: str | None
    last_purchase: str | None
    first_purchase: str | None
    revenue: Decimal
    purchases: int


@dataclass
class Parsed:
    """What one record file contributes to the index (computed in a worker process)."""

    rel: str
    stat: tuple[int, int]
    cid: str
    kind: str
    customer: tuple[Any, ...] | None = None
    tags: list[tuple[str, str]] = field(default_factory=list)
    interaction: tuple[Any, ...] | None = None
    problems: list[tuple[str, int, str]] = field(default_factory=list)
    entries: list[tuple[str, str, str, str]] = field(default_factory=list)  # ledger_entries rows


@dataclass
class Batch:
    """Index rows of many parsed files, as plain tuples: cheap to send back from a worker
    process (a dataclass per file cost ~10 µs a file to pickle and unpickle) and ready for
    ``executemany``."""

    files: list[tuple[str, int, int, str, str]] = field(default_factory=list)
    customers: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    interactions: list[tuple[Any, ...]] = field(default_factory=list)
    problems: list[tuple[str, int, str]] = field(default_factory=list)
    entries: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, p: Parsed) -> None:
        self.files.append((p.rel, p.stat[0], p.stat[1], p.cid, p.kind))
        if p.customer:
            self.customers.append(p.customer)
        self.tags += p.tags
        if p.interaction:
            self.interactions.append(p.interaction)
        self.problems += p.problems
        self.entries += p.entries

    def extend(self, other: Batch) -> None:
        self.files += other.files
        self.customers += other.customers
        self.tags += other.tags
        self.interactions += other.interactions
        self.problems += other.problems
        self.entries += other.entries


def parse_record(store: Store, rel: str, stat: tuple[int, int]) -> Parsed:
    """Read one file under customers/ into index rows, or into problems."""
    parts = rel.split("/")
    # customers/<shard>/<id>/customer.yaml or customers/<shard>/<id>/interactions/<x>.yaml
    cid = parts[2] if len(parts) > 3 else ""
    # the kind comes from where the file is, so a record that fails to load is a broken
    # customer or interaction (its problems), not also an "unexpected file" in `kehu check`
    if stat[1] == NOT_TEXT:  # never read: its name is what is wrong
        return Parsed(rel, stat, "", "misnamed", problems=[(rel, 1, not_text_name_message())])
    out = Parsed(rel, stat, cid, _kind_of(rel, parts))
    path = store.root / rel
    try:
        if out.kind == "customer":
            _customer_rows(out, store.read_customer_file(path), store.config.region)
        elif out.kind == "interaction":
            _interaction_rows(out, store.read_interaction_file(path))
        elif out.kind == "ledger":
            _ledger_rows(out, store, parts)
    except RecordError as exc:
        out.problems = [(rel, p.line, p.message) for p in exc.problems]
    except OSError as exc:  # vanished or unreadable between the scan and the read
        out.problems = [(rel, 1, _("cannot read: {why}").format(why=os_error_text(exc)))]
    return out


def _kind_of(rel: str, parts: list[str]) -> str:
    if len(parts) == 4 and parts[3] == "customer.yaml":
        return "customer"  # in the wrong shard folder: a problem at its id (Store.validate_customer_data)
    if in_wrong_shard(rel):
        # a customer's record outside their folder (a copy, a folder moved by hand): no record of
        # theirs, else it would stand in for the one in their folder (one row per customer and id)
        return "other"
    if len(parts) == 5 and parts[3] == "interactions" and parts[4].endswith(".yaml"):
        return "interaction"  # `visit.yml`, `x.YAML`: no record, named by `kehu check`
    if len(parts) == 4 and parts[3].endswith(".ledger.yaml"):
        return "ledger"
    return "other"


#: an entry's ``id`` as kehu writes a ledger's line (``- {id: k3x9qa2mzt, date: ...}``), and as
#: any line may give it (quoted, elsewhere in the line; a note's "id: x" is one more id to look at)
_KEHUS_ID = re.compile(r"""\n- \{id: ([^\s,'"{}\[\]#]+)""")
_ANY_ID = re.compile(r"""id['"]?[ \t]*:[ \t]*['"]?([^\s,'"{}\[\]#]+)""")


def _ledger_rows(out: Parsed, store: Store, parts: list[str]) -> None:
    """The ids a ledger's text gives its entries: :meth:`Store.customers_with_ledger_entry` reads
    only the ledgers that name the id so, and judges each as it always did (its entries read,
    what is wrong with it said). From the text: a regular's ledger is read again on every sale
    of theirs, and reading it as entries took 0.15 s a thousand (a 2 MiB one, 1.2 s); lines as
    kehu writes them are looked at alone (15 ms for 2 MiB), every line only when one is written
    otherwise. One whose text cannot be read (a FIFO, not UTF-8, too big) names no id, as ``git
    grep`` found none in it; nor is it a problem of the index's own (`kehu check` names it)."""
    path = store.root / out.rel
    try:
        store.refuse_links(path)
        text = "\n" + read_text(path)
    except (KehuError, YamlFileError, OSError, ValueError):
        return
    ids = _KEHUS_ID.findall(text)
    if len(ids) < text.count("\n-"):  # a line of another hand (or of no id): each line looked at
        ids = _ANY_ID.findall(text)
    name = parts[3].removesuffix(LEDGER_SUFFIX)
    out.entries = [(out.rel, name, i, out.cid) for i in sorted(set(ids))]


def docid(customer_id: str) -> int:
    """The full-text row of a customer: a stable number, so it is found without a scan."""
    return int.from_bytes(hashlib.blake2b(customer_id.encode(), digest_size=8).digest(), "big") >> 1


def _customer_rows(out: Parsed, c: Customer, region: str) -> None:
    out.kind = "customer"
    text = search_text(c.name, nickname=c.nickname, organization=c.organization,
                       phones=c.phones, emails=c.emails, tags=c.tags)
    short = search_text(c.name, nickname=c.nickname, tags=c.tags)
    out.customer = (c.id, out.rel, c.name, c.owner, c.level, c.phones[0] if c.phones else None,
                    text, short, c.model_dump_json(), sort_key(c.name),
                    region, display_phone(c.phones[0], region) if c.phones else None,
                    json.dumps(sorted(c.sealed), ensure_ascii=False) if c.sealed else None,
                    _plugin_fields(c))
    out.tags = [(c.id, t) for t in c.tags]


def _plugin_fields(c: Customer) -> str | None:
    """The values of the fields plugins declare that the profile sets, as JSON (None: none set)."""
    declared = type(c).model_fields.keys() - Customer.model_fields.keys()
    if not declared:
        return None
    text = c.model_dump_json(include=declared, exclude_none=True)
    return None if text == "{}" else text


VOIDED = "voided"
"""The index's kind of a voided purchase: its file stays in the customer's history, but no
query for purchases (revenue, receivables, reports, reminders' histories) ever sees it."""


def _interaction_rows(out: Parsed, i: Any) -> None:
    out.kind = "interaction"
    is_purchase = isinstance(i, Purchase)
    kind = VOIDED if is_purchase and i.voided is not None else i.kind
    out.interaction = (
        out.cid, i.id, kind, i.date.isoformat(),
        float(i.amount) if is_purchase else None,
        int(i.paid) if is_purchase else None,
        i.due.isoformat() if is_purchase and i.due else None,
        i.model_dump_json(),
        str(i.owed) if is_purchase else None,
        1 if (i.model_extra or {}).get("conflicts") else None,  # as interactions_with_conflicts asks
    )


def parse_written(rel: str, stat: tuple[int, int], record: Any, region: str) -> Parsed:
    """Index rows of a file kehu itself just wrote from ``record`` (validated): the same rows
    :func:`parse_record` would get by reading the file back, without reading it."""
    parts = rel.split("/")
    out = Parsed(rel, stat, parts[2] if len(parts) > 3 else "", "other")
    if isinstance(record, Customer):
        _customer_rows(out, record, region)
    else:
        _interaction_rows(out, record)
    return out

