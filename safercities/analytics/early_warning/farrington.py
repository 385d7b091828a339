"""Outbreak detection in weekly or monthly counts: the improved Farrington method.

Method
------
For each period to evaluate (the *current* period ``t0``), following Farrington et al. (1996) with
the improvements of Noufaily et al. (2013), as implemented in R ``surveillance::farringtonFlexible``
with the "Noufaily" options (Salmon, Schumacher & Höhle 2016):

1. **Reference values.** The same period in each of the past ``b`` years and ``w`` periods either side
   of it (the *windows*), plus — with ``no_periods > 1`` — every period between the windows, grouped
   into ``no_periods − 1`` consecutive seasonal blocks per year (a ``no_periods``-level factor; the
   windows form the last level). Weekly: ``b = 5``, ``w = 3``, ``no_periods = 10`` (Noufaily). Monthly
   (our analogue, see below): ``b = 5``, ``w = 1``, ``no_periods = 4``.
2. **Guard gap.** The ``past_periods_excluded`` most recent periods (and ``t0`` itself) are left out, so
   that an outbreak that is building up does not raise its own baseline: 26 weeks (Noufaily) or
   6 months.
3. **Quasi-Poisson GLM** ``log μ = α + β·t + season`` fitted by IRLS (statsmodels ``GLM`` with a
   Poisson family), dispersion ``φ = max(1, Pearson χ² / (n − p))``.
4. **Down-weighting past outbreaks.** Anscombe residuals
   ``s_i = 3/2 (y_i^{2/3} μ_i^{-1/6} − μ_i^{1/2}) / sqrt(φ (1 − h_i))`` (``h_i`` the GLM leverages);
   weights ``ω_i = γ s_i^{-2}`` if ``s_i > 2.58`` else ``γ``, with ``γ`` chosen so that the weights sum
   to ``n`` (``surveillance::algo.farrington.assign.weights``). The model is refitted with these prior
   weights and ``φ`` re-estimated.
5. **Trend.** The linear trend is kept only if (a) its p-value (t-test with the estimated dispersion) is
   below ``p_threshold_trend``, (b) at least three years of history are used (``b ≥ 3``) and (c) the
   prediction for ``t0`` does not exceed the largest reference count (no extrapolation beyond the
   observed range). Otherwise steps 3–4 are repeated without it.
6. **Threshold** (Noufaily's ``nbPlugin``): the ``1 − α`` quantile of the negative binomial with mean
   ``μ0 = exp(η0)`` and variance ``φ μ0``, i.e. ``size = μ0/(φ − 1)``, ``prob = 1/φ``; the Poisson
   quantile when ``φ = 1``. ``upper`` uses ``alpha`` (red, default 0.01) and ``upper_amber`` uses
   ``alpha_amber`` (amber, default 0.05), after CDC ESSENCE's red/yellow grading. ``threshold_method=
   "muan"`` plugs in the upper ``1 − α`` confidence limit of ``μ0`` instead, which also allows for the
   estimation error.
7. **Alarm** when the observed count exceeds ``upper`` (and is not 0), unless fewer than 5 cases were
   reported in the last 4 periods including ``t0`` (``limit54``, Farrington et al. 1996 §3.8).

Monthly analogue
----------------
Noufaily's weekly design splits the 45 non-window weeks of each year into nine blocks of about five
weeks. For months we keep whole calendar months and a similar share of the year per level: windows of
±1 month (3 months, as ``w = 3`` weeks is ±0.7 month) and ``no_periods = 4``, which cuts the 9 other
months of each year into three 3-month blocks — the year is modelled as four seasons centred on the
current month. The guard gap is 6 months (= 26 weeks).

Defaults differing from ``surveillance``: ``p_threshold_trend = 0.05`` (the original Farrington rule;
``surveillance``'s documentation advises 1 — always keep a convergent, non-extrapolating trend — for
the improved method) and ``alpha = 0.01``.

References
----------
Farrington, C.P., Andrews, N.J., Beale, A.D. & Catchpole, M.A. (1996). A statistical algorithm for
the early detection of outbreaks of infectious disease. *J. R. Statist. Soc. A* 159, 547–563.

Noufaily, A., Enki, D.G., Farrington, P., Garthwaite, P., Andrews, N. & Charlett, A. (2013). An
improved algorithm for outbreak detection in multiple surveillance systems. *Statistics in Medicine*
32(7), 1206–1222.

Salmon, M., Schumacher, D. & Höhle, M. (2016). Monitoring count time series in R: aberration
detection in public health surveillance. *Journal of Statistical Software* 70(10).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> counts = rng.poisson(20, size=6 * 52).astype(float)
>>> counts[-1] = 60
>>> result = Farrington("week").fit(counts).detect(last=2)
>>> [d.alarm for d in result.detections]
[False, True]
>>> d = result.detections[-1]
>>> round(d.expected, 1), d.upper, d.severity
(18.7, 29.0, 'red')
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from safercities.analytics.early_warning.detection import (
    INSUFFICIENT_HISTORY,
    NO_CONVERGENCE,
    NO_OBSERVATION,
    TOO_FEW_RECENT_CASES,
    Detection,
    DetectionResult,
    describe_exceedance,
)
from safercities.analytics.early_warning.series import CountSeries, as_count_series, check_frequency, resolve_positions

METHOD = "farrington-noufaily"
THRESHOLD_METHODS = ("nbPlugin", "muan")
# Frequency-dependent defaults: (w, no_periods, past_periods_excluded).
DEFAULTS = {"week": (3, 10, 26), "month": (1, 4, 6)}


# --- the building blocks, each checked against surveillance's unit tests --------------------------------


def anscombe_residuals(y: np.ndarray, mu: np.ndarray, hat: np.ndarray, phi: float) -> np.ndarray:
    """Standardised Anscombe residuals of a Poisson fit (McCullagh & Nelder 1989, §2.4.2).

    Where the leverage is 1 the point is fitted exactly and its residual is taken as 0.
    """
    y = np.asarray(y, dtype=float)
    mu = np.maximum(np.asarray(mu, dtype=float), 1e-300)
    raw = 1.5 * (np.power(y, 2 / 3) * np.power(mu, -1 / 6) - np.sqrt(mu))
    room = 1.0 - np.asarray(hat, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = raw / np.sqrt(phi * room)
    return np.where(room > 1e-10, out, 0.0)


def reweighting_weights(residuals: np.ndarray, threshold: float = 2.58) -> np.ndarray:
    """Weights ``γ s^-2`` above ``threshold`` and ``γ`` elsewhere, rescaled to sum to ``n``.

    Mirrors ``surveillance::algo.farrington.assign.weights``.

    Examples
    --------
    >>> reweighting_weights(np.array([0, 0, 2, 2]), threshold=0).tolist()
    [1.6, 1.6, 0.4, 0.4]
    """
    s = np.asarray(residuals, dtype=float)
    high = s > threshold
    raw = np.where(high, np.power(np.where(high, s, 1.0), -2.0), 1.0)
    return raw * (len(s) / raw.sum())


def nb_quantile(mu: float, phi: float, q: float) -> float:
    """The ``q`` quantile of a count with mean ``mu`` and variance ``phi·mu`` (Poisson when ``phi ≤ 1``)."""
    if phi > 1:
        return float(stats.nbinom.ppf(q, mu / (phi - 1), 1 / phi))
    return float(stats.poisson.ppf(q, mu))


def exceedance_probability(observed: float, mu: float, phi: float) -> float:
    """``P(Y ≥ observed)`` for the same negative-binomial (or Poisson) predictive distribution."""
    k = math.ceil(observed) - 1
    if phi > 1:
        return float(stats.nbinom.sf(k, mu / (phi - 1), 1 / phi))
    return float(stats.poisson.sf(k, mu))


def noufaily_threshold(
    eta0: float, se_eta0: float, phi: float, alpha: float, observed: float, method: str = "nbPlugin"
) -> tuple[float, float, float]:
    """``(lower, upper, P(Y ≥ observed))`` as in ``surveillance::algo.farrington.threshold.noufaily``.

    ``eta0`` and ``se_eta0`` are the linear predictor for the current period and its standard error.
    """
    if method not in THRESHOLD_METHODS:
        raise ValueError(f"threshold_method must be one of {THRESHOLD_METHODS}")
    mu0 = math.exp(eta0) if method == "nbPlugin" else math.exp(eta0 + stats.norm.ppf(1 - alpha) * se_eta0)
    lower = max(0.0, nb_quantile(mu0, phi, alpha))
    return lower, nb_quantile(mu0, phi, 1 - alpha), exceedance_probability(observed, mu0, phi)


def seasonal_blocks(references: Sequence[int], w: int, no_periods: int) -> tuple[int, np.ndarray]:
    """Factor levels for positions ``references[-1] − w … references[0]``.

    ``references`` are the positions of the current period and of the same period 1…b years
    back, newest first. Windows ``r ± w`` (and ``t0 − w … t0``) get level ``no_periods``; the periods
    between two windows are cut into ``no_periods − 1`` consecutive blocks, the first blocks one period
    longer when the split is uneven (``surveillance:::blocks``). Returns ``(first position, levels)``;
    NaN marks positions that belong to no level (only possible when ``no_periods = 1``).
    """
    refs = [int(r) for r in references]
    now, start = refs[0], refs[-1] - w
    levels = np.full(now - start + 1, np.nan)

    def put(first: int, last: int, value: float) -> None:
        levels[first - start : last - start + 1] = value

    put(now - w, now, no_periods)
    for newer, ref in zip(refs[:-1], refs[1:], strict=True):
        put(ref - w, ref + w, no_periods)
        if no_periods == 1:
            continue
        gap = newer - 2 * w - 1 - ref
        if gap < no_periods - 1:
            raise ValueError(f"no_periods={no_periods} is too many for windows of ±{w} periods")
        size, rest = divmod(gap, no_periods - 1)
        first = ref + w + 1
        for level in range(1, no_periods):
            length = size + (1 if level <= rest else 0)
            put(first, first + length - 1, level)
            first += length
    return start, levels


# --- the estimator ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray
    cov: np.ndarray
    phi: float
    df_resid: float
    trend: bool
    weights: np.ndarray


@dataclass(frozen=True)
class _GLMFit:
    params: np.ndarray
    cov: np.ndarray  # scaled by the estimated dispersion
    scale: float  # Pearson χ² / df, not yet bounded below by 1
    df_resid: float
    fitted: np.ndarray


def _glm(y: np.ndarray, X: np.ndarray, weights: np.ndarray | None, start: np.ndarray | None = None) -> _GLMFit | None:
    """Poisson IRLS fit; the quasi-Poisson dispersion is applied afterwards (as R's ``summary.glm`` does),
    which also copes with a perfect fit (dispersion 0), where statsmodels' ``scale="X2"`` gives up."""
    # Here, not at import: the batched path never fits with it; and the GLM module alone, not
    # statsmodels.api (0.1 s against 0.2 s more, with scipy and pandas loaded).
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perfect-separation / domain warnings: convergence is checked below
        try:
            model = GLM(y, X, family=families.Poisson(), var_weights=weights)
            res = model.fit(start_params=start)
            cov = np.asarray(res.cov_params(), dtype=float)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return None
    if not res.converged or not np.all(np.isfinite(res.params)):
        return None
    df_resid = float(res.df_resid)
    mu = np.asarray(res.fittedvalues, dtype=float)
    w = np.ones(len(y)) if weights is None else weights
    scale = float(np.sum(w * (y - mu) ** 2 / mu) / df_resid) if df_resid > 0 else 1.0
    return _GLMFit(np.asarray(res.params, dtype=float), cov * scale, scale, df_resid, mu)


def _leverages(X: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Diagonal of ``W^½ X (XᵀWX)⁻¹ XᵀW^½`` with IRLS weights ``W = μ`` (R ``hatvalues`` for a Poisson GLM)."""
    q, _ = np.linalg.qr(X * np.sqrt(mu)[:, None])
    return np.sum(q * q, axis=1)


class Farrington:
    """The improved Farrington outbreak detector for weekly or monthly counts.

    Parameters
    ----------
    frequency : {"week", "month"}
    b : int
        Years of history used as reference (5).
    w : int, optional
        Half-width of the reference windows: 3 weeks / 1 month.
    no_periods : int, optional
        Levels of the seasonal factor: 10 (weekly, Noufaily) / 4 (monthly); 1 uses the windows only.
    past_periods_excluded : int, optional
        Most recent periods left out of the baseline: 26 weeks / 6 months.
    reweight : bool
        Down-weight past outbreaks using Anscombe residuals.
    weights_threshold : float
        Residual above which a reference value is down-weighted (2.58; 1 in Farrington 1996).
    trend : bool
        Consider a linear trend at all.
    p_threshold_trend : float
        Keep the trend only if its p-value is below this (0.05).
    alpha, alpha_amber : float
        One-sided false-alarm rates of the red (0.01) and amber (0.05) thresholds.
    threshold_method : {"nbPlugin", "muan"}
    limit54 : tuple of int or None
        ``(cases, periods)``: no alarm unless at least ``cases`` were reported in the last ``periods``
        periods including the current one ((5, 4)); ``None`` disables the rule.

    Attributes
    ----------
    series_ : CountSeries
        A validated private copy of the fitted counts.
    """

    def __init__(
        self,
        frequency: str = "week",
        *,
        b: int = 5,
        w: int | None = None,
        no_periods: int | None = None,
        past_periods_excluded: int | None = None,
        reweight: bool = True,
        weights_threshold: float = 2.58,
        trend: bool = True,
        p_threshold_trend: float = 0.05,
        alpha: float = 0.01,
        alpha_amber: float = 0.05,
        threshold_method: str = "nbPlugin",
        limit54: tuple[int, int] | None = (5, 4),
    ) -> None:
        self.frequency = frequency
        self.b = b
        self.w = w
        self.no_periods = no_periods
        self.past_periods_excluded = past_periods_excluded
        self.reweight = reweight
        self.weights_threshold = weights_threshold
        self.trend = trend
        self.p_threshold_trend = p_threshold_trend
        self.alpha = alpha
        self.alpha_amber = alpha_amber
        self.threshold_method = threshold_method
        self.limit54 = limit54

    # parameters -------------------------------------------------------------------------------------
    def _resolved(self) -> tuple[int, int, int]:
        check_frequency(self.frequency)
        w0, p0, g0 = DEFAULTS[self.frequency]
        w = w0 if self.w is None else int(self.w)
        p = p0 if self.no_periods is None else int(self.no_periods)
        g = g0 if self.past_periods_excluded is None else int(self.past_periods_excluded)
        if self.b < 1 or w < 0 or p < 1 or g < 0:
            raise ValueError("b and no_periods must be ≥ 1; w and past_periods_excluded ≥ 0")
        if not (0 < self.alpha < 1 and 0 < self.alpha_amber < 1 and self.alpha <= self.alpha_amber):
            raise ValueError("need 0 < alpha ≤ alpha_amber < 1")
        if self.threshold_method not in THRESHOLD_METHODS:
            raise ValueError(f"threshold_method must be one of {THRESHOLD_METHODS}")
        if self.limit54 is not None and (self.limit54[0] < 0 or self.limit54[1] < 1):
            raise ValueError("limit54 must be (cases ≥ 0, periods ≥ 1)")
        return w, p, g

    def parameters(self) -> tuple[tuple[str, object], ...]:
        w, p, g = self._resolved()
        return (
            ("frequency", self.frequency),
            ("b", self.b),
            ("w", w),
            ("no_periods", p),
            ("past_periods_excluded", g),
            ("reweight", self.reweight),
            ("weights_threshold", self.weights_threshold),
            ("trend", self.trend),
            ("p_threshold_trend", self.p_threshold_trend),
            ("alpha", self.alpha),
            ("alpha_amber", self.alpha_amber),
            ("threshold_method", self.threshold_method),
            ("limit54", self.limit54),
        )

    # API --------------------------------------------------------------------------------------------
    def fit(self, counts: pd.Series | Sequence[float] | np.ndarray) -> Farrington:
        """Validate the parameters and keep a private copy of the counts (oldest first)."""
        self._resolved()
        self.series_ = as_count_series(counts, self.frequency)
        return self

    def detect(self, last: int | None = 1, positions: Sequence[int] | None = None) -> DetectionResult:
        """Evaluate the ``last`` periods (default: the newest) or the given positions."""
        series = self.series_
        w, p, g = self._resolved()
        detections = tuple(self._evaluate(series, k, w, p, g) for k in resolve_positions(series, last, positions))
        return DetectionResult(method=METHOD, parameters=self.parameters(), detections=detections)

    # one period -------------------------------------------------------------------------------------
    def _references(self, series: CountSeries, k: int) -> list[int] | None:
        """Positions of the same period 0…b years back (newest first), or None if out of range."""
        if series.dates is not None and series.frequency == "week":
            # Calendar years are 52 or 53 weeks: take the week nearest to the same date (surveillance).
            stamps = series.dates.asi8
            refs = [k]
            for j in range(1, self.b + 1):
                target = (series.dates[k] - pd.DateOffset(years=j)).value
                i = int(np.searchsorted(stamps, target))
                near = [c for c in (i - 1, i) if 0 <= c < len(stamps)]
                if not near:
                    return None
                best = min(near, key=lambda c: abs(stamps[c] - target))
                if abs(stamps[best] - target) > 4 * 86_400 * 10**9:
                    return None
                refs.append(best)
            return refs
        return [k - j * series.per_year for j in range(self.b + 1)]

    def _skip(self, series: CountSeries, k: int, reason: str, explanation: str) -> Detection:
        return skipped_detection(series.labels[k], k, float(series.values[k]), reason, explanation)

    def _insufficient(self, w: int, *, half: bool) -> str:
        """The "insufficient history" sentence (shared with the batched evaluator, :mod:`.batch`)."""
        need = f"{self.b} years of history plus {w} {self.frequency}s"
        if half:
            return f"insufficient history: fewer than half of the {need} are reported."
        return f"insufficient history: the method needs {need}."

    def _fit_model(self, y: np.ndarray, X: np.ndarray, with_trend: bool) -> _Fit | None:
        cols = np.ones(X.shape[1], dtype=bool)
        if not with_trend:
            cols[1] = False
        design = X[:, cols]
        res = _glm(y, design, None)
        if res is None and with_trend:
            return self._fit_model(y, X, with_trend=False)
        if res is None:
            return None
        phi = max(float(res.scale), 1.0)
        weights = np.ones(len(y))
        if self.reweight:
            mu = res.fitted
            s = anscombe_residuals(y, mu, _leverages(design, mu), phi)
            weights = reweighting_weights(s, self.weights_threshold)
            refit = _glm(y, design, weights, start=np.asarray(res.params))
            if refit is None:
                return None
            res = refit
            phi = max(float(res.scale), 1.0)
        beta = np.zeros(X.shape[1])
        beta[cols] = res.params
        cov = np.zeros((X.shape[1], X.shape[1]))
        cov[np.ix_(cols, cols)] = res.cov
        return _Fit(beta=beta, cov=cov, phi=phi, df_resid=float(res.df_resid), trend=with_trend, weights=weights)

    def _evaluate(self, series: CountSeries, k: int, w: int, p: int, g: int) -> Detection:
        values = series.values
        unit = series.frequency
        if np.isnan(values[k]):
            return self._skip(series, k, NO_OBSERVATION, f"no count was reported for this {unit}.")
        refs = self._references(series, k)
        if refs is None or refs[-1] - w < 0:
            return self._skip(series, k, INSUFFICIENT_HISTORY, self._insufficient(w, half=False))
        start, levels = seasonal_blocks(refs, w, p)
        positions = np.arange(start, k + 1)
        keep = ~np.isnan(levels) & (positions < k - g) & ~np.isnan(values[start : k + 1])
        pos, lev, y = positions[keep], levels[keep].astype(int), values[start : k + 1][keep]
        in_windows = int(np.sum(lev == p))
        if in_windows * 2 < self.b * (2 * w + 1):
            return self._skip(series, k, INSUFFICIENT_HISTORY, self._insufficient(w, half=True))
        # Design: intercept (= the window level p), centred time, one dummy per other level present.
        others = [lvl for lvl in np.unique(lev) if lvl != p]
        X = np.column_stack([np.ones(len(y)), (pos - k).astype(float)] + [(lev == lvl).astype(float) for lvl in others])
        if y.sum() == 0:
            fit = _Fit(np.zeros(X.shape[1]), np.zeros((X.shape[1],) * 2), 1.0, len(y) - 1.0, False, np.ones(len(y)))
            eta0, se0, mu0 = -math.inf, 0.0, 0.0
        else:
            fit = self._fit_model(y, X, with_trend=self.trend)
            if fit is None:
                return self._skip(series, k, NO_CONVERGENCE, "the baseline model could not be fitted.")
            if fit.trend:
                se_t = math.sqrt(max(fit.cov[1, 1], 0.0))
                if se_t > 0:
                    p_trend = 2 * stats.t.sf(abs(fit.beta[1]) / se_t, fit.df_resid)
                else:  # exact fit: a trend is "significant" only if there is one
                    p_trend = 0.0 if abs(fit.beta[1]) > 1e-12 else 1.0
                keep_trend = (
                    p_trend < self.p_threshold_trend and self.b >= 3 and math.exp(fit.beta[0]) <= float(np.max(y))
                )
                if not keep_trend:
                    fit = self._fit_model(y, X, with_trend=False)
                    if fit is None:
                        return self._skip(series, k, NO_CONVERGENCE, "the baseline model could not be fitted.")
            eta0 = float(fit.beta[0])  # x0 = (1, 0, 0, …): window level, time t0 - t0 = 0
            se0 = math.sqrt(max(float(fit.cov[0, 0]), 0.0))
            mu0 = math.exp(eta0)
        observed = float(values[k])
        phi = fit.phi
        if mu0 == 0.0:
            upper = upper_amber = 0.0
            p_value = 0.0 if observed > 0 else 1.0
        else:
            _, upper, p_value = noufaily_threshold(eta0, se0, phi, self.alpha, observed, self.threshold_method)
            _, upper_amber, _ = noufaily_threshold(eta0, se0, phi, self.alpha_amber, observed, self.threshold_method)
        recent = None
        if self.limit54 is not None:
            recent = float(np.nansum(values[max(0, k - self.limit54[1] + 1) : k + 1]))
        return self._conclude(
            label=series.labels[k],
            k=k,
            observed=observed,
            recent=recent,
            mu0=mu0,
            upper=upper,
            upper_amber=upper_amber,
            p_value=p_value,
            phi=phi,
            trend_coefficient=float(fit.beta[1]) if fit.trend else None,
            n_reference=len(y),
            w=w,
            p=p,
            g=g,
        )

    def _conclude(
        self,
        *,
        label: str,
        k: int,
        observed: float,
        recent: float | None,
        mu0: float,
        upper: float,
        upper_amber: float,
        p_value: float,
        phi: float,
        trend_coefficient: float | None,
        n_reference: int,
        w: int,
        p: int,
        g: int,
    ) -> Detection:
        """Grade an evaluated period and write its explanation (shared with the batched evaluator, so that
        both give the same words). ``recent`` is the count over the ``limit54`` span, ``trend_coefficient``
        None when the trend was dropped."""
        unit = self.frequency
        reason = None
        if self.limit54 is not None:
            cases, span = self.limit54
            if recent < cases:  # type: ignore[operator]
                reason = TOO_FEW_RECENT_CASES
        can_alarm = reason is None and observed > 0
        severity = None
        if can_alarm and observed > upper:
            severity = "red"
        elif can_alarm and observed > upper_amber:
            severity = "amber"
        trend_used = trend_coefficient is not None
        trend_text = (
            f"with a trend of {math.expm1(trend_coefficient) * 100:+.1f}% per {unit}" if trend_used else "no trend"
        )
        baseline = (
            f"{n_reference} {unit}s from the past {self.b} years (same {unit} ±{w} and {p - 1} seasonal blocks), "
            f"last {g} {unit}s left out, past outbreaks down-weighted, {trend_text}, overdispersion {phi:.2f}"
        )
        explanation = describe_exceedance(
            observed=observed,
            expected=shown_expected(mu0),
            upper=upper,
            upper_amber=upper_amber,
            severity=severity,
            p_value=p_value,
            alpha=self.alpha,
            alpha_amber=self.alpha_amber,
            baseline=baseline,
        )
        if reason == TOO_FEW_RECENT_CASES:
            cases, span = self.limit54  # type: ignore[misc]
            explanation += f" No alarm: fewer than {cases} cases in the last {span} {unit}s."
        return Detection(
            period=label,
            position=k,
            observed=observed,
            expected=mu0,
            upper=upper,
            upper_amber=upper_amber,
            alarm=severity == "red",
            severity=severity,
            p_value=p_value,
            explanation=explanation,
            method=METHOD,
            reason=reason,
            phi=phi,
            trend_used=trend_used,
            trend_coefficient=trend_coefficient,
            n_reference=n_reference,
        )


def shown_expected(mu0: float) -> float:
    """The expected value as the explanation prints it, rounded to 9 significant digits first.

    A baseline that is a plain mean (no trend, no down-weighting) is often a tie for one decimal, e.g.
    9/12 = 0.75; whether IRLS returns 0.7499999999999998 or 0.7500000000000002 would otherwise decide
    between "0.7" and "0.8" (and 1/0.75 between "1.3×" and "1.4×"). ``Detection.expected`` keeps the
    unrounded value.
    """
    return float(f"{mu0:.9g}")


def skipped_detection(label: str, k: int, observed: float, reason: str, explanation: str) -> Detection:
    """A period that could not be evaluated (``observed`` NaN when missing)."""
    return Detection(
        period=label,
        position=k,
        observed=None if np.isnan(observed) else float(observed),
        expected=None,
        upper=None,
        upper_amber=None,
        alarm=False,
        severity=None,
        p_value=None,
        explanation=explanation,
        method=METHOD,
        reason=reason,
    )
