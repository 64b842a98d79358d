"""Vocabularies of the sensor hub."""

from __future__ import annotations

from enum import StrEnum


class Quantity(StrEnum):
    """A quantity an Airbox-class device reports, keyed as in `service.readings`."""

    PM25 = "pm25"
    """PM2.5 mass concentration, µg/m³ (LASS `s_d0`)."""
    PM10 = "pm10"
    """PM10 mass concentration, µg/m³ (LASS `s_d1`)."""
    PM1 = "pm1"
    """PM1 mass concentration, µg/m³ (LASS `s_d2`)."""
    TEMPERATURE = "temperature"
    """Air temperature, °C (LASS `s_t0`)."""
    HUMIDITY = "humidity"
    """Relative humidity, % (LASS `s_h0`)."""


QUANTITIES: dict[Quantity, tuple[str, str, str, str]] = {
    # key: (observed property name, definition, unit name, unit symbol)
    Quantity.PM25: (
        "PM2.5",
        "http://vocabs.lter-europe.net/EnvThes/22188",
        "microgram per cubic metre",
        "µg/m³",
    ),
    Quantity.PM10: (
        "PM10",
        "http://vocabs.lter-europe.net/EnvThes/22187",
        "microgram per cubic metre",
        "µg/m³",
    ),
    Quantity.PM1: (
        "PM1",
        "http://vocabs.lter-europe.net/EnvThes/22186",
        "microgram per cubic metre",
        "µg/m³",
    ),
    Quantity.TEMPERATURE: (
        "Temperature",
        "http://vocabs.lter-europe.net/EnvThes/22035",
        "degree Celsius",
        "°C",
    ),
    Quantity.HUMIDITY: (
        "Relative humidity",
        "http://vocabs.lter-europe.net/EnvThes/30106",
        "percent",
        "%",
    ),
}


class ThingKind(StrEnum):
    """What a Thing is, for the hub's own bookkeeping."""

    AIRBOX = "airbox"
    """A low-cost device reporting in the LASS protocol."""
    REFERENCE = "reference"
    """A reference (regulatory-grade) station, used for calibration."""
    GENERIC = "generic"
    """Anything created through SensorThings."""
    LORAWAN = "lorawan"
    """A LoRaWAN device heard through a network server (ChirpStack, The Things Stack)."""
    WIFI = "wifi"
    """A bay sensor or parking meter on WiFi, posting its readings over HTTP with a device key."""


class DeadLetterSource(StrEnum):
    """Where a refused message came from."""

    MQTT = "mqtt"
    """The LASS MQTT subscriber."""
    HTTP = "http"
    """`POST /api/v1/sensors/lass` or the Airbox JSON upload."""
    FILE = "file"
    """`smartcity sensors ingest FILE`."""
    STA_MQTT = "sta-mqtt"
    """A SensorThings MQTT create request."""
    LORAWAN = "lorawan"
    """A LoRaWAN uplink from a network server over MQTT."""
    HTTP_UPLINK = "http-uplink"
    """A WiFi device's reading posted to `POST /api/v1/sensors/uplinks`."""
