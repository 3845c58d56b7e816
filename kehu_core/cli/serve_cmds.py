"""``kehu serve``: the store's customers and reminders on the phone (CardDAV and CalDAV)."""

from __future__ import annotations

import click

from ..i18n import _
from .context import Context, pass_ctx
from .options import Whole


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but 127.0.0.1 belongs behind a TLS proxy (docs/serve.md).")
@click.option("--port", type=Whole(0, 65535), default=5232, show_default=True,
              help="Port to listen on (0: any free port, printed on start).")
@pass_ctx
def serve_cmd(ctx: Context, host: str, port: int) -> None:
    """Serve the customers as address books (CardDAV) and reminders as calendars (CalDAV).

    Each login of kehu.yaml serve: users: (htpasswd, bcrypt) gets an address book of the
    customers it may see (a rep's own, a supervisor's everyone) and a read-only calendar of
    reminders, birthdays and complaint deadlines. Phones find them from the server's address
    (/.well-known/carddav). Edits of phones, emails, addresses and notes are written to the
    customers' files, recorded as "via CardDAV by NAME". Stop with Ctrl-C.
    """
    from ..serve.server import serve

    store = ctx.store

    def ready(address: str) -> None:
        users = ", ".join(store.config.serve.users) if store.config.serve else ""
        click.echo(_("kehu serve: {root} on {address} (CardDAV and CalDAV; users: {users}); Ctrl-C stops")
                   .format(root=store.root, address=address, users=users), err=True)

    serve(store, host, port, fixed_today=ctx.today_given, ready=ready)
