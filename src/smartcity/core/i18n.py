"""Texts for people: Traditional Chinese first, English second (gettext catalogues).

Catalogues are `.po` files compiled in memory at start-up, so there is no
build step and no binary file in the repository. Each module has a domain of its own (its
name; the portal shell's is `web`), so one module's "Name" never turns into another's
translation of it: a module's page reads its own catalogue first, then the shell's.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Callable, Mapping
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LOCALE = "zh_Hant"
LOCALES = {"zh_Hant": "繁體中文", "en": "English"}
HTML_LANG = {"zh_Hant": "zh-Hant-TW", "en": "en"}
SHELL_DOMAIN = "web"
"""The portal shell's domain: base template, error pages, home, transparency."""


def _compile(po_file: Path, locale: str) -> gettext.GNUTranslations:
    compiled = _compiled(po_file, po_file.stat().st_mtime_ns, locale)
    return gettext.GNUTranslations(io.BytesIO(compiled))


@functools.cache
def _compiled(po_file: Path, modified: int, locale: str) -> bytes:
    """A catalogue compiled once per process and version of its file: parsing `.po` files was
    most of the time a platform took to build, and a test worker builds hundreds. Each platform
    still gets tables of its own, since fallbacks link them.
    """
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


class Catalogues:
    """One translation table per (domain, locale); a module's falls back to the shell's."""

    def __init__(self, folders: Mapping[str, Path]) -> None:
        self._tables: dict[tuple[str, str], gettext.NullTranslations] = {}
        for locale in LOCALES:
            shell = self._load(folders.get(SHELL_DOMAIN), locale)
            self._tables[(SHELL_DOMAIN, locale)] = shell
            for domain, folder in folders.items():
                if domain == SHELL_DOMAIN:
                    continue
                own = self._load(folder, locale)
                # A fresh chain per domain: add_fallback links objects, so the shell's table
                # must not end up pointing at a module's.
                own.add_fallback(shell)
                self._tables[(domain, locale)] = own

    @staticmethod
    def _load(folder: Path | None, locale: str) -> gettext.NullTranslations:
        po_file = folder / locale / "LC_MESSAGES" / "messages.po" if folder else None
        if po_file is None or not po_file.exists():
            return gettext.NullTranslations()
        return _compile(po_file, locale)

    def gettext(self, locale: str, domain: str = SHELL_DOMAIN) -> gettext.NullTranslations:
        """Translations of `domain` (the shell's when unknown) for `locale` (default if unknown)."""
        locale = locale if locale in LOCALES else DEFAULT_LOCALE
        return self._tables.get((domain, locale)) or self._tables[(SHELL_DOMAIN, locale)]

    def translator(self, locale: str) -> Callable[[str, str], str]:
        """`translate(domain, text)` for `locale`: what a page uses for another module's texts."""

        def translate(domain: str, text: str) -> str:
            return self.gettext(locale, domain).gettext(text)

        return translate


def N_(text: str) -> str:  # the gettext convention for "mark, translate later"
    """Mark `text` for translation where it is defined; templates translate it when shown."""
    return text


def pick_locale(cookie: str | None, accept_language: str | None) -> str:
    """The person's choice, else their browser's if English is preferred, else Chinese."""
    if cookie in LOCALES:
        return cookie
    if accept_language:
        first = accept_language.split(",")[0].strip().lower()
        if first.startswith("en"):
            return "en"
    return DEFAULT_LOCALE
