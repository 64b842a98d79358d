"""search's task: embed what a module asked for, after its transaction committed."""

from __future__ import annotations

from typing import Any

from smartcity.core.platform import Platform
from smartcity.modules.search.service import embed_missing
from smartcity.modules.search.values import TextKind


def embed(platform: Platform, payload: dict[str, Any]) -> None:
    """Store the vectors of `payload["texts"]` that are missing (a retry redoes only those)."""
    embed_missing(platform, [str(t) for t in payload.get("texts", [])], TextKind(payload["kind"]))
