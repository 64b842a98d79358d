"""Every participation route's one authorisation dependency, as a typed alias (ADR 21)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from smartcity.core.auth import PUBLIC
from smartcity.core.http import (
    PageContext,
    RequestContext,
    authorize,
    page_access,
    unauthenticated,
)
from smartcity.modules.participation import rules

Public = Annotated[RequestContext, Depends(unauthenticated(PUBLIC))]
"""The public record: the board, the archive, results once published. Reads no credential."""
Staff = Annotated[RequestContext, Depends(authorize(rules.STAFF))]
"""Officers and administrators with the `participation` scope."""
Voter = Annotated[RequestContext, Depends(authorize(rules.VOTER))]
"""Citizens with the `participation` scope."""

PublicPage = Annotated[PageContext, Depends(page_access(PUBLIC))]
"""The issues, budgets, results and "check my ballot": anyone."""
CitizenPage = Annotated[PageContext, Depends(page_access(rules.VOTER))]
"""Proposing, seconding and voting: signed-in citizens."""
StaffPage = Annotated[PageContext, Depends(page_access(rules.STAFF))]
"""The staff console: review and stage changes."""
