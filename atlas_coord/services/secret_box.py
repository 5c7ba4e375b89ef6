"""Secrets the application must read back, sealed at rest with keys held outside the database.

A sealed value is ``v1:<key id>:<base64url(nonce || AES-256-GCM ciphertext)>``. The AES key is
derived with HKDF-SHA256 from the configured secret of that key id (``encryption.keys``, the
file instance/encryption_key by default), so a key is any long random text, as for the audit
keys. The associated data binds a value to its place (for example ``mfa_totp:42``): a sealed
secret copied into another user's row does not open.

Rotation: put the new key first (it becomes current), keep the old ones until
``atlas-coord mfa reseal`` has re-sealed every value with the current key.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import ServiceError

PREFIX = "v1"
_INFO = b"atlas-coord secrets at rest v1"
_NONCE_BYTES = 12


class SecretBoxError(ServiceError):
    """No key to seal with, a value sealed with a key that is not configured, or a forged value:
    the installation's configuration, not the caller, is at fault (503)."""

    status = 503
    code = "encryption_key_unavailable"


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX + ":")


def _derive(secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode("utf-8"))
    return AESGCM(key)


@dataclass(frozen=True)
class SecretBox:
    """The configured keys (id -> secret text) and the id new values are sealed with."""

    keys: Mapping[str, str]
    current_key_id: str | None

    @classmethod
    def from_settings(cls, encryption) -> SecretBox:
        """From ``settings.encryption`` (the edge passes it in)."""
        return cls(keys={kid: secret.get_secret_value() for kid, secret in encryption.keys.items()},
                   current_key_id=encryption.current_key_id)

    def seal(self, plaintext: str, *, bound_to: str) -> str:
        """:raise SecretBoxError: no encryption key is configured."""
        if not self.current_key_id or self.current_key_id not in self.keys:
            raise SecretBoxError("no encryption key: set ATLAS_ENCRYPTION_KEYS or encryption.keys, "
                                 "or run `make run` once, which generates instance/encryption_key")
        nonce = os.urandom(_NONCE_BYTES)
        sealed = _derive(self.keys[self.current_key_id]).encrypt(nonce, plaintext.encode("utf-8"), bound_to.encode())
        return f"{PREFIX}:{self.current_key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def open(self, stored: str, *, bound_to: str) -> str:
        """The plaintext of a sealed value; a value stored before sealing existed is returned as it is.

        :raise SecretBoxError: its key id is not configured, or it was altered or moved.
        """
        if not is_sealed(stored):
            return stored
        _prefix, key_id, body = stored.split(":", 2)
        if key_id not in self.keys:
            raise SecretBoxError(f"sealed with key id {key_id!r}, which is not in encryption.keys")
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        try:
            plain = _derive(self.keys[key_id]).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], bound_to.encode())
        except InvalidTag:
            raise SecretBoxError(f"a value sealed with key {key_id!r} does not open here (altered or moved)") from None
        return plain.decode("utf-8")

    def is_current(self, stored: str) -> bool:
        """Sealed with the current key (nothing to re-seal)."""
        return is_sealed(stored) and stored.split(":", 2)[1] == self.current_key_id
