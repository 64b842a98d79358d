"""Server-rendered pages: one Jinja2 environment over the shell's and every module's templates."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader

from smartcity.core.i18n import HTML_LANG, LOCALES, SHELL_DOMAIN, Catalogues
from smartcity.core.money import format_ntd
from smartcity.core.time import format_local

# What browsers ignore in a URL before reading its scheme (WHATWG URL: leading C0 controls and
# spaces, and every tab or newline), so "java\tscript:" is caught like "javascript:".
_URL_IGNORED = re.compile(r"^[\x00-\x20]+|[\t\n\r]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
"""The only schemes a stored link may have; any other (javascript:, data:) is not linked."""


def safe_url(url: object) -> str:
    """`url` if following it cannot run script: a relative URL or one of `LINK_SCHEMES`."""
    text = str(url)
    scheme = _SCHEME.match(_URL_IGNORED.sub("", text))
    if scheme and scheme.group(1).lower() not in LINK_SCHEMES:
        return "#"
    return text


class PageRenderer:
    """Renders a template in a person's language."""

    def __init__(self, template_dirs: Sequence[Path], catalogues: Catalogues) -> None:
        self.catalogues = catalogues
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(path)) for path in template_dirs]),
            # Every template (HTML or SVG) is escaped, quotes included; templates
            # are the only place markup is made (docs/architecture.md, "Output encoding").
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["local_time"] = format_local
        self.env.filters["ntd"] = format_ntd
        self.env.filters["safe_url"] = safe_url
        self.env.globals["LOCALES"] = LOCALES

    def translator(self, locale: str, domain: str = SHELL_DOMAIN) -> Callable[[str], str]:
        """The `_()` function for `locale` in `domain` (a module's name, or the shell's)."""
        return self.catalogues.gettext(locale, domain).gettext

    def render(self, template: str, locale: str, context: dict[str, Any]) -> str:
        """Render `template` with `_` bound to `locale` and the template's own module.

        A template's module is its folder (`payments/bill.html`); the shell's templates are
        `base.html`, `error.html` and `web/…`. `_d(domain, text)` translates another module's
        text, such as a card's title on the shell's pages; `_in(domain)` is another module's
        `_`, for including its partial (`{% with _ = _in(name) %}{% include … %}{% endwith %}`).
        """
        folder, _, rest = template.partition("/")
        domain = folder if rest else SHELL_DOMAIN
        return self.env.get_template(template).render(
            {
                **context,
                "_": self.translator(locale, domain),
                "_d": self.catalogues.translator(locale),
                "_in": lambda other: self.translator(locale, other),
                "locale": locale,
                "html_lang": HTML_LANG[locale],
            }
        )
