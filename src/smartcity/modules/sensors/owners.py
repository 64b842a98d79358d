"""Who owns sensor data, and who may change it.

Things, Locations, Sensors, ObservedProperties and FeaturesOfInterest carry `owner`: the
code of the organisation they belong to (a device owner, or the department of an officers'
station). `None` is the platform's own: the LASS sensor and quantities the hub shares, and
what administrators made. Datastreams and HistoricalLocations belong to their Thing's owner
and Observations to their Datastream's, so the three can never disagree.

A caller changes only its own organisation's data; administrators and the platform's own
jobs (seeds, the command line) change everything — core.departments' rule, where a device
owner's machine key acts for its organisation as an officer does for their department.
Anyone may *link* new data of their own to a shared entity of the platform (the PM2.5
ObservedProperty), never to another organisation's: that would tie their data to something
they cannot change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal, Role
from smartcity.core.departments import acts_for_every_department, own_department
from smartcity.modules.sensors.errors import NoOrganisation, NotOwner
from smartcity.modules.sensors.models import (
    Datastream,
    HistoricalLocation,
    HistoricalLocationLocation,
    Observation,
    Thing,
    ThingLocation,
)


@dataclass(frozen=True)
class Acting:
    """Whose sensor data a caller writes."""

    owner: str | None
    """The organisation code the caller's new Things belong to (None: the platform's)."""
    everything: bool = False
    """Administrators and the platform's own jobs write every owner's data."""

    def may_write(self, owner: str | None) -> bool:
        """Whether the caller may change data of `owner`."""
        return self.everything or owner == self.owner

    def may_link(self, owner: str | None) -> bool:
        """Whether the caller may tie its data to a shared entity of `owner`."""
        return owner is None or self.may_write(owner)


def acting_for(principal: Principal) -> Acting:
    """What `principal` may write: its organisation's (or department's) data, or everything."""
    if acts_for_every_department(principal):
        return Acting(None, everything=True)
    owner = own_department(principal) or (
        principal.organisation if principal.role == Role.DEVICE else None
    )
    if not owner:
        raise NoOrganisation(
            "this credential belongs to no organisation, so it may write no sensor data"
        )
    return Acting(owner)


_MISSING = object()
SHARED = ("Locations", "Sensors", "ObservedProperties", "FeaturesOfInterest")
"""Entity sets whose rows carry their own owner and may be linked from other data."""


class Guard:
    """The ownership checks of one unit of work (owners looked up once each)."""

    def __init__(self, session: Session, acting: Acting) -> None:
        self.session = session
        self.acting = acting
        self._owners: dict[tuple[str, int], Any] = {}
        self._stream_things: dict[int, int] = {}

    def made(self, plural: str, ident: int, owner: str | None) -> None:
        """Remember the owner of a row this unit of work created."""
        self._owners[(plural, ident)] = owner

    def _owner(self, plural: str, model: Any, ident: int) -> Any:
        key = (plural, ident)
        if key not in self._owners:
            found = self.session.execute(select(model.owner).where(model.id == ident)).first()
            self._owners[key] = _MISSING if found is None else found[0]
        return self._owners[key]

    def _refuse(self, what: str) -> NotOwner:
        return NotOwner(f"{what} belongs to another owner; only its owner may change it")

    def thing(self, thing_id: int) -> None:
        """Refuse unless the caller may change the Thing (and what belongs to it)."""
        if self.acting.everything:
            return
        owner = self._owner("Things", Thing, thing_id)
        if owner is not _MISSING and not self.acting.may_write(owner):
            raise self._refuse(f"Thing {thing_id}")

    def datastream(self, datastream_id: int) -> None:
        """Refuse unless the caller may change the Datastream (its Thing's owner's)."""
        if self.acting.everything:
            return
        if datastream_id not in self._stream_things:
            thing_id = self.session.execute(
                select(Datastream.thing_id).where(Datastream.id == datastream_id)
            ).scalar()
            if thing_id is None:
                return  # no such Datastream: the caller reports that
            self._stream_things[datastream_id] = int(thing_id)
        self.thing(self._stream_things[datastream_id])

    def link(self, plural: str, model: Any, ident: int) -> None:
        """Refuse unless the caller may tie its data to this entity."""
        if self.acting.everything:
            return
        if plural == "Things":
            self.thing(ident)
        elif plural == "Datastreams":
            self.datastream(ident)
        elif plural in SHARED:
            owner = self._owner(plural, model, ident)
            if owner is not _MISSING and not self.acting.may_link(owner):
                raise self._refuse(f"{model.__name__} {ident}")

    def change(self, plural: str, row: Any) -> None:
        """Refuse unless the caller may update or delete `row` of `plural`."""
        if self.acting.everything:
            return
        if plural == "Things":
            self.thing(row.id)
        elif plural in ("Datastreams", "HistoricalLocations"):
            self.thing(row.thing_id)
        elif plural == "Observations":
            self.datastream(row.datastream_id)
        else:
            name = f"{type(row).__name__} {row.id}"
            if not self.acting.may_write(row.owner):
                raise self._refuse(name)
            # Data of others tied to it (before owners existed) would change or go with it.
            if self.session.execute(select(self._others_depending(plural, row.id))).scalar():
                raise NotOwner(
                    f"{name} is used by another owner's data; only an administrator may change it"
                )

    def _others_depending(self, plural: str, ident: int) -> Any:
        """EXISTS: a Thing of another owner depends on entity `ident` of `plural`."""
        foreign = Thing.owner.is_distinct_from(self.acting.owner)
        if plural == "Locations":
            current = select(ThingLocation.thing_id).where(ThingLocation.location_id == ident)
            past = (
                select(HistoricalLocation.thing_id)
                .join(
                    HistoricalLocationLocation,
                    HistoricalLocationLocation.historical_location_id == HistoricalLocation.id,
                )
                .where(HistoricalLocationLocation.location_id == ident)
            )
            return exists().where(Thing.id.in_(current.union(past)), foreign)
        if plural == "FeaturesOfInterest":
            streams = select(Observation.datastream_id).where(Observation.feature_id == ident)
            return (
                exists()
                .where(Datastream.id.in_(streams), foreign)
                .where(Datastream.thing_id == Thing.id)
            )
        column = Datastream.sensor_id if plural == "Sensors" else Datastream.observed_property_id
        return exists().where(column == ident, Datastream.thing_id == Thing.id, foreign)
