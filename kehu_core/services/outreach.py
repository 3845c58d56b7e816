"""Greetings and offers to a segment: Jinja2 templates, email over SMTP, SMS through plugins.

The steps, each its own function so the TUI can reuse them:

1. :func:`plan` renders the template for every customer of the segment *before* anything is
   sent (a template error stops the whole send, nothing half-done) and decides who is
   skipped: do-not-contact, no address for the channel, or already sent this campaign.
2. :func:`deliver` sends what is left, one message at a time under a :class:`RateLimiter`,
   and records each sent message as a ``message`` interaction carrying a stable ``key``
   (``<campaign>/<channel>``). Re-running the same send finds those keys and skips them.

Email goes through :class:`SmtpChannel` (settings under ``smtp:`` in kehu.yaml, password in
the environment variable named by ``smtp.password_env`` — never in the store). Any other
channel comes from a plugin's ``message_senders`` hook (the ``outbox`` plugin is the example).

The templates are :mod:`.outreach_templates`'s, the channels :mod:`.outreach_channels`'s; this
module plans a send and delivers it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import smtplib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config_outreach import DEFAULT_RATE, rate_problem
from ..errors import KehuError
from ..i18n import _
from . import segments
from .outreach_channels import SmtpChannel, SmtpSettings, address, channels, plugin_senders
from .outreach_templates import Template, context
from .plugin_send import SendFailed, send_through_plugin, sender_plugin

if TYPE_CHECKING:
    from ..models import Customer
    from ..store import Store


# --- planning and sending -------------------------------------------------------------------


# what happens to a message
SEND, SENT, FAILED = "send", "sent", "failed"
DO_NOT_CONTACT, NO_ADDRESS, ALREADY_SENT = "do_not_contact", "no_address", "already_sent"
# another customer of this send has the same address (two records of one person, a shared
# family email): one message per address
SAME_ADDRESS = "same_address"
# SMTPNotSupportedError: smtplib's word, before it sends anything, for an address outside ASCII
# (`王@例子.cn`) to a server without SMTPUTF8; it stopped the whole send, and its re-run stopped at
# the same customer, so everyone after never got the message
_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPNotSupportedError)


def _smtp_error(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{to}: {code} {text.decode(errors='replace')}"
                         for to, (code, text) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPDataError):
        return f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return _("the mail server takes no address outside ASCII (it does not offer SMTPUTF8): "
                 "this customer needs another address, or another channel")
    return str(exc)


@dataclass
class Outgoing:
    customer: Customer
    to: str | None
    subject: str
    body: str
    status: str  # send | do_not_contact | no_address | already_sent (then sent | failed)
    ref: str | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.customer.id, "name": self.customer.name, "to": self.to,
            "subject": self.subject, "body": self.body, "status": self.status,
            "ref": self.ref, "error": self.error,
        }


@dataclass
class Plan:
    segment: str
    template: str
    channel: str
    key: str  # stable key recorded with each message: "<campaign>/<channel>"
    messages: list[Outgoing] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for m in self.messages if m.status == status)


def sent_keys(store: Store, key: str) -> set[str]:
    """Customers who already got the message with this key."""
    return store.index.customers_messaged(key)


def plan(
    store: Store, segment: str, template: str, channel: str = "email", *,
    campaign: str | None = None, today: dt.date | None = None,
) -> Plan:
    """Every message of the send, rendered, with who is skipped and why. Sends nothing."""
    today = today or store.today
    if channel not in channels(store):
        raise KehuError(_("no channel {channel}; available: {join} (SMS and others come from plugins such "
            "as outbox)").format(
            channel=repr(channel), join=', '.join(channels(store))))
    tpl = Template(store, template)
    key = f"{campaign or tpl.name}/{channel}"
    result = Plan(segment, tpl.name, channel, key)
    done = sent_keys(store, key)
    addressed: set[str] = set()  # addresses this send already goes to (or went to)
    for customer in segments.segment_customers(store, segment, today):
        rendered = tpl.render(context(store, customer, today))
        to = address(channel, customer)
        same = _address_key(to)
        if customer.do_not_contact:
            status = DO_NOT_CONTACT
        elif to is None:
            status = NO_ADDRESS
        elif customer.id in done:
            status = ALREADY_SENT
        elif same is not None and same in addressed:
            status = SAME_ADDRESS
        else:
            status = SEND
        if status in (SEND, ALREADY_SENT) and same is not None:
            addressed.add(same)
        result.messages.append(Outgoing(customer, to, rendered.subject, rendered.body, status))
    return result


def _address_key(to: str | None) -> str | None:
    """An address as one send compares them: emails in any case are one (the rule of
    kehu_core.services.dedupe); phones are stored in E.164 already. None: nothing to compare
    (no address, or a plugin channel that finds its own)."""
    if not to:
        return None
    return to.strip().lower() if "@" in to else to


class RateLimiter:
    """At most ``per_minute`` messages a minute, spaced evenly (gateways dislike bursts)."""

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        problem = rate_problem(per_minute)  # kehu.yaml's rate_per_minute is held to it too
        if problem is not None:
            raise KehuError(problem)
        self.interval = 60.0 / per_minute
        self.clock, self.sleep = clock, sleep
        self._last: float | None = None

    def wait(self) -> None:
        if self._last is not None:
            delay = self._last + self.interval - self.clock()
            if delay > 0:
                self.sleep(delay)
        self._last = self.clock()


def rate_setting(store: Store) -> float:
    """kehu.yaml's ``outreach.rate_per_minute`` (read, by the rule of every setting's numbers and
    :func:`~kehu_core.config_outreach.rate_problem`, as kehu.yaml is), else :data:`DEFAULT_RATE`."""
    given = store.config.outreach.rate_per_minute
    return DEFAULT_RATE if given is None else given


def open_channel(store: Store, channel: str) -> Any:
    if channel == "email":
        return SmtpChannel(SmtpSettings(store.config.smtp.model_dump(exclude_none=True)))
    sender = plugin_senders(store).get(channel)
    if sender is None:
        raise KehuError(_("no plugin provides the {channel} channel").format(channel=repr(channel)))
    return sender


def deliver(
    store: Store, the_plan: Plan, *, limiter: RateLimiter | None = None,
    today: dt.date | None = None, by: str | None = None,
    progress: Callable[[Outgoing], None] | None = None,
) -> Plan:
    """Send the plan's ``send`` messages; each becomes ``sent`` (and an interaction) or ``failed``.

    A message is recorded right after it is accepted, so an interrupted send re-run later
    skips what already went out. A connection failure stops the send (KehuError).
    """
    today = today or store.today
    limiter = limiter or RateLimiter(rate_setting(store))
    if not any(m.status == SEND for m in the_plan.messages):
        return the_plan
    with _sending_alone(store):
        return _deliver(store, the_plan, limiter, today, by, progress)


@contextlib.contextmanager
def _sending_alone(store: Store) -> Iterator[None]:
    """One ``kehu send`` of a store at a time (``.kehu/send.lock``, held while it sends): two at
    once (a scheduled send and one by hand, two terminals) each planned every customer before
    the other recorded anything, and every customer got the message twice (twelfth round B). A
    second one is refused at once, nothing sent; the plan of the one that goes on is asked again
    what went out meanwhile (:func:`_deliver`)."""
    from filelock import FileLock, Timeout

    from ..paths import SEND_LOCK

    lock = FileLock(str(store.state_dir / SEND_LOCK), is_singleton=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise KehuError(_("another `kehu send` is sending from this store now (lock {lock}); nothing was sent: "
                          "run this again when it is done, and whom it reached is skipped").format(
            lock=lock.lock_file)) from None
    try:
        yield
    finally:
        lock.release()


def _deliver(store: Store, the_plan: Plan, limiter: RateLimiter, today: dt.date, by: str | None,
             progress: Callable[[Outgoing], None] | None) -> Plan:
    done = sent_keys(store, the_plan.key)  # a send that ended since this plan was made
    for msg in the_plan.messages:
        if msg.status == SEND and msg.customer.id in done:
            msg.status = ALREADY_SENT
    todo = [m for m in the_plan.messages if m.status == SEND]
    if not todo:
        return the_plan
    sender = open_channel(store, the_plan.channel)
    plugin = None if isinstance(sender, SmtpChannel) else sender_plugin(store, the_plan.channel)
    try:
        if isinstance(sender, SmtpChannel):
            sender.connect()
        for msg in todo:
            limiter.wait()
            try:
                ref = _send_one(sender, store, msg, plugin)
            except SendFailed as exc:  # a plugin's sender: nothing it wrote is kept
                msg.status, msg.error = FAILED, str(exc)
            except KehuError:
                raise
            except _REFUSED as exc:  # this one message was refused: note it and go on
                msg.status, msg.error = FAILED, _smtp_error(exc)
            except OSError as exc:  # the connection is gone (SMTPException is an OSError)
                raise KehuError(
                    _("sending stopped at {name} ({id}): {exc}; re-run the same command to send the "
                        "rest (what went out is skipped)").format(
                        name=msg.customer.name, id=msg.customer.id, exc=exc)
                ) from None
            except Exception as exc:  # a plugin gateway's error for this message
                msg.status, msg.error = FAILED, f"{type(exc).__name__}: {exc}"
            if msg.status == FAILED:
                if progress:
                    progress(msg)
                continue
            msg.status, msg.ref = SENT, ref
            record: dict[str, Any] = {
                "kind": "message", "date": today, "channel": the_plan.channel, "text": msg.body,
                "subject": msg.subject or None, "to": msg.to or None, "key": the_plan.key,
                "template": the_plan.template, "segment": the_plan.segment, "ref": ref, "by": by,
            }
            record = {k: v for k, v in record.items() if v is not None}
            store.add_interaction(msg.customer.id, record)
            if progress:
                progress(msg)
    finally:
        close = getattr(sender, "close", None)
        if callable(close):
            close()
    return the_plan


def _send_one(sender: Any, store: Store, msg: Outgoing, plugin: str | None) -> str | None:
    if isinstance(sender, SmtpChannel) or plugin is None:
        return sender.send(store, msg.customer, msg.subject, msg.body, msg.to or "")
    return send_through_plugin(store, sender, plugin, msg.customer, msg.subject, msg.body)


def statuses(messages: Iterable[Outgoing]) -> dict[str, int]:
    out: dict[str, int] = {}
    for m in messages:
        out[m.status] = out.get(m.status, 0) + 1
    return out
