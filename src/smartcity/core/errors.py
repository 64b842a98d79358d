"""Domain errors and their RFC 9457 problem+json form.

A service raises a `DomainError` subclass; the web layer turns it into a
problem document with a stable machine `code` and a human `detail`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """Something a caller asked for that the platform refuses, with the reason."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code  # type: ignore[misc]  # a narrower code for one raise site
        self.headers = dict(headers or {})
        """HTTP headers the response must carry (`Retry-After`, `WWW-Authenticate`)."""
        self.extra = extra
        self.wording: str | None = None
        """`detail` before its values were put in, for a page to translate (see `worded`)."""

    @classmethod
    def worded(cls, wording: str, **values: Any) -> Self:
        """This error with a detail that carries values: `wording` (marked with `N_`) has a
        `{name}` for each, so a catalogue can translate it; the values join the problem document."""
        error = cls(wording.format(**values), **values)
        error.wording = wording
        return error

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """This error as an RFC 9457 problem document."""
        return problem_document(
            self.status, self.code, self.title, self.detail, instance=instance, **self.extra
        )


class BadRequest(DomainError):
    """The request cannot be read at all (bad encoding, forbidden characters)."""

    status = 400
    code = "bad_request"
    title = "Bad request"


class InvalidInput(DomainError):
    """The request is well-formed but its values make no sense."""

    status = 422
    code = "invalid_input"
    title = "Invalid input"


class NotAuthenticated(DomainError):
    """No valid credentials came with a request that needs them."""

    status = 401
    code = "not_authenticated"
    title = "Authentication required"


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""

    status = 403
    code = "permission_denied"
    title = "Permission denied"


class InsufficientScope(PermissionDenied):
    """The caller's role may call this, but its credential was not granted the scope."""

    code = "insufficient_scope"
    title = "Insufficient scope"

    def __init__(self, scope: str) -> None:
        # RFC 6750 §3 and §3.1: the scope needed goes in the challenge too.
        super().__init__(
            f"this needs a credential granted the scope {scope}",
            scope=scope,
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="smartcity", error="insufficient_scope", scope="{scope}"'
                )
            },
        )


class NotFound(DomainError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, an illegal move)."""

    status = 409
    code = "conflict"
    title = "Conflict"


class TooLarge(DomainError):
    """A body or a page bigger than the platform accepts."""

    status = 413
    code = "too_large"
    title = "Request too large"


class TooManyRequests(DomainError):
    """The caller has made too many requests of this kind; it may retry after a while."""

    status = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None, **extra: Any):
        seconds = max(1, retry_after)
        # RFC 9110 §10.2.3: Retry-After in seconds; the body says the same for clients.
        super().__init__(
            detail,
            code=code,
            headers={"Retry-After": str(seconds)},
            retry_after=seconds,
            **extra,
        )


def problem_document(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Build the problem+json body; `type` is a stable URN made from the code."""
    body: dict[str, Any] = {
        "type": f"urn:smartcity:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body
