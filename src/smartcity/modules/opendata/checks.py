"""What the Action API accepts in its text parameters: no SQL, no unbounded numbers."""

from __future__ import annotations

import re
from typing import Any

from smartcity.modules.opendata.errors import InvalidParameter

# Text that reads as SQL rather than a search: statement separators, comments, quotes that
# would close a literal, and the keywords of an injected clause after one of them.
_SQL_LIKE = re.compile(
    r";|--|/\*|\*/|\x00|'|\b(?:union\s+(?:all\s+)?select|drop\s+table|insert\s+into|delete\s+from"
    r"|update\s+\w+\s+set|or\s+1\s*=\s*1|sleep\s*\(|pg_sleep)\b",
    re.IGNORECASE,
)
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
MAX_TEXT = 500


def text(value: Any, name: str, *, allow_empty: bool = True) -> str:
    """`value` as search text, refused when it is not a string, too long or reads as SQL."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidParameter(f"{name}: must be a string", field=name)
    if len(value) > MAX_TEXT:
        raise InvalidParameter(f"{name}: at most {MAX_TEXT} characters", field=name)
    if _SQL_LIKE.search(value):
        raise InvalidParameter(f"{name}: SQL is not accepted here", field=name)
    if not allow_empty and not value.strip():
        raise InvalidParameter(f"{name}: missing value", field=name)
    return value


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character `\\`) matching values that contain `text`."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def integer(value: Any, name: str, *, default: int, low: int, high: int) -> int:
    """`value` as an integer within [low, high]; CKAN clients send numbers as text too."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidParameter(f"{name}: must be an integer", field=name)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidParameter(f"{name}: must be an integer", field=name) from None
    if not low <= number <= high:
        raise InvalidParameter(f"{name}: must be between {low} and {high}", field=name)
    return number


def boolean(value: Any, name: str, *, default: bool) -> bool:
    """`value` as a boolean: JSON's, or CKAN's text forms."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise InvalidParameter(f"{name}: must be true or false", field=name)


def names(value: Any, name: str) -> list[str]:
    """A list of identifiers, from a JSON list or CKAN's comma-separated text."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise InvalidParameter(f"{name}: a list of names", field=name)
    cleaned = [item.strip() for item in items if item.strip()]
    for item in cleaned:
        if not IDENTIFIER.match(item) and not re.match(r"^[a-z0-9_.-]{1,100}$", item):
            raise InvalidParameter(f"{name}: {item[:40]!r} is not a name", field=name)
    return cleaned


def sort_terms(value: Any, name: str, allowed: set[str]) -> list[tuple[str, bool]]:
    """`"field [asc|desc], …"` as (field, descending) pairs over `allowed` fields."""
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        raise InvalidParameter(f"{name}: must be a string", field=name)
    terms = []
    for part in value.split(","):
        match = re.fullmatch(r'\s*"?([A-Za-z_][A-Za-z0-9_.]*)"?(?:\s+(asc|desc))?\s*', part, re.I)
        if match is None or match.group(1) not in allowed:
            raise InvalidParameter(
                f"{name}: {part.strip()[:40]!r} is not one of: {', '.join(sorted(allowed))}",
                field=name,
            )
        terms.append((match.group(1), (match.group(2) or "asc").lower() == "desc"))
    return terms
