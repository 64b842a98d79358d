"""Payload decoders of the LoRaWAN devices the hub knows, one per model and firmware.

Each decoder follows the byte layout its maker published in the TTN Device Repository
(TheThingsNetwork/lorawan-devices); the model names below pin the firmware whose layout
is implemented, since a maker may move fields between firmwares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decoded:
    """What one uplink says, whatever the device."""

    message: str
    """`status`, `heartbeat`, `startup` or `other` (a frame the hub keeps no value of)."""
    occupied: bool | None = None
    battery_volts: float | None = None
    temperature: float | None = None
    fault: str | None = None
    """The device's own report of a fault (a hardware health code, a debug code)."""


class UndecodablePayload(ValueError):
    """The bytes do not fit the model's layout."""


def _need(data: bytes, length: int, what: str) -> None:
    if len(data) < length:
        raise UndecodablePayload(f"{what} needs {length} bytes, got {len(data)}")


def _signed(byte: int) -> int:
    return byte - 0x100 if byte & 0x80 else byte


def decode_nwave_nps405(port: int, data: bytes) -> Decoded:
    """Nwave NPS-405 (vendor/nwave/nps405.js).

    Port 1, status: bit 7 of byte 0 is occupancy. Port 2, heartbeat: bit 7 of byte 0 is
    occupancy and bits 0-6 the hardware health (0 is healthy), byte 1 the battery as
    2.5 V + 4 mV per step, byte 2 the temperature as a signed half-degree above 10 °C.
    Port 3, start-up: bit 0 of byte 4 is occupancy.
    """
    if port == 1:
        _need(data, 1, "a status frame")
        return Decoded("status", occupied=bool(data[0] & 0x80))
    if port == 2:
        _need(data, 3, "a heartbeat")
        health = data[0] & 0x7F
        return Decoded(
            "heartbeat",
            occupied=bool(data[0] & 0x80),
            battery_volts=(2500 + data[1] * 4) / 1000,
            temperature=_signed(data[2]) / 2 + 10,
            fault=f"hardware health {health}" if health else None,
        )
    if port == 3:
        _need(data, 5, "a start-up frame")
        return Decoded("startup", occupied=bool(data[4] & 0x01))
    return Decoded("other")


def decode_bosch_tps110_0292(port: int, data: bytes) -> Decoded:
    """Bosch TPS110, firmware 0.29.2 (vendor/bosch/tpl110-0292.js, tps110-0292-codec.yaml).

    Port 1, status: bit 0 of byte 0 is occupancy. Port 2, heartbeat: bit 0 of byte 0, and a
    signed whole-degree temperature in byte 1 when present. Port 3, start-up: three 12-bit
    little-endian debug codes in bytes 0-9, the firmware in bytes 12-14, the reset cause in
    byte 15 and occupancy in bit 0 of byte 16.
    """
    if port == 1:
        _need(data, 1, "a status frame")
        return Decoded("status", occupied=bool(data[0] & 0x01))
    if port == 2:
        _need(data, 1, "a heartbeat")
        temperature = float(_signed(data[1])) if len(data) >= 2 else None
        return Decoded("heartbeat", occupied=bool(data[0] & 0x01), temperature=temperature)
    if port == 3:
        _need(data, 17, "a start-up frame")
        debug = [((data[i + 1] & 0x0F) << 8) | data[i] for i in (0, 4, 8)]
        codes = [code for code in debug if code]
        return Decoded(
            "startup",
            occupied=bool(data[16] & 0x01),
            fault="debug codes " + ", ".join(map(str, codes)) if codes else None,
        )
    return Decoded("other")


DECODERS: dict[str, Callable[[int, bytes], Decoded]] = {
    "nwave-nps405": decode_nwave_nps405,
    "bosch-tps110": decode_bosch_tps110_0292,
}
"""Decoder of each model the hub accepts (`bosch-tps110`: the 0.29.2 layout)."""


def from_object(value: dict[str, object]) -> Decoded | None:
    """What the network server's own decoder produced (ChirpStack `object`, TTS
    `decoded_payload`), when it names occupancy as the makers' decoders do."""
    occupied = value.get("occupied")
    if not isinstance(occupied, bool) and occupied is not None:
        return None
    kind = str(value.get("type", "status"))
    temperature = value.get("temperature")
    battery = value.get("battery_voltage")
    return Decoded(
        "heartbeat" if kind == "heartbeat" else "startup" if kind == "startup" else "status",
        occupied=occupied,
        battery_volts=float(battery) if isinstance(battery, int | float) else None,
        temperature=float(temperature) if isinstance(temperature, int | float) else None,
    )
