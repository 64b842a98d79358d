"""The bay sensors' decoders against their makers' published byte layouts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity.modules.sensors.decoders import (
    DECODERS,
    UndecodablePayload,
    decode_bosch_tps110_0292,
    decode_nwave_nps405,
    from_object,
)


def test_nwave_status_is_the_top_bit() -> None:
    assert decode_nwave_nps405(1, bytes([0x85])).occupied is True
    assert decode_nwave_nps405(1, bytes([0x05])).occupied is False


def test_nwave_heartbeat_battery_temperature_and_health() -> None:
    # 2.5 V + 150 × 4 mV = 3.1 V; 0xFA is -6, so -3 °C above 10 °C = 7 °C.
    reading = decode_nwave_nps405(2, bytes([0x80, 150, 0xFA]))
    assert reading.message == "heartbeat"
    assert reading.occupied is True
    assert reading.battery_volts == pytest.approx(3.1)
    assert reading.temperature == pytest.approx(7.0)
    assert reading.fault is None
    assert decode_nwave_nps405(2, bytes([0x03, 150, 20])).fault == "hardware health 3"


def test_nwave_startup_occupancy_is_bit_zero_of_byte_four() -> None:
    assert decode_nwave_nps405(3, bytes([1, 2, 3, 2, 1])).occupied is True
    assert decode_nwave_nps405(3, bytes([1, 2, 3, 2, 0])).occupied is False


def test_bosch_examples_of_the_0292_codec() -> None:
    assert decode_bosch_tps110_0292(1, bytes([1])).occupied is True
    heartbeat = decode_bosch_tps110_0292(2, bytes([1, 255]))
    assert (heartbeat.occupied, heartbeat.temperature) == (True, -1.0)
    startup = decode_bosch_tps110_0292(
        3, bytes([0x24, 3, 0, 0, 0x75, 3, 0, 0, 0, 0, 0, 0, 0, 29, 2, 3, 1])
    )
    assert startup.occupied is True
    assert startup.fault == "debug codes 804, 885"


def test_short_frames_are_refused_not_guessed() -> None:
    with pytest.raises(UndecodablePayload):
        decode_nwave_nps405(2, bytes([0x80]))
    with pytest.raises(UndecodablePayload):
        decode_bosch_tps110_0292(3, bytes(10))


def test_other_ports_carry_no_occupancy() -> None:
    assert decode_nwave_nps405(6, bytes([1, 2])).occupied is None
    assert decode_bosch_tps110_0292(4, b"").occupied is None


def test_network_server_objects_are_read_when_they_name_occupancy() -> None:
    assert from_object({"type": "parking_status", "occupied": True}).occupied is True  # type: ignore[union-attr]
    assert from_object({"occupied": "yes"}) is None


@given(port=st.integers(0, 255), data=st.binary(max_size=40))
def test_decoders_never_crash(port: int, data: bytes) -> None:
    for decoder in DECODERS.values():
        try:
            reading = decoder(port, data)
        except UndecodablePayload:
            continue
        assert reading.occupied in (None, True, False)
