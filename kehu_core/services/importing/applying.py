"""Pass 2 of an import: the plan :mod:`.matching` made, written to the store under one lock
(new customers added, changed ones updated, purchases written; the index refreshed once), and
sorted into the summary's created / merged / skipped. A referrer that is nobody here or closes
a loop is left out first, each customer still written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ...errors import KehuError, RecordError
from ...i18n import _
from ...problems import validation_problems
from .base import EXTRA_KEY, unlink_referrer
from .plan import ImportSummary, Planned

if TYPE_CHECKING:
    from pathlib import Path

    from ...index.rows import Parsed
    from ...models import Customer
    from ...store import Store
    from .prepare import Prepared

#: at most this many new customers a worker rendered are written at a time (the progress bar moves)
RENDERED_RUN = 1000
#: the plan's customers written (or judged) and let go of at a time
PART = 2000


def apply_plan(store: Store, plan: Iterable[Planned], planned: dict[str, str | None], summary: ImportSummary,
               *, dry_run: bool, allow_future: bool, progress: Callable[[int], None] | None = None) -> None:
    """Write ``plan`` (the plan's customers, in order; ``planned``: each new or re-referred
    one's referrer as planned) unless ``dry_run``, and sort it into ``summary``'s created /
    merged / skipped: :data:`PART` customers at a time, each part let go of once written."""
    stored: dict[str, str | None] = {}  # each stored customer's referrer read once for all rows
    if dry_run:
        for work in _parts(plan):
            work = _refuse_bad_referrers(store, work, summary, planned, stored)
            _judge(store, work, summary)
            _sort(work, summary)
        return
    model, context = store.customer_model, store.validation_context()
    # One lock, one flush to disk for the whole batch (Store.batch), the plugins told of its
    # sales once all are written. A write that fails (a full disk) takes back what the import
    # wrote before it: a hundred customers of a sheet of three thousand is no import anyone
    # asked for. Each part is indexed once written and let go of (Store.settle_batch).
    with store.undo_on_error(), store.batch():
        for work in _parts(plan):
            work = _refuse_bad_referrers(store, work, summary, planned, stored)
            for rendered, run in _runs(work, _rendered):
                if rendered:
                    _write_rendered(store, run, summary)
                    if progress:
                        progress(len(run))
                    continue
                for entry in run:
                    try:
                        _write(store, model, context, entry, allow_future)
                    except (KehuError, ValidationError) as exc:
                        _refused(summary, entry, exc)
                    if progress:
                        progress(1 + len(entry.purchases))
            store.settle_batch()
            _sort(work, summary)


def _parts(plan: Iterable[Planned]) -> Iterator[list[Planned]]:
    part: list[Planned] = []
    for entry in plan:
        part.append(entry)
        if len(part) >= PART:
            yield part
            part = []
    if part:
        yield part


def _sort(work: list[Planned], summary: ImportSummary) -> None:
    """``work`` (written, judged) sorted into ``summary``'s created / merged / skipped."""
    for entry in work:
        if not entry.sources:
            continue
        summary.purchases_added += len(entry.purchases)
        if entry.new:
            summary.created.append(entry.describe())
        elif entry.changes or entry.purchases:
            summary.merged.append(entry.describe())
        else:
            summary.skipped.append({**entry.describe(), "reason": _("already in the store")})


def _judge(store: Store, work: list[Planned], summary: ImportSummary) -> None:
    """A dry run's customers judged as the write judges them (the model in the store's region,
    then every door's rules: the plugins' ``validate_customer``, a field named as one kehu
    computes), nothing written: a row the import refuses was "would create" in the dry run,
    "0 failed", and refused by the import itself."""
    model, context = store.customer_model, store.validation_context()
    for entry in work:
        if not entry.sources or not (entry.new or entry.changes):
            continue
        try:
            customer = model.model_validate(entry.current, context=context)
            problems = store.door_problems(store.customer_file(entry.cid), customer)
            if problems:
                raise RecordError(problems)
        except (KehuError, ValidationError) as exc:
            _refused(summary, entry, exc)


def _refused(summary: ImportSummary, entry: Planned, exc: Exception) -> None:
    """``entry`` refused for ``exc``, written or judged (a dry run): its problems said at its
    first row, nothing of it counted as created or merged, none of its purchases."""
    summary.problems.extend(_apply_problems(entry, exc))
    entry.purchases = []
    entry.sources = []


def _refuse_bad_referrers(store: Store, work: list[Planned], summary: ImportSummary,
                          planned: dict[str, str | None], stored: dict[str, str | None]) -> list[Planned]:
    """The store's referrer rule (``Store.referrer_problem``), against the store and this
    import's own customers as they will be: a referrer that is nobody here (a sheet of one
    rep's customers, whose referrers are in another store) or one that closes a loop (two
    rows each naming the other) is not written — the customer is, with that id kept under
    ``import_extra`` and a line in the summary, so nothing is lost and nobody is refused
    for it. The batch cannot check it row by row (a referrer may come later in the file).
    ``planned``: every planned customer's referrer (changed here as one is refused: a later
    part's loop check sees that); ``stored``: the stored ones read so far."""
    for entry in work:
        if entry.cid not in planned:
            continue
        referrer = planned[entry.cid]
        problem = store.referrer_problem(referrer, entry.cid, planned, stored)
        if problem is None:
            continue
        where = entry.sources[0] if entry.sources else entry.cid
        summary.unlinked.append(_("{where}: {problem}; imported without it (kept under {key})").format(
            where=where, problem=problem, key=EXTRA_KEY))
        planned[entry.cid] = None  # as it will be written: a later row's loop check sees that
        extra = unlink_referrer(entry.current)
        # the worker's file had the referrer: its guess without it, if it made one (still
        # only written when equal to current: _rendered), else written from current
        entry.prepared = entry.prepared.unlinked if entry.prepared is not None else None
        if not entry.new:
            entry.changes.pop("referrer", None)
            entry.changes[EXTRA_KEY] = extra
    return work


def _rendered(entry: Planned) -> bool:
    """A new customer exactly as a worker guessed it (see .prepare), nothing else to write."""
    guess = entry.prepared
    return (entry.new and guess is not None and guess.made and not entry.purchases
            and guess.cid == entry.cid and guess.record == entry.current)


def _write_rendered(store: Store, run: list[Planned], summary: ImportSummary) -> None:
    """New customers whose files the workers made: written as :func:`_write` would write
    them (Store.add_rendered_customers checks each one the same way), several at a time."""
    model = store.customer_model

    def written(guess: Prepared) -> tuple[Customer, str, Parsed | None, Path | None]:
        text, state, rows = guess.parts()  # unpacked a run at a time (Prepared.packed)
        return guess.customer(model, state), text, rows, guess.staged

    done = store.add_rendered_customers(written(e.prepared) for e in run if e.prepared)
    for entry, result in zip(run, done, strict=True):
        entry.prepared = None  # written: its guess is held no longer (the plan is, to the import's end)
        if isinstance(result, KehuError):
            _refused(summary, entry, result)


def _write(store: Store, model: type[Customer], context: dict[str, Any], entry: Planned,
           allow_future: bool) -> None:
    if entry.new:
        customer = model.model_validate(entry.current, context=context)
        store.add_customer(customer, validated=True)
    elif entry.changes:
        store.update_customer(entry.cid, entry.changes)
    for purchase in entry.purchases:
        store.add_interaction(entry.cid, purchase, allow_future=allow_future)


def _runs(work: list[Planned], rendered: Callable[[Planned], bool]) -> Iterator[tuple[bool, list[Planned]]]:
    """The plan in order, cut into runs of entries that are all ``rendered`` or all not (a
    rendered run at most RENDERED_RUN long, so the progress bar moves)."""
    run: list[Planned] = []
    kind = False
    for entry in work:
        this = rendered(entry)
        if run and (this != kind or len(run) >= RENDERED_RUN):
            yield kind, run
            run = []
        kind = this
        run.append(entry)
    if run:
        yield kind, run


def _apply_problems(entry: Planned, exc: Exception) -> list[str]:
    where = entry.sources[0] if entry.sources else entry.cid
    if isinstance(exc, RecordError):
        return [f"{where}: {p.message}" for p in exc.problems]
    if isinstance(exc, ValidationError):
        return [f"{where}: {p.message}" for p in validation_problems(exc, where)]
    return [f"{where}: {exc}"]
