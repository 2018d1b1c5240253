"""The paired verdict rule and its intervals (ganlib.stats): boundaries, p-values, Holm, false alarms, and the
verdict as data (its words and text made from the object, and the stored form read back)."""

from __future__ import annotations

import numpy as np
import pytest

from ganlib import stats as S


def test_decide_on_both_sides_of_each_boundary():
    # n = 2 pairs, diffs m -+ 1: sd sqrt(2), half-width t(0.975, 1) * sqrt(2) / sqrt(2) = 12.706
    t1 = 12.7062047
    assert S.decide([12.8 - 1, 12.8 + 1], delta=1.0).outcome == "higher"
    assert S.decide([12.6 - 1, 12.6 + 1], delta=1.0).outcome == "inconclusive"
    assert S.decide([-12.8 - 1, -12.8 + 1], delta=1.0).outcome == "lower"
    assert S.decide([-12.6 - 1, -12.6 + 1], delta=1.0).outcome == "inconclusive"
    r = S.decide([2.0, 4.0, 3.0], delta=1.0)
    assert r.n == 3 and r.mean == pytest.approx(3.0) and r.sd == pytest.approx(1.0)
    # 3 pairs: t(0.975, 2) = 4.303; a normal quantile (1.96) or n degrees of freedom would give other bounds
    assert r.low == pytest.approx(3.0 - 4.302653 / 3**0.5, rel=1e-6)
    # equivalence: the whole interval inside +-delta, on both sides of delta
    assert S.decide([0.5 - 1, 0.5 + 1], delta=t1 + 0.6).outcome == "equivalent"
    assert S.decide([0.5 - 1, 0.5 + 1], delta=t1 + 0.4).outcome == "inconclusive"
    # one pair gives no spread: inconclusive, however large the difference
    assert S.decide([-50.0], delta=1.0).outcome == "inconclusive"
    assert S.decide([None, None], delta=1.0).n == 0


def test_inconclusive_says_how_many_seeds_would_decide():
    r = S.decide([-1.0, 0.5, -2.0, 1.0], delta=0.1)
    assert r.outcome == "inconclusive"
    n = r.seeds_needed
    from scipy import stats
    room = max(abs(r.mean), 0.1 - abs(r.mean))
    assert stats.t.ppf(0.975, n - 1) * r.sd / n**0.5 < room <= stats.t.ppf(0.975, n - 2) * r.sd / (n - 1)**0.5


def test_p_values_agree_with_the_interval_of_decide():
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(2, 8))
        d = rng.normal(rng.normal(0, 1), rng.uniform(0.1, 2), n)
        delta = float(rng.uniform(0.1, 3))
        r = S.decide(d, delta)
        assert (r.p < 0.05) == (r.outcome in ("lower", "higher"))
        assert (r.p_equivalent < 0.05) == (r.low > -delta and r.high < delta)
    from scipy import stats
    d = [-1.0, -0.4, -0.7, 0.1]
    assert S.decide(d, 0.1).p == pytest.approx(stats.ttest_1samp(d, 0.0).pvalue)
    assert S.decide([-2.0, -2.0, -2.0], 0.1).p == 0.0  # no spread: the interval [-2, -2] excludes 0
    assert S.decide([0.0, 0.0, 0.0], 0.1).p == 1.0 and S.decide([0.0, 0.0], 0.1).p_equivalent == 0.0
    assert S.decide([1.0], 0.1).p is None


def test_holm_adjusts_step_down():
    assert S.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert S.holm([0.5, 0.001]) == pytest.approx([0.5, 0.002])
    assert S.holm([0.04, 0.045]) == pytest.approx([0.08, 0.08])  # monotone: never below a smaller p's
    assert S.holm([0.9, 0.8]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert S.holm([]) == []
    two = S.holm(np.array([[0.01, 0.04, 0.03], [0.2, 0.01, 0.02]]))
    assert two == pytest.approx(np.array([[0.03, 0.06, 0.06], [0.2, 0.03, 0.04]]))


def test_sign_count():
    s = S.sign_count([-1.0, -0.5, 0.2, 0.0, None], "icvp")
    assert (s["better"], s["worse"], s["tied"], s["n"]) == (2, 1, 1, 4)
    assert s["text"] == "icvp better in 2 of 4 pairs (1 tied)"
    assert S.sign_count([-1.0, -2.0], "icvp-eps")["text"] == "icvp-eps better in 2 of 2 pairs"



# ---------------------------------------------------------------------------------------------
# False alarms of the rule under laws of differences that are not normal, and of the family
# ---------------------------------------------------------------------------------------------


def _alarms(diffs):
    """Vectorised rule: a ``faster``/``slower`` verdict of :func:`S.decide` <=> its p-value < 0.05."""
    n = diffs.shape[-1]
    p = S.t_pvalue(diffs.mean(-1), diffs.std(-1, ddof=1), n)
    return p < 0.05, p


def test_false_alarm_rate_of_the_rule_and_of_the_family(capsys):
    studies, rng = 4000, np.random.default_rng(20270112)
    laws = {"normal": lambda size: rng.standard_normal(size),
            "two-point ±1": lambda size: rng.choice([-1.0, 1.0], size),
            "Student t, 2 df": lambda size: rng.standard_t(2, size)}
    rates = {}
    for law, draw in laws.items():
        for n in (3, 5):
            d = draw((studies, n))
            alarm, _ = _alarms(d)
            rates[(law, n)] = alarm.mean()
            if law == "two-point ±1":  # the vectorised rule is the rule of decide
                calls = [S.decide(x, 0.1).outcome in ("lower", "higher") for x in d[:200]]
                assert calls == list(alarm[:200])
    m, tol = 6, 3 * (0.05 * 0.95 / studies) ** 0.5  # binomial tolerance at 3 standard errors
    family = rng.standard_normal((studies, m, 5))
    alarm, p = _alarms(family)
    raw_fw, holm_fw = alarm.any(-1).mean(), (S.holm(p) < 0.05).any(-1).mean()
    with capsys.disabled():
        print(f"\n[false alarms, {studies} simulated studies per case, no true effect]")
        for law in laws:
            print(f"  {law:16s}: 3 seeds {rates[(law, 3)]:.1%}, 5 seeds {rates[(law, 5)]:.1%}")
        print(f"  family of {m} null comparisons, 5 seeds, normal: at least one false alarm {raw_fw:.1%} raw, "
              f"{holm_fw:.1%} after Holm")
    assert abs(rates[("normal", 5)] - 0.05) < tol and abs(rates[("normal", 3)] - 0.05) < tol
    # two-point law: all 3 (or 5) signs equal gives a zero-width interval, P = 2/2^n: 25% at 3 seeds, 6.25% at 5
    assert abs(rates[("two-point ±1", 3)] - 0.25) < 3 * (0.25 * 0.75 / studies) ** 0.5
    assert rates[("two-point ±1", 5)] < 0.0625 + tol
    assert rates[("Student t, 2 df", 5)] < 0.05 + tol  # heavy tails make the t rule conservative, not liberal
    assert raw_fw > 0.2 and holm_fw < 0.05 + tol


def test_a_verdict_is_data_and_its_words_are_made_from_it():
    v = S.decide([0.012, 0.010, 0.014, 0.011], 0.05)  # resolved above 0, but inside the margin
    assert isinstance(v, S.Verdict) and v.outcome == "higher" and v.within_margin and v.resolved
    assert v.word() == "slower, by less than the margin ±0.05"
    assert v.word({"lower": "lower", "higher": "higher"}) == "higher, by less than the margin ±0.05"
    assert v.text("AUC", "a minus b").startswith("slower, by less than the margin ±0.05 (AUC difference 0.01175")
    assert S.Verdict.from_dict({**v.as_dict(), "diffs": [1], "text": "ignored"}) == v  # the stored form reads back
    inc = S.decide([-1.0, 0.5, -2.0, 1.0], 0.1)
    assert inc.word() == "inconclusive" and f"about {inc.seeds_needed} seeds would decide" in inc.text()
    assert S.decide([0.01, -0.01, 0.02, -0.02], 1.0).word() == "equivalent within ±1"
    assert S.decide([3.0], 1.0).text() == "inconclusive (one pair gives no spread: run 2 or more seeds)"


def test_the_family_adjustment_is_data_too():
    v = S.decide([-1.0, -1.2, -0.9, -1.1, -1.05], 0.1)
    assert v.adjusted is None and v.adjusted_text() == v.word() == "faster"
    kept = v.adjust(p_holm=v.p * 3, p_equivalent_holm=1.0)
    assert kept.adjusted == "lower" and kept.adjusted_text() == f"faster (Holm-adjusted p {v.p * 3:.2g})"
    lost = v.adjust(p_holm=0.2, p_equivalent_holm=1.0)
    assert lost.adjusted == "inconclusive" and lost.adjusted_text() == "inconclusive after Holm (Holm-adjusted p 0.2)"
    same = v.adjust(p_holm=0.2, p_equivalent_holm=0.01)
    assert same.adjusted == "equivalent" and same.adjusted_text().startswith("equivalent within ±0.1 (Holm-adjusted p 0.01")
    assert v.outcome == "lower"  # adjusting makes a new verdict; the raw one is unchanged
    # a raw equivalence lost to the family names the equivalence test's adjusted p, not the difference test's
    e = S.decide([0.01, -0.01, 0.02, -0.02, 0.0], 1.0)
    assert e.outcome == "equivalent"
    assert e.adjust(p_holm=1.0, p_equivalent_holm=0.3).adjusted_text() == "inconclusive after Holm (Holm-adjusted p 0.3)"


def test_every_interval_uses_the_one_t_half_width():
    from scipy import stats

    d = [0.3, -0.1, 0.5, 0.2]
    iv = S.interval(d)
    half = stats.t.ppf(0.975, 3) * np.std(d, ddof=1) / 2
    assert iv["high"] - iv["mean"] == pytest.approx(half) and S.t_half_width(np.std(d, ddof=1), 4) == pytest.approx(half)
    assert S.mean_sd([1.0, None, float("nan"), 3.0]) == (2.0, pytest.approx(2 ** 0.5), 2)
    assert S.mean_sd([]) == (None, None, 0)
