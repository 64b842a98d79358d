"""Tables owned by opendata (prefixed `opendata_`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base
from smartcity.core.repository import new_id
from smartcity.core.time import UTCDateTime, utcnow


class Dataset(Base):
    """A CKAN package: a module's registered table, or a dataset staff describe by hand."""

    __tablename__ = "opendata_datasets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    origin: Mapped[str] = mapped_column(String(16), nullable=False)
    """A `values.Origin`: registered by a module, or made by staff."""
    organization: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    """The publishing department's organisation code."""
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    title_en: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    notes_en: Mapped[str] = mapped_column(Text, nullable=False, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    groups: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    license_id: Mapped[str] = mapped_column(String(64), nullable=False)
    frequency: Mapped[str] = mapped_column(String(16), nullable=False, default="irregular")
    temporal_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    temporal_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    spatial: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """A GeoJSON bounding polygon of the records, or None."""
    contact_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    contact_email: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    private: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="active", index=True)
    harvest_source: Mapped[str | None] = mapped_column(String(40), index=True)
    """The harvest source it came from, by name (harvested datasets only)."""
    source_ref: Mapped[str | None] = mapped_column(String(100))
    """The dataset's id at its source: what makes a re-harvest find it again."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    """CKAN's `metadata_modified`: the metadata's or the data's last change, the later."""


class Resource(Base):
    """One distribution of a dataset: a live table (the DataStore), an upload or a link."""

    __tablename__ = "opendata_resources"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("opendata_datasets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    format: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    url: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    """An outside link; empty for live tables and uploads (their URL is made from the id)."""
    table: Mapped[str | None] = mapped_column(String(100))
    """The registered dataset whose live table this resource serves, by name."""
    record_count: Mapped[int | None] = mapped_column(Integer)
    upload: Mapped[bytes | None] = mapped_column(LargeBinary)
    mimetype: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class HarvestSource(Base):
    """Another catalogue this one copies: CKAN's Action API at `url`, or DCAT-AP at `url`."""

    __tablename__ = "opendata_harvest_sources"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False, default="ckan")
    """A `values.SourceKind`: how the catalogue at `url` is read."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class HarvestRun(Base):
    """One harvest of a source: what it added, changed and deleted, or why it failed."""

    __tablename__ = "opendata_harvest_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    source_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("opendata_harvest_sources.id", ondelete="CASCADE"), nullable=False, index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
