"""What to fit: the model specification (:class:`ModelSpec`) and the rows it is fitted on.

A model is a plain value that can be written into a manifest and read back. This module
holds the spec, the provider subsets and case-mix set every question uses, and the row
preparation (:func:`prepare`: subset, derived lag and indicator columns, complete cases)
that the fitters (:mod:`workbench.analysis.models.fitters`) and :func:`fit
<workbench.analysis.models.fit.fit>` share. What differs between model kinds (the options
each uses, its rows, how its formula reads) is known by the kind's fitter, never here:
the spec asks :data:`~workbench.analysis.models.fitters.registry` how its formula reads.

>>> ModelSpec("rtt_median_weeks", ("nurse_fte_per_10_beds",), CASE_MIX).formula()
'rtt_median_weeks ~ nurse_fte_per_10_beds + case_mix_index + pct_aged_75_plus + deprivation_imd + C(month)'
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from workbench.analysis.findings.wording import DUMMY as _DUMMY
from workbench.analysis.findings.wording import LAG as _LAG
from workbench.analysis.models import fitters
from workbench.errors import AnalysisColumnError, AnalysisInputError

#: A model kind: the name of a registered fitter
#: (:data:`workbench.analysis.models.fitters.registry`).
Kind = str

#: Spec fields that only some model kinds use, with the values that leave them unused.
#: Each kind's fitter declares the ones it uses (``Fitter.options``); :func:`fit
#: <workbench.analysis.models.fit.fit>` rejects a spec that sets one its kind does not use.
KIND_OPTIONS: dict[str, tuple[Any, ...]] = {
    "weights": (None,),
    "trials": (None,),
    "exposure": (None,),
    "link": ("logit",),
    "random_slopes": ((),),
    "within_between": (False,),
    "rating_date": (None,),
    "rating_window": (12,),
    "inference": ("auto", "cluster"),
}

#: Case-mix adjustment set used throughout (context measures of the registry).
CASE_MIX: tuple[str, ...] = ("case_mix_index", "pct_aged_75_plus", "deprivation_imd")

#: Provider subsets a notebook can ask for.
SUBSETS: dict[str, str] = {
    "acute": "all acute providers (NHS trusts and independent hospitals)",
    "nhs": "NHS acute trusts",
    "independent": "independent (private) acute hospitals",
    "care_home": "care homes (all ownership types)",
    "all": "every provider",
}


@dataclass(frozen=True)
class ModelSpec:
    """What to fit. A plain, serialisable value.

    ``exposures`` are reported as findings; ``adjust`` are controls. Column names
    may use two derived forms: ``<measure>_lag<k>`` (the provider's value k months
    earlier) and ``sector_<level>`` / ``ownership_<level>`` (0/1 indicators).

    ``weights`` (``ols`` only): a column of row weights (weighted least squares, e.g.
    beds for a per-bed measure). ``within_between`` (``mixed`` only): the Mundlak split.
    ``rating_date`` / ``rating_window`` (``ordinal``): the column with each rating's
    date (default: inferred, see :class:`~workbench.analysis.models.fitters.OrdinalFitter`) and
    the months up to it whose exposures are averaged. ``inference``: ``"auto"`` (wild
    cluster bootstrap for sector/ownership contrasts with few clusters), ``"cluster"``
    (always CRV1 t) or ``"wild"`` (wild bootstrap for every exposure of an ``ols`` fit),
    with ``n_boot`` draws and ``seed``.
    """

    outcome: str
    exposures: tuple[str, ...]
    adjust: tuple[str, ...] = ()
    kind: Kind = "ols"
    subset: str = "acute"
    time_effects: bool = True
    cluster: str = "provider_code"
    trials: str | None = None
    exposure: str | None = None
    prefix: str = "effect"
    suffix: str = ""
    random_slopes: tuple[str, ...] = ()
    link: str = "logit"
    weights: str | None = None
    within_between: bool = False
    rating_date: str | None = None
    rating_window: int = 12
    inference: str = "auto"
    n_boot: int = 999
    seed: int = 0

    def terms(self) -> list[str]:
        """The model terms of the exposures (``x__within``, ``x__between`` when split).

        >>> ModelSpec("y", ("x",), kind="mixed", within_between=True).terms()
        ['x__within', 'x__between']
        """
        if self.within_between:
            return [f"{x}__{part}" for x in self.exposures for part in ("within", "between")]
        return list(self.exposures)

    def formula(self) -> str:
        """The patsy formula of the fixed part, with month effects ``C(month)`` when
        ``time_effects`` and the kind fits them (not the provider-level ``ordinal``).

        >>> ModelSpec("cqc_overall", ("beds",), kind="ordinal").formula()
        'cqc_overall ~ beds'
        """
        rhs = self.terms() + [a for a in self.adjust if a not in self.exposures]
        fitter = fitters.registry.find(self.kind)
        if self.time_effects and (fitter is None or fitter.month_effects):
            rhs.append("C(month)")
        return f"{self.outcome} ~ {' + '.join(rhs) if rhs else '1'}"

    def label(self) -> str:
        """The formula as written into findings, with what the kind leaves out of it
        (provider fixed effects of ``fe``, random effects of ``mixed``).

        >>> ModelSpec("y", ("x",), kind="fe").label()
        'y ~ x + C(month) + provider fixed effects'
        >>> ModelSpec("y", ("x",), kind="mixed", random_slopes=("x",)).label()
        'y ~ x + C(month) + (1 + x | provider_code)'
        """
        fitter = fitters.registry.find(self.kind)
        return self.formula() + (fitter.label(self) if fitter is not None else "")

    def kind_options(self) -> dict[str, Any]:
        """The fields of :data:`KIND_OPTIONS` this spec sets (to a value that uses them).

        >>> ModelSpec("y", ("x",), weights="beds", inference="cluster").kind_options()
        {'weights': 'beds'}
        """
        values = {name: getattr(self, name) for name in KIND_OPTIONS}
        return {name: value for name, value in values.items()
                if (tuple(value) if isinstance(value, list) else value)
                not in KIND_OPTIONS[name]}

    def to_dict(self) -> dict[str, Any]:
        """The spec's fields as a dict, for a manifest; ``ModelSpec(**d)`` makes it again.

        >>> s = ModelSpec("y", ("x",))
        >>> ModelSpec(**s.to_dict()) == s
        True
        """
        return asdict(self)


def select_subset(data: pd.DataFrame, subset: str) -> pd.DataFrame:
    """Rows of one provider subset (see :data:`SUBSETS`).

    >>> import pandas as pd
    >>> df = pd.DataFrame({"setting": ["acute", "care_home"], "sector": ["nhs", "independent"]})
    >>> len(select_subset(df, "care_home"))
    1
    """
    if subset not in SUBSETS:
        raise AnalysisInputError("select_subset", "subset", f"is {subset!r}, an unknown subset",
                                 expected=f"one of {list(SUBSETS)}")
    if subset == "all":
        return data
    if subset == "care_home":
        return data[data["setting"] == "care_home"]
    acute = data[data["setting"] == "acute"]
    return acute if subset == "acute" else acute[acute["sector"] == subset]


def add_lag(data: pd.DataFrame, column: str, k: int = 1) -> pd.DataFrame:
    """Add ``<column>_lag<k>``: each provider's value k calendar months earlier.

    Gaps in a provider's months give missing lags rather than the wrong month.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"provider_code": ["A"] * 3, "x": [1.0, 2.0, 3.0],
    ...                    "period": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01"])})
    >>> add_lag(df, "x")["x_lag1"].tolist()
    [nan, 1.0, nan]
    """
    if k < 1:
        raise AnalysisInputError("add_lag", "k", f"is {k!r}",
                                 expected="a positive number of months (1 or more)")
    if column not in data.columns:
        raise AnalysisColumnError("add_lag", "column", f"{column!r} is not a column of the panel",
                                  expected="a column of the panel to lag")
    src = data[["provider_code", "period", column]].copy()
    src["period"] = src["period"] + pd.DateOffset(months=k)
    src = src.rename(columns={column: f"{column}_lag{k}"})
    out = data.drop(columns=[f"{column}_lag{k}"], errors="ignore")
    return out.merge(src, on=["provider_code", "period"], how="left", validate="many_to_one")


def derive(data: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """``data`` with the derived columns ``names`` added: ``<measure>_lag<k>`` (:func:`add_lag`)
    and ``sector_<level>`` / ``ownership_<level>`` indicators.

    >>> import pandas as pd
    >>> derive(pd.DataFrame({"sector": ["nhs", "independent"]}), ["sector_nhs"])["sector_nhs"].tolist()
    [1.0, 0.0]
    """
    out = data
    for name in names:
        if name in out.columns:
            continue
        m = _LAG.match(name)
        if m and m["base"] in out.columns:
            out = add_lag(out, m["base"], int(m["k"]))
            continue
        d = _DUMMY.match(name)
        if d and d["var"] in out.columns:
            out = out.assign(**{name: (out[d["var"]] == d["level"]).astype(float)})
            continue
        raise AnalysisColumnError("fit", "exposures/adjust", f"name column {name!r}, which is "
                                  "neither in the panel nor derivable",
                                  expected="a panel column, <measure>_lag<k>, sector_<level> "
                                           "or ownership_<level>")
    return out


def exposure_label(column: str) -> str:
    """The exposure as written in finding ids.

    >>> exposure_label("staff_engagement_lag1"), exposure_label("sector_independent")
    ('staff_engagement[lag1]', 'sector[independent]')
    """
    m = _LAG.match(column)
    if m:
        return f"{m['base']}[lag{m['k']}]"
    d = _DUMMY.match(column)
    if d:
        return f"{d['var']}[{d['level']}]"
    return column


def prepare(spec: ModelSpec, data: pd.DataFrame) -> pd.DataFrame:
    """The analysis rows for ``spec``: subset, derived columns, complete cases."""
    df = derive(data, [c for c in (*spec.exposures, *spec.adjust) if c not in data.columns])
    df = select_subset(df, spec.subset)
    needed = [spec.outcome, *spec.exposures, *spec.adjust, spec.cluster, "period"]
    needed += [c for c in (spec.trials, spec.exposure, spec.weights, spec.rating_date) if c]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise missing_columns(spec, missing, list(map(str, df.columns)))
    df = df.dropna(subset=[c for c in needed if c != "period"]).copy()
    df["month"] = df["period"].dt.strftime("%Y-%m")
    return df


def missing_columns(spec: ModelSpec, missing: list[str], columns: list[str]):
    """The error for columns a spec names that the panel lacks: which spec fields name
    them, and the closest panel column to each.
    """
    roles = [role for role, cols in (("outcome", [spec.outcome]), ("exposures", spec.exposures),
                                      ("adjust", spec.adjust), ("cluster", [spec.cluster]),
                                      ("trials", [spec.trials]), ("exposure", [spec.exposure]),
                                      ("weights", [spec.weights]),
                                      ("rating_date", [spec.rating_date]),
                                      ("data", ["period"]))
             if any(c in missing for c in cols)]
    hints = []
    for c in missing:
        close = difflib.get_close_matches(str(c), columns, n=1)
        if close:
            hints.append(f"{c!r} is closest to {close[0]!r}")
    return AnalysisColumnError("fit", "/".join(roles), f"names {missing}, not in the panel "
                               f"(model {spec.formula()!r})",
                               expected="columns of the panel" + "".join(f"; {h}"
                                                                         for h in hints))
