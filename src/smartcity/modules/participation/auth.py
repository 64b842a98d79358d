"""Every participation route's one authorisation dependency, as a typed alias (ADR 21)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from smartcity.core.auth import PUBLIC
from smartcity.core.http import RequestContext, authorize, unauthenticated
from smartcity.modules.participation import rules

Public = Annotated[RequestContext, Depends(unauthenticated(PUBLIC))]
"""The public record: the board, the archive, results once published. Reads no credential."""
Staff = Annotated[RequestContext, Depends(authorize(rules.STAFF))]
"""Officers and administrators with the `participation` scope."""
Voter = Annotated[RequestContext, Depends(authorize(rules.VOTER))]
"""Citizens with the `participation` scope."""
