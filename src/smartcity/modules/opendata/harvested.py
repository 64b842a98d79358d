"""What other modules may learn of harvested datasets: which source each copy came from, and
where the source serves its resources (the living lab reads pilots elsewhere this way)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.modules.opendata import repository
from smartcity.modules.opendata.models import Dataset, HarvestSource
from smartcity.modules.opendata.values import State


@dataclass(frozen=True)
class HarvestedCopy:
    """A live copy of another city's dataset."""

    source: str
    """The harvest source's name here."""
    source_url: str
    """The source's catalogue (the other instance's base URL)."""
    name: str
    """The copy's name here (the source's name in front when the name was taken)."""
    resource_urls: tuple[str, ...]
    """Where the source serves the dataset's resources, in their order."""


def harvested_copies(session: Session, name_at_source: str) -> list[HarvestedCopy]:
    """The active copies of the dataset every source calls `name_at_source`."""
    found = []
    for source in session.scalars(select(HarvestSource).order_by(HarvestSource.name)):
        names = (name_at_source, f"{source.name}-{name_at_source}")
        copy = session.scalars(
            select(Dataset).where(
                Dataset.harvest_source == source.name,
                Dataset.name.in_(names),
                Dataset.state == State.ACTIVE.value,
            )
        ).first()
        if copy is None:
            continue
        resources = repository.resources_of(session, [copy.id]).get(copy.id, [])
        found.append(
            HarvestedCopy(
                source.name, source.url, copy.name, tuple(r.url for r in resources if r.url)
            )
        )
    return found
