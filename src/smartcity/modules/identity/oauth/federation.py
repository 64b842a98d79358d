"""Sign-in through an outside OAuth 2.0 identity provider (the city's digital-ID app).

The platform is then a client: authorisation code with PKCE and state
(RFC 6749 §4.1, RFC 7636), the code redeemed at the provider's token endpoint
and the person read from its userinfo endpoint.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx

from smartcity.core.errors import DomainError, InvalidInput
from smartcity.core.keys import KeyRing
from smartcity.core.settings import Settings
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity import repository as repo
from smartcity.modules.identity import service
from smartcity.modules.identity.models import ExternalAccount
from smartcity.modules.identity.oauth.server import s256
from smartcity.modules.identity.values import VerificationLevel

TIMEOUT = httpx.Timeout(10.0)


class FederationFailed(DomainError):
    """The outside provider refused, failed or sent something unusable."""

    status = 502
    code = "federation_failed"
    title = "Sign-in through the identity provider failed"


@dataclass(frozen=True)
class FederationStart:
    """Where to send the browser, and what to remember until it comes back."""

    url: str
    state: str
    verifier: str


@dataclass(frozen=True)
class ExternalPerson:
    """The person as the outside provider describes them."""

    subject: str
    name: str
    national_id: str | None
    email: str | None
    verified: bool


class FederationClient:
    """The client side of sign-in through an outside provider."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.provider = settings.federation_name
        self._transport = transport

    def start(self, redirect_uri: str) -> FederationStart:
        """A fresh state and PKCE verifier, and the provider's authorisation URL."""
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.federation_client_id,
                "redirect_uri": redirect_uri,
                "scope": self.settings.federation_scope,
                "state": state,
                "code_challenge": s256(verifier),
                "code_challenge_method": "S256",
            }
        )
        separator = "&" if "?" in self.settings.federation_authorize_url else "?"
        return FederationStart(
            f"{self.settings.federation_authorize_url}{separator}{query}", state, verifier
        )

    def fetch_person(self, code: str, verifier: str, redirect_uri: str) -> ExternalPerson:
        """Redeem the code and read who signed in."""
        try:
            with httpx.Client(timeout=TIMEOUT, transport=self._transport) as client:
                token_response = client.post(
                    self.settings.federation_token_url,
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": redirect_uri,
                        "code_verifier": verifier,
                        "client_id": self.settings.federation_client_id,
                    },
                    auth=httpx.BasicAuth(
                        *_basic_credentials(
                            self.settings.federation_client_id,
                            self.settings.federation_client_secret,
                        )
                    )
                    if self.settings.federation_client_secret
                    else httpx.USE_CLIENT_DEFAULT,
                    headers={"Accept": "application/json"},
                )
                if token_response.status_code != 200:
                    raise FederationFailed(
                        f"the provider refused the code ({token_response.status_code})"
                    )
                token_body = token_response.json()
                access_token = (
                    token_body.get("access_token") if isinstance(token_body, dict) else None
                )
                if not isinstance(access_token, str) or not access_token:
                    raise FederationFailed("the provider sent no access token")
                info_response = client.get(
                    self.settings.federation_userinfo_url,
                    headers={
                        "Authorization": f"Bearer {access_token}",
                        "Accept": "application/json",
                    },
                )
                if info_response.status_code != 200:
                    raise FederationFailed(
                        f"the provider's userinfo failed ({info_response.status_code})"
                    )
                claims: dict[str, Any] = info_response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise FederationFailed(f"could not talk to the identity provider: {exc}") from exc
        if not isinstance(claims, dict):
            raise FederationFailed("the provider's userinfo is not a JSON object")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise FederationFailed("the provider sent no subject")
        return ExternalPerson(
            subject=subject,
            name=str(claims.get("name") or claims.get("preferred_username") or subject)[:100],
            national_id=_text_claim(claims, "national_id", "twid"),
            email=_text_claim(claims, "email"),
            verified=claims.get("identity_verified", claims.get("verified")) is True,
        )


def _basic_credentials(client_id: str, secret: str) -> tuple[str, str]:
    """Client id and secret for HTTP Basic, form-encoded first (RFC 6749 §2.3.1)."""
    return quote_plus(client_id), quote_plus(secret)


def _text_claim(claims: dict[str, Any], *names: str) -> str | None:
    """The first of `names` the provider sent as non-empty text."""
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def link_person(
    uow: UnitOfWork, keys: KeyRing, provider: str, person: ExternalPerson
) -> service.Person:
    """The citizen for an outside identity: linked before, found by national ID, or new."""
    link = repo.external_account(uow.session, provider, person.subject)
    if link is not None:
        return service.get_user(uow.session, link.user_id)
    user: service.Person | None = None
    if person.national_id:
        try:
            user = service.find_citizen(uow.session, keys, person.national_id)
        except InvalidInput as exc:
            raise FederationFailed(
                f"the provider sent an invalid national ID: {exc.detail}"
            ) from exc
    if user is not None and not person.verified:
        # Only a provider that vouches for the number may sign someone in as its citizen;
        # otherwise anyone could claim a neighbour's national ID and take over their account.
        raise FederationFailed(
            f"{provider} has not verified this person's identity, so it cannot be linked to "
            "an existing digital ID; sign in with your password or verify your identity at "
            f"{provider} first",
            code="federation_unverified",
        )
    if user is None:
        if not person.national_id:
            raise FederationFailed(
                "the provider did not share a national ID, so no digital ID can be made",
                code="federation_no_national_id",
            )
        user = service.register_citizen(
            uow,
            keys,
            national_id=person.national_id,
            name=person.name,
            email=person.email,
            verification_level=VerificationLevel.VERIFIED
            if person.verified
            else VerificationLevel.BASIC,
        )
    uow.session.add(ExternalAccount(provider=provider, subject=person.subject, user_id=user.id))
    uow.audit("identity.external_account.linked", "user", user.id, {"provider": provider})
    return user
