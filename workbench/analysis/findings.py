"""The Finding record: one estimate, with its interval and everything that produced it.

A finding is a tidy record. Its ``id`` is a stable key of the form
``kind:exposure->outcome@subset`` (for example
``effect:rtt_median_weeks->fft_pct_positive@acute``) so that the same estimate
can be matched across runs, seeds and the synthetic generator's ``truth.json``.

Example
-------
>>> f = Finding(id="effect:x->y@acute", question="Does x move y?", estimate=1.0,
...             ci_low=0.5, ci_high=1.5, p_value=0.01, n=100, unit="pp per unit",
...             model="ols", formula="y ~ x")
>>> f.covers(1.2)
True
>>> findings_to_frame([f])["id"].tolist()
['effect:x->y@acute']
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.files import atomic_write_text

#: Rounding applied when findings are written, so that byte-identical files result
#: from identical inputs even across BLAS thread counts.
SIGNIFICANT_DIGITS = 10


@dataclass
class Finding:
    """One estimated quantity. See DESIGN.md for the contract of each field."""

    id: str
    question: str
    estimate: float
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    n: int | None = None
    unit: str = ""
    model: str = ""
    formula: str = ""
    sector: str = "all"
    data_sha256: str = ""
    notebook: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    clusters: int | None = None
    warning: str = ""
    sentence: str = ""

    def covers(self, value: float) -> bool:
        """True when ``value`` lies inside the closed interval [ci_low, ci_high]."""
        if self.ci_low is None or self.ci_high is None:
            return False
        return self.ci_low <= value <= self.ci_high

    def to_dict(self) -> dict[str, Any]:
        return {k: _clean(v) for k, v in asdict(self).items()}

    def _repr_html_(self) -> str:
        """One-row table in a notebook: question, estimate, 95% interval, p, n, unit."""
        from workbench.interactive import findings_table

        return findings_table([self]).to_html()


def _clean(v: Any) -> Any:
    """Plain JSON-able values with a fixed number of significant digits."""
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in sorted(v.items())}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        return float(f"{v:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    return v


FIELDS = [f.name for f in fields(Finding)]


def findings_to_frame(findings: Iterable[Finding | dict]) -> pd.DataFrame:
    """Findings as a tidy DataFrame, one row per finding, columns in contract order."""
    rows = [f.to_dict() if isinstance(f, Finding) else {k: _clean(v) for k, v in f.items()}
            for f in findings]
    df = pd.DataFrame(rows, columns=FIELDS if not rows else None)
    for c in FIELDS:
        if c not in df.columns:
            df[c] = None
    return df[FIELDS + [c for c in df.columns if c not in FIELDS]]


def write_findings(findings: Iterable[Finding], path: str | Path = "findings.json") -> Path:
    """Write findings as JSON (sorted by id, fixed precision: same inputs, same bytes).

    >>> import tempfile, pathlib
    >>> p = write_findings([Finding(id="a", question="q", estimate=1/3)],
    ...                    pathlib.Path(tempfile.mkdtemp()) / "findings.json")
    >>> read_findings(p)[0].estimate
    0.3333333333
    """
    records = sorted((f.to_dict() for f in findings), key=lambda r: r["id"])
    ids = [r["id"] for r in records]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"Duplicate finding ids would overwrite each other: {dupes}")
    text = json.dumps(records, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return atomic_write_text(path, text)


def read_findings(path: str | Path) -> list[Finding]:
    """Read a ``findings.json`` written by :func:`write_findings`."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    known = set(FIELDS)
    return [Finding(**{k: v for k, v in r.items() if k in known}) for r in records]
