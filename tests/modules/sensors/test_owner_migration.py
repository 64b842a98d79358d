"""Migration sensors_0003 gives existing device data to whoever made it, per the audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.db import create_db_engine
from smartcity.core.migrate import upgrade
from smartcity.core.registry import load_manifests
from smartcity.modules.identity.models import Organisation, User
from smartcity.modules.sensors.models import (
    FeatureOfInterest,
    Location,
    ObservedProperty,
    Sensor,
    Thing,
    ThingLocation,
)
from tests.support.databases import TemplateDatabase

NOW = datetime(2026, 12, 1, tzinfo=UTC)
POINT = {"type": "Point", "coordinates": [121.5, 25.0]}


def test_existing_rows_go_to_their_makers(template_db: TemplateDatabase, tmp_path: Path) -> None:
    modules = load_manifests(())
    with template_db.empty(tmp_path) as url:
        engine = create_db_engine(url)
        try:
            upgrade(engine, modules, "sensors_0002")
            device_owner, department = uuid.uuid4(), uuid.uuid4()
            officer, admin = uuid.uuid4(), uuid.uuid4()
            entries: list[tuple[str, Any, str, str, int]] = [
                # (actor type, actor id, action, object type, object id), oldest first
                ("officer", officer, "sensors.thing.created", "thing", 1),  # a Thing since deleted
                ("device", device_owner, "sensors.thing.created", "thing", 1),
                ("officer", officer, "sensors.thing.registered", "thing", 2),
                ("system", "sensors-mqtt", "sensors.thing.registered", "thing", 3),
                ("admin", admin, "sensors.thing.created", "thing", 4),
                ("device", device_owner, "sensors.location.created", "location", 1),
                ("device", device_owner, "sensors.sensor.created", "sensor", 1),
                ("officer", officer, "sensors.observedproperty.created", "observedproperty", 1),
                (
                    "device",
                    device_owner,
                    "sensors.featureofinterest.created",
                    "featureofinterest",
                    2,
                ),
            ]
            with engine.begin() as connection:
                connection.execute(
                    insert(Organisation),
                    [
                        {"id": device_owner, "code": "DEVA", "kind": "device_owner", "name": "A"},
                        {"id": department, "code": "DEP", "kind": "department", "name": "X"},
                    ],
                )
                connection.execute(
                    insert(User),
                    [
                        {
                            "id": officer,
                            "role": "officer",
                            "name": "o",
                            "department_id": department,
                        },
                        {"id": admin, "role": "admin", "name": "a", "department_id": None},
                    ],
                )
                connection.execute(
                    insert(AuditEntry),
                    [
                        {
                            "index": index,
                            "occurred_at": NOW,
                            "actor_type": actor_type,
                            "actor_id": str(actor),
                            "action": action,
                            "object_type": object_type,
                            "object_id": str(ident),
                            "request_id": "r",
                            "change_json": "{}",
                            "leaf_input": b"x",
                            "leaf_hash": b"x" * 32,
                        }
                        for index, (actor_type, actor, action, object_type, ident) in enumerate(
                            entries
                        )
                    ],
                )
                connection.execute(
                    insert(Thing),
                    [{"id": i, "name": f"t{i}", "kind": "generic"} for i in (1, 2, 3, 4)],
                )
                place = {"description": "", "encoding_type": "application/geo+json"}
                connection.execute(
                    insert(Location),
                    [{"id": i, "name": f"l{i}", "location": POINT, **place} for i in (1, 2, 3)],
                )
                # Ingestion made Locations 2 (of the officer's Thing 2) and 3 (of the ingester's).
                connection.execute(
                    insert(ThingLocation),
                    [{"thing_id": i, "location_id": i} for i in (1, 2, 3)],
                )
                connection.execute(
                    insert(Sensor.__table__),
                    [
                        {"id": i, "name": f"s{i}", "encoding_type": "x", "metadata": "x"}
                        for i in (1, 2)
                    ],
                )
                connection.execute(
                    insert(ObservedProperty), [{"id": 1, "name": "p", "definition": "p"}]
                )
                connection.execute(
                    insert(FeatureOfInterest),
                    [
                        {"id": 1, "name": "f", "feature": POINT, "location_id": 2, **place},
                        {"id": 2, "name": "f", "feature": POINT, "location_id": None, **place},
                    ],
                )
            upgrade(engine, modules)
            with engine.connect() as connection:
                owners = {
                    model.__name__: dict(connection.execute(select(model.id, model.owner)).all())
                    for model in (Thing, Location, Sensor, ObservedProperty, FeatureOfInterest)
                }
        finally:
            engine.dispose()
    assert owners == {
        "Thing": {1: "DEVA", 2: "DEP", 3: None, 4: None},
        "Location": {1: "DEVA", 2: "DEP", 3: None},
        "Sensor": {1: "DEVA", 2: None},
        "ObservedProperty": {1: "DEP"},
        "FeatureOfInterest": {1: "DEP", 2: "DEVA"},
    }
