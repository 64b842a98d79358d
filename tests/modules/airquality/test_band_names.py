"""`band_named`: a band's names by its key, for another module's text."""

from __future__ import annotations

from smartcity.modules.airquality import service


def test_bands_are_found_by_key_and_unknown_keys_are_none() -> None:
    good = service.band_named("good")
    assert good is not None and (good.name_zh, good.name_en) == ("良好", "Good")
    assert service.band_named("nonsense") is None
