"""Reading a DCAT-AP catalogue in JSON-LD into the package dictionaries the harvest applies.

Catalogues write JSON-LD in many shapes: compact names with a prefix context (ours), full
IRIs, a `@graph` or one catalogue node embedding its datasets, values as strings, as
`{"@value"}` or as lists. Every key and type is brought to its full IRI first, then each
`dcat:Dataset` becomes a CKAN-like package dictionary: its id is `dct:identifier` (or its
IRI), so the harvest's stable ids work as they do for CKAN sources. A dataset with
`dct:source` is a copy of another catalogue's (ours marks harvested datasets so) and is
skipped, as a CKAN copy is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from smartcity.modules.opendata.dcat import FREQUENCIES
from smartcity.modules.opendata.values import GROUPS, LICENSES

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
HYDRA = "http://www.w3.org/ns/hydra/core#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
RDF_TYPE = "@type"
_FREQUENCY_NAMES = {code: name for name, code in FREQUENCIES.items()}
_LICENSE_IDS = {url: license_id for license_id, (_title, url) in LICENSES.items()}
_NAME = re.compile(r"[^a-z0-9_-]+")


def _prefixes(context: Any) -> dict[str, str]:
    """The prefix and term → IRI definitions of a JSON-LD context (lists merged)."""
    found: dict[str, str] = {}
    for item in context if isinstance(context, list) else [context]:
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if isinstance(value, str) and not key.startswith("@"):
                found[key] = value
            elif isinstance(value, dict) and isinstance(value.get("@id"), str):
                found[key] = value["@id"]
    return found


def _expand(name: str, prefixes: Mapping[str, str]) -> str:
    if name in prefixes:
        return prefixes[name]
    prefix, colon, rest = name.partition(":")
    if colon and prefix in prefixes and not rest.startswith("//"):
        return prefixes[prefix] + rest
    return name


def _normalised(node: Any, prefixes: Mapping[str, str]) -> Any:
    """`node` with every key and `@type` as a full IRI."""
    if isinstance(node, list):
        return [_normalised(item, prefixes) for item in node]
    if not isinstance(node, dict):
        return node
    found: dict[str, Any] = {}
    for key, value in node.items():
        if key == "@context":
            continue
        if key == "@type":
            types = value if isinstance(value, list) else [value]
            found[key] = [_expand(str(kind), prefixes) for kind in types]
        elif key == "@graph":
            found[key] = _normalised(value, prefixes)
        elif key.startswith("@"):
            found[key] = value
        else:
            found[_expand(key, prefixes)] = _normalised(value, prefixes)
    return found


def _nodes(document: Any) -> Iterator[dict[str, Any]]:
    """Every node of the document, embedded ones included."""
    if isinstance(document, list):
        for item in document:
            yield from _nodes(item)
    elif isinstance(document, dict):
        yield document
        for key, value in document.items():
            if not key.startswith("@") or key == "@graph":
                yield from _nodes(value)


def _values(node: Mapping[str, Any], key: str) -> list[Any]:
    value = node.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _literal(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("@value") or value.get("@id") or "")
    return "" if value is None else str(value)


def _first(node: Mapping[str, Any], key: str) -> str:
    return next((text for text in map(_literal, _values(node, key)) if text), "")


def _languages(node: Mapping[str, Any], key: str) -> tuple[str, str]:
    """(Traditional Chinese or untagged text, English text) of a multilingual property."""
    chinese = english = plain = ""
    for value in _values(node, key):
        language = str(value.get("@language", "")).lower() if isinstance(value, dict) else ""
        text = _literal(value)
        if language.startswith("zh") and not chinese:
            chinese = text
        elif language.startswith("en") and not english:
            english = text
        elif not language and not plain:
            plain = text
    return chinese or plain or english, english


def _last_segment(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/"))[-1]


def _slug(text: str) -> str:
    return _NAME.sub("-", unquote(text).lower()).strip("-")[:100] or "dataset"


def _types(node: Mapping[str, Any]) -> list[str]:
    return [str(kind) for kind in _values(node, RDF_TYPE)]


def _distribution(node: Mapping[str, Any]) -> dict[str, Any]:
    url = _first(node, DCAT + "downloadURL") or _first(node, DCAT + "accessURL")
    media = _first(node, DCAT + "mediaType")
    return {
        "id": _first(node, DCT + "identifier") or node.get("@id") or url,
        "name": _languages(node, DCT + "title")[0],
        "description": _languages(node, DCT + "description")[0],
        "format": _last_segment(_first(node, DCT + "format")),
        "url": url,
        "mimetype": media.removeprefix("https://www.iana.org/assignments/media-types/"),
        "license": _first(node, DCT + "license"),
    }


def _package(node: Mapping[str, Any], by_id: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    def resolved(value: Any) -> Mapping[str, Any]:
        if isinstance(value, dict) and set(value) == {"@id"}:
            return by_id.get(value["@id"], value)
        return value if isinstance(value, dict) else {}

    iri = str(node.get("@id") or "")
    title, title_en = _languages(node, DCT + "title")
    notes, notes_en = _languages(node, DCT + "description")
    publisher = resolved(next(iter(_values(node, DCT + "publisher")), {}))
    organization = (
        _last_segment(str(publisher.get("@id") or "")) or _languages(publisher, FOAF + "name")[0]
    )
    contact = resolved(next(iter(_values(node, DCAT + "contactPoint")), {}))
    distributions = [_distribution(resolved(item)) for item in _values(node, DCAT + "distribution")]
    licenses = [item["license"] for item in distributions if item["license"]]
    frequency = _last_segment(_first(node, DCT + "accrualPeriodicity"))
    themes = [_last_segment(_literal(theme)) for theme in _values(node, DCAT + "theme")]
    extras = [{"key": "harvest_source", "value": _first(node, DCT + "source")}]
    return {
        "id": _first(node, DCT + "identifier") or iri,
        "name": _slug(_last_segment(iri) if iri else title),
        "title": title,
        "title_en": title_en,
        "notes": notes,
        "notes_en": notes_en,
        "frequency": _FREQUENCY_NAMES.get(frequency, ""),
        "organization": {"name": organization},
        "tags": [{"name": _literal(word)} for word in _values(node, DCAT + "keyword")],
        "groups": [{"name": theme} for theme in themes if theme in GROUPS],
        "license_id": _LICENSE_IDS.get(licenses[0], "") if licenses else "",
        "maintainer": _first(contact, VCARD + "fn"),
        "maintainer_email": _first(contact, VCARD + "hasEmail").removeprefix("mailto:"),
        "resources": distributions,
        "extras": [extra for extra in extras if extra["value"]],
    }


def read_page(document: Any) -> tuple[list[dict[str, Any]], str | None]:
    """The datasets of one JSON-LD page as package dictionaries, and the next page's URL."""
    prefixes = _prefixes(document.get("@context")) if isinstance(document, dict) else {}
    nodes = list(_nodes(_normalised(document, prefixes)))
    by_id = {str(node["@id"]): node for node in nodes if "@id" in node and len(node) > 1}
    packages = [
        _package(node, by_id)
        for node in nodes
        # Without a title or any id (a blank node) a dataset cannot be listed or found again.
        if DCAT + "Dataset" in _types(node)
        and _first(node, DCT + "title")
        and (node.get("@id") or _first(node, DCT + "identifier"))
    ]
    unique = list({package["id"]: package for package in packages}.values())
    next_page = None
    for node in nodes:
        if any(kind.startswith(HYDRA) for kind in _types(node)):
            next_page = _first(node, HYDRA + "next") or _first(node, HYDRA + "nextPage") or None
            if next_page:
                break
    return unique, next_page
