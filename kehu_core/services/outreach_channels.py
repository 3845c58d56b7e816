"""How a message goes out: email over SMTP (:class:`SmtpChannel`, settings under ``smtp:`` in
kehu.yaml, the password in the environment) or a plugin's ``message_senders``; and where each
channel sends a customer's message (:func:`address`)."""

from __future__ import annotations

import base64
import contextlib
import os
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any

from ..errors import KehuError
from ..i18n import _

if TYPE_CHECKING:
    from ..models import Customer
    from ..plugins import MessageSender
    from ..store import Store


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
        # a password here is refused as kehu.yaml is read (config_outreach.MailServerSettings)
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
