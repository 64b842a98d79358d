"""Spatial estimates of PM2.5 from scattered devices: IDW and local ordinary kriging.

Everything works on projected coordinates in km (see `geo.LocalProjection`) and on plain
NumPy arrays, so the same code serves one point (`/estimate`), a 500 × 500 grid and
leave-one-out cross-validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares
from scipy.spatial import cKDTree

FloatArray = NDArray[np.float64]
VariogramModel = Literal["exponential", "spherical", "gaussian"]


# -- inverse distance weighting ------------------------------------------------------


def idw(
    xy: FloatArray,
    z: FloatArray,
    query: FloatArray,
    *,
    power: float = 2.0,
    k: int | None = 16,
    tree: cKDTree | None = None,
) -> FloatArray:
    """Shepard's inverse distance weighting over the `k` nearest devices (all when None)."""
    n = len(z)
    if n == 0:
        return np.full(len(query), np.nan)
    kk = n if k is None else min(k, n)
    tree = tree if tree is not None else cKDTree(xy)
    dist, idx = tree.query(query, k=kk, workers=-1)
    dist = np.asarray(dist, dtype=float).reshape(len(query), kk)
    idx = np.asarray(idx).reshape(len(query), kk)
    return idw_from_neighbours(z, dist, idx, power)


# -- variograms ------------------------------------------------------------------------


@dataclass(frozen=True)
class Variogram:
    """An isotropic semivariogram: nugget + partial sill × shape(h / range)."""

    model: VariogramModel
    nugget: float
    sill: float
    """Partial sill (total sill minus nugget)."""
    range_km: float

    def gamma(self, h: FloatArray) -> FloatArray:
        """Semivariance at lag `h` km, continuous at 0 (the nugget counts as sensor noise)."""
        arr = np.asarray(h)
        if arr.dtype != np.float32:
            arr = arr.astype(np.float64)
        # Large tables of distances come as float32, which halves the cost of exp.
        r = arr * arr.dtype.type(1.0 / self.range_km)
        one = arr.dtype.type(1.0)
        if self.model == "exponential":
            shape = one - np.exp(r * arr.dtype.type(-3.0))
        elif self.model == "gaussian":
            shape = one - np.exp(r * r * arr.dtype.type(-3.0))
        else:
            rc = np.minimum(r, one)
            shape = rc * (arr.dtype.type(1.5) - arr.dtype.type(0.5) * rc * rc)
        return np.asarray(shape * arr.dtype.type(self.sill) + arr.dtype.type(self.nugget))

    def as_dict(self) -> dict[str, float | str]:
        """JSON-friendly form."""
        return {
            "model": self.model,
            "nugget": round(self.nugget, 4),
            "sill": round(self.sill, 4),
            "range_km": round(self.range_km, 4),
        }


def empirical_variogram(
    xy: FloatArray, z: FloatArray, *, max_lag_km: float, n_bins: int = 15
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Matheron's estimator: bin centres, semivariances and pair counts up to `max_lag_km`."""
    tree = cKDTree(xy)
    pairs = tree.query_pairs(max_lag_km, output_type="ndarray")
    if len(pairs) == 0:
        return np.empty(0), np.empty(0), np.empty(0)
    h = np.linalg.norm(xy[pairs[:, 0]] - xy[pairs[:, 1]], axis=1)
    sq = 0.5 * (z[pairs[:, 0]] - z[pairs[:, 1]]) ** 2
    edges = np.linspace(0.0, max_lag_km, n_bins + 1)
    which = np.clip(np.digitize(h, edges) - 1, 0, n_bins - 1)
    counts = np.bincount(which, minlength=n_bins).astype(float)
    sums = np.bincount(which, weights=sq, minlength=n_bins)
    hsum = np.bincount(which, weights=h, minlength=n_bins)
    keep = counts > 0
    return hsum[keep] / counts[keep], sums[keep] / counts[keep], counts[keep]


def fit_variogram(
    xy: FloatArray,
    z: FloatArray,
    *,
    model: VariogramModel = "exponential",
    max_lag_km: float | None = None,
    n_bins: int = 15,
) -> Variogram:
    """Fit a variogram by Cressie's weighted least squares (weights N(h) / γ(h)²)."""
    z = np.asarray(z, dtype=float)
    variance = float(np.var(z)) if len(z) > 1 else 1.0
    variance = max(variance, 1e-6)
    if len(z) < 2:
        return Variogram(model, 0.1 * variance, 0.9 * variance, 5.0)
    if max_lag_km is None:
        span = np.ptp(xy, axis=0)
        max_lag_km = float(max(min(np.hypot(*span) / 3.0, 30.0), 1.0))
    lags, gammas, counts = empirical_variogram(xy, z, max_lag_km=max_lag_km, n_bins=n_bins)
    counts = counts.astype(np.float64)
    fallback = Variogram(model, 0.2 * variance, 0.8 * variance, max_lag_km / 2.0)
    if len(lags) < 3:
        return fallback

    return _fit_to(lags, gammas, counts, model, max_lag_km, variance)


def fit_pooled_variogram(
    xy: FloatArray,
    slices: FloatArray,
    *,
    model: VariogramModel = "exponential",
    max_lag_km: float = 30.0,
    n_bins: int = 15,
) -> Variogram:
    """Fit one variogram shape to many time slices (devices × slices, NaN gaps allowed).

    Each slice is divided by its own variance first, so the fit gives the nugget share and
    the range; `scaled()` then sets the sill of any one slice. Pooling makes the fit stable
    where one hour's 500 devices give a noisy empirical variogram.
    """
    tree = cKDTree(xy)
    pairs = tree.query_pairs(max_lag_km, output_type="ndarray")
    if len(pairs) == 0 or slices.size == 0:
        return Variogram(model, 0.3, 0.7, max_lag_km / 2.0)
    h = np.linalg.norm(xy[pairs[:, 0]] - xy[pairs[:, 1]], axis=1)
    edges = np.linspace(0.0, max_lag_km, n_bins + 1)
    which = np.clip(np.digitize(h, edges) - 1, 0, n_bins - 1)
    var = np.nanvar(slices, axis=0)
    use = var > 1e-9
    norm = slices[:, use] / np.sqrt(var[use])
    sq = 0.5 * (norm[pairs[:, 0]] - norm[pairs[:, 1]]) ** 2  # (pairs, slices)
    ok = ~np.isnan(sq)
    per_pair_sum = np.where(ok, sq, 0.0).sum(axis=1)
    per_pair_n = ok.sum(axis=1).astype(float)
    counts = np.bincount(which, weights=per_pair_n, minlength=n_bins)
    sums = np.bincount(which, weights=per_pair_sum, minlength=n_bins)
    hsum = np.bincount(which, weights=h * per_pair_n, minlength=n_bins)
    keep = counts > 0
    if keep.sum() < 3:
        return Variogram(model, 0.3, 0.7, max_lag_km / 2.0)
    lags, gammas, weights = hsum[keep] / counts[keep], sums[keep] / counts[keep], counts[keep]
    return _fit_to(lags, gammas, weights.astype(np.float64), model, max_lag_km, 1.0)


def _fit_to(
    lags: FloatArray,
    gammas: FloatArray,
    counts: FloatArray,
    model: VariogramModel,
    max_lag_km: float,
    variance: float,
) -> Variogram:
    def residuals(p: FloatArray) -> FloatArray:
        g = Variogram(model, p[0], p[1], p[2]).gamma(lags)
        return np.asarray(np.sqrt(counts) * (gammas - g) / np.maximum(g, 1e-9))

    top = float(max(gammas.max(), variance)) * 3.0
    start = np.array([0.2 * gammas.max(), 0.8 * gammas.max(), max_lag_km / 2.0])
    lower = np.array([0.0, 1e-9, 0.05])
    upper = np.array([top, top, max_lag_km * 10.0])
    try:
        fit = least_squares(residuals, np.clip(start, lower, upper), bounds=(lower, upper))
    except ValueError:
        return Variogram(model, 0.2 * variance, 0.8 * variance, max_lag_km / 2.0)
    nugget, sill, rng = (float(v) for v in fit.x)
    # A little nugget keeps kriging systems well conditioned when devices share a site.
    nugget = max(nugget, 0.01 * (nugget + sill))
    return Variogram(model, nugget, sill, rng)


def scaled(vg: Variogram, z: FloatArray) -> Variogram:
    """A pooled (unit-variance) variogram rescaled to the variance of one slice."""
    total = vg.nugget + vg.sill
    var = float(np.var(z)) if len(z) > 1 else 1.0
    factor = max(var, 1e-6) / max(total, 1e-12)
    return Variogram(vg.model, vg.nugget * factor, vg.sill * factor, vg.range_km)


# -- ordinary kriging ------------------------------------------------------------------


def _ok_lhs(xy: FloatArray, idx: NDArray[np.intp], vg: Variogram) -> FloatArray:
    """The ordinary-kriging matrices [[Γ, 1], [1ᵀ, 0]] of each neighbour set, (m, k+1, k+1)."""
    m, k = idx.shape
    n = len(xy)
    if n <= 4000 and m * k * k > n * n:
        # Cheaper to tabulate γ between all devices once and gather.
        from scipy.spatial.distance import cdist

        table = vg.gamma(cdist(xy, xy).astype(np.float32))
        gammas = table[idx[:, :, None], idx[:, None, :]]
    else:
        pts = xy[idx]
        h = np.sqrt(((pts[:, :, None, :] - pts[:, None, :, :]) ** 2).sum(axis=-1))
        gammas = vg.gamma(h)
    lhs = np.ones((m, k + 1, k + 1))
    lhs[:, :k, :k] = gammas
    diag = np.arange(k)
    lhs[:, diag, diag] = 0.0
    lhs[:, k, k] = 0.0
    return lhs


def _solve(lhs: FloatArray, rhs: FloatArray) -> FloatArray:
    try:
        return np.asarray(np.linalg.solve(lhs, rhs[..., None])[..., 0])
    except np.linalg.LinAlgError:
        return np.asarray(
            np.einsum("mij,mj->mi", np.linalg.pinv(lhs), rhs)
        )  # a degenerate set (all devices at one site): least squares still gives weights


def _unique_rows(idx: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Distinct rows of a sorted index matrix and, per row, which distinct row it is."""
    packed = np.ascontiguousarray(idx.astype(np.int64))
    keys = packed.view(np.dtype((np.void, packed.dtype.itemsize * packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return packed[first], inverse.reshape(-1)


def ordinary_kriging(
    xy: FloatArray,
    z: FloatArray,
    query: FloatArray,
    vg: Variogram,
    *,
    k: int = 16,
    tree: cKDTree | None = None,
    with_variance: bool = False,
) -> tuple[FloatArray, FloatArray | None]:
    """Local ordinary kriging over the `k` nearest devices: estimates (and kriging variances).

    The nugget is treated as sensor noise, so the estimate is of the smooth field and does
    not jump to a device's own reading at its location. Query points that share a
    neighbour set (most cells of a grid) share one solve: with a = L⁻¹[z; 0] per set, the
    estimate at a point is a · [γ(d); 1], so no per-point system is ever formed.
    """
    n = len(z)
    m = len(query)
    if n == 0:
        return np.full(m, np.nan), (np.full(m, np.nan) if with_variance else None)
    if n == 1:
        return np.full(m, float(z[0])), (np.full(m, vg.nugget + vg.sill) if with_variance else None)
    kk = min(k, n)
    tree = tree if tree is not None else cKDTree(xy)
    dist, idx = tree.query(query, k=kk, workers=-1)
    dist = np.asarray(dist, dtype=float).reshape(m, kk)
    idx = np.asarray(idx, dtype=np.intp).reshape(m, kk)
    return kriging_from_neighbours(xy, z, dist, idx, vg, with_variance=with_variance)


def kriging_from_neighbours(
    xy: FloatArray,
    z: FloatArray,
    dist: FloatArray,
    idx: NDArray[np.intp],
    vg: Variogram,
    *,
    with_variance: bool = False,
) -> tuple[FloatArray, FloatArray | None]:
    """Ordinary kriging given each query's neighbours (as `cKDTree.query` returns them)."""
    m, kk = idx.shape
    order = np.argsort(idx, axis=1)
    idx = np.take_along_axis(idx, order, axis=1)
    dist = np.take_along_axis(dist, order, axis=1)
    rhs = np.ones((m, kk + 1))
    rhs[:, :kk] = vg.gamma(dist.astype(np.float32))
    if with_variance:
        w = _solve(_ok_lhs(xy, idx, vg), rhs)
        return np.sum(w[:, :kk] * z[idx], axis=1), np.sum(w * rhs, axis=1)
    sets, inverse = _unique_rows(idx)
    values = np.zeros((len(sets), kk + 1))
    values[:, :kk] = z[sets]
    # L is symmetric, so a = L⁻¹ [z; 0] gives estimate = a · rhs.
    a = _solve(_ok_lhs(xy, sets, vg), values)
    return np.einsum("mj,mj->m", a[inverse], rhs), None


def idw_from_neighbours(
    z: FloatArray, dist: FloatArray, idx: NDArray[np.intp], power: float = 2.0
) -> FloatArray:
    """IDW given each query's neighbours; a query on a device takes its reading."""
    with np.errstate(divide="ignore"):
        w = 1.0 / np.power(dist, power)
    exact = dist[:, 0] == 0.0
    w[exact] = 0.0
    w[exact, 0] = 1.0
    return np.asarray(np.sum(w * z[idx], axis=1) / np.sum(w, axis=1))


# -- leave-one-out ---------------------------------------------------------------------


def loo_idw(xy: FloatArray, z: FloatArray, *, power: float = 2.0, k: int | None = 16) -> FloatArray:
    """Leave-one-out IDW predictions at every device."""
    n = len(z)
    kk = n - 1 if k is None else min(k, n - 1)
    tree = cKDTree(xy)
    dist, idx = tree.query(xy, k=kk + 1)
    # Co-located twins: the nearest "other" may sit at distance 0; IDW then copies it.
    return idw_from_neighbours(z, dist[:, 1:], idx[:, 1:], power)


def loo_kriging(xy: FloatArray, z: FloatArray, vg: Variogram, *, k: int = 16) -> FloatArray:
    """Leave-one-out ordinary-kriging predictions at every device."""
    n = len(z)
    kk = min(k, n - 1)
    tree = cKDTree(xy)
    dist, idx = tree.query(xy, k=kk + 1)
    # Drop the point itself (not necessarily column 0 when twins share a site).
    self_col = np.argmax(idx == np.arange(n)[:, None], axis=1)
    keep = np.ones_like(idx, dtype=bool)
    keep[np.arange(n), self_col] = False
    idx = idx[keep].reshape(n, kk)
    dist = dist[keep].reshape(n, kk)
    rhs = np.ones((n, kk + 1))
    rhs[:, :kk] = vg.gamma(dist)
    w = _solve(_ok_lhs(xy, idx, vg), rhs)
    return np.asarray(np.sum(w[:, :kk] * z[idx], axis=1))


NUGGET_SHARES = (0.1, 0.2, 0.3, 0.45, 0.6)
RANGES_KM = (5.0, 10.0, 20.0, 40.0, 80.0)


def fit_variogram_cv(
    xy: FloatArray,
    slices: FloatArray,
    *,
    model: VariogramModel = "exponential",
    k: int = 16,
    nugget_shares: tuple[float, ...] = NUGGET_SHARES,
    ranges_km: tuple[float, ...] = RANGES_KM,
) -> tuple[Variogram, float]:
    """Choose the variogram shape (nugget share, range) by leave-one-out RMSE over slices.

    `slices` is devices × slices (NaN gaps allowed), typically the previous day's hours.
    Returns a unit-variance variogram (rescale per slice with `scaled`) and its LOO RMSE.
    Weighted least squares on the empirical variogram let the range run off to the
    island-wide trend on the real data; choosing by prediction error does not.
    """
    best: tuple[Variogram, float] | None = None
    columns = [slices[:, j] for j in range(slices.shape[1])]
    for share in nugget_shares:
        for rng in ranges_km:
            unit = Variogram(model, share, 1.0 - share, rng)
            sq, count = 0.0, 0
            for z in columns:
                ok = ~np.isnan(z)
                if ok.sum() < 3:
                    continue
                zz = z[ok]
                pred = loo_kriging(xy[ok], zz, scaled(unit, zz), k=k)
                sq += float(np.sum((pred - zz) ** 2))
                count += len(zz)
            rmse = float(np.sqrt(sq / count)) if count else float("inf")
            if best is None or rmse < best[1]:
                best = (unit, rmse)
    if best is None:
        raise ValueError("no candidate variogram")
    return best


# -- device offsets --------------------------------------------------------------------


def loo_residuals(
    xy: FloatArray, slices: FloatArray, unit: Variogram, *, k: int = 16
) -> FloatArray:
    """Each reading minus the kriging of its neighbours without it (devices × slices, NaN gaps)."""
    out = np.full(slices.shape, np.nan)
    for j in range(slices.shape[1]):
        z = slices[:, j]
        ok = ~np.isnan(z)
        if ok.sum() < 3:
            continue
        zz = z[ok]
        out[ok, j] = zz - loo_kriging(xy[ok], zz, scaled(unit, zz), k=k)
    return out


def device_offsets(past_residuals: FloatArray) -> FloatArray:
    """Each device's persistent offset from its neighbourhood: its mean past LOO residual.

    Subtracting it from a device's reading before kriging removes most of the bias a
    low-cost sensor carries (placement, gain), which interpolation alone spreads to the
    surrounding map. Only past slices may be given, so no future reading leaks in.
    """
    has = (~np.isnan(past_residuals)).any(axis=1)
    out = np.zeros(past_residuals.shape[0])
    if has.any():
        out[has] = np.nanmean(past_residuals[has], axis=1)
    return out
