"""Every chatbot route's one authorisation dependency, as a typed alias (ADR 21).

A route names exactly one of these in its signature; `tests/core/test_authorization_matrix.py`
calls every route as every role.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from smartcity.core.auth import PUBLIC
from smartcity.core.http import (
    PageContext,
    RequestContext,
    authorize,
    page_access,
    platform_of,
    unauthenticated,
)
from smartcity.modules.chatbot import line, rules
from smartcity.modules.chatbot.service import settings_of

# -- the API ---------------------------------------------------------------------------------

Anyone = Annotated[RequestContext, Depends(authorize(PUBLIC))]
"""Anyone, signed in or not; a credential, if sent, must be valid (questions, feedback)."""
Open = Annotated[RequestContext, Depends(unauthenticated(PUBLIC))]
"""Reads no credential at all (the LINE webhook, which proves itself by its signature)."""
Staff = Annotated[RequestContext, Depends(authorize(rules.STAFF))]
"""Officers and administrators with the `chatbot` scope."""


async def _line_body(request: Request) -> bytes:
    """The webhook's raw body once its signature holds.

    A dependency declared before the route's rule, so that the signature is checked before
    anything, the edge's verdict on the JSON body included.
    """
    body = await request.body()
    settings = settings_of(platform_of(request))
    line.verify_signature(
        settings.line_channel_secret, body, request.headers.get("x-line-signature")
    )
    return body


SignedByLine = Annotated[bytes, Depends(_line_body)]
"""The LINE webhook's body, its signature checked."""

# -- the pages -------------------------------------------------------------------------------

PublicPage = Annotated[PageContext, Depends(page_access(PUBLIC))]
"""A page anyone may see."""
# The chat takes questions from anyone, signed in or not: there is no session to protect,
# so no CSRF token either (the form changes nothing on anyone's behalf).
ChatPage = Annotated[PageContext, Depends(page_access(PUBLIC, csrf=False))]
"""The chat's forms."""
StaffPage = Annotated[PageContext, Depends(page_access(rules.STAFF))]
"""The staff's editor, triage queue and metrics."""
CitizenPage = Annotated[PageContext, Depends(page_access(rules.CITIZEN))]
"""A signed-in citizen's own settings: the LINE account link and the home district."""
