"""``kehu edit ID``: a customer's file in ``$EDITOR``, validated before it replaces the record."""

from __future__ import annotations

import click

from ..i18n import _
from ..ids import check_id
from .context import Context, pass_ctx


@click.command("edit")
@click.argument("customer_id")
@pass_ctx
def edit(ctx: Context, customer_id: str) -> None:
    """Open customer ID's file in $VISUAL / $EDITOR (a copy); when you close it, the copy is
    validated as `kehu check` would, re-opened on an error (or discarded, as you choose), and
    only then replaces the record (refused if it changed meanwhile) and is reindexed.

    Confidential fields your identity (--identity) opens are in the copy in plain and written
    encrypted again; those it cannot open stay encrypted lines."""
    from ..services.editing import EditSession

    store = ctx.store
    check_id(customer_id, "customer id")
    session = EditSession.start(store, customer_id)
    while True:
        code = session.run_editor()
        if code != 0:
            session.keep()
            click.echo(_("kehu: the editor exited with {code}; your text is kept in {copy}").format(
                code=code, copy=session.copy), err=True)
            raise SystemExit(1)
        if not session.changed:
            session.discard()
            click.echo(_("{id}: no change").format(id=customer_id), err=True)
            return
        problems = session.problems()
        if not problems:
            break
        for problem in problems:
            click.echo(problem, err=True)
        try:
            again = click.confirm(_("Open the editor again? (no: discard your edit)"), default=True, err=True)
        except click.Abort:  # Ctrl-C, or no terminal to answer on: the copy was left unnamed in /tmp
            if session.copy.exists():
                session.keep()
                click.echo(_("kehu: nothing was saved; your text is kept in {copy}").format(copy=session.copy),
                           err=True)
            else:
                session.discard()
                click.echo(_("edit discarded; the record is unchanged"), err=True)
            raise SystemExit(1) from None
        if not again:
            session.discard()
            click.echo(_("edit discarded; the record is unchanged"), err=True)
            raise SystemExit(1)
    session.save()
    click.echo(_("saved {id}").format(id=store.rel(store.customer_file(customer_id))), err=True)
