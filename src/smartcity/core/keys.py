"""The platform's secret keys: token signing, log signing and pseudonymisation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def _load_or_create(path: Path, create: bytes) -> bytes:
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two workers starting together must not both write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(create)
    return create


def _ed25519_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key must be an Ed25519 key")
    return key


@dataclass(frozen=True)
class KeyRing:
    """Keys loaded once per app; files under the keys folder are created on first use."""

    token_key: Ed25519PrivateKey
    log_key: Ed25519PrivateKey
    pseudonym_key: bytes

    @classmethod
    def load(cls, keys_dir: Path) -> KeyRing:
        """Load the keys from `keys_dir`, creating any that are missing."""
        return cls(
            token_key=_private_key(_load_or_create(keys_dir / "token-signing.pem", _ed25519_pem())),
            log_key=_private_key(_load_or_create(keys_dir / "log-signing.pem", _ed25519_pem())),
            pseudonym_key=base64.b64decode(
                _load_or_create(
                    keys_dir / "pseudonym.key", base64.b64encode(secrets.token_bytes(32))
                )
            ),
        )

    @classmethod
    def ephemeral(cls) -> KeyRing:
        """Fresh keys that live only in memory (tests, throwaway apps)."""
        return cls(
            Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate(), secrets.token_bytes(32)
        )

    def pseudonym(self, purpose: str, value: str) -> str:
        """A keyed digest of `value`: stable for lookups, meaningless without the key."""
        message = f"{purpose}\x1f{value}".encode()
        return hmac.new(self.pseudonym_key, message, hashlib.sha256).hexdigest()

    @property
    def token_public_key(self) -> Ed25519PublicKey:
        """Public half of the access-token key (published as a JWK)."""
        return self.token_key.public_key()

    @property
    def log_public_key_raw(self) -> bytes:
        """The raw 32-byte public key that verifies signed checkpoints."""
        return self.log_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
