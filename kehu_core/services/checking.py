"""``kehu check``: every problem in a store, as ``path:line: message``."""

from __future__ import annotations

import os
import stat
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from ..case_twins import case_twin_problems
from ..errors import Problem, RecordError, os_error_text
from ..i18n import N_, _
from ..ids import case_twin_message, in_wrong_shard, shard
from ..models import Customer, referral_loop_message, referral_loops, region_problem
from ..store import CUSTOMERS_DIR, Store
from ..yamlio import (
    line_of,
    link_message,
    load_roundtrip,
    special_file_message,
    unlisted_folder_message,
)
from ..yamlio.files import markers_message
from . import git_settings, merge_conflicts, unmerged_files
from .checking_ledgers import ledger_problems
from .profile_merge import ALSO_KNOWN
from .store_folder import linked_or_special_files, nested_repository_message


def created_warnings(store: Store) -> list[Problem]:
    """A profile ``created`` after the last day the store can have been written on (its day, or
    the machine's when later: ``clock.latest_written_day``), each at its line: a warning of `kehu
    check`, never a problem. Every door refuses one typed (``Store.door_problems``), but `check`
    reads what other clones wrote on their own day (a colleague east of here, already past
    midnight: as a problem it stopped this clone's `kehu sync`) and runs at a day of the user's
    choosing (``--today`` before customers created since: each would be a false one). From the index."""
    import datetime as dt

    from ..calendar import created_after
    from ..clock import latest_written_day

    latest = latest_written_day(store.today)
    out = []
    for cid, _name, _owner, _level, created, _dnc in store.index.profile_summaries():
        try:
            day = dt.date.fromisoformat(created) if isinstance(created, str) else None
        except ValueError:  # not a day: the profile's own problem, said by check
            continue
        message = created_after(day, latest)
        if message is not None:
            path = store.customer_file(cid)
            try:
                line = line_of(load_roundtrip(path), ["created"])
            except Exception:  # noqa: BLE001 - unreadable meanwhile: the file's own problem
                line = 1
            out.append(Problem(path, line, message))
    return out


def mixed_script_warnings(store: Store) -> list[Problem]:
    """A name mixing Latin letters with Cyrillic or Greek ones (``lookalike.mixed_scripts``:
    Аnna with a Cyrillic А), each at its line: a warning of `kehu check`, never a problem (a
    person may be named in two scripts), in the words the TUI and `customer show` use
    (``lookalike.mixed_script_note``); a spreadsheet shows no mix: such a name passes for
    another customer's (`kehu duplicates` groups the two). From the index."""
    from ..lookalike import mixed_script_note

    out = []
    for cid, name, _owner, _level, _created, _dnc in store.index.profile_summaries():
        note = mixed_script_note(name) if isinstance(name, str) else None
        if note is None:
            continue
        path = store.customer_file(cid)
        try:
            line = line_of(load_roundtrip(path), ["name"])
        except Exception:  # noqa: BLE001 - unreadable meanwhile: the file's own problem
            line = 1
        out.append(Problem(path, line, _("name {name}: {note}").format(name=repr(name), note=note)))
    return out


def check_store(store: Store, customers: Collection[str] | None = None) -> list[Problem]:
    """Validate every record; the index does the per-file work (and caches it for next time).

    ``customers``: check only these customers' records (profile, interactions, ledgers) and
    every rule across records that a change to them can break — ``kehu sync`` checking what
    changed since the store it last verified, the index already brought up to date with their
    files. The rules that are answered from the index as a whole (each file's own problems,
    files that are no record, referral loops, referrers that no longer exist, interactions
    without a profile, ``conflicts:`` in interactions, unmerged files, plugin failures) are
    always asked of the whole store: they cost a query, not a read of every file. An
    interaction id also held by another customer is looked for among those the customers
    checked hold (the whole store: every id)."""
    index = store.index
    scope = None if customers is None else set(customers)
    if scope is None and not index.fully_compared:  # a first build (a fresh clone) read every file
        index.refresh(full=True)  # every file's size and mtime: in-place edits too
    found = index.problems()
    if found:  # kept in the language of the run that found them: said again in this one's
        index.refresh_paths(sorted({p.path for p in found if p.path.is_file()}))
        found = index.problems()
    problems = [_explain_markers(p) for p in found]
    for rel, _kind in index.files_of_kind("other"):
        path = store.root / rel
        wrong = _wrong_folder_message(rel) if path.is_file() and not path.is_symlink() else None
        problems.append(Problem(path, 1, wrong or _other_message(path)))
    problems.extend(case_twin_problems(store.root, index.case_twin_files()))  # one file on macOS and Windows
    for rel, _kind in index.files_of_kind("ledger", customer_ids=None if scope is None else sorted(scope)):
        problems.extend(ledger_problems(store, store.root / rel))
    known = set(index.ids())
    paths = index.customer_paths()  # a Path each only when needed
    referrers = {cid: referrer for cid, _name, referrer, _created in index.referrals()
                 if isinstance(referrer, str)}
    if scope is None:
        rows: Iterable[Customer] = (row.customer for row in index.each())
    else:  # and those who name a customer of the change that is gone as their referrer
        named = sorted(scope | {cid for cid, referrer in referrers.items() if referrer in scope - known})
        rows = index.customers_of(named)
    for customer in rows:
        problems.extend(_customer_problems(store, store.root / paths[customer.id], customer, known))
    problems.extend(_referral_loop_problems(store, referrers, paths))
    problems.extend(_claimed_twice_problems(store, paths, scope))
    problems.extend(_id_case_twin_problems(store, paths, scope))
    for cid, iid, record in index.interactions_with_conflicts():  # left by `kehu merge-file`
        path = store.interactions_dir(cid) / f"{iid}.yaml"
        problems.extend(merge_conflicts.entry_problems(path, None, record["conflicts"]))
    problems.extend(git_settings.git_file_problems(store.root))  # a FIFO there hangs every git status
    problems.extend(git_settings.ignored_records(store.root))  # a record git leaves out is never shared
    problems.extend(linked_or_special_files(store.root))  # templates/ a link, ...
    from .template_files import store_template_problems  # `kehu send` refuses them as it reads them

    problems.extend(store_template_problems(store.root))
    waiting = unmerged_files.unmerged_problems(store.root)  # a merge `kehu sync` (or git) left open
    # a file it words as a decision (two customers given one id: not lines to keep) is not also
    # said to want its conflict's lines chosen, as the scan of its markers says
    decided = {str(p.path) for p in waiting if p.message != markers_message()}
    problems[:] = [p for p in problems if not (str(p.path) in decided and p.message == markers_message())]
    problems.extend(waiting)
    for rel, kind in index.orphan_record_files():
        problems.append(Problem(store.root / rel, 1, _("interaction of a customer that has no customer.yaml")
                                if kind == "interaction" else _("ledger of a customer that has no customer.yaml")))
    twice = index.interactions_held_twice(None if scope is None else sorted(scope))  # a merge's, by both sides
    problems.extend(_held_twice_problems(store, twice))
    problems.extend(_settings_problems(store))
    from ..visits import plan, planfile  # the reps' visit plans and their settings: `kehu visits plan`

    problems.extend(planfile.problems(store))
    problems.extend(plan.settings_problems(store))
    for plugin_failure in (store.plugins.failures if store.plugins else []):
        problems.append(Problem(store.root / "kehu.yaml", 1, str(plugin_failure)))
    return sorted(set(problems), key=lambda p: (str(p.path), p.line, p.message))


def _settings_problems(store: Store) -> list[Problem]:
    """kehu.yaml's settings that read as settings but that a command cannot use."""
    path = store.root / "kehu.yaml"
    wrong = region_problem(store.config.region)
    region = [] if wrong is None else [Problem(path, _line(path, "region"), wrong)]
    from . import segments  # a segment's conditions: `kehu segment show` and `kehu send` read them

    try:
        defined = segments.condition_problems(store, segments.definitions(store))
    except RecordError as exc:
        defined = list(exc.problems)
    from ..confidential import recipient_problems  # a key age cannot encrypt to
    from .importing.sheet import column_problems  # import_columns: every sheet's import reads them

    return region + defined + column_problems(store) + _reminder_tier_problems(store) + (
        recipient_problems(path, store.config)) + (
        store.plugins.settings_problems() if store.plugins else [])  # their settings_model


def _reminder_tier_problems(store: Store) -> list[Problem]:
    """The built-in reminders' settings naming a tier the store has none of, as written in
    kehu.yaml (``key_visits: every_days:``, ``holidays: tiers:``): the rule matches a customer's
    tier as kept, so `重要客户s` (a typo, a tier of another scheme) reminded of nobody — the key
    accounts never visited — with `kehu check` ok. As ``visits: dormant_tiers`` is named."""
    if store.plugins is None or not store.config.plugins.is_enabled("reminders"):
        return []
    raw = store.config.plugins.settings_for("reminders")
    named: list[tuple[list[Any], Any]] = []
    visits = raw.get("key_visits")
    if isinstance(visits, dict) and isinstance(visits.get("every_days"), dict):
        named += [(["key_visits", "every_days", name], name) for name in visits["every_days"]]
    holidays = raw.get("holidays")
    if isinstance(holidays, dict) and isinstance(holidays.get("tiers"), list):
        named += [(["holidays", "tiers", n], name) for n, name in enumerate(holidays["tiers"])]
    if not named:
        return []
    from .scoring import tier_names

    tiers = tier_names(store)
    unknown = [(loc, name) for loc, name in named if str(name) not in tiers]
    if not unknown:
        return []
    path = store.root / "kehu.yaml"
    doc = load_roundtrip(path)
    return [Problem(path, line_of(doc, ["plugins", "reminders", *loc]),
                    _("plugins.reminders.{where}: {name} is no tier of this store (its tiers: {tiers}); the rule "
                      "reminds of no customer of it").format(where=".".join(str(p) for p in loc[:2]), name=repr(name),
                                                            tiers=", ".join(tiers) or "-"))
            for loc, name in unknown]


def _customer_problems(store: Store, path: Path, customer: Customer, known: set[str]) -> list[Problem]:
    """What is wrong with one profile beyond its file's own validation: a referrer that does
    not exist, ``conflicts:`` left by a merge, plugins' rules, confidential fields in clear."""
    problems = []
    if customer.referrer and customer.referrer not in known:
        problems.append(Problem(path, _line(path, "referrer"),
                                _("referrer {id}: no such customer").format(id=repr(customer.referrer))))
    if merge_conflicts.has_conflicts(customer):  # left by `kehu merge-file`
        problems.extend(merge_conflicts.conflict_problems(path, customer))
    problems.extend(store.rule_problems(path, customer, lambda path=path: _roundtrip(path)))
    for name in store.config.confidential.fields:  # a hand edit, or a field made confidential once filled in
        if getattr(customer, name, None) not in (None, [], ""):
            problems.append(Problem(path, _line(path, name), _(
                "{name}: confidential (kehu.yaml) but written in plain text; `kehu keys rotate` encrypts it"
            ).format(name=name)))
    return problems


def _referral_loop_problems(store: Store, referrers: dict[str, str], paths: dict[str, str]) -> list[Problem]:
    """Each customer in a loop of referrals (a hand edit, or two clones each naming the other),
    at the line of its ``referrer``: every door refuses one, a merge can still make one."""
    out: list[Problem] = []
    for loop in referral_loops(referrers):
        if len(loop) == 2:  # a customer naming themself: the model's own rule reports it
            continue
        for n, cid in enumerate(loop[:-1]):
            path = store.root / paths[cid]
            out.append(Problem(path, _line(path, "referrer"), referral_loop_message(loop[n:-1] + loop[:n + 1])))
    return out


def _claimed_twice_problems(store: Store, paths: dict[str, str], scope: set[str] | None) -> list[Problem]:
    """An id under a profile's ``also_known`` (a customer merged into it, whose id imports and
    sync take for that profile) that is a customer of its own too, at the entry's line: a hand
    edit, or the other clone's customer under the id kept when a sync asked. Two places claim
    one id, and `kehu check` said ok (`customer add --id` and `customer reid` refuse such an
    id: `Store.refuse_merged_away_id`)."""
    out = []
    for keep, other, n in store.index.merged_yet_here():
        if scope is not None and keep not in scope and other not in scope:
            continue
        path = store.root / paths[keep]
        out.append(Problem(path, _line_at(path, [ALSO_KNOWN, n]), _(
            "also_known: {other} was merged into this customer, and is a customer of its own too ({rel}): "
            "imports and sync take {other} for this one. If they are one person, `kehu customer merge {keep} "
            "{other}`; if not, give the other a new id: `kehu customer reid {other}`").format(
            other=other, keep=keep, rel=store.rel(store.root / paths[other]))))
    return out


def _id_case_twin_problems(store: Store, paths: dict[str, str], scope: set[str] | None) -> list[Problem]:
    """Two customers whose ids differ only in case (``c-ab12``, ``C-AB12``: folders made by hand,
    or two clones' customers), at each one's ``id`` line: every door refuses such a new id
    (``Store.refuse_case_twin``), and `kehu check` said ok."""
    out = []
    for ids in store.index.case_twin_groups():
        if scope is not None and not scope.intersection(ids):
            continue
        for cid in ids:
            other = next(o for o in ids if o != cid)
            path = store.root / paths[cid]
            rel = store.rel(store.root / paths[other])
            out.append(Problem(path, _line(path, "id"), case_twin_message(cid, other, rel)))
    return out


def _held_twice_problems(store: Store, holders: dict[str, list[str]]) -> list[Problem]:
    """One interaction id under two customers (or more), at each of its files: every total
    (revenue, points, what is owed) counts it once per customer. Two clones each merging two
    customers into the other (`kehu customer merge X Y`, `kehu customer merge Y X`), both kept
    when the sync asked, leave the records of both under both (and one clone may then edit its
    copy); `kehu customer merge` again keeps each such record once (copies edited apart joined),
    and its ledger entries with it."""
    out = []
    for iid, cids in holders.items():
        for cid in cids:
            others = [c for c in cids if c != cid]
            out.append(Problem(store.interactions_dir(cid) / f"{iid}.yaml", 1, _(
                "the same record {iid} is also under customer {others}, so it is counted twice (revenue, "
                "points, what is owed). If they are one customer (two clones merged them each into the "
                "other), keep one: `kehu customer merge {cid} {other}` keeps each record the two hold once; "
                "else delete the copy that does not belong").format(
                iid=iid, others=", ".join(others), cid=cid, other=others[0])))
    return out


def _other_message(path: Path) -> str:
    """What is wrong with an entry under customers/ that is no record: a link, a FIFO, an
    unreadable folder, or a file where none belongs."""
    if path.name == ".git":
        return nested_repository_message()
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return _("cannot read: {why}").format(why=os_error_text(exc))
    if stat.S_ISLNK(mode):
        return link_message(path)
    if stat.S_ISDIR(mode):
        try:
            os.listdir(path)
        except OSError as exc:
            return unlisted_folder_message(exc)
        return _("unexpected folder: {where}").format(where=_(_WHERE_RECORDS_ARE))
    if not stat.S_ISREG(mode):
        return special_file_message(mode)
    return _("unexpected file: {where}").format(where=_(_WHERE_RECORDS_ARE))


def _wrong_folder_message(rel: str) -> str | None:
    """A regular file of a customer's folder in another shard folder than the customer's."""
    cid = in_wrong_shard(rel)
    if cid is None:
        return None
    return _("in the wrong folder: the records of customer {cid} are under {place}/ (move this file "
             "there, or delete it if it is a copy); here it is not read").format(
        cid=cid, place=f"{CUSTOMERS_DIR}/{shard(cid)}/{cid}")


_WHERE_RECORDS_ARE = N_("records are customers/<shard>/<id>/customer.yaml, interactions/*.yaml or *.ledger.yaml")


def _roundtrip(path: Path) -> Any:
    try:
        return load_roundtrip(path)
    except Exception:  # a file the index could read but ruamel cannot: report at line 1
        return None


def _explain_markers(problem: Problem) -> Problem:
    """A file broken by git conflict markers says so, rather than "invalid YAML"."""
    line = merge_conflicts.marker_line(problem.path)
    if line is None:
        return problem
    return Problem(problem.path, line, markers_message())


def _line(path, key: str) -> int:
    return _line_at(path, [key])


def _line_at(path: Path, loc: list[str | int]) -> int:
    try:
        return line_of(load_roundtrip(path), loc)
    except Exception:
        return 1
