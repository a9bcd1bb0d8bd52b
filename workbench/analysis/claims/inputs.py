"""Whether the data hold what a claim of the register needs, checked before anything is fitted.

**Real panels** (built from published files) hold far fewer inputs than the synthetic
default: no case mix, no FFT scores by provider, staffing for NHS organisations only,
measures in months that do not overlap. Every input a claim needs is checked before
anything is fitted: a column the panel lacks, a sector with fewer than
:data:`MIN_PROVIDERS` providers holding it, or inputs never held by the same provider in
the same month give ``cannot answer`` with that reason (the months each input covers
are named); a model the data still cannot fit gives ``cannot answer`` with the fitting
error. An effect claim without case mix cannot be answered (it is judged on the adjusted
estimate); a descriptive claim needs no case mix. Providers whose sector no register
settles (``unknown``) are left out and counted (``ClaimResult.unknown_sector``).

The ``cannot answer`` result (:func:`cannot_answer`) is a finding too: no estimate, role
``diagnostic``, the reason in its sentence and warning.
"""

from __future__ import annotations

import pandas as pd

from workbench.analysis.claims.rules import (
    FAMILY,
    LEVEL,
    MIN_PROVIDERS,
    MULTIPLICITY,
    Claim,
    ClaimResult,
)
from workbench.analysis.findings import formatting
from workbench.analysis.findings.record import Finding, FindingId
from workbench.analysis.models import fit as md
from workbench.data import measures as M
from workbench.errors import AnalysisInputError

_WHO = {"nhs": "NHS", "independent": "independent (private)", "local_authority": "council-run"}


def _providers_with(panel: pd.DataFrame, column: str, subset: str) -> pd.Series:
    """Providers of ``subset`` with at least one value of ``column``, by sector."""
    rows = md.select_subset(panel, subset)
    if column not in rows.columns:
        return pd.Series(dtype=int)
    return rows.loc[rows[column].notna()].groupby("sector", observed=True)[
        "provider_code"].nunique()


def measure_label(column: str) -> str:
    """The registry's label of the measure behind ``column`` (a lag of it included), or
    the column's name when it is no measure.

    >>> measure_label("rtt_median_weeks_lag1"), measure_label("sector_independent")
    ('RTT median wait (weeks)', 'sector_independent')
    """
    base = md.exposure_label(column).split("[")[0]
    return M.label(base) if base in M.MEASURES else column


def _months(rows: pd.DataFrame, column: str) -> str:
    """The months ``column`` covers in ``rows``, in words ('September 2025 only')."""
    base = md.exposure_label(column).split("[")[0]
    if base not in rows.columns or "period" not in rows.columns:
        return "no months"
    periods = pd.to_datetime(rows.loc[rows[base].notna(), "period"]).drop_duplicates()
    if periods.empty:
        return "no months"
    if len(periods) == 1:
        return f"{periods.iloc[0]:%B %Y} only"
    return f"{len(periods)} months, {periods.min():%b %Y} to {periods.max():%b %Y}"


def _held(panel: pd.DataFrame, construct: str) -> list[str]:
    """Labels of the panel's measures of ``construct`` that hold any value."""
    return [M.label(c) for c in panel.columns
            if c in M.MEASURES and M.get(c).construct == construct and panel[c].notna().any()]


def missing_reason(panel: pd.DataFrame, columns: tuple[str, ...], subset: str,
                    sectors: tuple[str, ...]) -> str:
    """Why the data cannot answer ('' when they can): every input of ``columns`` that the
    panel lacks, or holds for fewer than :data:`MIN_PROVIDERS` providers of a sector.

    >>> p = pd.DataFrame({"provider_code": ["A", "B"], "sector": ["nhs", "nhs"],
    ...                   "setting": ["acute"] * 2, "period": pd.to_datetime(["2025-09-01"] * 2),
    ...                   "nurse_fte": [1.0, 2.0]})
    >>> print(missing_reason(p, ("fft_pct_positive",), "acute", ("nhs",)))
    The panel holds no FFT positive responses (%) for any provider (nor any other satisfaction measure).
    """
    problems = []
    rows = md.select_subset(panel, subset)
    where = md.SUBSETS.get(subset, subset)
    absent_case_mix = [c for c in columns if c in md.CASE_MIX
                       and (c not in rows.columns or not rows[c].notna().any())]
    if absent_case_mix:
        names = ", ".join(map(measure_label, absent_case_mix))
        problems.append(f"the panel holds no case-mix measures ({names}) for {where}, so no "
                        "case-mix-adjusted estimate can be made")
    for col in columns:
        if col in absent_case_mix:
            continue
        base = md.exposure_label(col).split("[")[0]
        if base not in rows.columns or not rows[base].notna().any():
            construct = M.get(base).construct if base in M.MEASURES else ""
            held = [h for h in _held(panel, construct) if h != measure_label(col)] if construct else []
            also = (f" (its {construct} measures are: {', '.join(held)})" if held
                    else f" (nor any other {construct} measure)" if construct else "")
            problems.append(f"the panel holds no {measure_label(col)} for any provider{also}"
                            if base not in panel.columns or not panel[base].notna().any()
                            else f"the panel holds no {measure_label(col)} for {where}"
                                 f" (it does for other providers)")
            if construct == "staffing" and "independent" in sectors:
                staffed = {c for c in rows.columns if c in M.MEASURES
                           and M.get(c).construct == "staffing"}
                n_ind = int(rows.loc[(rows["sector"] == "independent")
                                     & rows[sorted(staffed)].notna().any(axis=1),
                                     "provider_code"].nunique()) if staffed else 0
                if n_ind < MIN_PROVIDERS:
                    problems.append(f"no staffing measure is held for independent (private) "
                                    f"providers among {where} ({n_ind} have any). Real NHS "
                                    "sources publish no workforce figures for private "
                                    "providers")
            continue
        have = _providers_with(panel, base, subset)
        for sector in sectors:
            n = int(have.get(sector, 0))
            if n < MIN_PROVIDERS:
                who = _WHO.get(sector, sector)
                extra = (" Real NHS sources publish no workforce figures for private providers."
                         if base in M.MEASURES and M.get(base).construct == "staffing"
                         and sector == "independent" else "")
                problems.append(f"the data hold {measure_label(col)} for {n} {who} provider(s) among "
                                f"{where}; at least {MIN_PROVIDERS} are needed.{extra}")
    return _sentences(problems)


def _sentences(parts: list[str]) -> str:
    out = []
    for part in parts:
        part = part.strip()
        part = part[:1].upper() + part[1:]
        out.append(part if part.endswith(".") else part + ".")
    return " ".join(out)


def rows_reason(panel: pd.DataFrame, spec: md.ModelSpec, sectors: tuple[str, ...]) -> str:
    """Why ``spec``'s complete cases cannot answer ('' when they can): fewer than
    :data:`MIN_PROVIDERS` providers of a sector hold every input in the same month (the
    months each input covers are named).
    """
    try:
        rows = md.prepare(spec, panel)
    except AnalysisInputError as err:
        return _sentences([f"the model cannot be set up on these data: {err}"])
    have = rows.groupby("sector", observed=True)["provider_code"].nunique()
    short = [(s_, int(have.get(s_, 0))) for s_ in sectors if int(have.get(s_, 0)) < MIN_PROVIDERS]
    if not short:
        return ""
    inputs = [spec.outcome, *spec.exposures, *spec.adjust]
    if spec.weights:
        inputs.append(spec.weights)
    subset_rows = md.select_subset(panel, spec.subset)
    cover = "; ".join(f"{measure_label(c)}: {_months(subset_rows, c)}" for c in dict.fromkeys(inputs)
                      if not md.exposure_label(c).startswith("sector["))
    who = " and ".join(f"{n} {_WHO.get(s_, s_)}" for s_, n in short)
    where = md.SUBSETS.get(spec.subset, spec.subset)
    text = (f"only {who} provider(s) among {where} hold every input of the model in the "
            f"same month (at least {MIN_PROVIDERS} per sector are needed); the inputs cover: "
            f"{cover}")
    return _sentences([text])


def cannot_answer(claim: Claim, reason: str, *, unknown_sector: int = 0) -> ClaimResult:
    """The ``cannot answer`` result of ``claim``, with its verdict Finding: no estimate
    (NaN), role ``diagnostic``, the reason in its sentence, warning and parameters.

    >>> from workbench.analysis.claims.rules import CLAIMS
    >>> r = cannot_answer(CLAIMS[1], "no staffing for private providers.")
    >>> r.verdict, r.finding.id, r.finding.role, r.finding.parameters["reason"]
    ('cannot answer', 'verdict:private_more_staff@acute', 'diagnostic', 'No staffing for private providers.')
    >>> r.finding.sentence.split(". ")[1]
    'Verdict: cannot answer'
    """
    reason = _sentences([reason]) if reason else "The data do not hold what the claim needs."
    unknown = (f" {unknown_sector} provider(s) whose sector no register settles were left "
               "out." if unknown_sector else "")
    sentence = (f"{claim.text} Verdict: cannot answer. {reason} No estimate is given "
                f"(margin {formatting.number(claim.margin)} {claim.unit}, not applied)."
                f"{unknown}")
    f = Finding(id=str(FindingId("verdict", claim.key, subset=claim.subset)),
                question=claim.text, estimate=float("nan"), unit=claim.unit,
                model=f"claims register ({claim.kind}); not fitted: the data cannot answer",
                sector=claim.subset, warning=f"cannot answer: {reason}", sentence=sentence,
                role="diagnostic")
    f.parameters = {"verdict": "cannot answer", "margin": claim.margin, "level": LEVEL,
                    "family": FAMILY, "multiplicity": MULTIPLICITY, "interval": None,
                    "kind": claim.kind, "reason": reason,
                    "unknown_sector_providers": unknown_sector}
    return ClaimResult(claim, "cannot answer", reason=reason, finding=f,
                       unknown_sector=unknown_sector)


def unmet_needs(panel: pd.DataFrame, columns: tuple[str, ...], subset: str,
                sectors: tuple[str, ...], specs: tuple[md.ModelSpec, ...] = ()) -> str:
    """Why the data cannot answer a claim, or '' when they can.

    The panel lacks ``columns`` or holds them for too few providers of a sector
    (:func:`missing_reason`), or a model of ``specs`` has too few complete cases
    (:func:`rows_reason`). A value, not an error: a claim's analysis returns
    :func:`cannot_answer` with it.

    >>> p = pd.DataFrame({"provider_code": ["A", "B"], "sector": ["nhs", "nhs"],
    ...                   "setting": ["acute"] * 2, "period": pd.to_datetime(["2025-09-01"] * 2),
    ...                   "nurse_fte": [1.0, 2.0]})
    >>> unmet_needs(p, ("fft_pct_positive",), "acute", ("nhs",)).startswith("The panel holds no FFT")
    True
    """
    reason = missing_reason(panel, columns, subset, sectors)
    for spec in specs:
        reason = reason or rows_reason(panel, spec, sectors)
    return reason


def coverage(fit: md.Fit) -> str:
    """Providers by sector and the months of a fit, in words."""
    have = fit.data.groupby("sector", observed=True)["provider_code"].nunique()
    who = " and ".join(f"{int(have.get(s_, 0))} {_WHO.get(s_, s_)}" for s_ in
                       ("nhs", "independent", "local_authority") if int(have.get(s_, 0)))
    return (f"Data: {who} providers among {md.SUBSETS.get(fit.spec.subset, fit.spec.subset)}, "
            f"{_months(fit.data, fit.spec.outcome)}.")

