"""How livinglab's pages name what they show: each vocabulary in the page's language, and
departments and vendors by name rather than by code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.orm import Session

import smartcity.modules.identity.service as identity
from smartcity.core.http import PageContext
from smartcity.modules.livinglab.values import (
    BARRIER_STATUS_LABELS,
    CHALLENGE_STATUS_LABELS,
    CRITERION_LABELS,
    DOMAIN_LABELS,
    FIELD_KIND_LABELS,
    PROPOSAL_STATUS_LABELS,
    STATE_LABELS,
    TRACK_LABELS,
)

Member = TypeVar("Member", bound=StrEnum)


def _translated(ctx: PageContext, labels: Mapping[Member, str]) -> dict[str, str]:
    return {member.value: ctx._(label) for member, label in labels.items()}


def labels(ctx: PageContext) -> dict[str, Any]:
    """Every vocabulary a page may show, by value, in the page's language (for `render`)."""
    return {
        "domains": _translated(ctx, DOMAIN_LABELS),
        "states": _translated(ctx, STATE_LABELS),
        "tracks": _translated(ctx, TRACK_LABELS),
        "proposal_statuses": _translated(ctx, PROPOSAL_STATUS_LABELS),
        "challenge_statuses": _translated(ctx, CHALLENGE_STATUS_LABELS),
        "field_kinds": _translated(ctx, FIELD_KIND_LABELS),
        "barrier_statuses": _translated(ctx, BARRIER_STATUS_LABELS),
        "criteria": _translated(ctx, CRITERION_LABELS),
    }


def organisation_names(
    ctx: PageContext, session: Session, codes: Iterable[str | None]
) -> dict[str, str]:
    """Departments' and vendors' names in the page's language, by code."""
    return identity.organisation_names(session, codes, ctx.locale)
