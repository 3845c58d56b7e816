"""A message handed to a plugin's sender (the ``message_senders`` hook), guarded as its hooks are.

``kehu send --channel NAME`` calls the ``send`` of the sender a plugin gave for that channel,
once a message, outside the plugin host. A ``send`` that raises fails its message (the
documented way for a gateway to refuse one), as before; but one that called ``sys.exit`` ended
kehu with the plugin's exit code and no word, one that wrote through the store and then failed
left what it wrote, and what it returned was recorded as the message's id whatever it was
(``None`` became the text "None"; one holding a control character was refused by the record's
rules after the message had gone out, ending the send with exit 1). Now what a failing sender
wrote is taken back (``Store.undo_on_error``), ``sys.exit`` fails the message and is reported
by the plugin's name, and an id that is no text a record holds is reported and left out: the
message went out, so it is recorded as sent (a re-run does not send it again), without the id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..i18n import _

if TYPE_CHECKING:
    from ..models import Customer
    from ..store import Store


class SendFailed(Exception):
    """The plugin's sender failed this message (what it wrote is undone); str: why."""


def sender_plugin(store: Store, channel: str) -> str:
    """The name of the plugin whose sender serves ``channel`` (its failures are reported so)."""
    for plugin, sender in store.plugins.items("message_senders", store=store):
        if sender.channel == channel:  # (the one that serves it: PluginHost.items)
            return plugin
    return channel


def send_through_plugin(store: Store, sender: Any, plugin: str, customer: Customer, subject: str,
                        body: str) -> str | None:
    """The id the plugin's ``sender`` gives a message it sent (None: it gave none that a record
    can hold, reported by the plugin's name); :class:`SendFailed` if it failed, nothing it
    wrote kept."""
    from ..models import too_deep
    from ..plugin_code import WrongResult, error_text, kehus_own, never_awaited, plugin_code, stops_kehu
    from ..plugins.guards import given_to

    where = _("message_senders {channel} send").format(channel=repr(getattr(sender, "channel", "?")))
    try:
        # a failed sender leaves nothing
        with store.undo_on_error(), plugin_code(stdout_file=not kehus_own(sender), store=store):
            # its own copy: the message is recorded under the customer it went to, whatever the
            # sender did to what it was given (guards.given_to)
            ref = never_awaited(sender.send(store, given_to(sender, customer), subject, body))
    except BaseException as exc:  # the gateway refused this message: it failed, the send goes on
        if stops_kehu(exc):
            raise
        if not isinstance(exc, Exception):  # sys.exit (or the plugin's own BaseException) ended kehu
            store.plugins.report(plugin, where, exc)  # with its code and no word: named
        raise SendFailed(error_text(exc)) from None
    wrong = None
    if not isinstance(ref, str):
        wrong = _("returned {kind}, expected the message's id (text)").format(kind=type(ref).__name__)
    else:
        problem = too_deep({"ref": ref})
        if problem is not None:
            wrong = str(problem)
    if wrong is not None:
        store.plugins.report(plugin, where, WrongResult(wrong))
        return None
    return ref
