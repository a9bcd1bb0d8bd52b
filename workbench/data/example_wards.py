"""An example table of a trust's own ward data, synthetic, with effects known in advance.

``workbench data example-wards --out data/raw/wards.csv`` writes what an analyst's export of
ward-level safer-staffing and patient-experience data looks like: one row per ward and
month (20 wards x 24 months by default), with the registered-nurse fill rate, care hours
per patient day, Friends and Family Test responses and positive responses, complaints and
occupied bed days, and beside it the declaration of what the columns hold
(``wards.yaml``, :data:`DECLARATION`) and the true values of the effects built in
(``wards.truth.json``). ``docs/your_own_data.md`` goes from it to a study's index;
``studies/wards_example.yaml`` runs the notebooks on it.

Effects built in (a test checks the workbench finds them):

* :data:`FFT_PER_FILL_POINT`: within a ward, each percentage point of registered-nurse fill
  rate goes with that many percentage points more positive FFT responses;
* :data:`CHANGE`: the wards in :data:`CHANGE_WARDS` began a change in
  :data:`CHANGE_MONTH` that raised their share of positive FFT responses by that many
  percentage points (the other wards did not change);
* :data:`COMPLAINTS_OUTLIER`: one ward's complaints per occupied bed day are
  :data:`COMPLAINTS_RATIO` times the others' (it stands out on a funnel plot);
* :data:`FILL_SHIFT_WARD`: one ward's fill rate drops by :data:`FILL_SHIFT` points from
  :data:`FILL_SHIFT_MONTH` (a special cause on its SPC chart).

The data are synthetic: no real ward, patient or member of staff is in them.

>>> ex = generate_wards(seed=1)
>>> ex.table.shape
(480, 11)
>>> ex.table.columns.tolist()[:5]
['ward_code', 'ward_name', 'directorate', 'site', 'month']
>>> from workbench.data.declared import read_declaration
>>> sorted(read_declaration(DECLARATION).registry())[:3]
['care_hours_ppd', 'complaints', 'complaints_per_1000_obd']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import ArgumentError

#: The example's seed (same seed, same table).
DEFAULT_SEED = 173
#: Wards and months of the default example.
DEFAULT_WARDS = 20
DEFAULT_MONTHS = 24
#: First month of the example.
START = "2023-01"
#: Percentage points of positive FFT responses per point of registered-nurse fill rate.
FFT_PER_FILL_POINT = 0.3
#: The wards that changed, the month they changed and the change's effect on the share of
#: positive FFT responses (percentage points).
CHANGE_WARDS = ("W01", "W02", "W03", "W04", "W05")
CHANGE_MONTH = "2024-01"
CHANGE = 6.0
#: The ward whose complaint rate stands out, and by how much.
COMPLAINTS_OUTLIER = "W17"
COMPLAINTS_RATIO = 3.0
#: Complaints per 1,000 occupied bed days on the other wards.
COMPLAINTS_PER_1000 = 2.0
#: The ward whose fill rate drops, from when, and by how many points.
FILL_SHIFT_WARD = "W12"
FILL_SHIFT_MONTH = "2024-04"
FILL_SHIFT = 12.0

_SPECIALTIES = ("Respiratory", "Cardiology", "Gastroenterology", "Acute medical unit",
                "Stroke", "Renal", "Diabetes and endocrine", "Haematology",
                "General surgery", "Orthopaedics", "Urology", "Vascular surgery", "Trauma",
                "ENT and plastics", "Elderly care A", "Elderly care B", "Frailty unit",
                "Dementia care", "Maternity", "Children's ward")
_DIRECTORATES = (["Medicine"] * 8 + ["Surgery"] * 6 + ["Older people"] * 4
                 + ["Women and children"] * 2)

#: What the example's columns hold: the declaration written beside it as ``wards.yaml``
#: (and, the same, in ``studies/wards_example.yaml``).
DECLARATION: dict[str, Any] = {
    "title": "Ward staffing and patient experience (synthetic example)",
    "source": "SYNTHETIC example made by `workbench data example-wards` (no real wards)",
    "unit": {"column": "ward_code", "name": "ward", "plural": "wards",
             "label_column": "ward_name"},
    "period": {"column": "month", "frequency": "month"},
    "groups": ["directorate", "site"],
    "measures": {
        "nurse_fill_rate_pct": {
            "label": "Registered nurse fill rate (%)", "unit": "%", "kind": "percent",
            "better": "higher", "range": [0, 200], "construct": "staffing",
            "description": "Registered nurse hours worked as a share of hours planned "
                           "(day and night shifts), as in the safer staffing return.",
            "column": "rn_fill_rate_pct"},
        "care_hours_ppd": {
            "label": "Care hours per patient day", "unit": "hours per patient day",
            "kind": "continuous", "better": "higher", "range": [0, 40],
            "construct": "staffing", "increment": "care hour per patient day",
            "column": "chppd"},
        "fft_responses": {
            "label": "FFT responses", "unit": "responses", "kind": "count", "people": True,
            "better": "neither", "range": [0, 5000], "construct": "satisfaction"},
        "fft_positive": {
            "label": "FFT positive responses", "unit": "responses", "kind": "count",
            "people": True, "better": "higher", "range": [0, 5000],
            "construct": "satisfaction"},
        "fft_pct_positive": {
            "label": "FFT positive responses (%)", "unit": "%", "kind": "percent",
            "better": "higher", "construct": "satisfaction",
            "numerator": "fft_positive", "denominator": "fft_responses"},
        "complaints": {
            "label": "Complaints", "unit": "complaints", "kind": "count", "people": True,
            "better": "lower", "range": [0, 500], "construct": "satisfaction"},
        "occupied_bed_days": {
            "label": "Occupied bed days", "unit": "bed days", "kind": "count",
            "people": False, "better": "neither", "range": [0, 2000], "construct": "context"},
        "complaints_per_1000_obd": {
            "label": "Complaints per 1,000 occupied bed days",
            "unit": "per 1,000 occupied bed days", "kind": "rate", "better": "lower",
            "construct": "satisfaction", "numerator": "complaints",
            "denominator": "occupied_bed_days", "per": 1000},
    },
}


@dataclass(frozen=True)
class ExampleWards:
    """The example table (as the CSV holds it), its declaration and its true effects."""

    table: pd.DataFrame
    declaration: dict[str, Any]
    truth: dict[str, float]
    seed: int

    def write(self, out: str | Path) -> tuple[Path, Path, Path]:
        """Write the table (``.csv``, or ``.xlsx`` / ``.parquet`` by the name of ``out``),
        its declaration (``<stem>.yaml``) and truth (``<stem>.truth.json``) beside it;
        return the three paths.

        >>> import tempfile
        >>> paths = generate_wards(seed=2, n_wards=6, n_months=12).write(
        ...     Path(tempfile.mkdtemp()) / "wards.csv")
        >>> [p.name for p in paths]
        ['wards.csv', 'wards.yaml', 'wards.truth.json']
        """
        from workbench.files import atomic_write_text, write_csv

        out = Path(out)
        if out.suffix.lower() not in (".csv", ".xlsx", ".parquet"):
            raise ArgumentError("ExampleWards.write", "out", str(out),
                                expected="a file name ending in .csv, .xlsx or .parquet")
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".csv":
            write_csv(self.table, out)
        elif out.suffix.lower() == ".parquet":
            self.table.to_parquet(out, index=False)
        else:
            self.table.to_excel(out, index=False, sheet_name="wards")
        decl_path = out.with_suffix(".yaml")
        header = ("# What wards" + out.suffix + " holds: read by workbench.load(..., "
                  "declaration=...) and a study's data: {table: ..., declaration: ...}.\n"
                  "# See docs/your_own_data.md.\n")
        atomic_write_text(decl_path, header + declaration_yaml(self.declaration))
        truth_path = out.with_name(out.stem + ".truth.json")
        doc = {"settings": {"seed": self.seed, "wards": int(self.table["ward_code"].nunique()),
                            "months": int(self.table["month"].nunique())},
               "truth": self.truth, "estimands": ESTIMANDS}
        atomic_write_text(truth_path, json.dumps(doc, indent=2, sort_keys=True) + "\n")
        return out, decl_path, truth_path


#: What each true value in the truth file is, in words (as the synthetic default's).
ESTIMANDS = {
    "did": "the average effect of the change on the wards that changed (percentage points "
           "of positive FFT responses), and no difference in trend before it",
    "effect": "percentage points of positive FFT responses per point of registered-nurse "
              "fill rate (within a ward and across wards alike)",
    "rate_ratio": "complaints per occupied bed day do not move with staffing (rate ratio 1)",
}


def declaration_yaml(declaration: dict[str, Any]) -> str:
    """A declaration as YAML as a person would write it: mappings in blocks, lists of
    values on one line.

    >>> print(declaration_yaml({"groups": ["a", "b"], "unit": {"column": "w"}}), end="")
    groups: [a, b]
    unit:
      column: w
    """
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    _Dumper.add_representer(list, lambda d, v: d.represent_sequence(
        "tag:yaml.org,2002:seq", v, flow_style=True))
    return yaml.dump(declaration, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=88, default_flow_style=False)


def truth() -> dict[str, float]:
    """The true values of the effects built in, by the finding ids that estimate them.

    Notebook 02 on the whole table (``subset: all``) estimates the effect of fill rate on
    positive FFT responses and the rate ratio of complaints per point of fill rate or care
    hour per patient day (none: complaints do not depend on staffing here).

    >>> truth()["did:att->fft_pct_positive@treated"]
    6.0
    >>> truth()["effect:nurse_fill_rate_pct->fft_pct_positive@all"]
    0.3
    """
    return {"did:att->fft_pct_positive@treated": CHANGE,
            "did:pretrend->fft_pct_positive@treated": 0.0,
            "effect:nurse_fill_rate_pct->fft_pct_positive@all": FFT_PER_FILL_POINT,
            "rate_ratio:nurse_fill_rate_pct->complaints@all": 1.0,
            "rate_ratio:care_hours_ppd->complaints@all": 1.0}


def generate_wards(seed: int = DEFAULT_SEED, n_wards: int = DEFAULT_WARDS,
                   n_months: int = DEFAULT_MONTHS, start: str = START) -> ExampleWards:
    """Generate the example ward table (see the module's docstring for its effects).

    ``n_wards`` from 6 to 20 (the wards with built-in effects are among the first 17, the
    funnel outlier among them only from 17 wards), ``n_months`` from 12 (the change is in
    the 13th month of the default start).

    >>> t = generate_wards(seed=3, n_wards=8, n_months=12).table
    >>> t["ward_code"].nunique(), t["month"].iloc[0], int(t["fft_positive"].le(t["fft_responses"]).all())
    (8, '2023-01', 1)
    """
    fn = "generate_wards"
    for name, value, low, high in (("n_wards", n_wards, 6, 20), ("n_months", n_months, 12, 120)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ArgumentError(fn, name, value, expected=f"a whole number from {low} to {high}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ArgumentError(fn, "seed", seed, expected="a whole number")
    try:
        first = pd.Timestamp(start).to_period("M").to_timestamp()
    except (ValueError, TypeError):
        raise ArgumentError(fn, "start", start, expected="a month such as '2023-01'") from None
    rng = np.random.default_rng(seed)
    months = pd.date_range(first, periods=n_months, freq="MS")
    codes = [f"W{i + 1:02d}" for i in range(n_wards)]
    beds = rng.integers(18, 33, n_wards)
    base_fill = rng.normal(95.0, 4.0, n_wards)
    base_chppd = rng.normal(7.8, 0.6, n_wards)
    base_occ = rng.uniform(0.82, 0.94, n_wards)
    base_fft = rng.normal(84.0, 3.0, n_wards)
    response_rate = rng.uniform(0.05, 0.09, n_wards)   # responses per occupied bed day
    change_at = pd.Timestamp(CHANGE_MONTH)
    shift_at = pd.Timestamp(FILL_SHIFT_MONTH)
    rows = []
    for i, code in enumerate(codes):
        for month in months:
            winter = month.month in (12, 1, 2)
            fill = base_fill[i] - 2.5 * winter + rng.normal(0.0, 2.5)
            if code == FILL_SHIFT_WARD and month >= shift_at:
                fill -= FILL_SHIFT
            chppd = base_chppd[i] + 0.05 * (fill - 95.0) + rng.normal(0.0, 0.2)
            occ = float(np.clip(base_occ[i] + rng.normal(0.0, 0.03), 0.6, 1.0))
            bed_days = round(float(beds[i]) * month.days_in_month * occ)
            responses = int(rng.poisson(bed_days * response_rate[i]))
            share = (base_fft[i] + FFT_PER_FILL_POINT * (fill - 95.0) - 1.0 * winter
                     + (CHANGE if code in CHANGE_WARDS and month >= change_at else 0.0))
            share = float(np.clip(share, 50.0, 99.0))
            positive = int(rng.binomial(responses, share / 100.0))
            ratio = COMPLAINTS_RATIO if code == COMPLAINTS_OUTLIER else 1.0
            complaints = int(rng.poisson(bed_days / 1000.0 * COMPLAINTS_PER_1000 * ratio))
            rows.append({
                "ward_code": code, "ward_name": _SPECIALTIES[i],
                "directorate": _DIRECTORATES[i], "site": "North site" if i % 3 else
                "South site", "month": f"{month:%Y-%m}",
                "rn_fill_rate_pct": round(float(fill), 1), "chppd": round(float(chppd), 1),
                "fft_responses": responses, "fft_positive": positive,
                "complaints": complaints, "occupied_bed_days": bed_days})
    table = pd.DataFrame(rows)
    return ExampleWards(table=table, declaration=json.loads(json.dumps(DECLARATION)),
                        truth=truth(), seed=seed)
