"""NHS Staff Survey organisational results by trust, 2021-2024 (one merged CSV).

The file ``data_trusts_well-being_organisational_results.csv`` merges the published
organisational results of four survey years (merged by the ``ebmgt/NHS-Gender`` authors
from the NHS Staff Survey results archive; the rates are the published weighted rates,
not the publisher's benchmark layout). :mod:`workbench.data.sources.staff_survey` reads
other layouts (the 2012-2019 tidied indices, the official theme tables); this one has its
own columns, so it has its own reader.

A row of :func:`read` is one organisation (``ODS code``) x survey ``Year``:

==============================  ==========================================================
``provider_code``               the ``ODS code`` (upper case; merged CCGs such as
                                ``01T/01V`` are kept as published)
``year``                        the survey year (fieldwork September-December of that year)
``organisation_name``           as published
``benchmarking_group``          the survey's benchmarking group, as published (e.g. "Acute
                                and Acute & Community Trusts", "Ambulance Trusts", "ICBs")
``region``, ``weighting``       as published
``respondents``                 number of respondents
``staff_enough_staff_pct``      ``Enough_staff_rate``: enough staff at this organisation for
                                me to do my job properly (% agreeing)
``staff_time_demands_pct``      ``Time_demands_meet_rate``: able to meet all the conflicting
                                demands on my time at work (%)
``staff_burnout_pct``           ``Burned_out_rate``: often or always burnt out because of work
``staff_emotionally_exhausted_pct``  ``Emotionally_exhausting_rate``: often or always find
                                work emotionally exhausting
``staff_work_stress_pct``       ``Stress_rate``: unwell from work-related stress in the last
                                12 months
``staff_autonomy_pct``          ``Autonomy_rate``: autonomy and control at work
==============================  ==========================================================

Rates are percentages (0-100) as published. Each measure keeps its base beside it
(``*_base``: the number answering that question).

Checks: every column above present (a renamed column is an error naming it and the
columns found); rates between 0 and 100; counts (respondents, bases) whole numbers, 0 or
more; a survey year in the future is an error; suppression marks (``*``,
``-``, ``..``, ``x``, ``c``, ``:``, blank, ``NA``) are missing; a year that is not a
whole number between 2000 and 2100 is an error naming the line; two rows for one code and
year are an error naming both lines. The file has no totals row, so a file cut at a row
boundary cannot be told from a shorter one; a last row cut mid-row raises
:class:`~workbench.errors.SourceIncompleteError` (``allow_incomplete=True`` warns and
leaves it out).

Period: none. A survey year is a cross-section whose fieldwork spans three months;
the build keeps this table beside the panel (``staff_survey_years``) keyed by provider
and year rather than pinning it to one month.

Example
-------
>>> from workbench.data.sources import staff_survey_trust
>>> df = staff_survey_trust.read("data_trusts_well-being_organisational_results.csv")  # doctest: +SKIP
>>> df.groupby("year").size().tolist()  # doctest: +SKIP
[280, 264, 268, 263]
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_not_truncated,
    check_whole_numbers,
    check_years,
    provenance,
    read_csv_text,
    require_columns,
    to_number,
)
from workbench.errors import SourceFormatError

SOURCE = "staff_survey_trust"
PUBLISHER_URL = "https://www.nhsstaffsurveys.com/results/results-archive/"

IDS = {"ODS code": "provider_code", "Year": "year", "Organisation name": "organisation_name",
       "Benchmarking group": "benchmarking_group", "Region": "region",
       "Weighting": "weighting"}
#: output measure -> published rate column (its base is ``<stem>_base``)
RATES = {
    "staff_enough_staff_pct": "Enough_staff_rate",
    "staff_time_demands_pct": "Time_demands_meet_rate",
    "staff_burnout_pct": "Burned_out_rate",
    "staff_emotionally_exhausted_pct": "Emotionally_exhausting_rate",
    "staff_work_stress_pct": "Stress_rate",
    "staff_autonomy_pct": "Autonomy_rate",
}
BASES = {"Enough_staff_rate": "Enough_staff_base", "Time_demands_meet_rate":
         "Time_demands_meet_base", "Burned_out_rate": "Burned_out_base",
         "Emotionally_exhausting_rate": "Emotionally_exhausting_base",
         "Stress_rate": "Stress_base", "Autonomy_rate": "Autonomy_base"}
RESPONDENTS = "Respondents"
OUT_COLUMNS = (list(IDS.values()) + ["respondents"]
               + [c for m in RATES for c in (m, m.replace("_pct", "_base"))])


def read(path: str | Path, *, allow_incomplete: bool = False) -> pd.DataFrame:
    r"""Read the merged organisational results into one row per ODS code x survey year.

    See the module docstring for the columns and checks.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "results.csv"
    >>> cols = list(IDS) + ["Respondents"] + [c for r in RATES.values() for c in (r, BASES[r])]
    >>> row = ["TAD", "2024", "Bradford District Care NHS FT", "Mental Health & Learning "
    ...        "Disability and Mental Health, Learning Disability & Community Trusts", "-",
    ...        "Occupation Group", "1500"] + ["30", "1400"] * 6
    >>> _ = p.write_text(",".join(cols) + "\n" + ",".join(f'"{v}"' for v in row) + "\n")
    >>> df = read(p)
    >>> r = df.iloc[0]
    >>> r["provider_code"], int(r["year"]), float(r["staff_enough_staff_pct"])
    ('TAD', 2024, 30.0)
    """
    path = check_file(path)
    cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    raw = read_csv_text(path, dtype=str, keep_default_na=False, cut_last=cut)
    raw.columns = [str(c).strip() for c in raw.columns]
    need = list(IDS) + [RESPONDENTS] + [c for r in RATES.values() for c in (r, BASES[r])]
    require_columns(raw, need, path)
    if raw.empty:
        raise SourceFormatError(path, "has no data rows", column="ODS code",
                                expected="one row per organisation and survey year")
    lines = pd.Series(raw.index + 2, index=raw.index)
    out = pd.DataFrame(index=raw.index)
    for col, canon in IDS.items():
        txt = raw[col].astype("string").str.strip()
        out[canon] = txt.mask(txt.isin(["", "-"]))
    code = out["provider_code"]
    if code.isna().any():
        i = int(code.isna().to_numpy().argmax())
        raise SourceFormatError(path, f"blank code on line {int(lines.iloc[i])}",
                                column="ODS code", expected="an ODS code on every row")
    out["provider_code"] = code.str.upper()
    year = to_number(raw["Year"], "Year", path)
    bad = year.isna() | (year % 1 != 0) | ~year.between(2000, 2100)
    if bad.any():
        i = bad.idxmax()
        raise SourceFormatError(path, f"value {raw.at[i, 'Year']!r} on line {int(lines[i])}",
                                column="Year", expected="a survey year such as 2024")
    out["year"] = year.astype(int)
    check_years(out["year"], path, column="Year", what="survey year")
    out["respondents"] = _count(raw, RESPONDENTS, path, lines)
    for canon, col in RATES.items():
        rate = to_number(raw[col], col, path)
        off = rate.notna() & ~rate.between(0, 100)
        if off.any():
            i = off.idxmax()
            raise SourceFormatError(path, f"value {raw.at[i, col]!r} on line {int(lines[i])} "
                                    "out of range", column=col,
                                    expected="a percentage between 0 and 100")
        out[canon] = rate
        out[canon.replace("_pct", "_base")] = _count(raw, BASES[col], path, lines)
    check_duplicates(out, ["provider_code", "year"], path, rows=lines, column="ODS code",
                     names={"provider_code": "ODS code", "year": "Year"}, what="line")
    out = out[OUT_COLUMNS].sort_values(["year", "provider_code"]).reset_index(drop=True)
    for c in ("provider_code", "organisation_name", "benchmarking_group", "region",
              "weighting"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, (), rows=len(out),
        organisations_per_year={int(y): int(n) for y, n in out.groupby("year").size().items()},
        derived_by="ebmgt/NHS-Gender (a merge of the published organisational results)",
        period_rule="none: one row per survey year, kept beside the panel")
    return out


def _count(raw: pd.DataFrame, col: str, path: Path, lines: pd.Series) -> pd.Series:
    v = to_number(raw[col], col, path)
    neg = v.notna() & (v < 0)
    if neg.any():
        i = neg.idxmax()
        raise SourceFormatError(path, f"negative value on line {int(lines[i])}", column=col,
                                expected="a count, 0 or more")
    check_whole_numbers(pd.DataFrame({col: v}), [col], path, rows=lines)
    return v
