"""ganlib.notebook.placement: where every method stands against wgan-gp (notebook 11), said from the paired verdicts."""

from __future__ import annotations

from ganlib.notebook import placement
from ganlib.stats import Verdict

OUTCOME = {"faster": "lower", "slower": "higher", "inconclusive": "inconclusive", "equivalent": "equivalent"}


def _part(verdicts: dict, pending=()):
    paired = {}
    for m, (mean, low, high, word) in verdicts.items():
        v = Verdict(OUTCOME[word], n=5, mean=mean, sd=1.0, low=low, high=high, delta=1.0)
        paired[f"{m} vs wgan-gp"] = {"a": m, "b": "wgan-gp", "auc": v.as_dict()}
    for m in pending:
        v = Verdict("inconclusive", n=0, mean=None, sd=None, low=None, high=None, delta=1.0, why="no finished pair")
        paired[f"{m} vs wgan-gp"] = {"a": m, "b": "wgan-gp", "auc": v.as_dict()}
    return {"metric": "w1", "paired": paired}


def test_recommends_only_a_method_shown_faster_and_names_the_pending():
    s = {"toy": _part({"icvp": (-0.8, -1.0, -0.6, "faster"), "wgan-lp": (-0.1, -0.3, 0.1, "inconclusive")},
                      pending=("r1",))}
    text = placement.placement_conclusion(s, ["toy"])
    assert "fastest first: icvp -0.8" in text and "Prefer icvp here" in text
    assert "Pending (no complete pair yet): r1." in text and "icvp is faster than wgan-gp; by the mean it ranks 1 of the 2" in text


def test_no_method_faster_keeps_the_baseline():
    s = {"mnist": _part({"icvp": (92.0, 29.0, 155.0, "slower"), "agp": (-5.0, -20.0, 10.0, "inconclusive"),
                         "zero-gp": (-0.1, -0.5, 0.4, "equivalent")})}
    text = placement.placement_conclusion(s, ["mnist"])
    assert "icvp is slower than wgan-gp; by the mean it ranks 3 of the 3" in text
    assert text.endswith("Equivalent to it within the margin: zero-gp.")
    assert "No method is shown faster than wgan-gp here: wgan-gp, the simplest, remains the choice." in text


def test_a_part_with_nothing_stored_says_so():
    s = {"celeba": _part({}, pending=("icvp",))}
    assert placement.placement_conclusion(s, ["celeba"]) == (
        "celeba: no method has a complete comparison with wgan-gp yet (pending: icvp).")


def test_several_methods_that_beat_both_are_named_not_ranked():
    s = {"toy": _part({"icvp": (-0.8, -1.0, -0.6, "faster"), "r1": (-1.3, -1.5, -1.1, "faster"),
                       "zero-gp": (-1.2, -1.4, -1.0, "faster")})}
    for m in ("r1", "zero-gp"):
        v = Verdict("lower", n=5, mean=-0.4, sd=0.1, low=-0.6, high=-0.2, delta=1.0)
        s["toy"]["paired"][f"{m} vs icvp"] = {"a": m, "b": "icvp", "auc": v.as_dict()}
    text = placement.placement_conclusion(s, ["toy"])
    assert "Prefer one of r1, zero-gp here" in text and "does not rank them" in text
