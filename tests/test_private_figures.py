"""A private parameter's value drawn into a figure (title, axis label, category, legend,
annotation) never reaches the saved PNG, its data file or the report: the session replaces
it by its ``[private <digest>]`` label before the figure is saved (~10 s: one batch run).
"""

from __future__ import annotations

import json
import re

import matplotlib
import pytest
from batch_helpers import write_notebook

from workbench.batch.runner import run_study
from workbench.report.masking import KEY_ENV, PRIVATE_ENV, private_label

matplotlib.use("Agg")

TRUST = "Ward Seven Example Trust"
CODE = "RX1"

PARAMETERS = 'output_dir = ""\npanel_path = ""\ntrust = "none"\ncode = "R001"\n'
BODY = '''\
import matplotlib.pyplot as plt
from workbench import session
s = session.start("figure", panel_path=panel_path, output_dir=output_dir, trust=trust,
                  code=code)
fig, ax = plt.subplots()
ax.bar([trust, code, "Other"], [3.0, 4.0, 5.0], label=f"waits at {trust}")
ax.set_title(f"Waits at {trust}")
ax.set_xlabel(f"Provider ({code})")
ax.annotate(f"{code} is highest", (1, 4.0))
ax.legend()
fig.suptitle(f"Report for {trust}")
s.savefig(fig, "waits")
s.finish()
'''


def _draw(private: bool, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from workbench import session

    monkeypatch.setenv(KEY_ENV, "a test key")
    if private:
        monkeypatch.setenv(PRIVATE_ENV, json.dumps(["trust", "code"]))
    else:
        monkeypatch.delenv(PRIVATE_ENV, raising=False)
    s = session.start("figure", n_providers=20, n_months=3, output_dir=str(tmp_path),
                      trust=TRUST, code=CODE)
    fig, ax = plt.subplots()
    ax.bar([TRUST, CODE, "Other"], [3.0, 4.0, 5.0], label=f"waits at {TRUST}")
    ax.set_title(f"Waits at {TRUST}")
    ax.set_xlabel(f"Provider ({CODE})")
    ax.annotate(f"{CODE} is highest", (1, 4.0))
    ax.legend()
    fig.suptitle(f"Report for {TRUST}")
    s.savefig(fig, "waits")
    from matplotlib.text import Text

    texts = [t.get_text() for t in fig.findobj(Text)]
    plt.close(fig)
    return texts, json.loads((tmp_path / "figures" / "waits.json").read_text())


def test_every_text_artist_is_masked_before_saving(tmp_path, monkeypatch):
    texts, data = _draw(True, tmp_path, monkeypatch)
    joined = "\n".join(texts)
    assert TRUST not in joined and not re.search(rf"\b{CODE}\b", joined), joined
    label = private_label(TRUST)
    ax = data["axes"][0]
    assert ax["title"] == f"Waits at {label}" and data["texts"] == [f"Report for {label}"]
    assert label in ax["xticklabels"] and private_label(CODE) in ax["xticklabels"]
    assert ax["legend"] == [f"waits at {label}"] and "Other" in ax["xticklabels"]
    assert ax["texts"] == [f"{private_label(CODE)} is highest"]
    assert ax["xlabel"] == f"Provider ({private_label(CODE)})"
    assert [b["height"] for b in ax["bars"]] == [3.0, 4.0, 5.0]   # the data are unchanged


def test_without_private_parameters_nothing_changes(tmp_path, monkeypatch):
    _, data = _draw(False, tmp_path, monkeypatch)
    assert data["axes"][0]["title"] == f"Waits at {TRUST}"
    assert TRUST in data["axes"][0]["xticklabels"]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("private_figure")
    mp = pytest.MonkeyPatch()
    mp.setenv(KEY_ENV, "a test key")
    mp.delenv(PRIVATE_ENV, raising=False)
    write_notebook(folder / "figure.ipynb", PARAMETERS, BODY, heading="# A figure", closing=None)
    (folder / "s.yaml").write_text(
        "name: private_figure\ndata: {synthetic: {seed: 1, n_providers: 30, n_months: 6}}\n"
        "private: [trust, code]\nruns:\n  - notebook: figure.ipynb\n"
        f"    parameters: {{trust: {TRUST}, code: {CODE}}}\n", encoding="utf-8")
    result = run_study(folder / "s.yaml", out=folder / "out", progress=False)
    yield folder / "out" / "private_figure", result
    mp.undo()


def test_batch_run_masks_the_figure_its_data_and_report(study):
    from PIL import Image

    out, result = study
    assert [r.status for r in result.results] == ["ok"], result.summary()
    run = result.results[0].folder
    data = json.loads((run / "figures" / "waits.json").read_text(encoding="utf-8"))
    text = json.dumps(data)
    assert TRUST not in text and not re.search(rf"(?<![A-Za-z0-9]){CODE}(?![A-Za-z0-9])", text)
    assert data["axes"][0]["title"].startswith("Waits at [private ")
    png = run / "figures" / "waits.png"
    assert TRUST.encode() not in png.read_bytes()
    with Image.open(png) as image:
        assert not any(TRUST in str(v) or CODE in str(v) for v in image.info.values())
    for page in [run / "report.html", *out.glob("public/**/*.json")]:
        assert TRUST not in page.read_text(encoding="utf-8"), page
