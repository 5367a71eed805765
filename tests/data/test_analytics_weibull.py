"""Weibull MLE with right-censoring against lifelines and reliability, and the life-data definition."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from data.analytics.reliability import current_ages, life_table
from data.analytics.weibull import (
    b_life,
    conditional_failure,
    fit_weibull,
    median_ranks,
    weibull_cdf,
)


def censored_sample(seed: int, beta: float, eta: float, n: int):
    """Failure times from Weibull(beta, eta), right-censored by a uniform observation window."""
    rng = np.random.default_rng(seed)
    life = eta * rng.weibull(beta, n)
    seen = rng.uniform(0.2 * eta, 2.0 * eta, n)
    return np.minimum(life, seen), life <= seen


@pytest.mark.parametrize("seed, beta, eta, n", [(1, 2.2, 3.5e6, 40), (2, 0.8, 8e5, 60), (3, 1.3, 5e6, 25),
                                                (4, 4.5, 2e6, 80)])
def test_fit_agrees_with_lifelines_and_reliability(seed, beta, eta, n):
    from lifelines import WeibullFitter
    from reliability.Fitters import Fit_Weibull_2P

    t, failed = censored_sample(seed, beta, eta, n)
    assert 0 < (~failed).sum() < n  # both failures and suspensions
    fit = fit_weibull(t, failed, confidence=0.90)
    ref = WeibullFitter().fit(t, failed)
    assert fit.beta == pytest.approx(ref.rho_, rel=1e-4)
    assert fit.eta == pytest.approx(ref.lambda_, rel=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rel = Fit_Weibull_2P(failures=t[failed], right_censored=t[~failed], show_probability_plot=False,
                             print_results=False, CI=0.90, method="MLE")
    assert fit.beta == pytest.approx(rel.beta, rel=1e-4)
    assert fit.eta == pytest.approx(rel.alpha, rel=1e-4)
    # Fisher-matrix bounds on the log parameters, as reliability reports them.
    assert fit.beta_lower == pytest.approx(rel.beta_lower, rel=1e-3)
    assert fit.beta_upper == pytest.approx(rel.beta_upper, rel=1e-3)
    assert fit.eta_lower == pytest.approx(rel.alpha_lower, rel=1e-3)
    assert fit.eta_upper == pytest.approx(rel.alpha_upper, rel=1e-3)
    assert fit.n_failures == int(failed.sum()) and fit.n_suspensions == int((~failed).sum())
    assert fit.beta_lower < fit.beta < fit.beta_upper


def test_suspensions_change_the_estimate():
    t, failed = censored_sample(7, 2.0, 1e6, 50)
    with_susp = fit_weibull(t, failed)
    failures_only = fit_weibull(t[failed], np.ones(failed.sum(), bool))
    assert with_susp.eta > failures_only.eta  # ignoring survivors makes the mould look worse than it is


def test_too_few_failures_give_no_fit():
    assert fit_weibull([1e5, 2e5, 3e5], [True, False, False]) is None
    assert fit_weibull([1e5, 1e5, 3e5], [True, True, False]) is None  # two failures at one count
    assert fit_weibull([], []) is None


def test_b_life_and_conditional_probability():
    beta, eta = 2.0, 1_000_000
    b10 = b_life(beta, eta, 0.10)
    assert weibull_cdf(b10, beta, eta) == pytest.approx(0.10)
    # P(fail in next n | survived age) = (F(age+n) - F(age)) / (1 - F(age))
    age, n = 600_000, 200_000
    expected = (weibull_cdf(age + n, beta, eta) - weibull_cdf(age, beta, eta)) / (1 - weibull_cdf(age, beta, eta))
    assert conditional_failure(beta, eta, age, n) == pytest.approx(expected)
    assert conditional_failure(beta, eta, 0, n) == pytest.approx(weibull_cdf(n, beta, eta))
    # Wear-out: an older mould is more likely to fail in the same number of shots.
    assert conditional_failure(beta, eta, 900_000, n) > conditional_failure(beta, eta, 100_000, n)
    with pytest.raises(ValueError):
        b_life(beta, eta, 1.5)


def test_pattern_reads_beta():
    t, f = censored_sample(11, 4.0, 1e6, 80)
    assert "wear-out" in fit_weibull(t, f).pattern
    t, f = censored_sample(12, 0.5, 1e6, 80)
    assert "early-life" in fit_weibull(t, f).pattern


def test_median_ranks_without_suspensions_are_bernards():
    t = np.array([300.0, 100.0, 200.0, 400.0])
    times, ranks = median_ranks(t, np.ones(4, bool))
    assert list(times) == [100, 200, 300, 400]
    assert ranks == pytest.approx([(i - 0.3) / 4.4 for i in (1, 2, 3, 4)])


def test_median_ranks_adjust_for_suspensions_like_johnson():
    # Failures at 10 and 30, a suspension at 20: the failure after the suspension gets an adjusted rank.
    times, ranks = median_ranks([10, 20, 30], [True, False, True])
    assert list(times) == [10, 30]
    first = 1.0
    second = first + (3 + 1 - first) / (1 + 1)  # reverse rank of the third item is 1
    assert ranks == pytest.approx([(first - 0.3) / 3.4, (second - 0.3) / 3.4])


def test_life_table_is_shots_between_failures_of_a_mode_and_current_run_as_suspension():
    failures = pd.DataFrame({"mould_id": [1, 1, 1, 2], "mode": ["Flash", "Flash", "Leak", "Flash"],
                             "shot_count": [100_000, 250_000, 180_000, 50_000]})
    moulds = pd.DataFrame({"mould_id": [1, 2, 3], "lifetime_shots": [400_000, 60_000, 90_000]})
    life = life_table(failures, moulds)
    rows = {(r.mould_id, r.mode, r.failed): r.time for r in life.itertuples()}
    flash_fail = sorted(life[(life["mode"] == "Flash") & life["failed"]]["time"])
    assert flash_fail == [50_000, 100_000, 150_000]  # first from commissioning, then the difference
    assert rows[(1, "Flash", False)] == 150_000  # 400k lifetime - last Flash at 250k
    assert rows[(1, "Leak", True)] == 180_000 and rows[(1, "Leak", False)] == 220_000
    assert rows[(2, "Flash", False)] == 10_000
    assert rows[(2, "Leak", False)] == 60_000  # never leaked: the whole lifetime is a suspension
    assert rows[(3, "Flash", False)] == 90_000 and rows[(3, "Leak", False)] == 90_000
    assert len(life) == 4 + 6  # four failures, a suspension per mould and mode
    ages = current_ages(failures, moulds, ["Flash"]).set_index("mould_id")["age"]
    assert ages.to_dict() == {1: 150_000, 2: 10_000, 3: 90_000}


def test_life_table_drops_non_positive_times():
    failures = pd.DataFrame({"mould_id": [1, 1], "mode": ["Flash", "Flash"], "shot_count": [100, 100]})
    moulds = pd.DataFrame({"mould_id": [1], "lifetime_shots": [100]})
    life = life_table(failures, moulds)
    assert list(life["time"]) == [100.0]  # the duplicate report and the zero-length suspension are left out
    assert math.isclose(life["time"].sum(), 100)
