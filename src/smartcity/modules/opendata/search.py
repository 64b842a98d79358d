"""CKAN's `package_search` over the catalogue: q, fq, sort, paging and facets.

The catalogue is small next to a Solr index (thousands of datasets, not millions), so the
visible rows are matched in memory; only what the caller may see is ever loaded, so a
private dataset can leak through neither results, counts nor facets. What is loaded is a
light row per dataset (the searched columns and its resources' formats, no ORM objects):
at 10,000 datasets building ORM objects was most of the time (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smartcity.modules.opendata import checks
from smartcity.modules.opendata.errors import InvalidParameter

MAX_ROWS = 1000
"""CKAN's default `ckan.search.rows_max`."""
DEFAULT_ROWS = 10
FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id", "frequency")
SORT_FIELDS = {
    "score",
    "name",
    "title",
    "title_string",
    "metadata_modified",
    "metadata_created",
    "num_resources",
    "num_tags",
}
_TERM = re.compile(r'\s*([+-]?)([a-z_]+):(?:"([^"]*)"|(\S+))\s*')


COLUMN_FIELDS = ("organization", "license_id", "frequency", "name")
"""`fq` fields held in a column of their own, which the database filters before loading."""


@dataclass(frozen=True)
class Candidate:
    """A visible dataset with the values search looks at.

    `dataset` is a row with the attributes of `repository.SEARCHED` (and `DESCRIBED` when
    the query has words); `formats` has one entry per resource (empty for one without).
    """

    dataset: Any
    formats: Sequence[str]

    def values(self, field: str) -> list[str]:
        """The dataset's values for a facet or `fq` field."""
        dataset = self.dataset
        if field == "organization":
            return [dataset.organization.lower()]
        if field == "groups":
            return list(dataset.groups)
        if field == "tags":
            return list(dataset.tags)
        if field == "res_format":
            return sorted({fmt for fmt in self.formats if fmt})
        if field == "license_id":
            return [dataset.license_id]
        if field == "frequency":
            return [dataset.frequency]
        if field == "name":
            return [dataset.name]
        if field == "id":
            return [str(dataset.id)]
        raise InvalidParameter(f"fq: no field {field!r}", field="fq")

    def text(self) -> str:
        """What free-text search reads, in lower case."""
        d = self.dataset
        parts = [d.name, d.title, d.title_en, d.notes, d.notes_en, d.organization, *d.tags]
        return " ".join(parts).lower()


def _field_terms(value: str, name: str) -> list[tuple[bool, str, str]]:
    """`field:value` terms (`-field:value` excludes) of `fq`, joined by spaces or AND."""
    value = re.sub(r"\s+AND\s+", " ", value)
    terms: list[tuple[bool, str, str]] = []
    position = 0
    while position < len(value):
        match = _TERM.match(value, position)
        if match is None or match.end() == position:
            raise InvalidParameter(
                f"{name}: use field:value terms (fields: {', '.join(FACET_FIELDS)}, name, id)",
                field=name,
            )
        sign, field, quoted, bare = match.groups()
        terms.append((sign == "-", field, quoted if quoted is not None else bare))
        position = match.end()
    return terms


def _facet_fields(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidParameter("facet.field: a JSON list", field="facet.field") from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidParameter("facet.field: a JSON list of field names", field="facet.field")
    unknown = [item for item in value if item not in FACET_FIELDS]
    if unknown:
        raise InvalidParameter(
            f"facet.field: {unknown[0][:40]!r} is not one of {', '.join(FACET_FIELDS)}",
            field="facet.field",
        )
    return value


def _sort_key(field: str, scores: Mapping[int, int]) -> Callable[[Candidate], Any]:
    def key(candidate: Candidate) -> Any:
        d = candidate.dataset
        if field == "score":
            return scores[id(candidate)]
        if field in ("title", "title_string"):
            return d.title
        if field == "name":
            return d.name
        if field == "metadata_modified":
            return d.modified_at.isoformat()
        if field == "metadata_created":
            return d.created_at.isoformat()
        if field == "num_resources":
            return len(candidate.formats)
        return len(d.tags)

    return key


@dataclass(frozen=True)
class Query:
    """A `package_search` call's parameters, checked."""

    words: list[str]
    filters: list[tuple[bool, str, str]]
    """(negated, field, value) terms of `fq` and of `q`'s `field:value` tokens."""
    order: list[tuple[str, bool]]
    sort: str
    rows: int
    start: int
    facet_fields: list[str]
    facet_limit: int


@dataclass(frozen=True)
class Found:
    """A page of matches, the total and the facets over every match."""

    count: int
    page: list[Candidate]
    facets: dict[str, Counter[str]]
    sort: str


def parse(params: Mapping[str, Any]) -> Query:
    """Check `package_search`'s parameters (a Validation Error names the bad one)."""
    q = checks.text(params.get("q"), "q").strip()
    fq = checks.text(params.get("fq"), "fq").strip()
    rows = checks.integer(params.get("rows"), "rows", default=DEFAULT_ROWS, low=0, high=MAX_ROWS)
    start = checks.integer(params.get("start"), "start", default=0, low=0, high=10**7)
    sort = params.get("sort") or "score desc, metadata_modified desc"
    order = checks.sort_terms(sort, "sort", SORT_FIELDS)
    facet_fields = _facet_fields(params.get("facet.field"))
    facet_limit = checks.integer(
        params.get("facet.limit"), "facet.limit", default=50, low=-1, high=1000
    )
    filters = _field_terms(fq, "fq") if fq else []
    words: list[str] = []
    if q and q != "*:*":
        for token in re.findall(r'"[^"]+"|\S+', q):
            if re.fullmatch(r'[+-]?[a-z_]+:(?:"[^"]*"|\S+)', token):
                filters.extend(_field_terms(token, "q"))
            else:
                words.append(token.strip('"').lower())
    return Query(words, filters, order, sort, rows, start, facet_fields, facet_limit)


def search(candidates: Sequence[Candidate], query: Query) -> Found:
    """The candidates matching `query`, sorted and paged, with facets over all matches."""
    matched: list[Candidate] = []
    scores: dict[int, int] = {}
    words = query.words
    for candidate in candidates:
        if not all(
            (value in candidate.values(field)) != negated for negated, field, value in query.filters
        ):
            continue
        score = 0
        if words:
            haystack = candidate.text()
            if not all(word in haystack for word in words):
                continue
            title = f"{candidate.dataset.title} {candidate.dataset.title_en}".lower()
            score = sum(3 if word in title else 1 for word in words)
        scores[id(candidate)] = score
        matched.append(candidate)

    for field, descending in reversed(query.order):
        matched.sort(key=_sort_key(field, scores), reverse=descending)

    facets: dict[str, Counter[str]] = {}
    for field in query.facet_fields:
        counter: Counter[str] = Counter()
        for candidate in matched:
            counter.update(candidate.values(field))
        if query.facet_limit >= 0:
            counter = Counter(dict(counter.most_common(query.facet_limit)))
        facets[field] = counter
    page = matched[query.start : query.start + query.rows]
    return Found(len(matched), page, facets, query.sort)
