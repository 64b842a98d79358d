"""The public, read-only transparency API (modelled on RFC 9162 §4, served as JSON)."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from smartcity.core.audit.log import catch_up
from smartcity.core.auth import PUBLIC
from smartcity.core.http import RequestContext, unauthenticated

MAX_INDEX = 2**62
Public = Annotated[RequestContext, Depends(unauthenticated(PUBLIC))]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class CheckpointOut(BaseModel):
    """The current signed tree head."""

    tree_size: int
    root_hash: str = Field(description="base64 SHA-256 root (RFC 9162 §2.1.1)")
    timestamp: int = Field(description="When this checkpoint was signed, ms since the epoch")
    checkpoint: str = Field(description="C2SP tlog-checkpoint body: origin, size, root")
    signature: str = Field(description="base64 raw Ed25519 signature over `checkpoint`")
    public_key: str = Field(description="base64 raw 32-byte Ed25519 public key")
    origin: str


class InclusionOut(BaseModel):
    """An inclusion proof (RFC 9162 §2.1.3)."""

    leaf_index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]


class ConsistencyOut(BaseModel):
    """A consistency proof (RFC 9162 §2.1.4)."""

    first: int
    second: int
    consistency: list[str]


class EntryOut(BaseModel):
    """One public log entry."""

    index: int
    leaf_input: str = Field(description="base64 of the exact bytes hashed into the leaf")
    leaf_hash: str
    action: str
    timestamp: str


class EntriesOut(BaseModel):
    """A page of entries; ask again from the next index for more."""

    entries: list[EntryOut]


def build_router() -> APIRouter:
    """Routes at /api/v1/transparency."""
    router = APIRouter(tags=["transparency"])

    @router.get("/checkpoint", response_model=CheckpointOut, summary="Signed tree head")
    def checkpoint(ctx: Public) -> CheckpointOut:
        with ctx.read() as session:
            # A head that leaves out committed entries is not signed: queued ones
            # (normally none; a crash can leave some) are sequenced first.
            if ctx.platform.log.pending(session):
                session.rollback()
                catch_up(ctx.platform)
            signed = ctx.platform.log.checkpoint(session)
        return CheckpointOut(
            tree_size=signed.tree_size,
            root_hash=_b64(signed.root_hash),
            timestamp=signed.timestamp_ms,
            checkpoint=signed.text,
            signature=_b64(signed.signature),
            public_key=_b64(signed.public_key),
            origin=ctx.platform.log.origin,
        )

    @router.get("/proof/inclusion", response_model=InclusionOut, summary="Inclusion proof")
    def inclusion(
        ctx: Public,
        leaf_index: Annotated[int, Query(ge=0, le=MAX_INDEX)],
        tree_size: Annotated[int, Query(ge=1, le=MAX_INDEX)],
    ) -> InclusionOut:
        with ctx.read() as session:
            leaf, path = ctx.platform.log.inclusion_proof(session, leaf_index, tree_size)
        return InclusionOut(
            leaf_index=leaf_index,
            tree_size=tree_size,
            leaf_hash=_b64(leaf),
            audit_path=[_b64(node) for node in path],
        )

    @router.get("/proof/consistency", response_model=ConsistencyOut, summary="Consistency proof")
    def consistency(
        ctx: Public,
        first: Annotated[int, Query(ge=1, le=MAX_INDEX)],
        second: Annotated[int, Query(ge=1, le=MAX_INDEX)],
    ) -> ConsistencyOut:
        with ctx.read() as session:
            proof = ctx.platform.log.consistency_proof(session, first, second)
        return ConsistencyOut(
            first=first, second=second, consistency=[_b64(node) for node in proof]
        )

    @router.get(
        "/entries",
        response_model=EntriesOut,
        summary="Entries start..end inclusive (at most 1000 a page)",
    )
    def entries(
        ctx: Public,
        start: Annotated[int, Query(ge=0, le=MAX_INDEX)],
        end: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    ) -> EntriesOut:
        with ctx.read() as session:
            rows = ctx.platform.log.entries(session, start, end)
            return EntriesOut(
                entries=[
                    EntryOut(
                        index=row.index,
                        leaf_input=_b64(row.leaf_input),
                        leaf_hash=_b64(row.leaf_hash),
                        action=row.action,
                        timestamp=row.occurred_at.isoformat().replace("+00:00", "Z"),
                    )
                    for row in rows
                ]
            )

    return router
