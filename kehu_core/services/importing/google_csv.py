"""Google Contacts CSV ("Export → Google CSV"), current and older column sets.

Multi-valued cells are joined with `` ::: `` (``Phone 1 - Value: 137... ::: 139...``); ``Labels``
holds groups such as ``* myContacts ::: VIP``; notes and addresses span several lines inside
quotes, so rows are read with the csv module and numbered by the line they start on.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...i18n import _
from ...plugins import ImportedContact
from .base import FileProblem, RowProblem
from .csvstream import CsvText
from .encodings import EncodingProblem, decode_bytes, marked_head
from .limits import LineTooLong, TooManyCells, capped_row
from .sheet import cell_place

if TYPE_CHECKING:
    from ...store import Store

SEP = " ::: "
_NUMBERED = re.compile(r"^(E-mail|Phone|Address|Website|Relation|Event|Custom Field|IM|Organization) "
                       r"(\d+) - (.+)$")
# Google's own groups: every contact is in myContacts, so it says nothing; "* starred" does.
_SYSTEM_LABELS = {"* myContacts", "* other", "My Contacts"}
_PLAIN_LABELS = {"mobile", "home", "work", "other", "main", "* mobile", "* home", "* work",
                 "* other", "* main", ""}
_NAME_PARTS = ("Name Prefix", "First Name", "Given Name", "Middle Name", "Additional Name",
               "Last Name", "Family Name", "Name Suffix")
_SIMPLE = {
    "Nickname": "nickname", "Organization Name": "organization", "Organization 1 - Name": "organization",
    "Organization Title": "title", "Organization 1 - Title": "title", "Birthday": "birthday",
    "Notes": "notes",
}


class GoogleCsvImporter:
    name = "google-csv"
    suffixes = (".csv",)

    def detect(self, path: Path, head: bytes) -> bool:
        marked = marked_head(head[:8192])  # a byte of a line feed in UTF-16 or UTF-32 is no line's end
        try:
            first = marked.split("\n", 1)[0] if marked is not None else decode_bytes(head[:8192].split(b"\n", 1)[0])
        except EncodingProblem:  # not Google's export, which is UTF-8
            return False
        return ("Phone 1 - Value" in first or "E-mail 1 - Value" in first) and (
            "First Name" in first or "Given Name" in first
        )

    def read(self, path: Path, store: Store) -> Iterator[ImportedContact | RowProblem]:
        with CsvText(path) as lines:  # one pass: measured and decoded as it is parsed
            try:
                yield from self._read(path, csv.reader(lines), lines)
            except (EncodingProblem, LineTooLong) as exc:  # a line that refuses the whole file
                refused = lines.refusal(exc)
                yield FileProblem(f"{path}:{getattr(refused, 'line', 1)}", str(refused))

    def _read(self, path: Path, reader: Any, lines: CsvText) -> Iterator[ImportedContact | RowProblem]:
        # where reading stops, a line too long further on refuses the file first (check_rest)
        try:
            header = capped_row(1, next(reader))
        except TooManyCells as exc:
            lines.check_rest()
            yield RowProblem(f"{path}:1", str(exc))
            return
        except StopIteration:
            yield RowProblem(f"{path}:1", "empty file")
            return
        except csv.Error as exc:
            lines.check_rest()
            yield RowProblem(f"{path}:1", _("cannot read this line of the CSV: {exc}").format(exc=exc))
            return
        start = reader.line_num + 1
        try:
            yield from self._rows(path, reader, header, start)
        except csv.Error as exc:  # a cell over the csv module's 128 KB: the rest is unread
            lines.check_rest()
            yield RowProblem(f"{path}:{reader.line_num}", _("cannot read this line of the CSV: {exc}").format(exc=exc))

    def _rows(self, path: Path, reader: Any, header: list[str], start: int
              ) -> Iterator[ImportedContact | RowProblem]:
        for row in reader:
            line, source = start, f"{path}:{start}"
            start = reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            try:
                row = capped_row(line, row)
            except TooManyCells as exc:
                yield RowProblem(source, str(exc))
                continue
            if len(row) > len(header):
                yield RowProblem(source, f"{len(row)} cells but the header has {len(header)} columns")
                continue
            record = dict(zip(header, row, strict=False))
            try:
                yield contact_from_row(record, source)
            except ValueError as exc:
                yield RowProblem(source, str(exc))


def _values(cell: str) -> list[str]:
    return [v.strip() for v in cell.split(":::") if v.strip()] if cell else []


def contact_from_row(record: dict[str, str], source: str) -> ImportedContact:
    fields: dict[str, Any] = {"phones": [], "emails": [], "addresses": [], "tags": []}
    extra: dict[str, Any] = {}
    labels: dict[str, str] = {}
    used: set[str] = set(_NAME_PARTS) | {"Name", "File As"}
    numbered: dict[tuple[str, str], dict[str, str]] = {}
    for column, cell in record.items():
        match = _NUMBERED.match(column)
        if match:
            kind, number, part = match.groups()
            numbered.setdefault((kind, number), {})[part] = cell
            used.add(column)
    places: dict[str, str] = {}
    for column, key in _SIMPLE.items():
        if record.get(column, "").strip():
            fields[key] = record[column].strip()
            used.add(column)
            places[key] = cell_place(None, list(record).index(column), 0, column)  # a birthday's complaint
    fields["name"] = _name(record)
    for (kind, _number), parts in numbered.items():
        label_values = _values(parts.get("Label", "") or parts.get("Type", ""))
        if kind == "Phone":
            values = _values(parts.get("Value", ""))
            fields["phones"].extend(values)
        elif kind == "E-mail":
            values = _values(parts.get("Value", ""))
            fields["emails"].extend(values)
        elif kind == "Address":
            formatted = parts.get("Formatted", "").strip()
            if formatted:
                values = [", ".join(line.strip() for line in formatted.splitlines() if line.strip())]
            else:
                pieces = [parts.get(p, "").strip() for p in
                          ("PO Box", "Extended Address", "Street", "City", "Region", "Postal Code", "Country")]
                values = [", ".join(p for p in pieces if p)] if any(pieces) else []
            fields["addresses"].extend(values)
        elif kind == "Organization" and parts.get("Name"):
            fields.setdefault("organization", parts["Name"].strip())
            if parts.get("Title"):
                fields.setdefault("title", parts["Title"].strip())
            if parts.get("Department", "").strip():
                extra["department"] = parts["Department"].strip()
            continue
        else:  # websites, relations, events, IM, custom fields: kept as extra data
            label = " ".join(label_values) or kind.lower()
            value = parts.get("Value", "").strip()
            if value:
                key = label if kind == "Custom Field" else f"{kind.lower()} ({label})"
                extra[key] = value
            continue
        for pos, value in enumerate(values):
            label = label_values[pos] if pos < len(label_values) else (label_values[0] if label_values else "")
            if label.lower() not in _PLAIN_LABELS:
                labels[value] = label.removeprefix("* ")
    if record.get("Organization Department", "").strip():
        extra["department"] = record["Organization Department"].strip()
        used.add("Organization Department")
    for column in ("Labels", "Group Membership"):
        if column in record:
            used.add(column)
            for label in _values(record[column]):
                if label not in _SYSTEM_LABELS:
                    fields["tags"].append(label.removeprefix("* "))
    for column, cell in record.items():
        if column not in used and cell.strip():
            extra[column] = cell.strip()
    if labels:
        extra["labels"] = labels
    if not fields["name"]:
        fallback = fields.get("organization") or fields.get("nickname")
        fallback = fallback or (fields["phones"] or fields["emails"] or [""])[0]
        if not fallback:
            raise ValueError(_("contact has no name, phone or email"))
        fields["name"] = fallback
    return ImportedContact(source=source, fields=fields, extra=extra, places=places)


def _name(record: dict[str, str]) -> str:
    given = (record.get("First Name") or record.get("Given Name") or "").strip()
    middle = (record.get("Middle Name") or record.get("Additional Name") or "").strip()
    family = (record.get("Last Name") or record.get("Family Name") or "").strip()
    if any("\u3400" <= ch <= "\u9fff" for ch in family + given):
        return f"{family}{middle}{given}"
    name = " ".join(p for p in (given, middle, family) if p)
    return name or (record.get("Name") or record.get("File As") or "").strip()
