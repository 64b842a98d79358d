"""IDW and ordinary kriging: exactness, agreement between code paths, cross-validation."""

from __future__ import annotations

import numpy as np
import pytest

from smartcity.modules.airquality import interpolation as interp
from smartcity.modules.airquality import synthetic
from smartcity.modules.airquality.geo import LocalProjection, bearing_deg, haversine_km


def _field(n: int = 120, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 20, (n, 2))
    z = 20 + 10 * np.sin(xy[:, 0] / 5) + 5 * np.cos(xy[:, 1] / 4) + rng.normal(0, 0.5, n)
    return xy, z


def test_idw_returns_the_reading_on_a_device_and_stays_within_range() -> None:
    xy, z = _field()
    est = interp.idw(xy, z, xy[:5])
    assert np.allclose(est, z[:5])
    q = np.random.default_rng(2).uniform(0, 20, (50, 2))
    e = interp.idw(xy, z, q)
    assert (e >= z.min()).all() and (e <= z.max()).all()


def test_kriging_weights_sum_to_one_so_constants_are_kept() -> None:
    xy, _ = _field()
    z = np.full(len(xy), 17.0)
    vg = interp.Variogram("exponential", 0.5, 2.0, 5.0)
    est, var = interp.ordinary_kriging(xy, z, xy[:10] + 0.3, vg, with_variance=True)
    assert np.allclose(est, 17.0)
    assert var is not None and (var > 0).all()


def test_shared_neighbour_path_equals_direct_solve() -> None:
    xy, z = _field()
    vg = interp.Variogram("spherical", 0.3, 4.0, 8.0)
    q = np.stack(np.meshgrid(np.linspace(0, 20, 40), np.linspace(0, 20, 40)), -1).reshape(-1, 2)
    fast, _ = interp.ordinary_kriging(xy, z, q, vg)
    slow, _ = interp.ordinary_kriging(xy, z, q, vg, with_variance=True)
    assert np.allclose(fast, slow, atol=1e-8)


def test_co_located_devices_do_not_break_kriging() -> None:
    xy, z = _field(30)
    xy = np.vstack([xy, xy[:3]])
    z = np.concatenate([z, z[:3] + 1.0])
    vg = interp.fit_variogram(xy, z)
    est, _ = interp.ordinary_kriging(xy, z, xy[:3], vg)
    assert np.isfinite(est).all()
    assert np.isfinite(interp.loo_kriging(xy, z, vg)).all()


def test_variogram_fit_recovers_a_plausible_shape() -> None:
    xy, z = _field(300)
    vg = interp.fit_variogram(xy, z, max_lag_km=10.0)
    assert vg.sill > vg.nugget > 0
    assert 0.5 < vg.range_km < 100


def test_kriging_beats_idw_in_leave_one_out_on_noisy_data() -> None:
    net = synthetic.network(250, slices=6, step_seconds=3600, faults=False, seed=11)
    proj = LocalProjection.around(net.lat, net.lon)
    xy = proj.forward(net.lat, net.lon)
    unit, _ = interp.fit_variogram_cv(xy, net.pm25[:, :3])
    e_idw, e_ok = [], []
    for j in range(3, 6):
        z = net.pm25[:, j]
        e_idw.append(interp.loo_idw(xy, z) - z)
        e_ok.append(interp.loo_kriging(xy, z, interp.scaled(unit, z)) - z)
    assert np.sqrt(np.mean(np.square(e_ok))) < np.sqrt(np.mean(np.square(e_idw)))


def test_pooled_variogram_is_unit_scale() -> None:
    net = synthetic.network(120, slices=4, step_seconds=3600, faults=False)
    xy = LocalProjection.around(net.lat, net.lon).forward(net.lat, net.lon)
    vg = interp.fit_pooled_variogram(xy, net.pm25, max_lag_km=10.0)
    assert 0.1 < vg.nugget + vg.sill < 5


def test_geo_helpers() -> None:
    proj = LocalProjection(25.0, 121.5)
    lat, lon = proj.inverse(proj.forward(np.array([25.1]), np.array([121.6])))
    assert lat[0] == pytest.approx(25.1) and lon[0] == pytest.approx(121.6)
    assert float(haversine_km(25.0, 121.5, 25.0, 121.5)) == 0.0
    assert bearing_deg(25.0, 121.5, 25.1, 121.5) == pytest.approx(0.0, abs=1e-6)
    assert bearing_deg(25.0, 121.5, 25.0, 121.6) == pytest.approx(90.0, abs=0.1)
