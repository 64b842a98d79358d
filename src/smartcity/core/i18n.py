"""Texts for people: Traditional Chinese first, English second (gettext catalogues).

Catalogues are `.po` files compiled in memory at start-up, so there is no
build step and no binary file in the repository.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LOCALE = "zh_Hant"
LOCALES = {"zh_Hant": "繁體中文", "en": "English"}
HTML_LANG = {"zh_Hant": "zh-Hant-TW", "en": "en"}


class Catalogues:
    """One translation table per locale, merged from every module's `.po` files."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self._translations: dict[str, gettext.NullTranslations] = {}
        for locale in LOCALES:
            merged: gettext.NullTranslations | None = None
            for folder in folders:
                po_file = folder / locale / "LC_MESSAGES" / "messages.po"
                if not po_file.exists():
                    continue
                with po_file.open("rb") as handle:
                    catalog = read_po(handle, locale=locale)
                buffer = io.BytesIO()
                write_mo(buffer, catalog)
                buffer.seek(0)
                translations = gettext.GNUTranslations(buffer)
                if merged is None:
                    merged = translations
                else:
                    merged.add_fallback(translations)
            self._translations[locale] = merged or gettext.NullTranslations()

    def gettext(self, locale: str) -> gettext.NullTranslations:
        """Translations for `locale` (the default locale when unknown)."""
        return self._translations.get(locale) or self._translations[DEFAULT_LOCALE]


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
