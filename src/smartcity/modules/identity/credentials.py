"""Passwords, API keys and access tokens: how identity makes and checks secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt

from smartcity.core.keys import KeyRing
from smartcity.core.time import utcnow

# scrypt with the parameters RFC 7914 §2 calls interactive-grade (N=2^14, r=8, p=1).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
API_KEY_PREFIX = "sck_"
JWT_ALGORITHMS = ["EdDSA"]
"""The only algorithm accepted: a fixed list stops algorithm-confusion attacks."""
AUDIENCE = "smartcity-api"


def hash_password(password: str) -> str:
    """A salted scrypt digest in the form scrypt$N$r$p$salt$hash."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return "$".join(
        [
            "scrypt",
            str(_SCRYPT_N),
            str(_SCRYPT_R),
            str(_SCRYPT_P),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        ]
    )


def check_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches the stored digest (constant time)."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(computed, base64.b64decode(digest))


_NO_PASSWORD = "$".join(
    [
        "scrypt",
        str(_SCRYPT_N),
        str(_SCRYPT_R),
        str(_SCRYPT_P),
        "bm8tYWNjb3VudC1oZXJlIQ==",
        "A" * 43 + "=",
    ]
)
"""What a password is checked against when there is no account or no password: the same
scrypt work, and no password yields an all-zero digest (2⁻²⁵⁶)."""


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored`, at the cost of one scrypt whether or not there
    is an account or a password, so the time taken tells nothing (finding 5)."""
    if stored is None or not stored.startswith("scrypt$"):
        check_password(password, _NO_PASSWORD)
        return False
    return check_password(password, stored)


def sha256_hex(value: str) -> str:
    """Digest for high-entropy secrets (API keys, session tokens), which need no salt."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    """A freshly made key: the full token is shown once and never stored."""

    prefix: str
    token: str
    secret_hash: str


def make_api_key() -> NewApiKey:
    """`sck_<prefix>_<secret>`; the prefix finds the row, the secret proves possession."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewApiKey(prefix, f"{API_KEY_PREFIX}{prefix}_{secret}", sha256_hex(secret))


def split_api_key(token: str) -> tuple[str, str] | None:
    """(prefix, secret) of an API key token, or None if it is not one."""
    if not token.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, secret = token[len(API_KEY_PREFIX) :].partition("_")
    if not sep or not prefix or not secret:
        return None
    return prefix, secret


def issue_access_token(
    keys: KeyRing,
    issuer: str,
    *,
    subject: uuid.UUID,
    role: str,
    scope: str,
    client_id: str,
    minutes: int,
    department: str | None = None,
) -> str:
    """A signed JWT access token (RFC 9068 claims) for `subject`."""
    now = utcnow()
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": str(subject),
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
        "jti": secrets.token_hex(12),
        "client_id": client_id,
        "scope": scope,
        "role": role,
    }
    if department:
        claims["department"] = department
    # RFC 9068 §2.1: typ at+jwt; the kid lets resource servers pick the key from the JWKS.
    return jwt.encode(
        claims,
        keys.token_key,
        algorithm="EdDSA",
        headers={"typ": "at+jwt", "kid": public_jwk(keys)["kid"]},
    )


def decode_access_token(keys: KeyRing, issuer: str, token: str) -> dict[str, Any] | None:
    """The claims of a valid token, or None for anything expired, forged or malformed."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            keys.token_public_key,
            algorithms=JWT_ALGORITHMS,
            audience=AUDIENCE,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError:
        return None
    return claims


def public_jwk(keys: KeyRing) -> dict[str, str]:
    """The token-signing public key as an OKP JWK (RFC 8037)."""
    from cryptography.hazmat.primitives import serialization

    raw = keys.token_public_key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    kid = hashlib.sha256(raw).hexdigest()[:16]
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}
