"""What the platform accepts as a JSON document: UTF-8, at most 64 levels deep, no lone surrogates.

Python's json module reads all three kinds of trouble without complaint (a deep document until
the parser runs out of stack, an escaped `\\ud800` as an unpaired code point, invalid UTF-8 as
surrogates), and each then breaks something later: a RecursionError in a recursive walker
(Pydantic, the JSON encoder, SQLAlchemy's JSON type) or a UnicodeEncodeError when the text is
stored or sent. So bodies are checked before anything reads them, in linear time.

MAX_DEPTH is 64: the deepest document the platform takes is a SensorThings deep insert
(Thing → Datastreams → Observations, with GeoJSON coordinates and free `properties`), about a
dozen levels; 64 leaves room for any honest client and stays far below the depth at which
recursive code starts to fail (Python's recursion limit is 1,000 frames, and walkers use
several frames per level).
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from smartcity.core.errors import BadRequest

MAX_DEPTH = 64

# A JSON string, escapes included (unrolled so that long strings match without backtracking).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Every escape that cannot be (part of) a lone surrogate: a high+low pair, any other \u
# escape, any one-character escape. Matched left to right, so `\\` is consumed as a pair.
_HARMLESS_ESCAPE = re.compile(
    rb"\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u(?![dD][89a-fA-F])|[^u])"
)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def problem(body: bytes) -> BadRequest | None:
    """Why `body` is not an acceptable JSON document (syntax aside), or None."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        # RFC 8259 §8.1: JSON between systems is UTF-8. This also refuses surrogates
        # encoded as raw bytes, which json.loads would otherwise let through.
        return BadRequest("a JSON body must be UTF-8", code="invalid_encoding")
    # Most bodies have no escape that even looks like a surrogate; only those are tokenised.
    if _SURROGATE_ESCAPE.search(body) and _SURROGATE_ESCAPE.search(_HARMLESS_ESCAPE.sub(b"", body)):
        return BadRequest(
            "a JSON string holds a lone surrogate (\\ud800–\\udfff without its pair)",
            code="lone_surrogate",
        )
    if _too_deep(body):
        return BadRequest(f"JSON nested deeper than {MAX_DEPTH} levels", code="json_too_deep")
    return None


def loads(body: bytes, **options: Any) -> Any:
    """`json.loads` for a body from outside: BadRequest for what `problem` finds.

    A syntax error is still the caller's ValueError, so each route keeps its own code for it;
    `options` go to `json.loads` (e.g. `parse_int`).
    """
    found = problem(body)
    if found is not None:
        raise found
    return json.loads(body, **options)


def _too_deep(body: bytes) -> bool:
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return False  # too few openings to nest that deep, even counting those in strings
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    # '[' and '{' have bit 1 set, ']' and '}' do not: +1 for an opening, -1 for a closing.
    steps = (np.frombuffer(brackets, dtype=np.uint8) & 2).astype(np.int32) - 1
    return int(np.cumsum(steps).max()) > MAX_DEPTH
