"""The provider x month panel schema, built from the measure registry.

One row per ``provider_code`` x ``period`` (month start). Identity columns are
required; measure columns are optional (a source may not publish them) but, when
present, must have the right type and lie in the registered range. Missing values
are allowed (independent providers publish no NHS workforce data); wrong values are
not.

Example
-------
>>> from workbench.data.synth import generate
>>> from workbench.data.schema import validate_panel
>>> panel = validate_panel(generate(seed=1, n_providers=20, n_months=3).panel)
>>> panel["period"].dt.day.unique().tolist()
[1]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from workbench.data import measures as M
from workbench.errors import ArgumentTypeError, PanelValidationError

if TYPE_CHECKING:
    import pandera.pandas as pa

KEY = ["provider_code", "period"]
MAX_ROWS_SHOWN = 10


def _measure_column(m: M.Measure) -> pa.Column:
    import pandera.pandas as pa

    if m.kind == "ordinal":
        return pa.Column(
            None,
            nullable=True,
            required=False,
            checks=pa.Check.isin(list(M.CQC_LEVELS), name=f"one of {list(M.CQC_LEVELS)}"),
        )
    checks = []
    if m.low is not None and m.high is not None:
        checks.append(pa.Check.in_range(m.low, m.high, name=f"between {m.low} and {m.high}"))
    return pa.Column(float, checks=checks, nullable=True, required=False, coerce=False)


def _month_start(s: pd.Series) -> pd.Series:
    """Each period is a month start (day 1); periods that are not dates pass here, as the
    column's type check reports them (rather than an ``AttributeError`` about ``.dt``).

    >>> _month_start(pd.Series(["2024-01"])).tolist()
    [True]
    """
    if not pd.api.types.is_datetime64_any_dtype(s):
        return pd.Series(True, index=s.index)
    return s.dt.day == 1


def panel_schema() -> pa.DataFrameSchema:
    """The pandera schema of the panel, generated from :data:`workbench.data.measures.MEASURES`.

    pandera is imported here, not with this module: a kernel reading a panel the batch's
    data step already validated (:func:`canonical_dtypes`) never needs it.

    >>> "rtt_median_weeks" in panel_schema().columns
    True
    """
    import pandera.pandas as pa

    cols: dict[str, pa.Column] = {
        "provider_code": pa.Column(str, pa.Check.str_matches(r"^[A-Z0-9-]{3,12}$",
                                                             name="ODS-style code"),
                                   nullable=False),
        "provider_name": pa.Column(str, nullable=False),
        "sector": pa.Column(str, pa.Check.isin(list(M.SECTORS), name=f"one of {list(M.SECTORS)}"),
                            nullable=False),
        "ownership": pa.Column(str, pa.Check.isin(list(M.OWNERSHIPS),
                                                  name=f"one of {list(M.OWNERSHIPS)}"),
                               nullable=True, required=False),
        "setting": pa.Column(str, pa.Check.isin(list(M.SETTINGS),
                                                name=f"one of {list(M.SETTINGS)}"),
                             nullable=False),
        "region": pa.Column(str, nullable=True, required=False),
        "period": pa.Column("datetime64[ns]",
                            pa.Check(_month_start, element_wise=False,
                                     name="month start (day 1)"),
                            nullable=False),
    }
    for m in M.MEASURES.values():
        cols[m.name] = _measure_column(m)
    return pa.DataFrameSchema(
        cols,
        unique=KEY,
        report_duplicates="all",
        strict=False,
        name="provider x month panel",
    )


def _string_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Identity text columns as plain object strings (pandas 3 may infer ``str`` dtype)."""
    out = df.copy()
    for c in ("provider_code", "provider_name", "sector", "ownership", "setting", "region"):
        if c in out.columns and not isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    if "period" in out.columns and pd.api.types.is_datetime64_any_dtype(out["period"]):
        out["period"] = out["period"].astype("datetime64[ns]")
    for m in M.MEASURES.values():
        if m.name not in out.columns:
            continue
        col = out[m.name]
        if m.kind == "ordinal":
            out[m.name] = col.astype(object).where(col.notna(), None)
        elif pd.api.types.is_integer_dtype(col) or pd.api.types.is_bool_dtype(col) \
                or pd.api.types.is_float_dtype(col):
            out[m.name] = col.astype("float64")
    return out


def _with_ordered_ratings(df: pd.DataFrame) -> pd.DataFrame:
    for m in M.MEASURES.values():
        if m.kind == "ordinal" and m.name in df.columns:
            df[m.name] = pd.Categorical(df[m.name], categories=list(M.CQC_LEVELS), ordered=True)
    return df


def _summarise(failure_cases: pd.DataFrame) -> pd.DataFrame:
    fc = failure_cases.copy()
    # a range check on a text column only repeats the type error: keep the type error
    fc = fc[~fc["failure_case"].astype(str).str.startswith("TypeError(")]
    fc["column"] = fc["column"].fillna("<table>")
    fc["check"] = fc["check"].astype(str)
    fc.loc[fc["check"].str.contains("uniqueness|duplicate", regex=True),
           "check"] = "unique provider_code x period (duplicate provider-month)"
    fc.loc[fc["check"].str.startswith("dtype("), "check"] = fc["check"].map(
        lambda c: f"type {c[6:-1]}" if c.startswith("dtype(") else c)
    out = []
    for (col, rule), g in fc.groupby(["column", "check"], sort=False):
        idx = [int(i) for i in g["index"].dropna().unique()] if "index" in g else []
        if col in ("provider_code", "period") and "duplicate" in rule:
            col = "provider_code, period"
        vals = [str(v) for v in g["failure_case"].head(3)]
        out.append({"column": col, "rule": rule, "rows": idx[:MAX_ROWS_SHOWN],
                    "n_rows": max(len(idx), 1), "values": vals})
    res = pd.DataFrame(out)
    return res.drop_duplicates(subset=["column", "rule"]).reset_index(drop=True)


def validate_panel(df: pd.DataFrame, source: str = "<DataFrame>") -> pd.DataFrame:
    """Validate a panel and return it with canonical dtypes.

    Every broken rule is collected (pandera's lazy mode) and raised as one
    :class:`~workbench.errors.PanelValidationError` naming ``source``, each column,
    the rows and the rule.

    >>> import pandas as pd
    >>> bad = pd.DataFrame({"provider_code": ["RXX"], "provider_name": ["X"],
    ...     "sector": ["nhs"], "setting": ["acute"], "period": [pd.Timestamp("2024-01-01")],
    ...     "rtt_median_weeks": [500.0]})
    >>> validate_panel(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.PanelValidationError: Panel from <DataFrame> failed validation ...
    """
    if not isinstance(df, pd.DataFrame):
        raise ArgumentTypeError("validate_panel", "df", df,
                                expected=f"a pandas DataFrame (the panel from {source})")
    missing = [c for c in ("provider_code", "provider_name", "sector", "setting", "period")
               if c not in df.columns]
    if missing:
        rule = ("required identity column (a table of your own, of wards, sites or services, "
                "is read with a declaration of its columns: see docs/your_own_data.md)")
        failures = pd.DataFrame([{"column": c, "rule": rule, "rows": [],
                                  "n_rows": len(df), "values": ["<missing>"]} for c in missing])
        raise PanelValidationError(source, failures)
    import pandera.pandas as pa

    try:
        return _with_ordered_ratings(panel_schema().validate(_string_columns(df), lazy=True))
    except pa.errors.SchemaErrors as exc:
        raise PanelValidationError(source, _summarise(exc.failure_cases)) from None


def canonical_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """The dtypes :func:`validate_panel` returns, without checking the rules again: for a
    panel file already validated (``workbench run``'s data step records its sha256).

    >>> from workbench.data.synth import generate
    >>> panel = generate(seed=3, n_providers=20, n_months=2).panel
    >>> canonical_dtypes(panel).dtypes.equals(validate_panel(panel).dtypes)
    True
    """
    return _with_ordered_ratings(_string_columns(df))


def measure_columns(df: pd.DataFrame, construct: str | None = None) -> list[str]:
    """The registered measure columns present in ``df``, optionally of one construct.

    >>> import pandas as pd
    >>> measure_columns(pd.DataFrame(columns=["provider_code", "beds", "complaints"]))
    ['complaints', 'beds']
    """
    names = [m.name for m in M.MEASURES.values() if construct is None or m.construct == construct]
    return [n for n in names if n in df.columns]
