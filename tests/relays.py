"""Real relays for the alert tests and the alert bench: an SMTP server (aiosmtpd) on a free
loopback port with STARTTLS (a self-signed certificate made here with ``cryptography``) and
AUTH, which can go down and come back on the same port; and an HTTP gateway (http.server) that
checks the HMAC signature and can answer 503."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# aiosmtpd warns on every AUTH that its own Session.login_data is deprecated: noise here.
logging.getLogger("mail.log").setLevel(logging.ERROR)

SMTP_USER, SMTP_PASSWORD = "atlas-relay", "relay-password-for-tests"
GATEWAY_SECRET = "gateway-secret-for-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (IP SAN) and its key; the certificate is its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "relay.pem", folder / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        mail = message_from_bytes(envelope.original_content or envelope.content)
        with self.arrived:
            self.messages.append({"to": list(envelope.rcpt_tos), "subject": mail["Subject"],
                                  "body": mail.get_payload(decode=True).decode(), "message_id": mail["Message-ID"],
                                  "login": bool(getattr(session, "authenticated", False)), "tls": session.ssl is not None,
                                  "at": time.monotonic()})
            self.arrived.notify_all()
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(), SMTP_PASSWORD.encode())
    return AuthResult(success=ok)


class SmtpRelay:
    """aiosmtpd with STARTTLS required before AUTH, and AUTH required before mail."""

    def __init__(self, folder: Path) -> None:
        self.cert, key = self_signed(folder)
        self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.tls.load_cert_chain(self.cert, key)
        self.port = free_port()
        self.inbox = _Inbox()
        self.controller: Controller | None = None

    def start(self) -> SmtpRelay:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, tls_context=self.tls,
                                     require_starttls=True, auth_required=True, auth_require_tls=True,
                                     authenticator=_authenticator, ready_timeout=10)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self) -> dict:
        return {"email": "smtp", "smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_starttls": True,
                "smtp_username": SMTP_USER, "smtp_password": SMTP_PASSWORD, "smtp_cafile": str(self.cert),
                "smtp_timeout_seconds": 5}

    @property
    def messages(self) -> list[dict]:
        return list(self.inbox.messages)


class Gateway:
    """An SMS/voice gateway: records signed requests; ``failures`` first answers are 503."""

    def __init__(self, failures: int = 0) -> None:
        self.received: list[dict] = []
        self.failures = failures
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(GATEWAY_SECRET.encode(), body, hashlib.sha256).hexdigest()
                signed = hmac.compare_digest(self.headers.get("X-Atlas-Signature", ""), expected)
                if gateway.failures > 0:
                    gateway.failures -= 1
                    self.send_response(503)
                else:
                    gateway.received.append({**json.loads(body), "signed": signed})
                    self.send_response(200 if signed else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Gateway:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def settings(self) -> dict:
        return {"gateway_url": f"http://127.0.0.1:{self.server.server_port}/send", "gateway_secret": GATEWAY_SECRET}
