"""Every payments API route's one authorisation dependency, as a typed alias (ADR 21).

A route names exactly one of these in its signature; `tests/core/test_authorization_matrix.py`
calls every route as every role. Object-level checks (whose department, which provider) are
the logic's, on `departments`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from smartcity.core.auth import PUBLIC
from smartcity.core.http import RequestContext, authorize, unauthenticated
from smartcity.modules.payments import rules

Open = Annotated[RequestContext, Depends(unauthenticated(PUBLIC))]
"""Reads no credential: the public fee catalogue, and the sandbox's callbacks (which prove
themselves by their signature)."""
Issuer = Annotated[RequestContext, Depends(authorize(rules.ISSUERS))]
"""Officers of the item's department and administrators, issuing and cancelling bills."""
BillReader = Annotated[RequestContext, Depends(authorize(rules.BILL_READERS))]
"""Providers, staff and citizens looking a bill up by reference."""
Provider = Annotated[RequestContext, Depends(authorize(rules.PROVIDERS))]
"""A collecting provider recording a payment."""
Refunder = Annotated[RequestContext, Depends(authorize(rules.REFUNDERS))]
"""The payment's provider, the bill's department or an administrator."""
Staff = Annotated[RequestContext, Depends(authorize(rules.STAFF))]
"""Officers (their department) and administrators."""
Settler = Annotated[RequestContext, Depends(authorize(rules.SETTLERS))]
"""A provider sending its settlement file, or an administrator for one."""
SettlementReader = Annotated[RequestContext, Depends(authorize(rules.SETTLEMENT_READERS))]
"""Providers their own files and deliveries, officers their department's, administrators all."""
Admin = Annotated[RequestContext, Depends(authorize(rules.ADMIN))]
"""Administrators registering providers and car parks."""
Citizen = Annotated[RequestContext, Depends(authorize(rules.CITIZENS))]
"""A citizen's own bills, payouts and autopay."""
CarPark = Annotated[RequestContext, Depends(authorize(rules.CAR_PARKS))]
"""The device keys of a registered car park reporting exits."""
PayoutExporter = Annotated[RequestContext, Depends(authorize(rules.PAYOUT_EXPORTERS))]
"""Officers of the batch's department fetching its bank file."""

# A settlement finding's number in a path (its line's integer key).
FindingId = Annotated[int, Path(ge=1, le=2**62)]
