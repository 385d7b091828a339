"""Indicator weights derived from the data: principal components with varimax rotation.

The Nicoletti, Scarpetta & Boylaud (2000) procedure, as worked through in the OECD/JRC Handbook
(section 6.1, Tables 17–19):

1. Standardise the indicators and take the principal components of their correlation matrix (via
   the SVD of the standardised matrix, so no covariance matrix is formed).
2. Retain the leading components with eigenvalue > 1 that each explain more than 10 % of the variance
   (at least one component is always kept). The Handbook's third rule — the retained components
   together explain more than 60 % — is reported (``explained``), not enforced: when it fails, the
   indicators are weakly related and PCA weights deserve caution, which the analyst should see.
3. Rotate the retained loadings with varimax (Kaiser 1958) so each indicator loads mainly on one
   component.
4. Square the rotated loadings and scale each component's column to unit sum. Each indicator is
   assigned to the component on which its scaled squared loading is largest.
5. Weight of an indicator = (its scaled squared loading on its component) × (that component's share of
   the variance explained by all retained components); the weights are finally re-scaled to sum to 1.

The weights describe statistical structure, not importance: an indicator unrelated to the others
gets a small weight. Use them as an alternative to test, not as a default (Handbook, section 6.1).

References
----------
Nicoletti, G., Scarpetta, S. & Boylaud, O. (2000). Summary indicators of product market regulation
with an extension to employment protection legislation. OECD Economics Department Working Paper 226.
OECD & JRC (2008). *Handbook on Constructing Composite Indicators*, section 6.1.
Kaiser, H. F. (1958). The varimax criterion for analytic rotation in factor analysis.
*Psychometrika* 23, 187–200.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PCAWeights:
    """PCA-derived weights (sum 1) with the figures needed to judge them."""

    weights: tuple[float, ...]
    eigenvalues: tuple[float, ...]
    n_components: int
    explained: float  # share of the total variance explained by the retained components


def varimax(loadings: np.ndarray, tol: float = 1e-10, max_iter: int = 500) -> np.ndarray:
    """Varimax rotation (Kaiser 1958) of a ``(variables, factors)`` loading matrix; returns the rotated copy.

    Uses the standard SVD iteration (as in R's ``stats::varimax`` without Kaiser normalisation).

    Examples
    --------
    Rotation moves each indicator towards one factor but keeps its communality (row sum of squares):

    >>> L = np.array([[0.8, 0.4], [0.7, -0.5], [0.3, 0.8]])
    >>> np.round(varimax(L), 3)
    array([[ 0.395,  0.802],
           [ 0.86 ,  0.025],
           [-0.245,  0.819]])
    >>> np.allclose((varimax(L) ** 2).sum(axis=1), (L**2).sum(axis=1))
    True
    """
    L = np.array(loadings, dtype=float)
    p, k = L.shape
    if k < 2:
        return L
    rotation = np.eye(k)
    criterion = 0.0
    for _ in range(max_iter):
        rotated = L @ rotation
        u, s, vt = np.linalg.svd(L.T @ (rotated**3 - rotated @ np.diag(np.sum(rotated**2, axis=0)) / p))
        rotation = u @ vt
        new = float(np.sum(s))
        if new - criterion < tol * max(new, 1.0):
            break
        criterion = new
    return L @ rotation


def pca_weights(values: np.ndarray, min_eigenvalue: float = 1.0, min_share: float = 0.10) -> PCAWeights:
    """Nicoletti et al. (2000) weights of the columns of a complete ``(observations, indicators)`` array.

    Parameters
    ----------
    values : ndarray, shape (n, p)
        Complete rows only (no NaN); constant columns are not allowed.
    min_eigenvalue, min_share : float
        The component retention rules (Kaiser's eigenvalue > 1; > 10 % of variance each).

    Returns
    -------
    PCAWeights

    Examples
    --------
    Two indicators that move together and a third, independent one: two components are kept; since
    a weight is proportional to the indicator's squared rotated loading on its own component, the
    three get about a third each (the third is not down-weighted for being unrelated to the pair).

    >>> rng = np.random.default_rng(0)
    >>> f, g = rng.normal(size=500), rng.normal(size=500)
    >>> X = np.column_stack([f + 0.3 * rng.normal(size=500), f + 0.3 * rng.normal(size=500), g])
    >>> result = pca_weights(X)
    >>> result.n_components, [round(w, 2) for w in result.weights]
    (2, [0.33, 0.33, 0.34])
    """
    X = np.asarray(values, dtype=float)
    n, p = X.shape
    if p == 1:
        return PCAWeights((1.0,), (1.0,), 1, 1.0)
    if n < 3 or not np.isfinite(X).all():
        raise ValueError("PCA weights need at least 3 complete rows without NaN")
    sd = X.std(axis=0, ddof=1)
    if np.any(sd == 0):
        raise ValueError("PCA weights need every indicator to vary")
    Z = (X - X.mean(axis=0)) / sd
    _, s, vt = np.linalg.svd(Z, full_matrices=False)
    eig = s**2 / (n - 1)  # eigenvalues of the correlation matrix; they sum to p
    share = eig / eig.sum()
    keep = 1
    while keep < len(eig) and eig[keep] > min_eigenvalue and share[keep] > min_share:
        keep += 1
    loadings = vt[:keep].T * np.sqrt(eig[:keep])
    rotated = varimax(loadings)
    squared = rotated**2
    scaled = squared / squared.sum(axis=0)
    component = np.argmax(scaled, axis=1)
    variance = squared.sum(axis=0)
    w = scaled[np.arange(p), component] * (variance / variance.sum())[component]
    w = w / w.sum()
    return PCAWeights(tuple(float(v) for v in w), tuple(float(v) for v in eig), keep, float(share[:keep].sum()))
