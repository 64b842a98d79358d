"""Each shipped city's demo living lab (`livinglab.toml`) holds together and stays in the city."""

from __future__ import annotations

import pytest

from smartcity.core.city import SHIPPED, load_city
from smartcity.modules.livinglab.demo_data import IDEAS, TEXTS_FILE, parse_texts
from smartcity.modules.livinglab.seed import DETECTOR_PILOTS
from smartcity.modules.livinglab.values import BarrierStatus, Domain, FieldKind, PilotState, Track

CITIES = sorted(d.name for d in SHIPPED.iterdir() if (d / TEXTS_FILE).exists())


def test_every_shipped_city_brings_its_living_lab() -> None:
    assert sorted(d.name for d in SHIPPED.iterdir() if d.is_dir()) == CITIES


@pytest.mark.parametrize("name", CITIES)
def test_a_city_s_living_lab_texts_hold_together(name: str) -> None:
    city = load_city(name)
    texts = parse_texts(SHIPPED / name / TEXTS_FILE)
    keys = {f.key for f in texts.fields}
    assert len(keys) == len(texts.fields)
    for field in texts.fields:
        FieldKind(field.kind)
        assert all(Domain(d) for d in field.domains)
        lat, lon = field.point
        assert city.extent.south <= lat <= city.extent.north, field.key
        assert city.extent.west <= lon <= city.extent.east, field.key
    # Every kind an idea needs has sites, and every site is a field.
    assert {kind for ideas in IDEAS.values() for *_i, kind, _v, _k in ideas} <= set(texts.sites)
    assert all(set(sites) <= keys and sites for sites in texts.sites.values())
    for pilot in texts.named:
        assert set(pilot.fields) <= keys, pilot.title
        assert Domain(pilot.domain) and Track(pilot.track) and PilotState(pilot.final)
        assert pilot.detectors is None or pilot.detectors in DETECTOR_PILOTS
        assert all(k.direction in ("higher", "lower") for k in pilot.kpis)
    # The demo's live pilot and its two detector pilots are there in every city.
    assert sum(any(k.live for k in p.kpis) for p in texts.named) == 1
    assert sorted(p.detectors for p in texts.named if p.detectors) == sorted(DETECTOR_PILOTS)
    assert all(BarrierStatus(b.status) and Domain(b.domain) for b in texts.barriers)
    assert texts.elsewhere and texts.contact_phone
