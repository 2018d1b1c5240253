"""The landing page (reports/index.html) leads with the answer: the long study's verdicts and key figures, then
the notebooks in order with a line each, then every figure."""

from __future__ import annotations

from ganlib.harness import reports


def test_landing_page_leads_with_the_answer_then_the_path_then_the_figures(tmp_path):
    figures = tmp_path / "figures"
    figures.mkdir()
    (figures / "long_paired_verdicts.png").write_bytes(b"\x89PNG")
    (figures / "long_paired_verdicts.json").write_text('{"figure": "long_paired_verdicts", "conclusion": "c"}')
    for stem in ("00_overview", "10_mechanism"):
        (tmp_path / f"{stem}.html").write_text("<html></html>")
    page = reports.write_index(tmp_path, figures, profile="quick").read_text()
    answer = page.index("The answer so far")
    table = page.index("<table>")
    path = page.index("The notebooks, in order")
    figs = page.index("<h1>Figures")
    assert answer < table < path < figs
    assert "toy-lambda10</td><td>icvp vs wgan-gp</td><td>5</td>" in page  # from the committed store
    assert "Holm-adjusted within the question" in page and "families, one per question it asks" in page
    assert page.index("<td>icvp vs wgan</td>") < page.index("<td>icvp-eps vs wgan-gp</td>") < page.index(
        "<td>wgan-lp vs wgan-gp</td>")  # the claim first, then why, then the relatives
    assert "why ICVP is slower than WGAN-GP on MNIST" in page  # notebook 10's line
    assert page.index("long_paired_verdicts.png") < path  # a key figure beside the answer
