"""What readers hand to the merge step, besides :class:`kehu_core.plugins.ImportedContact`.

A reader (an ``Importer``) yields one ``ImportedContact`` per contact or sheet row:

* ``fields`` uses kehu's customer field names (``name``, ``phones``, ``emails``, ``addresses``,
  ``tags``, ``birthday``, ``organization``, ``title``, ``nickname``, ``notes``, ``level``,
  ``owner``, ``id`` ...). Values are raw text: the merge step normalises phones (E.164 in the
  store's region), emails and birthdays, and names the source line when one is wrong.
* ``purchases`` are interaction dicts (``date``, ``items``, ``amount``, ``gifts``, ``paid``).
* ``extra`` is everything in the source that has no kehu field; it is kept in the record under
  ``import_extra`` so nothing is dropped. Keys starting with ``_`` are not stored: ``_skipped``
  lists what the reader deliberately left out (``PHOTO``) so the summary can say so.

A row the reader cannot make sense of is yielded as a :class:`RowProblem` instead; the rest of
the file is still imported.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...i18n import _

EXTRA_KEY = "import_extra"


def unlink_referrer(record: dict[str, Any]) -> dict[str, Any]:
    """What an import does to a customer whose referrer the store's rule refuses (nobody
    here, or a loop): ``record``'s referrer moved under ``import_extra``, in place, so nothing
    is lost. Returns the new ``import_extra``."""
    extra = dict(record.get(EXTRA_KEY) or {})
    extra["referrer"] = record.pop("referrer", None)
    record[EXTRA_KEY] = extra
    return extra


@dataclass(frozen=True)
class RowProblem:
    source: str  # "contacts.vcf:12"
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class FileProblem(RowProblem):
    """A problem that refuses the whole file it is found in (a CSV line too long or in no
    encoding kehu reads): the rows read before it are not imported either."""


@dataclass(frozen=True)
class RowWarning:
    """Something a reader left out of a file on purpose, said in the import's summary (a
    sheet's column headed by no name and empty): no problem, the import goes on."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


def one_field_twice(header: list[str], targets: list[str | None], adds_up: Collection[str]) -> str | None:
    """Why a sheet's header cannot be read (None: it can): two columns read as one field that
    holds one value (`name` and `Name`, 订单金额 and 实付金额, 日期 and 下单日期). The later
    column's value was taken and the other's dropped, exit 0: an export holding a field of its
    own named `Name` (a hand edit's) came back with that as the customer's name. The columns of
    a field in ``adds_up`` (phones, tags ..., or ``ignore``) add up, as before."""
    seen: dict[str, str] = {}
    for column, target in zip(header, targets, strict=False):
        if target is None or target in adds_up:
            continue
        if target in seen:
            return _("the columns {first} and {second} are both read as {field}, so one of them would be lost; "
                     "rename one, or map it to another field or to ignore in kehu.yaml's import_columns").format(
                first=repr(seen[target]), second=repr(column), field=target)
        seen[target] = column
    return None


def short_source(source: str) -> str:
    """``/home/me/Downloads/客户表.xlsx:12`` → ``客户表.xlsx:12``: where a purchase came from,
    without a path that only means something on one machine."""
    path, _sep, line = source.rpartition(":")
    return f"{Path(path).name}:{line}" if path else source
