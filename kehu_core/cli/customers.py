"""``kehu customer ...`` and ``kehu search`` (``customer set`` is in ``customer_set``, ``customer list``
in ``customer_list``)."""

from __future__ import annotations

from typing import Any

import click

from ..errors import KehuError, Problem
from ..i18n import _, ngettext
from ..ids import check_id
from ..labels import field_label
from ..services import gitops
from .context import Context, emit_json, pass_ctx, say_left_out
from .customer_list import customer_list
from .customer_set import customer_set, parse_assignments
from .options import COUNT
from .render import customer_json, customers_json, interaction_json, print_customers, terminal_safe

# the services a command uses are imported in it, so `kehu search` does not load them all


@click.group("customer")
def customer_group() -> None:
    """Add, show, change and list customers."""


@customer_group.command("add")
@click.option("--name", required=True, help="Full name, e.g. 赵敏.")
@click.option("--id", "customer_id", help="Your own id (default: a new one no clone can also make).")
@click.option("--phone", multiple=True, help="Phone number; repeat for several.")
@click.option("--email", multiple=True, help="Email address; repeat for several.")
@click.option("--tag", multiple=True, help="Tag; repeat for several.")
@click.option("--birthday", help="YYYY-MM-DD, or --MM-DD when the year is unknown.")
@click.option("--lunar-birthday", help="MM-DD in the lunar calendar (06-08), or as a Chinese calendar writes it.")
@click.option("--owner", help="The rep who looks after this customer.")
@click.option("--level", help="Member level, e.g. 金卡.")
@click.option("--referrer", help="Id of the customer who referred this one.")
@click.option("--organization", help="Company.")
@click.option("--title", help="Job title.")
@click.option("--address", multiple=True, help="Address; repeat for several.")
@click.option("--note", help="Free notes.")
@click.option("--set", "extra", multiple=True, metavar="FIELD=VALUE",
              help="Any other field (family=..., personality=..., interests=a,b); repeat for "
                   "several. Confidential fields are written encrypted.")
@click.option("--allow-duplicate", is_flag=True,
              help="Add even if a customer with the same phone or email exists (someone else "
                   "sharing a family phone).")
@pass_ctx
def customer_add(ctx: Context, name: str, customer_id: str | None, phone: tuple[str, ...],
                 email: tuple[str, ...], tag: tuple[str, ...], birthday: str | None,
                 lunar_birthday: str | None, owner: str | None, level: str | None,
                 referrer: str | None, organization: str | None, title: str | None,
                 address: tuple[str, ...], note: str | None, extra: tuple[str, ...],
                 allow_duplicate: bool) -> None:
    """Create a customer and print its id.

    A phone (compared in E.164) or email (any case) that a customer already has is refused,
    naming that customer, unless --allow-duplicate."""
    store = ctx.store
    if customer_id is not None:
        check_id(customer_id, "customer id")
        store.refuse_merged_away_id(customer_id)
    from pydantic import ValidationError

    from ..problems import validation_problems
    from ..services import dedupe

    fields: dict[str, Any] = {
        "id": customer_id or store.new_customer_id(), "name": name, "phones": list(phone),
        "emails": list(email), "tags": list(tag), "birthday": birthday,
        "lunar_birthday": lunar_birthday, "owner": owner, "level": level,
        "referrer": referrer, "organization": organization, "title": title,
        "addresses": list(address), "notes": note, "created": store.today,
    }
    if extra:
        blank = store.customer_model.model_construct(**{k: v for k, v in fields.items() if v})
        for key, value in parse_assignments(blank, extra).items():
            if key in fields and fields[key] not in (None, []):
                raise click.UsageError(_("--set {key}=...: {key} is already given by its own option").format(key=key))
            fields[key] = value
    try:
        customer = store.customer_model.model_validate(fields, context=store.validation_context())
    except ValidationError as exc:
        raise KehuError(_("; ").join(_said(p) for p in validation_problems(exc, "(new)"))) from None
    dedupe.add_customer(store, customer, allow_duplicate=allow_duplicate)
    click.echo(customer.id)


def _said(problem: Problem) -> str:
    """A problem of the options given (no file yet): the field as the user reads it (邮箱, not
    ``emails.0``), the item of a list counted from 1."""
    loc = problem.loc
    if not loc:
        return problem.message
    text = problem.reason or problem.message
    if len(loc) > 1 and isinstance(loc[1], int):
        text = _("item {n}: {text}").format(n=loc[1] + 1, text=text)
    return _("{field}: {text}").format(field=field_label(str(loc[0])), text=text)


@customer_group.command("show")
@click.argument("customer_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def customer_show(ctx: Context, customer_id: str, as_json: bool) -> None:
    """A customer's profile, history and what plugins compute (tier, points, reminders)."""
    from .show import credit_status, print_shown, show_from_index

    customer_id = check_id(customer_id, "customer id")
    if not as_json and show_from_index(ctx, customer_id):
        return
    store = ctx.store
    customer = store.get(customer_id)
    locked: list[str] = []
    sealed = bool(customer.sealed)
    if sealed:  # confidential fields: plain when the user's identity opens them
        from ..confidential import revealed

        opened = revealed(store, customer)
        customer, locked = opened.customer, opened.locked
        # the plugins see what the user's key opened: computed for this user, never kept
        data = customer_json(store, customer)
    else:
        from ..services.derived_values import values_of

        data = customer.model_dump(mode="json")
        data.update(values_of(store, customer.id))  # as customer_json, the values kept in the index
    from .. import credit

    data["credit_status"] = credit_status(credit.terms_of(store, customer), credit.outstanding(store, customer.id))
    from ..attitude import attitude_of

    data.update(attitude_of(store, customer.id).as_json())
    if locked:
        data["locked"] = locked  # encrypted, and the user's key (if any) cannot open them
    history = [interaction_json(i) for i in store.interactions(customer.id)]
    data["purchases"] = [i for i in history if i["kind"] == "purchase"]
    data["interactions"] = [i for i in history if i["kind"] != "purchase"]
    if as_json:
        emit_json(data)
    else:
        print_shown(data, history, region=store.config.region, names={"store": store})



customer_group.add_command(customer_list)
customer_group.add_command(customer_set)


@customer_group.command("merge")
@click.argument("keep_id", metavar="KEEP")
@click.argument("other_id", metavar="OTHER")
@click.option("--json", "as_json", is_flag=True, help="Print what was merged as JSON.")
@pass_ctx
def customer_merge(ctx: Context, keep_id: str, other_id: str, as_json: bool) -> None:
    """Merge customer OTHER into KEEP; OTHER is gone, nothing of it lost.

    Phones, emails, tags, addresses are unioned; where both have a value KEEP's stays and
    OTHER's is kept in KEEP's `also_known`; OTHER's interactions move to KEEP, its ledger
    entries (points, tiers ...) are added to KEEP's; customers referred by OTHER now name
    KEEP. One git commit in a git store; a failure changes nothing. See `kehu duplicates`."""
    from ..services.customer_merge import merge_customers

    report = merge_customers(ctx.store, keep_id, other_id)
    if as_json:
        emit_json(report.as_json())
    else:
        click.echo(report.summary())
        if report.commit:
            click.echo(_("committed {commit}").format(commit=report.commit[:10]), err=True)


@customer_group.command("reid")
@click.argument("old_id", metavar="ID")
@click.argument("new_id", metavar="NEW", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print what was moved as JSON.")
@pass_ctx
def customer_reid(ctx: Context, old_id: str, new_id: str | None, as_json: bool) -> None:
    """Give customer ID a new id (NEW, or a new one of its own), nothing of it left behind.

    Its profile, purchases and other records and its ledgers move to the new id's folder;
    every place naming ID (a referrer, a visit plan, a ledger entry, a reminder's key, a saved
    segment's ids) names the new one. The way out when one id was given to two people in two
    clones (`kehu sync` and git's merge say so): give this clone's customer a new id, then
    `kehu sync`. One git commit in a git store; a failure changes nothing. The new id is
    printed on the last line of stdout."""
    from ..services.customer_reid import reid_customer

    report = reid_customer(ctx.store, old_id, new_id)
    if as_json:
        emit_json(report.as_json())
        return
    click.echo(report.summary(), err=True)
    if report.commit:
        click.echo(_("committed {commit}").format(commit=report.commit[:10]), err=True)
    click.echo(report.new)


@click.command("duplicates")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def duplicates(ctx: Context, as_json: bool) -> None:
    """Customers that are likely one person, in groups, with why: the same phone or email,
    the same name with a similar phone, the same pinyin of differently written names.
    Merge them with `kehu customer merge KEEP OTHER`."""
    from ..services import dedupe

    groups = dedupe.find_duplicates(ctx.store)
    if as_json:
        emit_json([g.as_json() for g in groups])
        say_left_out(ctx.unlisted())  # a broken profile is compared with nobody: said
        return
    for group in groups:
        click.echo("  ".join(f"{name} ({cid})" for cid, name in zip(group.customers, group.names, strict=True)))
        for reason in group.reasons:
            click.echo(f"    {reason.text}")
    click.echo(ngettext("{n} group of likely duplicates", "{n} groups of likely duplicates",
                        len(groups)).format(n=len(groups)), err=True)
    say_left_out(ctx.unlisted())


@customer_group.command("log")
@click.argument("customer_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def customer_log(ctx: Context, customer_id: str, as_json: bool) -> None:
    """Every change of a customer's records, newest first, with who and when: kehu's own
    changes (its change journal, `kehu undo --list`) and the store's git commits."""
    import datetime as dt
    import heapq

    from .. import journal_entries

    store = ctx.store
    customer = store.get(check_id(customer_id, "customer id"))
    folder = store.rel(store.customer_dir(customer.id)) + "/"
    entries: list[dict[str, Any]] = []
    for e in reversed(journal_entries.entries(store)):  # newest first, also within one second
        files = [f.path for f in e.files if f.path.startswith(folder)]
        if files:
            entries.append({"source": "kehu", "change": e.id, "author": e.who, "date": e.when,
                            "subject": e.command + _undo_note(e), "files": files})
    commits = [{"source": "git", **c.__dict__} for c in gitops.log(store.root, store.customer_dir(customer.id))
               ] if gitops.has_repo(store.root) else []  # one it cannot read is said, never left out
    # each in its own order (git's may not follow its dates), interleaved by date
    entries = list(heapq.merge(entries, commits, key=lambda e: dt.datetime.fromisoformat(e["date"]),
                               reverse=True))
    if as_json:
        emit_json(entries)
        return
    if not entries:
        click.echo(_("{name} ({id}): no changes recorded yet").format(name=customer.name, id=customer.id), err=True)
    for e in entries:
        mark = f"#{e['change']}" if e["source"] == "kehu" else e["commit"][:10]
        # a colleague's commit (its author, message, file names) arrives by `kehu sync`: its ESC
        # and BEL were printed as they are, clearing and retitling the terminal (render.terminal_safe)
        safe = {key: terminal_safe(e[key]) for key in ("date", "author", "subject")}
        click.echo(f"{mark:<10}  {safe['date']}  {safe['author']}\n    {safe['subject']}")
        for f in e["files"]:
            click.echo(f"    {terminal_safe(f)}")


def _undo_note(entry: Any) -> str:
    if entry.undoes is not None:
        return " " + _("(undo of #{change})").format(change=entry.undoes)
    return " " + _("(undone by #{change})").format(change=entry.undone_by) if entry.undone_by is not None else ""


@click.command("search")
@click.argument("query")
@click.option("--limit", type=COUNT, default=50, show_default=True, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def search(ctx: Context, query: str, limit: int, as_json: bool) -> None:
    """Find customers by name, pinyin (zhaomin / zm → 赵敏), phone digits, email or tag."""
    if as_json:  # with what plugins compute: through the store and its plugins
        store = ctx.store
        emit_json(customers_json(store, [r.customer for r in store.index.search(query, limit)]))
        say_left_out(store.index.unlisted())  # a broken profile may be one sought: say so
        return
    reader = ctx.reader()
    objects = reader.search(query, limit)
    if objects:
        print_customers(objects, region=reader.region)
    else:
        click.echo(_("no customer matches {query!r}").format(query=query), err=True)
    say_left_out(reader.records().unlisted())

