"""The paired verdict rule and every interval of ganlib: numbers in, a :class:`Verdict` out.

A leaf module (numpy and scipy only): no training, no files, no plots.  Everything that needs a
Student-t interval, a p-value or a verdict imports it from here.

- :func:`interval`: the mean of paired differences with its Student-t interval (n - 1 degrees of freedom);
- :func:`decide`: the one verdict rule (lower / higher / equivalent within a margin / inconclusive), as a
  :class:`Verdict`; its words and its one-line text are made from that object (:meth:`Verdict.word`,
  :meth:`Verdict.text`) and never parsed back;
- :func:`holm`: Holm-Bonferroni over a family of p-values (:meth:`Verdict.adjust` applies it to a verdict).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
MARGIN = 0.05  # default practical margin: 5% of the mean initial-to-final range of the metric
# Pairs below which a verdict is flagged: with a symmetric two-point law of differences (a method that helps or
# hurts by the same amount), 3 pairs give a false faster/slower 25% of the time (all signs equal: a zero-width
# interval), 5 pairs 6%; normal differences stay near 5% at both (tests/test_stats.py simulates it).
MIN_PAIRS = 5
WORDS = {"lower": "faster", "higher": "slower"}  # a lower metric curve converges faster
OUTCOMES = ("lower", "higher", "equivalent", "inconclusive")


def finite(values) -> np.ndarray:
    """The finite numbers of ``values`` (``None`` and NaN left out) as a float array."""
    return np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)


def mean_sd(values) -> tuple[float | None, float | None, int]:
    """(mean, sample standard deviation, count) of the finite values; sd 0 for one value, Nones for none."""
    v = finite(values)
    if len(v) == 0:
        return None, None, 0
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0, len(v)


def t_quantile(df, confidence: float = CONFIDENCE):
    """The Student-t quantile that a two-sided ``confidence`` interval reaches, in standard errors."""
    from scipy import stats

    return stats.t.ppf(0.5 + confidence / 2, df)


def t_half_width(sd, n, confidence: float = CONFIDENCE):
    """Half-width of the Student-t interval of a mean of ``n`` values with sample sd ``sd`` (n - 1 degrees of
    freedom; arrays broadcast)."""
    return t_quantile(np.asarray(n) - 1, confidence) * np.asarray(sd, float) / np.sqrt(n)


def interval(diffs, confidence: float = CONFIDENCE) -> dict:
    """Mean of paired differences with its Student-t interval (n - 1 degrees of freedom)."""
    d = finite(diffs)
    n = len(d)
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "low": None, "high": None}
    mean = float(d.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "sd": None, "low": None, "high": None}
    sd = float(d.std(ddof=1))
    half = float(t_half_width(sd, n, confidence))
    return {"n": n, "mean": mean, "sd": sd, "low": mean - half, "high": mean + half}


def seeds_needed(mean: float, sd: float, delta: float, confidence: float = CONFIDENCE, most: int = 1000):
    """Seeds at which an interval of the observed spread ``sd`` around ``mean`` would decide: exclude 0,
    or lie inside ``+-delta``.  ``None`` if more than ``most``."""
    room = max(abs(mean), delta - abs(mean))
    if sd == 0:
        return 2
    for n in range(2, most + 1):
        if t_half_width(sd, n, confidence) < room:
            return n
    return None


def t_pvalue(mean, sd, n):
    """Two-sided p-value of the paired t-test of mean 0 (n - 1 degrees of freedom); arrays broadcast.

    ``p < 1 - confidence`` exactly when the Student-t interval of :func:`interval` excludes 0 (with no spread,
    ``sd == 0``, the interval is the point ``mean``: p is 0, or 1 when the mean is 0)."""
    from scipy import stats

    mean, sd = np.asarray(mean, float), np.asarray(sd, float)
    se = sd / np.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, np.abs(mean) / np.where(se > 0, se, 1.0), np.where(mean != 0, np.inf, 0.0))
    p = 2 * stats.t.sf(t, n - 1)
    return float(p) if p.ndim == 0 else p


def equivalence_pvalue(mean, sd, n, delta):
    """p-value of equivalence within ``+-delta`` (two one-sided t-tests, doubled so that ``p < 1 - confidence``
    exactly when the interval of :func:`interval` lies inside ``+-delta``)."""
    from scipy import stats

    mean, sd = np.asarray(mean, float), np.asarray(sd, float)
    se = sd / np.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        worst = np.where(se > 0, (delta - np.abs(mean)) / np.where(se > 0, se, 1.0),
                         np.where(np.abs(mean) < delta, np.inf, -np.inf))
    p = np.minimum(1.0, 2 * stats.t.sf(worst, n - 1))
    return float(p) if p.ndim == 0 else p


def holm(pvalues):
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1); a 2-D array is adjusted row by row.

    Rejecting where the adjusted p is below alpha keeps the chance of any false alarm in the family at or
    under alpha, whatever the dependence between the tests."""
    p = np.asarray(pvalues, float)
    if p.size == 0:
        return [] if isinstance(pvalues, list) else p
    m = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1) * (m - np.arange(m))
    ranked = np.minimum(1.0, np.maximum.accumulate(ranked, axis=-1))
    out = np.empty_like(p)
    np.put_along_axis(out, order, ranked, axis=-1)
    return out.tolist() if isinstance(pvalues, list) else out


def sign_count(diffs, a: str = "icvp") -> dict:
    """How many paired differences (a minus b; lower is better) favour ``a``, favour b, or tie."""
    d = finite(diffs)
    better, worse = int((d < 0).sum()), int((d > 0).sum())
    tied = len(d) - better - worse
    text = f"{a} better in {better} of {len(d)} pairs" + (f" ({tied} tied)" if tied else "")
    return {"better": better, "worse": worse, "tied": tied, "n": len(d), "text": text}


@dataclass(frozen=True)
class Verdict:
    """The paired rule's answer for one comparison (a minus b, lower is better for a), as data.

    ``outcome`` is one of :data:`OUTCOMES`; ``low``/``high`` the interval of the mean difference (None with
    fewer than 2 pairs, and ``why`` says so); ``within_margin``: the interval excludes 0 but lies inside
    ``+-delta`` (resolved, too small to matter); ``seeds_needed``: for an inconclusive verdict, the seeds at
    which the observed spread would decide; ``p``/``p_equivalent``: the p-values of the same statistics, which
    a family adjusts (:meth:`adjust`), giving ``adjusted`` (an outcome) and ``p_holm``, ``p_equivalent_holm``.
    """

    outcome: str
    n: int
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None
    delta: float
    confidence: float = CONFIDENCE
    within_margin: bool = False
    seeds_needed: int | None = None
    p: float | None = None
    p_equivalent: float | None = None
    why: str | None = None
    adjusted: str | None = None
    adjusted_within_margin: bool = False
    p_holm: float | None = None
    p_equivalent_holm: float | None = None

    @property
    def resolved(self) -> bool:
        """The interval excludes 0 (a faster/slower verdict)."""
        return self.outcome in ("lower", "higher")

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Verdict:
        """The verdict stored as ``d`` (by :meth:`as_dict`, possibly with more keys beside it)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def word(self, words=WORDS) -> str:
        """The verdict without its numbers: ``faster``, ``slower, by less than the margin ±2``,
        ``equivalent within ±2`` or ``inconclusive``."""
        return _word(self.outcome, self.within_margin, self.delta, words)

    def numbers(self, what: str = "AUC", sign: str | None = None) -> str:
        """The mean paired difference with its interval and the number of pairs (and the sign convention)."""
        pct = round(100 * self.confidence)
        return (f"{what} difference {self.mean:.4g}, {pct}% CI [{self.low:.4g}, {self.high:.4g}], {self.n} paired "
                "seeds" + (f"; {sign}" if sign else ""))

    def text(self, what: str = "AUC", sign: str | None = None, words=WORDS) -> str:
        """One line: the verdict, the mean paired difference with its interval, the margin and the sign."""
        if self.low is None:
            return f"inconclusive ({self.why or ''})"
        nums = self.numbers(what, sign)
        if self.resolved and self.within_margin:
            return f"{self.word(words)} ({nums}; the whole interval lies inside the margin: resolved, but too small to matter)"
        if self.outcome != "inconclusive":
            return f"{self.word(words)} ({nums})"
        need = (f"about {self.seeds_needed} seeds would decide it at this spread" if self.seeds_needed
                else "more than 1000 seeds would be needed at this spread")
        return f"inconclusive ({nums}; margin ±{self.delta:.3g}; {need})"

    def adjust(self, p_holm: float, p_equivalent_holm: float, alpha: float = ALPHA) -> Verdict:
        """This verdict after a family adjustment (Holm's p-values of both tests): ``adjusted`` is the outcome
        the adjusted p-values give at ``alpha``."""
        differs, inside = p_holm < alpha, p_equivalent_holm < alpha
        outcome = ("lower" if self.mean < 0 else "higher") if differs else "equivalent" if inside else "inconclusive"
        return dataclasses.replace(self, adjusted=outcome, adjusted_within_margin=differs and inside,
                                   p_holm=p_holm, p_equivalent_holm=p_equivalent_holm)

    def adjusted_text(self, words=WORDS) -> str:
        """The adjusted verdict in words with its adjusted p-value (the raw word where there is none)."""
        if self.adjusted is None:
            return self.word(words)
        word = _word(self.adjusted, self.adjusted_within_margin, self.delta, words)
        if self.adjusted == "inconclusive" and self.outcome != "inconclusive":
            word += " after Holm"
        equivalence = self.adjusted == "equivalent" or (self.adjusted == "inconclusive" and self.outcome == "equivalent")
        p = self.p_equivalent_holm if equivalence else self.p_holm  # the p-value of the test that decided
        return f"{word} (Holm-adjusted p {p:.2g})"


def _word(outcome: str, within_margin: bool, delta: float, words) -> str:
    if outcome in words:
        return f"{words[outcome]}, by less than the margin ±{delta:.3g}" if within_margin else words[outcome]
    if outcome == "equivalent":
        return f"equivalent within ±{delta:.3g}"
    return outcome


def decide(diffs, delta: float, confidence: float = CONFIDENCE) -> Verdict:
    """The one verdict rule of ganlib: paired differences ``diffs`` (a minus b, lower is better for a).

    - ``lower`` (a is better: icvp ``faster``) when the interval lies below 0;
    - ``higher`` (``slower``) when it lies above 0;
    - ``equivalent`` when it lies inside ``+-delta``, the stated practical margin;
    - otherwise ``inconclusive``, with ``seeds_needed``: the seeds at which the observed spread would decide.

    An interval that excludes 0 *and* lies inside ``+-delta`` is ``lower``/``higher`` with ``within_margin``
    set: a difference the seeds resolve but smaller than the margin that would matter in practice.
    The p-values of the same statistics (``p``: the t-test of no difference, below ``1 - confidence`` exactly
    when the interval excludes 0; ``p_equivalent``: below it exactly when the interval lies inside
    ``+-delta``) are what a family adjusts (:meth:`Verdict.adjust`).
    """
    iv = interval(diffs, confidence)
    common = {**iv, "delta": float(delta), "confidence": confidence}
    if iv["low"] is None:
        why = "no finished pair" if iv["n"] == 0 else "one pair gives no spread: run 2 or more seeds"
        return Verdict("inconclusive", why=why, **common)
    p = t_pvalue(iv["mean"], iv["sd"], iv["n"])
    p_eq = equivalence_pvalue(iv["mean"], iv["sd"], iv["n"], delta)
    inside = -delta < iv["low"] and iv["high"] < delta
    if iv["high"] < 0 or iv["low"] > 0:
        outcome = "lower" if iv["high"] < 0 else "higher"
        return Verdict(outcome, within_margin=inside, p=p, p_equivalent=p_eq, **common)
    if inside:
        return Verdict("equivalent", p=p, p_equivalent=p_eq, **common)
    return Verdict("inconclusive", seeds_needed=seeds_needed(iv["mean"], iv["sd"], delta, confidence),
                   p=p, p_equivalent=p_eq, **common)
