"""Every alerts route's one authorisation dependency, as a typed alias (ADR 21)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from smartcity.core.http import PageContext, RequestContext, authorize, page_access
from smartcity.modules.alerts import rules

Device = Annotated[RequestContext, Depends(authorize(rules.REPORT))]
"""A detector's key (a device owner's), reporting events."""
Console = Annotated[RequestContext, Depends(authorize(rules.CONSOLE))]
"""Officers and administrators working the console through the API."""
ConsolePage = Annotated[PageContext, Depends(page_access(rules.CONSOLE))]
"""The officers' console page."""
