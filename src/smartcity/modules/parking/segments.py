"""Segments and bays: create them with their sensors, change a tariff, import a bay file."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

import smartcity.modules.identity.service as identity
import smartcity.modules.payments.service as payments
import smartcity.modules.sensors.service as sensors
from smartcity.core.city import current_city
from smartcity.core.departments import acts_for_every_department, own_department, require_department
from smartcity.core.errors import InvalidInput, NotFound
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.values import OrganisationKind
from smartcity.modules.parking import errors, repository
from smartcity.modules.parking.models import Bay, Segment
from smartcity.modules.parking.schemas import BayIn, SegmentIn, TariffIn
from smartcity.modules.parking.settings import ParkingSettings


def _department(uow: UnitOfWork, asked: str | None) -> str:
    if acts_for_every_department(uow.actor):
        if not asked:
            raise InvalidInput("name the segment's department", code="department_required")
        return asked
    own = own_department(uow.actor)
    if own is None:
        raise errors.OtherDepartment("only officers and administrators make segments")
    if asked not in (None, own):
        raise errors.OtherDepartment("officers make their own department's segments")
    return own


def _check_fee_item(uow: UnitOfWork, code: str, department: str) -> None:
    try:
        item = payments.get_item(uow.session, code)
    except NotFound:
        raise errors.UnknownFeeItem(f"no payments item {code[:40]}") from None
    if item.department != department:
        raise errors.UnknownFeeItem(f"{code[:40]} is not a fee item of {department}")


def _sensor_owner(uow: UnitOfWork, asked: str | None, department: str) -> str:
    # Whose device keys post a WiFi device's readings: a device owner, or the department.
    if asked is None:
        return department
    try:
        found = identity.get_organisation(uow.session, asked)
    except NotFound:
        found = None
    if found is None or found.kind != OrganisationKind.DEVICE_OWNER:
        raise errors.UnknownSensorOwner(f"{asked[:32]} is not a device owner")
    return found.code


def _add_bay(uow: UnitOfWork, segment: Segment, body: BayIn) -> Bay:
    session = uow.session
    same = Bay.code == body.code
    if body.dev_eui:
        same = same | (Bay.dev_eui == body.dev_eui)
    taken = session.execute(select(Bay.code).where(same)).first()
    if taken is not None:
        raise errors.DuplicateBay(f"bay {body.code} or its dev EUI is already another bay's")
    if body.dev_eui and body.sensor_model in sensors.wifi_models():
        sensors.register_wifi_device(
            uow,
            device_id=body.dev_eui,
            model=body.sensor_model,
            name=f"{segment.name} {body.code}",
            latitude=body.lat,
            longitude=body.lon,
            owner=_sensor_owner(uow, body.sensor_owner, segment.department),
        )
    elif body.dev_eui:
        if body.sensor_model not in sensors.lorawan_models():
            models = (*sensors.lorawan_models(), *sensors.wifi_models())
            raise errors.UnknownSensorModel(f"sensor_model must be one of {', '.join(models)}")
        sensors.register_lorawan_device(
            uow,
            dev_eui=body.dev_eui,
            model=body.sensor_model,
            name=f"{segment.name} {body.code}",
            latitude=body.lat,
            longitude=body.lon,
        )
    bay = Bay(
        code=body.code,
        segment_id=segment.id,
        kind=body.kind.value,
        latitude=body.lat,
        longitude=body.lon,
        dev_eui=body.dev_eui,
        sensor_model=body.sensor_model if body.dev_eui else "",
        status="unknown",
    )
    session.add(bay)
    return bay


def create_segment(uow: UnitOfWork, body: SegmentIn, settings: ParkingSettings) -> Segment:
    """A segment with its bays; each bay's sensor is registered in the sensor hub."""
    session = uow.session
    department = _department(uow, body.department)
    fee_item = body.fee_item or settings.fee_item
    _check_fee_item(uow, fee_item, department)
    if session.execute(select(Segment.id).where(Segment.code == body.code)).first():
        raise errors.DuplicateSegment(f"segment {body.code} exists")
    codes = [b.code for b in body.bays]
    euis = [b.dev_eui for b in body.bays if b.dev_eui]
    if len(set(codes)) != len(codes) or len(set(euis)) != len(euis):
        raise errors.DuplicateBay("a bay code or dev EUI appears twice")
    district = None
    if body.bays:
        lat = sum(b.lat for b in body.bays) / len(body.bays)
        lon = sum(b.lon for b in body.bays) / len(body.bays)
        found = current_city().district_of(lat, lon)
        district = found.code if found else None
    segment = Segment(
        code=body.code,
        name=body.name,
        name_en=body.name_en,
        district=district,
        department=department,
        fee_item=fee_item,
        tariff=body.tariff.model_dump(exclude_none=True),
        geometry=body.geometry,
    )
    session.add(segment)
    session.flush()
    for bay in body.bays:
        _add_bay(uow, segment, bay)
    session.flush()
    repository.bump_feed_version(session)
    uow.audit(
        "parking.segment.created",
        "segment",
        segment.id,
        {"code": segment.code, "department": department, "bays": len(body.bays)},
    )
    return segment


def change_tariff(uow: UnitOfWork, segment: Segment, tariff: TariffIn) -> Segment:
    """A segment's new tariff, for stays that begin from now on."""
    require_department(
        uow.actor,
        segment.department,
        code=errors.OtherDepartment.code,
        detail="officers change their own department's segments",
    )
    before = segment.tariff
    segment.tariff = tariff.model_dump(exclude_none=True)
    uow.audit(
        "parking.segment.tariff_changed",
        "segment",
        segment.id,
        {"before": before, "after": segment.tariff},
    )
    return segment


def read_bay_file(text: str, name: str) -> list[dict[str, Any]]:
    """Segments as `SegmentIn` dictionaries from a GeoJSON FeatureCollection of bay points
    or a CSV (`segment, segment_name, segment_name_en, bay, lat, lon, kind, dev_eui,
    sensor_model, per_hour`), grouped by segment code."""
    grouped: dict[str, dict[str, Any]] = {}

    def add(row: dict[str, Any], lat: Any, lon: Any) -> None:
        code = str(row.get("segment") or "")
        segment = grouped.setdefault(
            code,
            {
                "code": code,
                "name": str(row.get("segment_name") or code),
                "name_en": str(row.get("segment_name_en") or ""),
                "tariff": row.get("tariff") or {"per_hour": int(row.get("per_hour") or 0)},
                "bays": [],
            },
        )
        bay = {"code": str(row.get("bay") or ""), "lat": float(lat), "lon": float(lon)}
        for key in ("kind", "dev_eui", "sensor_model"):
            if row.get(key):
                bay[key] = str(row[key])
        segment["bays"].append(bay)

    try:
        if name.lower().endswith((".geojson", ".json")):
            document = json.loads(text)
            for feature in document["features"]:
                lon, lat = feature["geometry"]["coordinates"][:2]
                add(feature["properties"], lat, lon)
        else:
            for row in csv.DictReader(io.StringIO(text)):
                add(row, row["lat"], row["lon"])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise errors.InvalidImport(
            f"{name}: not a bay file ({type(exc).__name__}: {exc})"
        ) from None
    return list(grouped.values())


def import_segments(
    uow: UnitOfWork, rows: list[dict[str, Any]], settings: ParkingSettings, department: str | None
) -> list[Segment]:
    """Create each segment of an imported file (a segment that exists is left as it is)."""
    made = []
    for row in rows:
        if department:
            row = {**row, "department": department}
        try:
            body = SegmentIn.model_validate(row)
        except ValidationError as exc:
            raise errors.InvalidImport(
                f"segment {row.get('code')!s:.40}: {exc.errors()[0]['msg']}"
            ) from None
        if uow.session.execute(select(Segment.id).where(Segment.code == body.code)).first():
            continue
        made.append(create_segment(uow, body, settings))
    return made
