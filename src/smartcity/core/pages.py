"""Server-rendered pages: one Jinja2 environment over the shell's and every module's templates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from smartcity.core.i18n import HTML_LANG, LOCALES, Catalogues
from smartcity.core.money import format_ntd
from smartcity.core.time import format_taipei


class PageRenderer:
    """Renders a template in a person's language."""

    def __init__(self, template_dirs: Sequence[Path], catalogues: Catalogues) -> None:
        self.catalogues = catalogues
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(path)) for path in template_dirs]),
            autoescape=select_autoescape(["html", "xml"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["taipei"] = format_taipei
        self.env.filters["ntd"] = format_ntd
        self.env.globals["LOCALES"] = LOCALES

    def translator(self, locale: str) -> Callable[[str], str]:
        """The `_()` function for `locale`."""
        return self.catalogues.gettext(locale).gettext

    def render(self, template: str, locale: str, context: dict[str, Any]) -> str:
        """Render `template` with `_` bound to `locale`."""
        translate = self.translator(locale)
        return self.env.get_template(template).render(
            {**context, "_": translate, "locale": locale, "html_lang": HTML_LANG[locale]}
        )
