"""Tables owned by search (prefixed `search_`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base
from smartcity.core.time import UTCDateTime, utcnow


class StoredVector(Base):
    """One text's embedding under one model, addressed by a hash of (model, kind, text).

    Addressing by content means a text shared by several documents is embedded once, an
    unchanged text is never embedded again, and a changed one simply gets a new key.
    """

    __tablename__ = "search_vectors"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(40))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    """float32, little-endian, L2-normalised."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VectorState(Base):
    """One row: a number that moves whenever vectors are added (indexes reload what is new)."""

    __tablename__ = "search_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
