"""The out-of-band channels: email over SMTP (STARTTLS, credentials from the settings) and SMS or
voice through one HTTP-webhook gateway, its body signed with HMAC-SHA-256. The local mailbox (the
embedded default) is a table, written by ``delivery``.

Content is minimal and unclassified: the reference, the kind, the requesting State, the deadline
and links, never the request's details (the officer reads those in the console, signed in).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from atlas_coord.models import Alert

from .rules import LABELS

SIGNATURE_HEADER = "X-Atlas-Signature"


class DeliveryFailed(Exception):
    """The relay or the gateway did not take the message; it is retried later, unless
    ``permanent`` (the channel is not configured: retrying cannot help, the ladder moves on)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    short: str


def compose(alert: Alert, *, ack_link: str | None, console_link: str) -> Message:
    deadline = alert.deadline.strftime("%Y-%m-%d %H:%M UTC") if alert.deadline else "none"
    state = alert.requesting_state or "-"
    subject = f"[ATLAS] {alert.reference}: {LABELS[alert.kind]} ({state})"
    lines = [
        f"Reference: {alert.reference}",
        f"Alert: {LABELS[alert.kind]}",
        f"Requesting state: {state}",
        f"Answer deadline: {deadline}",
        "",
        f"Open the console (sign-in required): {console_link}",
    ]
    if ack_link:
        lines.append(f"Acknowledge (single use): {ack_link}")
    lines += ["", "This message carries no operational detail. Do not reply."]
    short = f"ATLAS {alert.reference} {LABELS[alert.kind]} ({state}), deadline {deadline}. Ack: {ack_link or console_link}"
    return Message(subject, "\n".join(lines), short)


def _tls_context(settings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.smtp_cafile) if settings.smtp_cafile else ssl.create_default_context()


def send_email(settings, to: str, message: Message, *, key: str) -> None:
    """Hand one email to the SMTP relay. ``key`` makes the Message-ID stable across retries, so a
    relay or mailbox that sees a resend after a crash can tell it is the same message.

    :raise DeliveryFailed: the relay is down, refused the login or the message.
    """
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = to
    mail["Subject"] = message.subject
    mail["Message-ID"] = make_msgid(idstring=key, domain="atlas-coord")
    mail.set_content(message.text)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=_tls_context(settings))
            if settings.smtp_username:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_username, password)
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"smtp {settings.smtp_host}:{settings.smtp_port}: {exc}"[:300]) from exc


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def send_gateway(settings, channel: str, to: str, message: Message, *, key: str) -> None:
    """POST ``{"channel", "to", "text", "id"}`` to the gateway, signed in ``X-Atlas-Signature``.

    :raise DeliveryFailed: no gateway configured, unreachable, or an answer other than 2xx.
    """
    if not settings.gateway_url:
        raise DeliveryFailed("no SMS/voice gateway configured (alerts.gateway_url)", permanent=True)
    body = json.dumps({"channel": channel, "to": to, "text": message.short, "id": key}).encode()
    secret = settings.gateway_secret.get_secret_value().encode() if settings.gateway_secret else b""
    request = urllib.request.Request(settings.gateway_url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)})
    try:
        with urllib.request.urlopen(request, timeout=settings.gateway_timeout_seconds) as answer:  # noqa: S310 - configured URL
            if not 200 <= answer.status < 300:
                raise DeliveryFailed(f"gateway answered {answer.status}")
    except (OSError, urllib.error.URLError) as exc:
        raise DeliveryFailed(f"gateway {settings.gateway_url}: {exc}"[:300]) from exc
