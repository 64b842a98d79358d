"""Tables of the audit transparency log (owned by core, prefixed `core_audit_`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base
from smartcity.core.time import UTCDateTime


class AuditEntry(Base):
    """One audited state change: a leaf of the Merkle tree.

    The private columns (actor, object, change) stay in the database; the
    public `leaf_input` carries only keyed digests of them.
    """

    __tablename__ = "core_audit_entries"
    __audit_exempt__ = True

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor_type: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_id: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[str] = mapped_column(String(100), nullable=False)
    request_id: Mapped[str] = mapped_column(String(64), nullable=False)
    change_json: Mapped[str] = mapped_column(Text, nullable=False)
    leaf_input: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class AuditNode(Base):
    """The hash of a perfect subtree: leaves [index·2^level, (index+1)·2^level)."""

    __tablename__ = "core_audit_nodes"
    __audit_exempt__ = True

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class TreeHead(Base):
    """The single row that serialises appends and holds the current tree head."""

    __tablename__ = "core_audit_head"
    __audit_exempt__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    frontier: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    """Hashes of the perfect subtrees on the right edge, largest first."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class QueuedEntries(Base):
    """The audit entries of one committed transaction, waiting to become leaves.

    Writers insert here without touching the tree head, so their commits do not
    serialise; the sequencer moves them into the tree in batches (ADR 7).
    """

    __tablename__ = "core_audit_queue"
    __audit_exempt__ = True

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    """Queue order (SQLite needs INTEGER for its rowid alias)."""
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    entries: Mapped[str] = mapped_column(Text, nullable=False)
    """The transaction's entries, in the order it audited them, as a JSON list."""
