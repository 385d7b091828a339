"""The improved Farrington method for many count series at once (every area × indicator of a city).

Why
---
:class:`~safercities.analytics.early_warning.farrington.Farrington` fits two to four statsmodels GLMs per
evaluated period, about 20 ms. A city with 2,000 areas and a dozen count indicators evaluated over its
newest three months needs ~72,000 evaluations: 24 minutes one by one. But all the series of a city share
one time index, so for one evaluated period the reference periods and the design matrix (intercept,
centred time, seasonal factor) are the same for every series; only the counts and the (re)weights differ.
:func:`farrington_batch` therefore runs each step of the method on all series together with numpy.

Method
------
Exactly the steps of :mod:`.farrington` (Noufaily et al. 2013; R ``surveillance::farringtonFlexible``),
with the GLM fitted the way statsmodels fits it, so that both give the same numbers:

- **IRLS** (McCullagh & Nelder 1989, §2.5) for a Poisson log-linear model, replicating statsmodels'
  ``GLM.fit`` step for step: start ``μ = (y + ȳ)/2`` (or the given parameters), working weights
  ``ω μ`` and working response ``η + (y − μ)/μ``, stop when the deviance changes by at most ``1e-8``,
  give up after 100 iterations; the covariance is ``(XᵀWX)⁻¹`` at the weights of the last step. Each
  step solves the per-series normal equations ``XᵀW_sX β_s = XᵀW_s z_s``: ``XᵀW_sX`` for all series is
  one matrix product ``W · (x_i x_iᵀ)_i`` (series × periods times periods × p²), and the stack of
  ``p × p`` systems (``p ≤ 12``) is inverted at once by ``numpy.linalg.inv`` after a Jacobi (diagonal)
  rescaling, with one step of iterative refinement. A step whose rescaled matrix is still
  ill-conditioned (a seasonal level with only zeros drives its coefficient towards −∞) is solved by
  least squares, exactly as statsmodels solves it. Series converge at their own pace; a converged
  series is frozen.
- **Leverages** ``h_i = μ_i x_iᵀ(XᵀWX)⁻¹x_i``, again one matrix product over all series.
- **Anscombe residuals, reweighting, trend test** (t-test with the quasi-Poisson scale, kept only if
  significant, ``b ≥ 3`` and not extrapolating), **negative-binomial thresholds** (``scipy.stats``,
  vectorised) and the **5-in-4 rule**: as in :mod:`.farrington`, whose sentence builder is shared.

Series with missing values in the reference periods get a design of their own: series are grouped by
their pattern of reported periods and each group is batched. A series the batched path cannot vouch for
— a fit that did not converge or overflowed, a rank-deficient design, or an exact fit (Pearson χ² ≈ 0,
where the trend test compares two rounding errors) — is handed to the single-series
:class:`Farrington`, so the results are always those of the single-series method.

References
----------
Noufaily, A. et al. (2013). An improved algorithm for outbreak detection in multiple surveillance
systems. *Statistics in Medicine* 32(7), 1206–1222.

McCullagh, P. & Nelder, J.A. (1989). *Generalized Linear Models*, 2nd ed. Chapman & Hall, §2.5.

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> rng = np.random.default_rng(1)
>>> months = [f"{y}-{m:02d}" for y in range(2019, 2025) for m in range(1, 13)]
>>> counts = pd.DataFrame(rng.poisson(20, size=(3, len(months))), columns=months, dtype=float)
>>> counts.iloc[2, -1] = 60
>>> results = farrington_batch(counts, "month", last=2)
>>> [[d.alarm for d in r.detections] for r in results]
[[False, False], [False, False], [False, True]]
>>> single = Farrington("month").fit(counts.iloc[2]).detect(last=2)
>>> [d.explanation for d in single.detections] == [d.explanation for d in results[2].detections]
True
>>> bool(np.isclose(single.detections[-1].expected, results[2].detections[-1].expected, rtol=1e-9))
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from safercities.analytics.early_warning.detection import (
    INSUFFICIENT_HISTORY,
    NO_OBSERVATION,
    Detection,
    DetectionResult,
)
from safercities.analytics.early_warning.farrington import (
    METHOD,
    Farrington,
    anscombe_residuals,
    seasonal_blocks,
    skipped_detection,
)
from safercities.analytics.early_warning.farrington import _leverages as single_leverages
from safercities.analytics.early_warning.series import CountSeries, as_count_series, resolve_positions

EPS = np.finfo(float).eps  # statsmodels clips μ to this in the log link's derivative and the deviance
MAXITER, TOL = 100, 1e-8  # statsmodels GLM.fit defaults
EXACT_FIT_SCALE = 1e-10  # Pearson χ²/df below this: an exact fit, left to the single-series method
ILL_CONDITIONED = 1e6  # condition number beyond which a step is solved as statsmodels does, by least squares


def farrington_batch(
    counts: pd.DataFrame | np.ndarray,
    frequency: str = "month",
    *,
    last: int | None = 1,
    positions: Sequence[int] | None = None,
    **parameters: object,
) -> list[DetectionResult]:
    """Run :class:`Farrington` on every row of ``counts`` at once; same results, a fraction of the time.

    Parameters
    ----------
    counts : pandas.DataFrame or 2-D array
        One row per series (e.g. area × indicator), one column per period, oldest first, consecutive
        (NaN for a missing count). Columns are labelled as a single series' index would be: period codes
        (``2024-03``, ``2024W05``), a ``DatetimeIndex`` or a ``PeriodIndex``; a plain array gets labels
        ``"0"``, ``"1"``, …. Never modified.
    frequency : {"month", "week"}
        Note the default: the platform evaluates monthly counts.
    last, positions
        The periods to evaluate, as in :meth:`Farrington.detect`.
    **parameters
        Any keyword of :class:`Farrington` (``b``, ``w``, ``alpha``, ``limit54``, …).

    Returns
    -------
    list of DetectionResult
        One per row, in row order, each equal to
        ``Farrington(frequency, **parameters).fit(row).detect(last, positions)`` (numbers to rounding).
    """
    detector = Farrington(frequency, **parameters)  # type: ignore[arg-type]
    w, p, g = detector._resolved()
    template, values, index = _prepare(counts, frequency)
    ks = resolve_positions(template, last, positions)
    columns = [_evaluate_period(detector, template, values, index, k, w, p, g) for k in ks]
    params = detector.parameters()
    return [
        DetectionResult(method=METHOD, parameters=params, detections=tuple(col[i] for col in columns))
        for i in range(values.shape[0])
    ]


def _prepare(counts: pd.DataFrame | np.ndarray, frequency: str) -> tuple[CountSeries, np.ndarray, pd.Index | None]:
    """Validate once for all rows: the shared period index (via a template series) and the values."""
    if isinstance(counts, pd.DataFrame):
        index = counts.columns
        values = counts.apply(pd.to_numeric, errors="raise").to_numpy(dtype=float, copy=True)
        template = as_count_series(pd.Series(np.zeros(len(index)), index=index), frequency)
    else:
        index = None
        values = np.array(counts, dtype=float, copy=True)
        if values.ndim != 2:
            raise ValueError("counts must be two-dimensional: one row per series, one column per period")
        template = as_count_series(np.zeros(values.shape[1]), frequency)
    if np.any(values[np.isfinite(values)] < 0):
        raise ValueError("counts cannot be negative")
    values[~np.isfinite(values)] = np.nan
    return template, values, index


def _single(detector: Farrington, values: np.ndarray, index: pd.Index | None, row: int, k: int) -> Detection:
    """The single-series method, for the rare series the batched path leaves to it."""
    series = pd.Series(values[row], index=index) if index is not None else values[row]
    return detector.fit(series).detect(positions=[k]).detections[0]


def _evaluate_period(
    detector: Farrington,
    template: CountSeries,
    values: np.ndarray,
    index: pd.Index | None,
    k: int,
    w: int,
    p: int,
    g: int,
) -> list[Detection]:
    """Detections of every series for period ``k`` (a list in row order)."""
    label, unit = template.labels[k], detector.frequency
    out: list[Detection | None] = [None] * values.shape[0]
    observed = values[:, k]
    for i in np.flatnonzero(np.isnan(observed)):
        out[i] = skipped_detection(label, k, math.nan, NO_OBSERVATION, f"no count was reported for this {unit}.")
    todo = np.flatnonzero(~np.isnan(observed))
    refs = detector._references(template, k)
    if refs is None or refs[-1] - w < 0:
        text = detector._insufficient(w, half=False)
        for i in todo:
            out[i] = skipped_detection(label, k, float(observed[i]), INSUFFICIENT_HISTORY, text)
        return out  # type: ignore[return-value]
    start, levels = seasonal_blocks(refs, w, p)
    span = np.arange(start, k + 1)
    base = ~np.isnan(levels) & (span < k - g)
    if len(todo):
        # Series with the same reported reference periods share a design: batch each such group.
        reported = base & ~np.isnan(values[todo, start : k + 1])
        patterns, group = np.unique(reported, axis=0, return_inverse=True)
        group = np.asarray(group).ravel()
        for j, mask in enumerate(patterns):
            rows = todo[group == j]
            y = values[rows, start : k + 1][:, mask]
            group_out = _evaluate_group(detector, values, index, label, rows, y, k, span[mask], levels[mask], w, p, g)
            for i, d in zip(rows, group_out, strict=True):
                out[i] = d
    return out  # type: ignore[return-value]


def _evaluate_group(
    detector: Farrington,
    values: np.ndarray,
    index: pd.Index | None,
    label: str,
    rows: np.ndarray,
    Y: np.ndarray,
    k: int,
    pos: np.ndarray,
    levels: np.ndarray,
    w: int,
    p: int,
    g: int,
) -> list[Detection]:
    """Period ``k`` for the series ``rows``, whose reference counts ``Y`` are at the same positions ``pos``."""
    observed = values[rows, k]
    lev = levels.astype(int)
    if int(np.sum(lev == p)) * 2 < detector.b * (2 * w + 1):
        text = detector._insufficient(w, half=True)
        return [skipped_detection(label, k, float(o), INSUFFICIENT_HISTORY, text) for o in observed]
    m, n = Y.shape
    # Design: intercept (= the window level p), centred time, one dummy per other level present.
    others = [lvl for lvl in np.unique(lev) if lvl != p]
    X = np.column_stack([np.ones(n), (pos - k).astype(float)] + [(lev == lvl).astype(float) for lvl in others])

    eta0 = np.full(m, -math.inf)  # all-zero baselines keep these: expected 0, φ = 1, no trend, no model
    se0 = np.zeros(m)
    phi = np.ones(m)
    slope = np.full(m, np.nan)  # NaN: no trend in the final model
    fallback = np.zeros(m, dtype=bool)
    total = Y.sum(axis=1)
    fit_rows = np.flatnonzero(total != 0)
    # Reference windows all 0 but other counts not: the window level's mean tends to 0 and the value at
    # which IRLS stops (≈ 1e-12) is rounding noise, printed in the explanation's ratio: not batchable.
    fallback[(total != 0) & (Y[:, lev == p].sum(axis=1) == 0)] = True
    if len(fit_rows):
        Yf = Y[fit_rows]
        fit = _fit_model(detector, Yf, X, with_trend=detector.trend)
        ok = fit.ok.copy()
        beta0, cov00, phis = fit.beta[:, 0].copy(), fit.cov00.copy(), fit.phi.copy()
        slopes = np.full(len(fit_rows), np.nan)
        if detector.trend:
            with np.errstate(divide="ignore", invalid="ignore"):
                se_t = np.sqrt(np.maximum(fit.cov11, 0.0))
                b1 = fit.beta[:, 1]
                p_trend = np.where(
                    se_t > 0, 2 * stats.t.sf(np.abs(b1) / se_t, fit.df_resid), np.where(np.abs(b1) > 1e-12, 0.0, 1.0)
                )
            below_max = np.array(
                [
                    bool(good) and math.exp(b) <= float(top)
                    for b, top, good in zip(fit.beta[:, 0], Yf.max(axis=1), fit.ok, strict=True)
                ],
                dtype=bool,
            )
            keep = ok & (p_trend < detector.p_threshold_trend) & (detector.b >= 3) & below_max
            slopes[keep] = b1[keep]
            drop = np.flatnonzero(ok & ~keep)
            if len(drop):
                flat = _fit_model(detector, Yf[drop], X, with_trend=False)
                beta0[drop], cov00[drop], phis[drop] = flat.beta[:, 0], flat.cov00, flat.phi
                ok[drop] &= flat.ok
        good = fit_rows[ok]
        eta0[good] = beta0[ok]
        se0[good] = np.sqrt(np.maximum(cov00[ok], 0.0))
        phi[good] = phis[ok]
        slope[good] = slopes[ok]
        fallback[fit_rows[~ok]] = True

    # A number printed at a rounding tie (e.g. observed/expected = 1.25 when the baseline is a plain mean)
    # could print differently from the single-series method's last-digit noise: let that method print it.
    # The expected value is printed after rounding to 9 significant digits (farrington.shown_expected), so
    # only a value within rounding noise of a 9-digit half-way point could print differently.
    with np.errstate(all="ignore"):
        pct = np.expm1(np.where(np.isnan(slope), 0.0, slope)) * 100
        mu = np.exp(eta0)
    fallback |= _near_tie_significant(mu, 9, rel=1e-12) | _near_tie(phi, 2) | _near_tie(pct, 1)

    eta0[fallback], se0[fallback] = -math.inf, 0.0  # their numbers come from the single-series method
    mu0 = np.array([math.exp(e) for e in eta0])
    with np.errstate(all="ignore"):
        upper, p_value = _thresholds(detector, eta0, se0, phi, observed, detector.alpha)
        upper_amber, _ = _thresholds(detector, eta0, se0, phi, observed, detector.alpha_amber)
    zero = mu0 == 0.0
    upper[zero] = 0.0
    upper_amber[zero] = 0.0
    p_value[zero] = np.where(observed[zero] > 0, 0.0, 1.0)
    fallback |= _near_tie_significant(p_value, 2)
    recent = None
    if detector.limit54 is not None:
        recent = np.nansum(values[rows, max(0, k - detector.limit54[1] + 1) : k + 1], axis=1)
    out = []
    for j, i in enumerate(rows):
        if fallback[j]:
            out.append(_single(detector, values, index, int(i), k))
            continue
        out.append(
            detector._conclude(
                label=label,
                k=k,
                observed=float(observed[j]),
                recent=None if recent is None else float(recent[j]),
                mu0=float(mu0[j]),
                upper=float(upper[j]),
                upper_amber=float(upper_amber[j]),
                p_value=float(p_value[j]),
                phi=float(phi[j]),
                trend_coefficient=None if np.isnan(slope[j]) else float(slope[j]),
                n_reference=n,
                w=w,
                p=p,
                g=g,
            )
        )
    return out


def _near_tie(x: np.ndarray, decimals: int, rel: float = 1e-8) -> np.ndarray:
    """True where ``f"{x:.{decimals}f}"`` is within ``rel`` (relative) of a half-way point."""
    v = np.abs(np.nan_to_num(np.asarray(x, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)) * 10.0**decimals
    return np.abs(v - np.floor(v) - 0.5) <= rel * np.maximum(v, 1.0)


def _near_tie_significant(x: np.ndarray, digits: int, rel: float = 1e-8) -> np.ndarray:
    """The same for ``f"{x:.{digits}g}"`` (positive ``x``)."""
    x = np.asarray(x, dtype=float)
    positive = np.isfinite(x) & (x > 0)
    safe = np.where(positive, x, 1.0)
    exponent = np.floor(np.log10(safe)) - (digits - 1)
    return positive & _near_tie(safe / 10.0**exponent, 0, rel)


# --- thresholds -------------------------------------------------------------------------------------------


def _thresholds(
    detector: Farrington, eta0: np.ndarray, se0: np.ndarray, phi: np.ndarray, observed: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(upper, P(Y ≥ observed))`` of :func:`.farrington.noufaily_threshold`, for arrays."""
    if detector.threshold_method == "nbPlugin":
        mu = np.array([math.exp(e) for e in eta0])
    else:
        z = stats.norm.ppf(1 - alpha)
        mu = np.array([math.exp(e) for e in eta0 + z * se0])
    upper = np.zeros(len(mu))
    prob = np.ones(len(mu))
    k = np.ceil(observed) - 1
    nb = (phi > 1) & (mu > 0)
    po = (phi <= 1) & (mu > 0)
    if nb.any():
        size, pr = mu[nb] / (phi[nb] - 1), 1 / phi[nb]
        upper[nb] = stats.nbinom.ppf(1 - alpha, size, pr)
        prob[nb] = stats.nbinom.sf(k[nb], size, pr)
    if po.any():
        upper[po] = stats.poisson.ppf(1 - alpha, mu[po])
        prob[po] = stats.poisson.sf(k[po], mu[po])
    return upper, prob


# --- the model, for many series at once -------------------------------------------------------------------


@dataclass(frozen=True)
class _ModelFits:
    """Step 3–4 results for m series: ``beta`` over all columns of X (0 for a dropped trend)."""

    ok: np.ndarray  # the batched path vouches for the fit; otherwise the single-series method decides
    beta: np.ndarray  # (m, P)
    cov00: np.ndarray  # variances of the intercept and the trend (quasi-Poisson scale)
    cov11: np.ndarray
    phi: np.ndarray
    df_resid: float


@dataclass(frozen=True)
class _GLMFits:
    ok: np.ndarray
    params: np.ndarray  # (m, q)
    cov: np.ndarray  # (m, q, q), scaled by the Pearson dispersion
    scale: np.ndarray  # Pearson χ² / df, not yet bounded below by 1
    df_resid: float
    fitted: np.ndarray  # (m, n)


def _fit_model(detector: Farrington, Y: np.ndarray, X: np.ndarray, *, with_trend: bool) -> _ModelFits:
    """Fit, reweight past outbreaks and refit, as ``Farrington._fit_model`` does, for every row of ``Y``."""
    m, P = Y.shape[0], X.shape[1]
    cols = np.ones(P, dtype=bool)
    if not with_trend:
        cols[1] = False
    design = X[:, cols]
    res = _glm(Y, design, None, None)
    ok = res.ok & (res.scale >= EXACT_FIT_SCALE)
    if detector.reweight:
        phi = np.maximum(res.scale, 1.0)
        weights = np.ones_like(Y)
        refit_rows = np.flatnonzero(ok)
        mu = res.fitted[refit_rows]
        hat = _leverages(design, mu)
        s = anscombe_residuals(Y[refit_rows], mu, hat, phi[refit_rows, None])
        weights[refit_rows] = _reweighting_weights(s, detector.weights_threshold)
        refit = _glm(Y[refit_rows], design, weights[refit_rows], res.params[refit_rows])
        params = np.zeros_like(res.params)
        cov = np.zeros_like(res.cov)
        scale = np.zeros(m)
        params[refit_rows], cov[refit_rows], scale[refit_rows] = refit.params, refit.cov, refit.scale
        ok[refit_rows] &= refit.ok & (refit.scale >= EXACT_FIT_SCALE)
        res = _GLMFits(ok, params, cov, scale, refit.df_resid, res.fitted)
    beta = np.zeros((m, P))
    beta[:, cols] = res.params
    return _ModelFits(
        ok=ok,
        beta=beta,
        cov00=res.cov[:, 0, 0],
        cov11=res.cov[:, 1, 1] if with_trend else np.zeros(m),
        phi=np.maximum(res.scale, 1.0),
        df_resid=res.df_resid,
    )


def _reweighting_weights(s: np.ndarray, threshold: float) -> np.ndarray:
    """:func:`.farrington.reweighting_weights` row by row."""
    high = s > threshold
    raw = np.where(high, np.power(np.where(high, s, 1.0), -2.0), 1.0)
    return raw * (s.shape[1] / raw.sum(axis=1, keepdims=True))


def _leverages(X: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``h_si = μ_si x_iᵀ (Xᵀ diag(μ_s) X)⁻¹ x_i`` for every series: R's ``hatvalues`` at the fitted means,
    as :func:`.farrington._leverages` computes them by QR one series at a time."""
    m, q = len(mu), X.shape[1]
    outer = (X[:, :, None] * X[:, None, :]).reshape(len(X), q * q)
    _, inverse, ok = _scaled_solve((mu @ outer).reshape(m, q, q), np.zeros((m, q)))
    hat = mu * (inverse.reshape(m, q * q) @ outer.T)
    for j in np.flatnonzero(~ok):
        hat[j] = single_leverages(X, mu[j])
    return hat


def _deviance(Y: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Poisson deviance per row, as statsmodels computes it (``y/μ`` clipped to ``eps``)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.clip(Y / mu, EPS, np.inf)
        return np.sum(2 * (Y * np.log(ratio) - (Y - mu)) * weights, axis=1)


def _scaled_solve(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve the stack ``A x = b`` and invert ``A`` after a Jacobi rescaling; ``ok`` False where singular or
    ill-conditioned."""
    m, q = b.shape
    d = np.sqrt(np.einsum("sii->si", A))
    ok = np.all(np.isfinite(A), axis=(1, 2)) & np.all(np.isfinite(b), axis=1) & np.all(d > 0, axis=1)
    d = np.where(ok[:, None], d, 1.0)
    scaled = np.where(ok[:, None, None], A / d[:, :, None] / d[:, None, :], np.eye(q))
    rhs = np.where(ok[:, None], b / d, 0.0)
    try:
        inv = np.linalg.inv(scaled)
    except np.linalg.LinAlgError:  # one singular matrix spoils the stack: go one by one
        inv = np.zeros_like(scaled)
        for i in range(m):
            try:
                inv[i] = np.linalg.inv(scaled[i])
            except np.linalg.LinAlgError:
                ok[i] = False
                inv[i] = np.eye(q)
    x = np.einsum("sij,sj->si", inv, rhs)
    # One step of iterative refinement brings x to the accuracy of a direct solve.
    x = x + np.einsum("sij,sj->si", inv, rhs - np.einsum("sij,sj->si", scaled, x))
    # 1-norm condition number of the rescaled matrix: beyond ~1e6 the normal equations lose the digits
    # that a least-squares solve on √W·X keeps.
    cond = np.abs(scaled).sum(axis=1).max(axis=1) * np.abs(inv).sum(axis=1).max(axis=1)
    ok &= cond < ILL_CONDITIONED
    inv = inv / d[:, :, None] / d[:, None, :]
    return x / d, inv, ok


def _lstsq(X: np.ndarray, w: np.ndarray, z: np.ndarray) -> tuple[bool, np.ndarray, np.ndarray]:
    """One weighted least-squares step exactly as statsmodels takes it (``numpy.linalg.lstsq`` on
    ``√w·X``), and ``(XᵀWX)⁻¹`` as its final ``pinv`` refit gives it."""
    half = np.sqrt(w)
    wexog = half[:, None] * X
    try:
        beta = np.linalg.lstsq(wexog, half * z, rcond=-1)[0]
        pinv = np.linalg.pinv(wexog, rcond=1e-15)
    except np.linalg.LinAlgError:
        return False, np.zeros(X.shape[1]), np.eye(X.shape[1])
    return True, beta, pinv @ pinv.T


def _glm(Y: np.ndarray, X: np.ndarray, prior: np.ndarray | None, start: np.ndarray | None) -> _GLMFits:
    """Poisson IRLS for every row of ``Y`` on the shared design ``X``, step for step as statsmodels'
    ``GLM(y, X, Poisson(), var_weights=prior).fit(start_params=start)``; the quasi-Poisson scale is
    applied afterwards, as in :func:`.farrington._glm`."""
    m, n = Y.shape
    q = X.shape[1]
    weights = np.ones_like(Y) if prior is None else prior
    outer = (X[:, :, None] * X[:, None, :]).reshape(n, q * q)
    rank = int(np.linalg.matrix_rank(X))
    df_resid = float(n - rank)
    params = np.zeros((m, q))
    inverse = np.zeros((m, q, q))
    with np.errstate(all="ignore"):
        if start is None:
            mu = (Y + Y.mean(axis=1, keepdims=True)) / 2.0
            eta = np.log(np.clip(mu, EPS, np.inf))
        else:
            eta = start @ X.T
            mu = np.exp(eta)
        dev = _deviance(Y, mu, weights)
        ok = np.isfinite(dev) & (rank == q)  # a rank-deficient design is left to statsmodels' pseudo-inverse
        converged = np.zeros(m, dtype=bool)
        active = ok.copy()
        for _ in range(MAXITER):
            idx = np.flatnonzero(active)
            if not len(idx):
                break
            mu_a, y_a = mu[idx], Y[idx]
            inv_deriv = 1.0 / np.clip(mu_a, EPS, np.inf)  # log link: g'(μ) = 1/μ
            w_a = weights[idx] * (1.0 / (inv_deriv**2 * np.abs(mu_a)))
            z_a = eta[idx] + inv_deriv * (y_a - mu_a)
            A = (w_a @ outer).reshape(len(idx), q, q)
            b = (w_a * z_a) @ X
            beta, inv, solved = _scaled_solve(A, b)
            finite = np.all(np.isfinite(w_a), axis=1) & np.all(np.isfinite(z_a), axis=1)
            for j in np.flatnonzero(~solved & finite):  # near-separation: a level's means tend to 0
                solved[j], beta[j], inv[j] = _lstsq(X, w_a[j], z_a[j])
            solved &= finite
            eta_new = beta @ X.T
            mu_new = np.exp(eta_new)
            dev_new = _deviance(y_a, mu_new, weights[idx])
            solved &= np.isfinite(dev_new) & np.all(np.isfinite(mu_new), axis=1)
            done = np.abs(dev[idx] - dev_new) <= TOL
            params[idx], inverse[idx], eta[idx], mu[idx], dev[idx] = beta, inv, eta_new, mu_new, dev_new
            ok[idx[~solved]] = False
            converged[idx[done & solved]] = True
            active[idx[done | ~solved]] = False
        ok &= converged
        fitted = np.exp(params @ X.T)
        scale = np.sum(weights * (Y - fitted) ** 2 / fitted, axis=1) / df_resid if df_resid > 0 else np.ones(m)
    ok &= np.isfinite(scale) & np.all(np.isfinite(params), axis=1)
    scale = np.where(ok, scale, 1.0)
    return _GLMFits(ok, params, inverse * scale[:, None, None], scale, df_resid, fitted)
