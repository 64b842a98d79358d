"""Every airquality API route's one authorisation dependency, as a typed alias (ADR 21)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from smartcity.core.http import RequestContext, authorize, unauthenticated
from smartcity.modules.airquality import rules

Public = Annotated[RequestContext, Depends(unauthenticated(rules.READ))]
"""Anyone: maps, estimates, flags and alerts are open data, read without a credential."""
Operator = Annotated[RequestContext, Depends(authorize(rules.OPERATE))]
"""Officers and administrators with the `airquality` scope, who run the daily passes."""
