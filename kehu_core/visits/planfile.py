"""The rep's own changes to a day's visit plan, kept as a small YAML file in the store::

    visits/王芳/2026-11-20.yaml

    owner: 王芳
    date: 2026-11-20
    add: [c1ngab2x7k]        # visits the rep planned themself
    remove: [c1q8m3pz0d]     # picked by the rules, but not today
    order: [c1ngab2x7k, c1aa0001]   # these first, in this order; the rest as the rules rank them

One file per rep and day, one id per list item: two reps never touch the same file, and a
change is a one-line git diff. The file holds only the changes, never the computed list, so
a complaint recorded after the plan was edited still reaches the plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import KehuError, Problem, RecordError
from ..i18n import _
from ..ids import check_id
from ..yamlio import atomic_write, dump_new, load_fast
from ..yamlio.files import problem_from_yaml_error

if TYPE_CHECKING:
    from ..store import Store

PLANS_DIR = "visits"
_LISTS = ("add", "remove", "order")
_HEADER = "# kehu visits plan: the rep's changes to the day's visit list (docs/visits.md)\n"


@dataclass
class PlanEdits:
    owner: str
    day: dt.date
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.add or self.remove or self.order)


def check_owner(owner: str) -> str:
    """A rep's name as a folder name: refuses what would leave ``visits/`` or hide the file."""
    name = owner.strip()
    if not name or name.startswith(".") or any(ch in name for ch in "/\\:\0") or len(name) > 100:
        raise KehuError(_("--owner {owner}: a rep's name cannot be empty, start with a dot or hold / \\ :").format(
            owner=repr(owner)))
    return name


def plan_path(store: Store, owner: str, day: dt.date) -> Path:
    return store.root / PLANS_DIR / check_owner(owner) / f"{day.isoformat()}.yaml"


def read(store: Store, owner: str, day: dt.date) -> PlanEdits:
    """The rep's changes for ``day`` (none when there is no file). A hand-edited file that
    is not a plan is a RecordError naming the file and the line."""
    path = plan_path(store, owner, day)
    edits = PlanEdits(check_owner(owner), day)
    if not path.is_file():
        return edits
    try:
        data = load_fast(path)
    except Exception as exc:  # the YAML library's errors: one message with the line
        raise RecordError([problem_from_yaml_error(path, exc)]) from None
    if data is None:
        return edits
    if not isinstance(data, dict):
        raise RecordError([Problem(path, 1, "expected a mapping with add, remove and order lists")])
    for key in _LISTS:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise RecordError([Problem(path, _line(path, key), f"{key}: expected a list of customer ids")])
        try:
            ids = [check_id(str(v), f"{key}: customer id") for v in value]
        except (KehuError, ValueError) as exc:
            raise RecordError([Problem(path, _line(path, key), str(exc))]) from None
        setattr(edits, key, list(dict.fromkeys(ids)))
    return edits


def _line(path: Path, key: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(f"{key}:"):
            return n
    return 1


def write(store: Store, edits: PlanEdits) -> Path:
    """Write the changes (or remove the file when there are none left); journaled, so
    ``kehu undo`` takes an edit back."""
    path = plan_path(store, edits.owner, edits.day)
    with store.lock():
        store.note_change(path)
        if edits.empty:
            if path.exists():
                path.unlink()
            return path
        data: dict[str, Any] = {"owner": edits.owner, "date": edits.day}
        for key in _LISTS:
            if getattr(edits, key):
                data[key] = list(getattr(edits, key))
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, _HEADER + dump_new(data))
    return path


def apply(edits: PlanEdits, *, add: tuple[str, ...] = (), remove: tuple[str, ...] = (),
          order: tuple[str, ...] = ()) -> PlanEdits:
    """``--add``, ``--remove`` and ``--order`` on top of what the file holds: adding undoes a
    removal and the other way round; ``--order`` replaces the order (ids named first)."""
    for cid in add:
        if cid in edits.remove:
            edits.remove.remove(cid)
        if cid not in edits.add:
            edits.add.append(cid)
    for cid in remove:
        for key in ("add", "order"):
            if cid in getattr(edits, key):
                getattr(edits, key).remove(cid)
        if cid not in edits.remove:
            edits.remove.append(cid)
    if order:
        edits.order = list(dict.fromkeys(order))
        edits.remove = [cid for cid in edits.remove if cid not in edits.order]
    return edits
