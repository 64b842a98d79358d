"""The catalogue in DCAT-AP: JSON-LD and Turtle, the catalogue paged with Hydra.

Written by hand from the package dictionaries the Action API answers, so DCAT shows exactly
what CKAN's API shows: public datasets only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "locn": "http://www.w3.org/ns/locn#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
# The EU's frequency vocabulary, which DCAT-AP names for dct:accrualPeriodicity.
FREQUENCIES = {
    "continuous": "CONT",
    "hourly": "HOURLY",
    "daily": "DAILY",
    "monthly": "MONTHLY",
    "irregular": "IRREG",
}
FREQUENCY_BASE = "http://publications.europa.eu/resource/authority/frequency/"
PAGE_SIZE = 100


def _text(zh: str, en: str) -> list[dict[str, str]]:
    values = [{"@value": zh, "@language": "zh-Hant"}] if zh else []
    return values + ([{"@value": en, "@language": "en"}] if en else [])


def _time(value: str | None) -> dict[str, str] | None:
    return {"@value": f"{value}Z", "@type": "xsd:dateTime"} if value else None


def dataset_node(package: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """One package as a dcat:Dataset with its distributions."""
    uri = f"{base_url}/dataset/{package['name']}"
    node: dict[str, Any] = {
        "@id": uri,
        "@type": "dcat:Dataset",
        "dct:identifier": package["id"],
        "dct:title": _text(package["title"], package.get("title_en", "")),
        "dct:description": _text(package["notes"], package.get("notes_en", "")),
        "dcat:keyword": [tag["name"] for tag in package["tags"]],
        "dcat:theme": [{"@id": f"{base_url}/group/{g['name']}"} for g in package["groups"]],
        "dcat:landingPage": {"@id": package["url"]},
        "dct:publisher": {
            "@id": f"{base_url}/organization/{package['organization']['name']}",
            "@type": "foaf:Organization",
            "foaf:name": _text(
                package["organization"]["title"], package["organization"]["description"]
            ),
        },
        "dct:issued": _time(package["metadata_created"]),
        "dct:modified": _time(package["metadata_modified"]),
    }
    if package.get("harvest_source"):
        # Marks a copy, so that DCAT harvesters (ours) never copy it back to its origin.
        source = (
            f"urn:smartcity:harvest:{package['harvest_source']}:{package['harvest_source_ref']}"
        )
        node["dct:source"] = {"@id": source}
    frequency = FREQUENCIES.get(package.get("frequency", ""))
    if frequency:
        node["dct:accrualPeriodicity"] = {"@id": FREQUENCY_BASE + frequency}
    if package.get("temporal_start"):
        node["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": _time(package["temporal_start"]),
            "dcat:endDate": _time(package.get("temporal_end")),
        }
    if package.get("spatial"):
        node["dct:spatial"] = {
            "@type": "dct:Location",
            "locn:geometry": {
                "@value": package["spatial"],
                "@type": "https://www.iana.org/assignments/media-types/application/vnd.geo+json",
            },
        }
    if package.get("maintainer") or package.get("maintainer_email"):
        contact: dict[str, Any] = {"@type": "vcard:Kind", "vcard:fn": package.get("maintainer")}
        if package.get("maintainer_email"):
            contact["vcard:hasEmail"] = {"@id": f"mailto:{package['maintainer_email']}"}
        node["dcat:contactPoint"] = contact
    node["dcat:distribution"] = [
        {
            "@id": f"{uri}/resource/{resource['id']}",
            "@type": "dcat:Distribution",
            "dct:title": resource["name"],
            "dct:description": resource["description"],
            "dcat:accessURL": {"@id": resource["url"]},
            "dcat:downloadURL": {"@id": resource["url"]},
            "dct:format": resource["format"],
            "dcat:mediaType": resource["mimetype"],
            "dct:license": {"@id": package["license_url"]} if package["license_url"] else None,
            "dct:modified": _time(resource["last_modified"]),
        }
        for resource in package["resources"]
    ]
    pruned: dict[str, Any] = _pruned(node)
    return pruned


def _pruned(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _pruned(v) for k, v in node.items() if v not in (None, "", [])}
    if isinstance(node, list):
        return [_pruned(item) for item in node]
    return node


def catalog_document(
    packages: Sequence[Mapping[str, Any]],
    total: int,
    page: int,
    base_url: str,
    title: tuple[str, str],
    extension: str = "jsonld",
) -> dict[str, Any]:
    """A page of the catalogue: the dcat:Catalog, its datasets, and Hydra's paging."""
    last = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)

    def page_uri(number: int) -> str:
        return f"{base_url}/catalog.{extension}?page={number}"

    paging: dict[str, Any] = {
        "@id": page_uri(page),
        "@type": "hydra:PartialCollectionView",
        "hydra:totalItems": {"@value": str(total), "@type": "xsd:integer"},
        "hydra:itemsPerPage": {"@value": str(PAGE_SIZE), "@type": "xsd:integer"},
        "hydra:first": {"@id": page_uri(1)},
        "hydra:last": {"@id": page_uri(last)},
    }
    if page > 1:
        paging["hydra:previous"] = {"@id": page_uri(page - 1)}
    if page < last:
        paging["hydra:next"] = {"@id": page_uri(page + 1)}
    nodes = [dataset_node(package, base_url) for package in packages]
    catalog = {
        "@id": f"{base_url}/catalog",
        "@type": "dcat:Catalog",
        "dct:title": _text(*title),
        "foaf:homepage": {"@id": f"{base_url}/opendata"},
        "dcat:dataset": [{"@id": node["@id"]} for node in nodes],
    }
    return {"@context": CONTEXT, "@graph": [catalog, paging, *nodes]}


# -- Turtle ----------------------------------------------------------------------------------


def _term(value: Any, indent: str, named: list[Mapping[str, Any]]) -> str:
    if isinstance(value, dict) and "@id" in value:
        if len(value) > 1:
            named.append(value)  # a node with an IRI of its own: its block follows
        return _iri(value["@id"])
    if isinstance(value, dict) and "@value" in value:
        literal = json.dumps(str(value["@value"]), ensure_ascii=False)
        if "@language" in value:
            return f"{literal}@{value['@language']}"
        if "@type" in value:
            kind = value["@type"]
            return (
                f"{literal}^^{kind if ':' in kind and not kind.startswith('http') else _iri(kind)}"
            )
        return literal
    if isinstance(value, dict):
        return "[\n" + _predicates(value, indent + "    ", named) + f"\n{indent}]"
    return json.dumps(str(value), ensure_ascii=False)


def _iri(value: str) -> str:
    return "<" + value.replace(">", "%3E").replace(" ", "%20") + ">"


def _predicates(node: Mapping[str, Any], indent: str, named: list[Mapping[str, Any]]) -> str:
    lines = []
    for key, value in node.items():
        if key == "@id":
            continue
        predicate = "a" if key == "@type" else key
        values = value if isinstance(value, list) else [value]
        objects = ", ".join(
            value if key == "@type" else _term(value, indent, named) for value in values
        )
        lines.append(f"{indent}{predicate} {objects}")
    return " ;\n".join(lines)


def turtle(document: Mapping[str, Any]) -> str:
    """A JSON-LD document of this module's shape, as Turtle (the same triples)."""
    prefixes = "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in CONTEXT.items())
    pending: list[Mapping[str, Any]] = list(reversed(document["@graph"]))
    blocks = []
    while pending:
        node = pending.pop()
        named: list[Mapping[str, Any]] = []
        blocks.append(f"{_iri(node['@id'])}\n{_predicates(node, '    ', named)} .\n")
        pending.extend(reversed(named))
    return prefixes + "\n" + "\n".join(blocks)
