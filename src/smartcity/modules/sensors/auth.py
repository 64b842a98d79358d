"""Every sensors route's one authorisation dependency, as a typed alias (ADR 21)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from smartcity.core.http import PageContext, RequestContext, authorize, page_access, unauthenticated
from smartcity.modules.sensors import rules

Public = Annotated[RequestContext, Depends(unauthenticated(rules.READ))]
"""Anyone: SensorThings and the latest values are open data, read without a credential."""
Writer = Annotated[RequestContext, Depends(authorize(rules.WRITE))]
"""Devices and officers with the `sensors` scope (and administrators), writing their own data."""
Staff = Annotated[RequestContext, Depends(authorize(rules.STAFF))]
"""Officers and administrators with the `sensors` scope (the dead letters)."""
StaffPage = Annotated[PageContext, Depends(page_access(rules.STAFF))]
"""The hub's staff page."""
