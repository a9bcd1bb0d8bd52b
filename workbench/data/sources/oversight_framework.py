"""NHS Oversight Framework (NHS England): metrics and league table of mental health and community trusts.

Two published CSVs per quarter:

* trust data (``nof-mh-community-trust-data-q4-2025-26.csv``): one row per quarter x trust x
  metric -- ``Quarter`` (``Q1 2025/26`` ...), ``Region, Trust_type, Trust_subtype, Trust_code,
  Trust_name, Domain, Sub-domain, Metric_ID`` (``OF0082`` ...), ``Metric_description,
  Reporting_date`` (the period the data describe, in the metric's own form: ``Jun-25``,
  ``2024/25``, ``Month 6 2025``, ``Q4 2024-25`` ...), ``Units`` (``%``, ``out of 10``,
  ``score``, ``segment``, ``flag``, ``percentage points``), ``Value, Median_value,
  Lower_quartile, Upper_quartile, Rank``;
* league table (``nof-mh-community-league-table-q4-2025-26.csv``): one row per trust --
  ``Quarter, Region, Trust_type, Trust_subtype, Trust_code, Trust_name, Average_score,
  Likely_range_of_average_score`` (``1.2 to 1.89``), ``Segment, Trust_in_financial_deficit``
  (``Yes``/``No``), ``Rank, Likely_range_of_rank`` (``1 to 11``).

:func:`read` tells the two apart by their header and returns the matching table
(:func:`read_metrics` or :func:`read_league_table`). Both have ``quarter`` (as published),
``period`` (the quarter's first day: ``Q1 2025/26`` is 2025-04-01), ``provider_code``
(``Trust_code``), ``trust_name``, ``region``, ``trust_type``, ``trust_subtype``; metrics add
``domain, sub_domain, metric_id, metric`` (the description), ``reporting_date`` (text, as
published: not parsed, since its form differs by metric), ``units, value, median,
lower_quartile, upper_quartile, rank``; the league table adds ``average_score``,
``average_score_low/high``, ``segment``, ``financial_deficit`` (true/false), ``rank``,
``rank_low/high``.

Metrics include sickness absence (``OF0082``, %), the staff survey engagement theme and
raising-concerns sub-scores (``OF0084``, ``OF0061``, out of 10) and 52-week community waits
(``OF0005``, %); ``OF1xxx`` are the same metrics as scores (1 best ... 4), ``OF4xxx`` domain
scores and segments, ``OF5xxx`` the overall segment. A metric's reporting date, not the
assessment quarter, says which period it measures: an analysis aligning it with other
measures uses ``reporting_date``.

Checks: the columns present; a quarter that is not ``Qn YYYY/YY`` is an error naming the line,
and so is a quarter after the one the file's name gives (``q4-2025-26``: the trust data hold
that quarter and the earlier ones of the year) or one that has not begun;
values, quartiles and ranks numbers (blank is missing); one row per quarter x trust x metric
(per quarter x trust in the league table): a second is an error naming both lines; in the
league table a range that is not ``a to b`` with a <= value <= b is an error naming the line;
``Trust_in_financial_deficit`` ``Yes`` or ``No``. A last row cut mid-row raises
:class:`~workbench.errors.SourceIncompleteError` (``allow_incomplete=True`` warns and leaves
it out). Mental health and community trusts only; no independent sector.

Example
-------
>>> from workbench.data.sources import oversight_framework
>>> m = oversight_framework.read("nof-mh-community-trust-data-q4-2025-26.csv")  # doctest: +SKIP
>>> m[m.metric_id == "OF0082"].pivot_table(index="provider_code", columns="quarter",
...                                         values="value")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_not_truncated,
    check_periods,
    provenance,
    read_csv_text,
    require_columns,
    to_number,
)
from workbench.errors import SourceFormatError

SOURCE = "oversight_framework"
PUBLISHER_URL = ("https://www.england.nhs.uk/nhs-oversight-framework/"
                 "segmentation-and-league-tables/")
IDS = {"Quarter": "quarter", "Region": "region", "Trust_type": "trust_type",
       "Trust_subtype": "trust_subtype", "Trust_code": "provider_code",
       "Trust_name": "trust_name"}
METRIC_TEXT = {"Domain": "domain", "Sub-domain": "sub_domain", "Metric_ID": "metric_id",
               "Metric_description": "metric", "Reporting_date": "reporting_date",
               "Units": "units"}
METRIC_NUMBERS = {"Value": "value", "Median_value": "median", "Lower_quartile": "lower_quartile",
                  "Upper_quartile": "upper_quartile", "Rank": "rank"}
LEAGUE = ["Average_score", "Likely_range_of_average_score", "Segment",
          "Trust_in_financial_deficit", "Rank", "Likely_range_of_rank"]


def quarter_start(label, path: str | Path = "<quarter>", line: int | None = None
                  ) -> pd.Timestamp:
    """The first day of a financial-year quarter labelled ``Qn YYYY/YY``.

    >>> str(quarter_start("Q1 2025/26").date()), str(quarter_start("Q4 2025/26").date())
    ('2025-04-01', '2026-01-01')
    """
    import re

    m = re.fullmatch(r"\s*Q([1-4])\s+(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*", str(label))
    if not m or int(m.group(3)) % 100 != (int(m.group(2)) + 1) % 100:
        at = f" on line {line}" if line else ""
        raise SourceFormatError(path, f"quarter {label!r}{at}", column="Quarter",
                                expected="a financial-year quarter such as 'Q1 2025/26'")
    q, year = int(m.group(1)), int(m.group(2))
    month = 3 * q + 1
    return pd.Timestamp(year=year + (month > 12), month=(month - 1) % 12 + 1, day=1)


def _load(path: Path, allow_incomplete: bool) -> tuple[pd.DataFrame, pd.Series]:
    cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    raw = read_csv_text(path, dtype=str, keep_default_na=False, cut_last=cut)
    raw.columns = [str(c).strip() for c in raw.columns]
    blank = raw.apply(lambda c: c.astype(str).str.strip() == "").all(axis=1)
    raw = raw[~blank]
    return raw, pd.Series(raw.index + 2, index=raw.index)


def _ids(raw: pd.DataFrame, lines: pd.Series, path: Path) -> pd.DataFrame:
    if raw.empty:
        raise SourceFormatError(path, "has no data rows", column="Trust_code",
                                expected="one row per trust")
    out = pd.DataFrame(index=raw.index)
    for col, canon in IDS.items():
        txt = raw[col].astype("string").str.strip()
        out[canon] = txt.mask(txt == "")
    if out["provider_code"].isna().any():
        i = out["provider_code"].isna().idxmax()
        raise SourceFormatError(path, f"blank trust code on line {int(lines[i])}",
                                column="Trust_code", expected="an ODS trust code on every row")
    out["provider_code"] = out["provider_code"].str.upper()
    starts = {q: quarter_start(q, path, int(lines[out.index[out["quarter"] == q][0]]))
              for q in out["quarter"].dropna().unique()}
    if out["quarter"].isna().any():
        i = out["quarter"].isna().idxmax()
        raise SourceFormatError(path, f"blank quarter on line {int(lines[i])}", column="Quarter",
                                expected="a quarter such as 'Q1 2025/26' on every row")
    out["period"] = out["quarter"].map(starts).astype("datetime64[ns]")
    _check_quarters(starts, path)
    return out


def quarter_in_name(path: str | Path) -> pd.Timestamp | None:
    """The first day of the quarter a file's name gives (``...-q4-2025-26.csv``), or ``None``.

    >>> str(quarter_in_name("nof-mh-community-trust-data-q4-2025-26.csv").date())
    '2026-01-01'
    >>> quarter_in_name("league.csv") is None
    True
    """
    import re

    m = re.search(r"(?i)(?<![A-Za-z0-9])q([1-4])[-_ ]?(\d{4})[-_/ ]?(\d{2})(?!\d)", Path(path).name)
    if not m or int(m.group(3)) != (int(m.group(2)) + 1) % 100:
        return None
    return quarter_start(f"Q{m.group(1)} {m.group(2)}/{m.group(3)}", path)


def _check_quarters(starts: dict, path: Path) -> None:
    """No quarter after the one the file's name gives (a file holds it and earlier ones), and
    none that has not begun.
    """
    named = quarter_in_name(path)
    later = {q: d for q, d in starts.items() if named is not None and d > named}
    if later:
        q = max(later, key=later.get)
        raise SourceFormatError(path, f"quarter {q!r} is after the quarter in the file's name "
                                f"({named:%Y-%m} start)", column="Quarter",
                                expected="quarters up to the one the file is named for "
                                         "(a mislabelled or edited file?)")
    check_periods(starts.values(), path, column="Quarter", named=False)


def _finish(out: pd.DataFrame, text_cols: list[str]) -> pd.DataFrame:
    for c in text_cols:
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    out["provider_code"] = out["provider_code"].astype(str)
    return out.reset_index(drop=True)


def read_metrics(path: str | Path, *, allow_incomplete: bool = False) -> pd.DataFrame:
    """The trust data: one row per quarter x trust x metric (module docstring)."""
    path = check_file(path)
    raw, lines = _load(path, allow_incomplete)
    require_columns(raw, [*IDS, *METRIC_TEXT, *METRIC_NUMBERS], path)
    out = _ids(raw, lines, path)
    for col, canon in METRIC_TEXT.items():
        txt = raw[col].astype("string").str.strip()
        out[canon] = txt.mask(txt == "")
    if out["metric_id"].isna().any():
        i = out["metric_id"].isna().idxmax()
        raise SourceFormatError(path, f"blank metric id on line {int(lines[i])}",
                                column="Metric_ID", expected="a metric id such as 'OF0082'")
    for col, canon in METRIC_NUMBERS.items():
        out[canon] = to_number(raw[col], col, path)
    bad = out["rank"].notna() & ((out["rank"] < 1) | (out["rank"] % 1 != 0))
    if bad.any():
        i = bad.idxmax()
        raise SourceFormatError(path, f"rank {raw.at[i, 'Rank']!r} on line {int(lines[i])}",
                                column="Rank", expected="a whole number, 1 or more")
    check_duplicates(out, ["quarter", "provider_code", "metric_id"], path, rows=lines,
                     column="Trust_code", what="line",
                     names={"quarter": "Quarter", "provider_code": "Trust_code",
                            "metric_id": "Metric_ID"})
    cols = ["quarter", "period", "provider_code", "trust_name", "region", "trust_type",
            "trust_subtype", "domain", "sub_domain", "metric_id", "metric", "reporting_date",
            "units", *METRIC_NUMBERS.values()]
    out = out[cols].sort_values(["period", "metric_id", "provider_code"])
    out = _finish(out, ["quarter", "trust_name", "region", "trust_type", "trust_subtype",
                        "domain", "sub_domain", "metric_id", "metric", "reporting_date",
                        "units"])
    metrics = out.drop_duplicates("metric_id").set_index("metric_id")
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, out["period"], table="trust metrics", rows=len(out),
        trusts=int(out["provider_code"].nunique()), quarters=sorted(out["quarter"].unique()),
        metrics={k: f"{v['metric']} ({v['units']})" for k, v in metrics.iterrows()},
        period_rule="period = the assessment quarter; reporting_date = the period a metric "
                    "measures (kept as published)")
    return out


def _range(text: pd.Series, col: str, path: Path, lines: pd.Series
           ) -> tuple[pd.Series, pd.Series]:
    parts = text.astype("string").str.extract(r"^\s*(-?[\d.]+)\s+to\s+(-?[\d.]+)\s*$")
    lo, hi = pd.to_numeric(parts[0], errors="coerce"), pd.to_numeric(parts[1], errors="coerce")
    present = text.astype("string").str.strip() != ""
    bad = present & (lo.isna() | hi.isna() | (lo > hi))
    if bad.any():
        i = bad.idxmax()
        raise SourceFormatError(path, f"value {text[i]!r} on line {int(lines[i])}", column=col,
                                expected="a range 'a to b' with a <= b, e.g. '1.2 to 1.89'")
    return lo.astype("float64"), hi.astype("float64")


def read_league_table(path: str | Path, *, allow_incomplete: bool = False) -> pd.DataFrame:
    """The league table: one row per quarter x trust (module docstring)."""
    path = check_file(path)
    raw, lines = _load(path, allow_incomplete)
    require_columns(raw, [*IDS, *LEAGUE], path)
    out = _ids(raw, lines, path)
    out["average_score"] = to_number(raw["Average_score"], "Average_score", path)
    out["average_score_low"], out["average_score_high"] = _range(
        raw["Likely_range_of_average_score"], "Likely_range_of_average_score", path, lines)
    out["segment"] = to_number(raw["Segment"], "Segment", path)
    out["rank"] = to_number(raw["Rank"], "Rank", path)
    out["rank_low"], out["rank_high"] = _range(raw["Likely_range_of_rank"],
                                               "Likely_range_of_rank", path, lines)
    for v, lo, hi, col in (("average_score", "average_score_low", "average_score_high",
                            "Likely_range_of_average_score"),
                           ("rank", "rank_low", "rank_high", "Likely_range_of_rank")):
        off = out[v].notna() & out[lo].notna() & ((out[v] < out[lo] - 1e-9)
                                                  | (out[v] > out[hi] + 1e-9))
        if off.any():
            i = off.idxmax()
            raise SourceFormatError(path, f"line {int(lines[i])}: {out.at[i, v]:g} outside "
                                    f"{raw.at[i, col]!r}", column=col,
                                    expected="the value within its likely range")
    flag = raw["Trust_in_financial_deficit"].astype("string").str.strip().str.casefold()
    bad = ~flag.isin(["yes", "no", ""])
    if bad.any():
        i = bad.idxmax()
        raise SourceFormatError(path, f"value {raw.at[i, 'Trust_in_financial_deficit']!r} on "
                                f"line {int(lines[i])}", column="Trust_in_financial_deficit",
                                expected="'Yes' or 'No'")
    out["financial_deficit"] = flag.map({"yes": True, "no": False}).astype("boolean")
    check_duplicates(out, ["quarter", "provider_code"], path, rows=lines, column="Trust_code",
                     what="line", names={"quarter": "Quarter", "provider_code": "Trust_code"})
    cols = ["quarter", "period", "provider_code", "trust_name", "region", "trust_type",
            "trust_subtype", "average_score", "average_score_low", "average_score_high",
            "segment", "financial_deficit", "rank", "rank_low", "rank_high"]
    out = _finish(out[cols].sort_values(["period", "rank", "provider_code"]),
                  ["quarter", "trust_name", "region", "trust_type", "trust_subtype"])
    out.attrs["provenance"] = provenance(
        SOURCE, path, PUBLISHER_URL, out["period"], table="league table", rows=len(out),
        trusts=int(out["provider_code"].nunique()), quarters=sorted(out["quarter"].unique()))
    return out


def read(path: str | Path, *, allow_incomplete: bool = False) -> pd.DataFrame:
    r"""The trust metrics or the league table, whichever the file's header shows.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "league.csv"
    >>> _ = p.write_text(",".join([*IDS, *LEAGUE]) + "\n" + "Q4 2025/26,London,Mental health "
    ...     "and community trust,Community,RYX,CLCH,1.79,1.29 to 2.35,1.0,No,4.0,1 to 34\n")
    >>> r = read(p).iloc[0]
    >>> r["provider_code"], str(r["period"].date()), float(r["rank_high"]), bool(r["financial_deficit"])
    ('RYX', '2026-01-01', 34.0, False)
    """
    path = check_file(path)
    with open(path, "rb") as fh:
        head = fh.readline(1 << 16).decode("utf-8-sig", errors="replace")
    if "Metric_ID" in head:
        return read_metrics(path, allow_incomplete=allow_incomplete)
    if "Average_score" in head:
        return read_league_table(path, allow_incomplete=allow_incomplete)
    # neither: let the metrics reader name what is missing
    return read_metrics(path, allow_incomplete=allow_incomplete)
