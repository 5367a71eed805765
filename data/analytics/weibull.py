"""Two-parameter Weibull life analysis with right-censoring (suspensions), by maximum likelihood.

Pure numpy/scipy over arrays of times (shots) and failure flags. The fit solves the profile
score equation for the shape exactly (a one-dimensional root), then takes the scale in closed
form; confidence bounds come from the observed Fisher information on the log parameters, as
`reliability`'s Fit_Weibull_2P reports them.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np

MIN_FAILURES = 2


@dataclass(frozen=True)
class WeibullFit:
    """A fitted Weibull life: shape beta, scale eta (same unit as the times) and their bounds."""

    beta: float
    eta: float
    beta_lower: float
    beta_upper: float
    eta_lower: float
    eta_upper: float
    n_failures: int
    n_suspensions: int
    log_likelihood: float
    confidence: float = 0.90

    def b_life(self, p: float = 0.10) -> float:
        """The time by which a fraction p of the population has failed (B10 for p = 0.10)."""
        return b_life(self.beta, self.eta, p)

    @property
    def b10(self) -> float:
        """B10 life: 10 % of units fail before this many shots."""
        return self.b_life(0.10)

    def cdf(self, t: np.ndarray | float) -> np.ndarray | float:
        """Probability of failure by time t."""
        return weibull_cdf(t, self.beta, self.eta)

    def conditional_failure(self, age: np.ndarray | float, n: float) -> np.ndarray | float:
        """Probability that a unit that survived to `age` fails within the next n."""
        return conditional_failure(self.beta, self.eta, age, n)

    @property
    def pattern(self) -> str:
        """What beta says about the failure pattern, in words an engineer uses."""
        if self.beta_upper < 1.0:
            return "early-life (infant mortality): the hazard falls with use"
        if self.beta_lower > 1.0:
            return "wear-out: the hazard rises with use, so preventive replacement pays"
        return "random: no clear rise or fall of the hazard with use"


def weibull_cdf(t, beta: float, eta: float):
    """F(t) = 1 - exp(-(t/eta)^beta)."""
    t = np.maximum(np.asarray(t, dtype="float64"), 0.0)
    return -np.expm1(-np.power(t / eta, beta))


def b_life(beta: float, eta: float, p: float = 0.10) -> float:
    """The p-quantile of a Weibull life: eta * (-ln(1 - p))^(1/beta)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be between 0 and 1")
    return float(eta * (-math.log1p(-p)) ** (1.0 / beta))


def conditional_failure(beta: float, eta: float, age, n: float):
    """P(fail before age + n | survived to age) = 1 - exp((age/eta)^b - ((age+n)/eta)^b)."""
    age = np.maximum(np.asarray(age, dtype="float64"), 0.0)
    return -np.expm1(np.power(age / eta, beta) - np.power((age + n) / eta, beta))


def _clean(times, failed) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(times, dtype="float64")
    f = np.asarray(failed, dtype=bool)
    if t.shape != f.shape:
        raise ValueError("times and failure flags must have the same length")
    keep = np.isfinite(t) & (t > 0)
    return t[keep], f[keep]


def _profile_score(log_beta: float, x: np.ndarray, lx_fail_mean: float, lx: np.ndarray) -> float:
    """d/d beta of the profile log-likelihood (times scaled to at most 1), divided by r."""
    beta = math.exp(log_beta)
    w = np.power(x, beta)
    return 1.0 / beta + lx_fail_mean - float(np.dot(w, lx) / w.sum())


def fit_weibull(times, failed, confidence: float = 0.90) -> WeibullFit | None:
    """Fit a 2-parameter Weibull to failure times and suspensions; None with fewer than 2 distinct failures."""
    t, f = _clean(times, failed)
    r = int(f.sum())
    if r < MIN_FAILURES or np.unique(t[f]).size < 2:
        return None
    scale = float(t.max())
    x = t / scale  # keeps t^beta finite for large beta
    lx = np.log(x)
    lx_fail_mean = float(lx[f].mean())
    lo, hi = math.log(0.02), math.log(50.0)
    g_lo, g_hi = _profile_score(lo, x, lx_fail_mean, lx), _profile_score(hi, x, lx_fail_mean, lx)
    if g_lo * g_hi > 0:  # degenerate data (shape outside any physical range)
        return None
    from scipy import optimize  # imported on first use: it adds ~40 MB to every web process otherwise

    log_beta = optimize.brentq(_profile_score, lo, hi, args=(x, lx_fail_mean, lx), xtol=1e-12)
    beta = math.exp(log_beta)
    eta_x = float((np.power(x, beta).sum() / r) ** (1.0 / beta))
    eta = eta_x * scale

    # Observed information of (beta, eta) from the analytic second derivatives (in scaled units).
    u = lx - math.log(eta_x)
    z = np.exp(beta * u)
    s_z, s_zu, s_zu2 = z.sum(), float(np.dot(z, u)), float(np.dot(z, u * u))
    h_bb = -r / beta**2 - s_zu2
    h_ee = r * beta / eta_x**2 - beta * (1.0 + beta) / eta_x**2 * s_z
    h_be = -r / eta_x + s_z / eta_x + beta / eta_x * s_zu
    info = -np.array([[h_bb, h_be], [h_be, h_ee]])
    cov = np.linalg.inv(info)
    se_log_beta = math.sqrt(max(cov[0, 0], 0.0)) / beta
    se_log_eta = math.sqrt(max(cov[1, 1], 0.0)) / eta_x
    zq = statistics.NormalDist().inv_cdf(0.5 + confidence / 2.0)
    loglik = float(r * math.log(beta) - r * beta * math.log(eta) + (beta - 1.0) * np.log(t[f]).sum()
                   - np.power(t / eta, beta).sum())
    return WeibullFit(
        beta=beta, eta=eta,
        beta_lower=beta * math.exp(-zq * se_log_beta), beta_upper=beta * math.exp(zq * se_log_beta),
        eta_lower=eta * math.exp(-zq * se_log_eta), eta_upper=eta * math.exp(zq * se_log_eta),
        n_failures=r, n_suspensions=int((~f).sum()), log_likelihood=loglik, confidence=confidence,
    )


def median_ranks(times, failed) -> tuple[np.ndarray, np.ndarray]:
    """Failure times and their plotting positions: Johnson's adjusted ranks with Bernard's approximation."""
    t, f = _clean(times, failed)
    order = np.lexsort((~f, t))  # by time; at equal times failures come before suspensions
    t, f = t[order], f[order]
    n = len(t)
    reverse_rank = n - np.arange(n)
    out_t, out_f = [], []
    prev = 0.0
    for ti, fi, rr in zip(t, f, reverse_rank, strict=True):
        if fi:
            prev = prev + (n + 1 - prev) / (1 + rr)
            out_t.append(ti)
            out_f.append((prev - 0.3) / (n + 0.4))
    return np.asarray(out_t), np.asarray(out_f)


def weibull_paper_y(p) -> np.ndarray:
    """The probability axis of a Weibull plot: ln(-ln(1 - F))."""
    p = np.clip(np.asarray(p, dtype="float64"), 1e-12, 1 - 1e-12)
    return np.log(-np.log1p(-p))
