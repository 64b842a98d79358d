"""Every parking route's one authorisation dependency, as a typed alias (ADR 21)."""

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
from smartcity.modules.parking import rules

# -- the API ---------------------------------------------------------------------------------

Open = Annotated[RequestContext, Depends(unauthenticated(PUBLIC))]
"""Public data that reads no credential (availability, a bay's status)."""
Staff = Annotated[RequestContext, Depends(authorize(rules.STAFF))]
"""Officers and administrators with the `parking` scope."""
Reporter = Annotated[RequestContext, Depends(authorize(rules.SIGHTINGS))]
"""Wardens' handhelds and cameras (device keys), officers and administrators."""

# -- the pages -------------------------------------------------------------------------------

PublicPage = Annotated[PageContext, Depends(page_access(PUBLIC))]
"""A page anyone may see (the map)."""
StaffPage = Annotated[PageContext, Depends(page_access(rules.STAFF))]
"""The officers' console."""
