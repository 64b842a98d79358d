"""Hostile text for stored fields, and a check that none of it became markup.

The payloads are the ones an attacker tries first: breaking out of a quoted attribute, opening a
<script> or an element with an event handler, closing <title>, and a javascript: URL.
`injected(html)` lists every element of a page that could run script: an `on*` attribute, a
<script> that is not one of ours, or a link or source whose URL runs script.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

ATTRIBUTE_BREAKOUT = '" onload="alert(1)'
SCRIPT_ELEMENT = '"><script>alert(1)</script>'
IMG_ONERROR = "<img src=x onerror=alert(1)>"
TITLE_BREAKOUT = "</title><svg onload=alert(1)>"
SINGLE_QUOTE_BREAKOUT = "' onmouseover='alert(1)"
JAVASCRIPT_URL = "javascript:alert(1)"

PAYLOADS = (
    ATTRIBUTE_BREAKOUT,
    SCRIPT_ELEMENT,
    IMG_ONERROR,
    TITLE_BREAKOUT,
    SINGLE_QUOTE_BREAKOUT,
    JAVASCRIPT_URL,
)
HOSTILE = "".join(PAYLOADS[:4])
"""The double-quote and element payloads in one string (for fields of 100 characters or more).

The single-quote one is left out: where quotes are not escaped, its quote would swallow the
rest of the document up to the next quote, and the browser would drop the very element whose
`onload` is the test.
"""
SHORT_HOSTILE = '"><svg onload=alert(1)>'
"""For short fields (a KPI's unit: 32 characters)."""

OUR_SCRIPTS = re.compile(r"^/static/")
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}
_SCRIPT_URL = re.compile(r"^[\x00-\x20]*(javascript|vbscript|data):", re.IGNORECASE)
_SPACE = "\t\n\f\r "
_RAW_TEXT = ("script", "style")


def start_tags(markup: str) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(tag name, attributes) of every start tag, read the way a browser's tokenizer reads them.

    WHATWG HTML §13.2.5 (tag and attribute states): a quote or `<` inside an attribute name is
    part of the name, a quoted value ends at its quote whatever follows, an unquoted one at a
    space or `>`. Python's HTMLParser gives up on such broken tags and calls them text, which
    is exactly what a test of escaping must not do.
    """
    i, n = 0, len(markup)
    while (i := markup.find("<", i)) >= 0 and i + 1 < n:
        if markup.startswith("<!--", i):
            end = markup.find("-->", i + 4)
            i = n if end < 0 else end + 3
            continue
        if not (markup[i + 1].isascii() and markup[i + 1].isalpha()):
            if markup[i + 1] in "!?/":  # doctype, bogus comment or end tag
                end = markup.find(">", i)
                i = n if end < 0 else end + 1
            else:
                i += 1
            continue
        j = i + 1
        while j < n and markup[j] not in _SPACE + "/>":
            j += 1
        name, attributes = markup[i + 1 : j].lower(), []
        while j < n:
            while j < n and markup[j] in _SPACE + "/":
                j += 1
            if j >= n or markup[j] == ">":
                j += 1
                break
            k = j + 1  # a first "=" belongs to the name
            while k < n and markup[k] not in _SPACE + "/>=":
                k += 1
            attribute, j = markup[j:k].lower(), k
            while j < n and markup[j] in _SPACE:
                j += 1
            value = ""
            if j < n and markup[j] == "=":
                j += 1
                while j < n and markup[j] in _SPACE:
                    j += 1
                if j < n and markup[j] in "\"'":
                    end = markup.find(markup[j], j + 1)
                    end = n if end < 0 else end
                    value, j = markup[j + 1 : end], end + 1
                else:
                    k = j
                    while k < n and markup[k] not in _SPACE + ">":
                        k += 1
                    value, j = markup[j:k], k
            attributes.append((attribute, html.unescape(value)))
        yield name, attributes
        i = j
        if name in _RAW_TEXT:  # its content is text up to its end tag
            end = markup.lower().find(f"</{name}", i)
            i = n if end < 0 else end


def injected(markup: str) -> list[str]:
    """The elements of an HTML or SVG document that could run script nobody meant to run."""
    found = []
    for tag, attributes in start_tags(markup):
        for name, value in attributes:
            if name.startswith("on"):
                found.append(f"<{tag} {name}={value!r}>")
            if name in _URL_ATTRIBUTES and _SCRIPT_URL.match(value.replace("\t", "")):
                found.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and not OUR_SCRIPTS.match(dict(attributes).get("src", "")):
            found.append(f"<script {attributes!r}>")
    return found
