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
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import os
import smtplib
import ssl
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from ..errors import KehuError
from ..i18n import _
from . import segments
from .plugin_send import SendFailed, send_through_plugin, sender_plugin
from .template_files import Sandbox, StoreLoader

if TYPE_CHECKING:
    from ..models import Customer
    from ..plugins import MessageSender
    from ..store import Store

TEMPLATES_DIR = "templates"  # in the store
BUILT_IN_TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE_SUFFIX = ".j2"
DEFAULT_RATE = 30  # messages per minute
SUBJECT_PREFIXES = ("Subject:", "subject:", "主题:", "主题：")


# --- templates ------------------------------------------------------------------------------


@dataclass
class Rendered:
    subject: str
    body: str


def _finalize(value: Any) -> Any:
    return "" if value is None else value  # a missing optional field prints as nothing


def template_dirs(store: Store) -> list[Path]:
    return [store.root / TEMPLATES_DIR, BUILT_IN_TEMPLATES]


def available_templates(store: Store) -> list[str]:
    names = set()
    for folder in template_dirs(store):
        if folder.is_dir():
            names |= {p.name[: -len(TEMPLATE_SUFFIX)] for p in folder.glob(f"*{TEMPLATE_SUFFIX}")}
    return sorted(names)


class Template:
    """A message template: ``templates/<name>.j2`` in the store, else a built-in one.

    The first line may be ``Subject: ...`` (or ``主题: ...``); the body starts after the
    first empty line. Both are Jinja2 with the customer's fields (see :func:`context`).
    Unknown names are errors (StrictUndefined), so a typo never reaches a customer.
    """

    def __init__(self, store: Store, name: str):
        self.name = name
        path = Path(name)
        loader: jinja2.BaseLoader
        if path.suffix == TEMPLATE_SUFFIX and path.is_file():  # a file given by path
            self.name = path.name.removesuffix(TEMPLATE_SUFFIX)
            loader = StoreLoader(store, [path.parent.absolute()])
            source_name = path.name
        else:
            loader = StoreLoader(store, template_dirs(store))
            source_name = name + TEMPLATE_SUFFIX
        # a template may come from a colleague (templates/ is shared by kehu sync): sandboxed
        self.env = Sandbox(
            loader=loader, undefined=jinja2.StrictUndefined, finalize=_finalize,
            keep_trailing_newline=False, autoescape=False,
        )
        self.env.filters["money"] = lambda v: f"{float(v or 0):,.2f}"
        try:
            self.template = self.env.get_template(source_name)
        except jinja2.TemplateNotFound:
            known = ", ".join(available_templates(store)) or "none"
            raise KehuError(
                _("no template {name} (looked in {value} and the built-in ones); known: {known}").format(
                    name=repr(name), value=store.root / TEMPLATES_DIR, known=known)
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise KehuError(_("{filename}:{lineno}: template error: {message}").format(
                filename=exc.filename, lineno=exc.lineno, message=exc.message)) from None
        self.path = Path(self.template.filename or source_name)

    def render(self, values: dict[str, Any]) -> Rendered:
        try:
            text = self.template.render(values)
        except jinja2.TemplateError as exc:
            line = _template_line(exc, str(self.path))
            raise KehuError(_("{path}:{line}: template error: {exc}").format(
                path=self.path, line=line, exc=exc)) from None
        return split_subject(text)


def _template_line(exc: BaseException, filename: str) -> int:
    """The template line being rendered when ``exc`` happened (Jinja maps frames to it)."""
    line = 1
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename and frame.lineno:
            line = frame.lineno
    return line


def split_subject(text: str) -> Rendered:
    lines = text.lstrip("\n").split("\n")
    first = lines[0] if lines else ""
    for prefix in SUBJECT_PREFIXES:
        if first.startswith(prefix):
            body = "\n".join(lines[1:]).strip("\n")
            return Rendered(first[len(prefix):].strip(), body)
    return Rendered("", text.strip("\n"))


def context(store: Store, customer: Customer, today: dt.date, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """What a template can use: every profile field, plugin values (tier, points ...), and

    ``last_product``, ``last_purchase``, ``purchases``, ``revenue``, ``surname``, ``shop``,
    ``today``. The same dict is also available as ``customer``. ``skip``: plugins not asked
    for values (a plugin rendering a message from inside its own values).
    """
    values = customer.model_dump(mode="json")
    values.update(store.plugins.values(store, customer, skip=skip))
    values.setdefault("points", None)
    values.setdefault("tier", None)
    # from the index, not the YAML files: a segment can be thousands of customers
    row = store.index.get(customer.id)
    last_purchase = store.index.last_purchase(customer.id) or {}
    items = last_purchase.get("items") or []
    name = customer.name
    values.update(
        last_product=items[0]["name"] if items else None,
        last_purchase=last_purchase.get("date"),
        purchases=row.purchases if row else 0,
        revenue=float(row.revenue) if row else 0.0,
        # 赵敏 → 赵 (for 赵女士/赵先生); Emily Chen → Chen
        surname=name[0] if not name.isascii() else name.split()[-1],
        shop=store.config.name,
        today=today.isoformat(),
    )
    values["customer"] = dict(values)
    return values


# --- channels -------------------------------------------------------------------------------


class SmtpSettings:
    """``smtp:`` in kehu.yaml::

        smtp:
          host: smtp.example.com
          port: 465                 # 465: ssl, 587: starttls, else plain (see security)
          security: ssl             # ssl | starttls | none
          username: shop@example.com
          password_env: KEHU_SMTP_PASSWORD   # the password is read from this variable
          from: 西湖茶庄 <shop@example.com>
    """

    def __init__(self, raw: dict[str, Any]):
        if "password" in raw:
            raise KehuError(
                _("kehu.yaml smtp.password: passwords are never kept in the store (it is shared "
                    "through git); remove it, put the password in an environment variable and name "
                    "that variable in smtp.password_env")
            )
        if not raw.get("host"):
            raise KehuError(_("kehu.yaml smtp.host: missing; email needs an SMTP server (see README)"))
        if not raw.get("from"):
            raise KehuError(_("kehu.yaml smtp.from: missing; e.g. from: 西湖茶庄 <shop@example.com>"))
        self.host = str(raw["host"])
        try:
            self.port = int(raw.get("port", 25))
        except (TypeError, ValueError):
            raise KehuError(_("kehu.yaml smtp.port: {get} is not a number").format(get=repr(raw.get('port')))) from None
        default_security = {465: "ssl", 587: "starttls"}.get(self.port, "none")
        self.security = str(raw.get("security", default_security)).lower()
        if self.security not in ("ssl", "starttls", "none"):
            raise KehuError(
                _("kehu.yaml smtp.security: {security}: expected ssl, starttls or none").format(
                    security=repr(self.security)))
        self.username = raw.get("username")
        self.password_env = raw.get("password_env")
        self.sender = str(raw["from"])
        self.timeout = float(raw.get("timeout", 30))

    def password(self) -> str | None:
        if not self.username:
            return None
        if not self.password_env:
            raise KehuError(_("kehu.yaml smtp.password_env: missing; name the environment variable that holds "
                "the SMTP password"))
        value = os.environ.get(str(self.password_env))
        if value is None:
            raise KehuError(_("environment variable {password_env} (smtp.password_env) is not set; export it "
                "with the SMTP password").format(
                password_env=self.password_env))
        return value


class SmtpChannel:
    """Email over one SMTP connection, opened on the first message."""

    channel = "email"

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self.password = settings.password()  # fail before anything is sent

    def connect(self) -> None:
        """Open and log in now, so a wrong host or password stops the send before it starts."""
        if self._smtp is None:
            self._smtp = self._connect()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
        except (OSError, smtplib.SMTPException) as exc:
            raise KehuError(_("cannot connect to SMTP server {host}:{port}: {exc}").format(
                host=s.host, port=s.port, exc=exc)) from None
        if s.username:
            try:
                _login(smtp, str(s.username), self.password or "")
            except (OSError, smtplib.SMTPException) as exc:
                smtp.close()
                raise KehuError(_("SMTP login as {username} at {host}:{port} failed: {exc}; check the password in "
                    "${password_env}").format(
                    username=s.username, host=s.host, port=s.port, exc=exc, password_env=s.password_env)) from None
        return smtp

    def message(self, customer: Customer, to: str, subject: str, body: str) -> EmailMessage:
        msg = EmailMessage()  # default policy: UTF-8 bodies, RFC 2047 encoded Chinese headers
        msg["From"] = self.settings.sender
        local, _at, domain = to.rpartition("@")
        msg["To"] = Address(display_name=customer.name, username=local, domain=domain)
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=True)
        sender_domain = self.settings.sender.rpartition("@")[2].strip("> ")
        msg["Message-ID"] = make_msgid(domain=sender_domain or None)
        msg.set_content(body)
        return msg

    def send(self, store: Store, customer: Customer, subject: str, body: str, to: str) -> str:
        msg = self.message(customer, to, subject, body)
        self.connect()
        assert self._smtp is not None
        self._smtp.send_message(msg)
        return str(msg["Message-ID"])

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    """smtplib's login only takes ASCII; AUTH PLAIN is defined over UTF-8 (RFC 4616)."""
    if (username + password).isascii():
        smtp.login(username, password)
        return
    smtp.ehlo_or_helo_if_needed()
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def plugin_senders(store: Store) -> dict[str, MessageSender]:
    return {s.channel: s for s in store.plugins.collect("message_senders", store=store)}


def channels(store: Store) -> list[str]:
    return sorted({"email", *plugin_senders(store)})


def address(channel: str, customer: Customer) -> str | None:
    """Where the message goes: first email, or first phone for SMS; "" when the plugin decides."""
    if channel == "email":
        return customer.emails[0] if customer.emails else None
    if channel == "sms":
        return customer.phones[0] if customer.phones else None
    return ""


# --- planning and sending -------------------------------------------------------------------


# what happens to a message
SEND, SENT, FAILED = "send", "sent", "failed"
DO_NOT_CONTACT, NO_ADDRESS, ALREADY_SENT = "do_not_contact", "no_address", "already_sent"
# another customer of this send has the same address (two records of one person, a shared
# family email): one message per address
SAME_ADDRESS = "same_address"
_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


def _smtp_error(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{to}: {code} {text.decode(errors='replace')}"
                         for to, (code, text) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPDataError):
        return f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
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
        if per_minute <= 0:
            raise KehuError(_("rate {per_minute}: expected more than 0 messages per minute").format(
                per_minute=per_minute))
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
    raw = (store.config.model_extra or {}).get("outreach") or {}
    value = raw.get("rate_per_minute", DEFAULT_RATE) if isinstance(raw, dict) else DEFAULT_RATE
    try:
        return float(value)
    except (TypeError, ValueError):
        raise KehuError(_("kehu.yaml outreach.rate_per_minute: {value} is not a number").format(
            value=repr(value))) from None


def open_channel(store: Store, channel: str) -> Any:
    if channel == "email":
        return SmtpChannel(SmtpSettings(store.config.smtp))
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
