"""``kehu keys``: who may read confidential fields (age public keys in kehu.yaml)."""

from __future__ import annotations

import click

from ..i18n import _, ngettext
from .context import Context, emit_json, pass_ctx, warn


@click.group("keys")
def keys_group() -> None:
    """The age public keys confidential fields are encrypted to (see docs/confidential.md).

    A customer's confidential fields are encrypted to its owner's key and to the supervisors'
    (without `supervisors:` in kehu.yaml, to every recipient). Your own key opens them:
    --identity FILE or KEHU_IDENTITY."""


@keys_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def keys_list(ctx: Context, as_json: bool) -> None:
    """The recipients, whose customers each reads, and which one is you."""
    from ..services import keys

    found = keys.recipients(ctx.store)
    if as_json:
        emit_json({"fields": ctx.store.config.confidential.fields, "recipients": [r.as_json() for r in found]})
        return
    click.echo(_("confidential fields: {none}").format(
        none=', '.join(ctx.store.config.confidential.fields) or _("(none)")))
    for r in found:  # --json keeps keys.recipients' English; the text is in the user's language
        reads = _("supervisor, reads every customer") if r.supervisor else (
            _("reads every customer") if r.reads == "every customer" else _("reads the customers they own"))
        click.echo(f"{r.name}\t{r.key}\t{reads}" + ("  ← " + _("you") if r.you else ""))


def _rotate_after(ctx: Context, what: str) -> None:
    """After a change of recipients: encrypt again now when the user can, else say how."""
    from ..confidential import has_identity
    from ..services import keys

    store = ctx.store
    if not has_identity(store):
        warn(_("{what}; values already encrypted still open with the old keys until someone who can read them "
               "runs `kehu keys rotate --identity FILE`").format(
            what=what))
        return
    done = keys.rotate(store)
    _say_scrub(done.index_scrubbed)
    warn(_("{what}; {fields} confidential values of {customers} customers encrypted again to the current "
           "recipients").format(
        what=what, fields=done.fields, customers=len(done.customers)))


@keys_group.command("add")
@click.argument("name")
@click.argument("public_key", metavar="AGE_PUBKEY")
@click.option("--supervisor", is_flag=True, help="This person reads every customer's confidential fields.")
@click.option("--field", "fields", multiple=True, metavar="FIELD",
              help="Also make this profile field confidential (repeat for more). Without it, a store "
                   "with no confidential fields gets family and personality.")
@pass_ctx
def keys_add(ctx: Context, name: str, public_key: str, supervisor: bool, fields: tuple[str, ...]) -> None:
    """Let NAME (a rep's name, as in `owner`) read confidential fields with the age public key
    AGE_PUBKEY (age1..., from `age-keygen`). With your identity, values are re-encrypted at
    once so NAME can open them; without it, `kehu keys rotate` does it later. Values already
    written in plain in a field that becomes confidential are encrypted at once."""
    from ..services import keys

    store = ctx.store
    first = not store.config.confidential.recipients  # nothing can be encrypted to older keys yet
    wanted = list(fields) or ([] if store.config.confidential.fields else list(keys.DEFAULT_FIELDS))
    if wanted:
        done = keys.change_fields(store, add=wanted, recipient=(name, public_key, supervisor))
        _say_fields(done, default=not fields)
    else:
        keys.add(store, name, public_key, supervisor=supervisor)
    if first:
        warn(_("{name} added to confidential.recipients").format(name=name))
    else:
        _rotate_after(ctx, _("{name} added to confidential.recipients").format(name=name))


def _say_fields(done: object, *, default: bool = False) -> None:
    from ..services.keys import FieldChange

    assert isinstance(done, FieldChange)
    for name in done.unknown:
        warn(_("{name} is not one of kehu's profile fields (family, personality, notes, interests ...): "
               "customers' own {name}: values are encrypted").format(name=name))
    if done.added:
        warn((_("{fields} made confidential (the default; kehu keys fields add/remove changes them)")
              if default else _("{fields} made confidential")).format(fields=", ".join(done.added)))
    if done.removed:
        warn(_("{fields} no longer confidential").format(fields=", ".join(done.removed)))
    if done.encrypted:
        warn(ngettext("{values} value written in plain encrypted", "{values} values written in plain encrypted",
                      done.encrypted).format(values=done.encrypted))
    if done.undo_lost:
        warn(ngettext("{count} earlier change can no longer be undone: the copy kehu kept of it held these fields "
                      "in plain", "{count} earlier changes can no longer be undone: the copies kehu kept of them "
                      "held these fields in plain", done.undo_lost).format(count=done.undo_lost))
    _say_scrub(done.index_scrubbed)
    if done.opened:
        warn(ngettext("{values} encrypted value written in plain", "{values} encrypted values written in plain",
                      done.opened).format(values=done.opened))
    click.echo(_("confidential fields: {none}").format(none=", ".join(done.fields) or _("(none)")))


def _say_scrub(scrubbed: bool) -> None:
    if not scrubbed:
        warn(_("the index is in use by another kehu (an open TUI?): it may still keep old copies of the values "
               "now encrypted; close it and run kehu reindex --rebuild"))


@keys_group.group("fields", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def keys_fields(click_ctx: click.Context, as_json: bool) -> None:
    """The profile fields encrypted at rest (confidential.fields in kehu.yaml). Without a
    subcommand: list them."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx = click_ctx.find_object(Context)
    assert ctx is not None
    found = ctx.store.config.confidential.fields
    if as_json:
        emit_json({"fields": found})
    else:
        click.echo(_("confidential fields: {none}").format(none=", ".join(found) or _("(none)")))


@keys_fields.command("add")
@click.argument("fields", nargs=-1, required=True, metavar="FIELD...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def keys_fields_add(ctx: Context, fields: tuple[str, ...], as_json: bool) -> None:
    """Make these profile fields confidential: added to kehu.yaml, and every value already
    written in plain in them encrypted to its readers at once (the public keys are enough)."""
    from ..services import keys

    done = keys.change_fields(ctx.store, add=list(fields))
    if as_json:
        emit_json(done.as_json())
    else:
        _say_fields(done)


@keys_fields.command("remove")
@click.argument("fields", nargs=-1, required=True, metavar="FIELD...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def keys_fields_remove(ctx: Context, fields: tuple[str, ...], as_json: bool) -> None:
    """Make these fields plain again: removed from kehu.yaml and their encrypted values written
    in plain. Needs an identity that opens every one (--identity FILE or KEHU_IDENTITY);
    otherwise refuses, naming them, and changes nothing."""
    from ..services import keys

    done = keys.change_fields(ctx.store, remove=list(fields))
    if as_json:
        emit_json(done.as_json())
    else:
        _say_fields(done)


@keys_group.command("remove")
@click.argument("name")
@pass_ctx
def keys_remove(ctx: Context, name: str) -> None:
    """NAME may no longer read confidential fields: their key leaves kehu.yaml and, with your
    identity, every value is encrypted again without it. (Older versions in git history
    stay encrypted to the keys of their time.)"""
    from ..services import keys

    keys.remove(ctx.store, name)
    _rotate_after(ctx, _("{name} removed from confidential.recipients").format(name=name))


@keys_group.command("rotate")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_ctx
def keys_rotate(ctx: Context, as_json: bool) -> None:
    """Encrypt every confidential value again to the recipients kehu.yaml names now (after
    keys changed, a customer changed owner, or a field became confidential). Needs an identity
    that opens every value; otherwise refuses, naming them, and changes nothing."""
    from ..services import keys

    done = keys.rotate(ctx.store)
    _say_scrub(done.index_scrubbed)
    if as_json:
        emit_json(done.as_json())
    else:
        click.echo(_("{fields} confidential values of {customers} customers encrypted to the current "
                     "recipients").format(
            fields=done.fields, customers=len(done.customers)))
