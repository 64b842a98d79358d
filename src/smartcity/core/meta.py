"""Small facts about this installation (e.g. whether the demo city is loaded)."""

from __future__ import annotations

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from smartcity.core.db import Base


class Meta(Base):
    """A key and its value."""

    __tablename__ = "core_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


def get_meta(session: Session, key: str) -> str | None:
    """The value stored under `key`, if any."""
    return session.execute(select(Meta.value).where(Meta.key == key)).scalar_one_or_none()


def set_meta(session: Session, key: str, value: str) -> None:
    """Store `value` under `key` (caller audits and commits)."""
    row = session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value
