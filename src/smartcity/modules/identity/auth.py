"""Every identity API route's one authorisation dependency, as a typed alias (ADR 21).

The OAuth server's and the pages' routes name theirs in `oauth/routes.py` and `pages.py`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from smartcity.core.http import RequestContext, authorize
from smartcity.modules.identity import rules

SignedIn = Annotated[RequestContext, Depends(authorize(rules.SIGNED_IN))]
"""Any authenticated caller whose credential may say who it belongs to."""
Citizen = Annotated[RequestContext, Depends(authorize(rules.CITIZEN_BINDINGS))]
"""A citizen managing their own bindings."""
BindingDecider = Annotated[RequestContext, Depends(authorize(rules.BINDING_DECIDERS))]
"""Officers, administrators, and providers for payment methods."""
Staff = Annotated[RequestContext, Depends(authorize(rules.STAFF))]
"""Department officers and administrators."""
Admin = Annotated[RequestContext, Depends(authorize(rules.ADMIN))]
"""Platform administrators."""
