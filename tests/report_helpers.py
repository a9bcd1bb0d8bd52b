"""A small stakeholder study for the report tests: tiny notebooks on a small synthetic panel.

The notebooks show counts of people that must never reach the stakeholder HTML (1-7,
and raw numbers that must be rounded), a private parameter, a figure and findings; one
run fails on purpose.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

#: The private parameter's value: in the analyst's notebook, never in the HTML.
SECRET = "RXX Secret Trust Ltd"

PARAMETERS = (
    'panel_path = ""        # panel parquet file\n'
    'output_dir = ""        # folder for findings.json and figures/\n'
    f'secret_trust = "{SECRET}"  # a provider name the study marks private\n'
    'fail = False           # raise on purpose\n'
)

CODE = '''\
import pandas as pd
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from workbench import session
from workbench.analysis.findings.record import Finding
s = session.start("tiny_counts", panel_path=panel_path, output_dir=output_dir,
                  secret_trust=secret_trust)
if fail:
    raise ValueError(f"failed on purpose for {secret_trust}")
ffts = pd.DataFrame({"ward": ["A", "B", "C"], "fft_responses": [3, 5, 1234],
                     "fft_positive": [2, 4, 1101], "fft_pct_positive": [66.7, 80.0, 89.2]})
display(ffts)
s.show(pd.DataFrame({"site": ["x", "y"], "patients_seen": [6, 41],
                     "share_seen_pct": [12.8, 87.2]}),
       counts=["patients_seen"], rates={"share_seen_pct": ["patients_seen"]})
print(f"Analysed for {secret_trust}")
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([1, 2, 3])
s.savefig(fig, "line")
plt.show()
s.add([Finding(id="mean:y@acute", question="What is the mean?", estimate=4.5, ci_low=3.5,
               ci_high=5.5, p_value=0.01, n=5, unit="units",
               sentence="The mean was 4.50 units (95% CI 3.50 to 5.50)."),
       Finding(id="slope:x->y@acute", question="Does x move y?", estimate=-0.4, ci_low=-0.9,
               ci_high=0.1, p_value=0.2, n=240, unit="units per x",
               sentence="y was 0.40 units lower (95% CI -0.90 to 0.10) per x.")])
s.finish();
'''

STUDY = """\
name: stakeholder
title: Stakeholder study
data:
  synthetic: {seed: 1, n_providers: 40, n_months: 6}
private: [secret_trust]
runs:
  - notebook: nb/tiny_counts.ipynb
  - notebook: nb/tiny_counts.ipynb
    parameters: {fail: true}
"""

OK_ID = "tiny_counts"
FAILED_ID = "tiny_counts--fail-true"


def write_study(folder: Path) -> Path:
    """The notebook and the study file in ``folder``; returns the study path."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "workbench", "display_name": "Python (workbench)",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "# Counts by ward\n\n**The question.** How many patients answered, by ward?"))
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells += [params, nbformat.v4.new_code_cell(CODE)]
    (folder / "nb").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "nb" / "tiny_counts.ipynb")
    path = folder / "stakeholder.yaml"
    path.write_text(STUDY, encoding="utf-8")
    return path


def visible_text(html: str) -> str:
    """The text a reader sees: no styles or scripts, tags removed, spaces collapsed."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def table_cells(html: str) -> list[dict[str, str]]:
    """Every body row of every table, as {column heading: cell text}; a column named in
    words (``Session.show``) under the data's name its heading carries (``data-column``)."""
    from bs4 import BeautifulSoup

    rows = []
    for table in BeautifulSoup(html, "html.parser").find_all("table"):
        heads = [th.get("data-column") or th.get_text(strip=True)
                 for th in table.find_all("tr")[0].find_all(["th", "td"])]
        for tr in table.find_all("tr")[1:]:
            cells = [c.get_text(strip=True) for c in tr.find_all(["th", "td"])]
            rows.append(dict(zip(heads[-len(cells):] if cells else heads, cells)))
    return rows


# ---- a study whose data and parameters try to inject script, with small counts ----------

#: Script and event handlers put into provider names, the study title and a parameter.
ATTACKS = (
    "X <img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    '<a href="javascript:alert(3)">T</a>',
    "<iframe src=//evil.example></iframe>",
    "[x](javascript:alert(4)) <svg onload=alert(5)>",
    '<form action="//evil.example"><input name=a></form>',
)
ATTACK_LABEL = "<img src=x onerror=alert(6)> <script>alert(7)</script> [l](javascript:alert(8))"
ATTACK_TITLE = "Attack <script>alert(9)</script> <b onmouseover=alert(10)>study</b>"

ATTACK_PARAMETERS = (
    'panel_path = ""        # panel parquet file\n'
    'output_dir = ""        # folder for findings.json and figures/\n'
    'label = "plain"        # text shown in the report\n'
)

#: A careless notebook: it puts its text parameter into Markdown and HTML unescaped and
#: writes small counts of people in Markdown, printed text, a table and its findings.
ATTACK_CODE = '''\
import pandas as pd
from IPython.display import HTML, Markdown, display
from workbench import session
from workbench.analysis.findings.record import Finding
from workbench.report import panel_figures
s = session.start("attack_text", panel_path=panel_path, output_dir=output_dir, label=label)
display(Markdown(f"Label as given: {label}"))
display(Markdown("Only 4 patients replied; 1,234 comments were read; n = 6."))
print("3 respondents wrote in.")
display(HTML(f"<p>{label}</p>"))
display(pd.DataFrame({"provider_name": s.panel["provider_name"].head(3).tolist(),
                      "complaints": [2, 5, 40]}))
ax = panel_figures.relationship(s.panel, "nurse_fte_per_10_beds", "rtt_median_weeks")
s.savefig(ax, "relationship")
s.add([Finding(id="mean:complaints@acute", question=f"Complaints at {label}?", estimate=3.0,
               ci_low=1.0, ci_high=5.0, p_value=0.01, n=5, unit="complaints",
               sentence=f"{label}: 71.4% (5 of 7 responses); latest 2.0 complaints.",
               warning="only 6 respondents in the smaller group"),
       Finding(id="slope:x->y@acute", question="Does x move y?", estimate=-0.4, ci_low=-0.9,
               ci_high=0.1, p_value=0.2, n=243, unit="units per x",
               sentence="y was 0.40 units lower (95% CI -0.90 to 0.10) per x; 29.0 complaints in all.")])
s.finish();
'''

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def write_attack_notebook(folder: Path) -> Path:
    """The careless notebook as ``folder/nb/attack_text.ipynb``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "workbench", "display_name": "Python (workbench)",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Careless text\n\n**The question.** Is it safe?"))
    params = nbformat.v4.new_code_cell(ATTACK_PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells += [params, nbformat.v4.new_code_cell(ATTACK_CODE)]
    path = folder / "nb" / "attack_text.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def write_attack_study(folder: Path, *, with_project_notebooks: bool = True) -> Path:
    """A synthetic panel whose provider names are :data:`ATTACKS`, the careless notebook
    and (``with_project_notebooks``) notebooks 04 (SPC of complaints at providers with
    small counts) and 05 (complaints funnel); returns the study path."""
    import json

    import yaml

    from workbench.data.synth import generate

    data = generate(seed=5, n_providers=40, n_months=13)
    panel = data.panel.copy()
    codes = sorted(panel["provider_code"].unique())
    names = {c: f"{ATTACKS[i % len(ATTACKS)]} {c}" for i, c in enumerate(codes)}
    panel["provider_name"] = panel["provider_code"].map(names)
    panel.to_parquet(folder / "panel.parquet", index=False)
    (folder / "truth.json").write_text(json.dumps(data.truth), encoding="utf-8")
    write_attack_notebook(folder)
    last = panel[panel["period"] == panel["period"].max()]
    small = last.loc[last["complaints"].between(1, 7), "provider_code"].tolist()[:2]
    large = last.loc[last["complaints"] > 7, "provider_code"].tolist()[:1]
    runs = [{"notebook": "nb/attack_text.ipynb", "parameters": {"label": ATTACK_LABEL}}]
    if with_project_notebooks:
        runs += [{"notebook": str(NOTEBOOKS / "04_spc_monitoring.ipynb"),
                  "parameters": {"measure": "complaints", "providers": [small + large]}},
                 {"notebook": str(NOTEBOOKS / "05_provider_funnel.ipynb"),
                  "parameters": {"measure": "complaints", "setting": ""}}]
    study = {"name": "attack", "title": ATTACK_TITLE, "data": {"panel": "panel.parquet"},
             "runs": runs}
    path = folder / "attack.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    return path
