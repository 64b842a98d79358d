"""Device offsets: a biased device's persistent offset is learnt from past slices and removed."""

from __future__ import annotations

import numpy as np

from smartcity.modules.airquality import interpolation as interp
from smartcity.modules.airquality.geo import LocalProjection
from smartcity.modules.airquality.synthetic import network


def test_a_biased_device_gets_its_offset_and_removing_it_helps_its_neighbours() -> None:
    net = network(80, slices=48, step_seconds=3600, seed=3, faults=False)
    xy = LocalProjection.around(net.lat, net.lon).forward(net.lat, net.lon)
    z = net.pm25.copy()
    z[5] += 15.0  # one device reads 15 µg/m³ high all the time
    unit = interp.Variogram("exponential", 0.3, 0.7, 20.0)
    offsets = interp.device_offsets(interp.loo_residuals(xy, z[:, :24], unit))
    assert int(np.argmax(offsets)) == 5 and offsets[5] > 10
    # On the next day, predicting the devices near device 5 improves once it is corrected.
    near = np.argsort(np.hypot(*(xy - xy[5]).T))[1:9]
    raw_err, fixed_err = [], []
    for h in range(24, 48):
        v = z[:, h]
        raw_err.append((interp.loo_kriging(xy, v, interp.scaled(unit, v)) - v)[near])
        c = v - offsets
        fixed_err.append((interp.loo_kriging(xy, c, interp.scaled(unit, c)) - v)[near])
    assert np.sqrt(np.mean(np.square(fixed_err))) < np.sqrt(np.mean(np.square(raw_err)))


def test_offsets_of_devices_without_past_readings_are_zero() -> None:
    residuals = np.array([[1.0, 3.0], [np.nan, np.nan]])
    assert interp.device_offsets(residuals).tolist() == [2.0, 0.0]
