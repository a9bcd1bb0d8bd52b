"""RTT flows by provider and treatment function: the ``rtt_flows`` table beside the panel.

A waiting list is a queue: patients join it (demand), leave it (removals) and wait on it
(the list). The RTT full extract publishes all three for every provider x treatment
function and month, in parts:

=========================  ==============  ===============================================
column                     RTT part        what it counts in the month
=========================  ==============  ===============================================
``new_clock_starts``       ``Part_3``      new RTT periods (clock starts): the demand
``completed_admitted``     ``Part_1A``     pathways completed by admission for treatment
``completed_non_admitted`` ``Part_1B``     pathways completed without admission
``waiting_list``           ``Part_2``      incomplete pathways at the month's end (the list)
=========================  ==============  ===============================================

Counts are summed over commissioners; a part without a row for a provider and function is
0 (the extract is sparse). The weekly bands of ``Part_2`` give ``waiting_known`` (pathways
with a known clock start), ``within_18w``, ``over_52w`` and ``weeks_sum`` (each pathway
counted at its band's midpoint, the open band at 104 weeks, its lower bound), from which
``pct_within_18w`` and ``mean_wait_weeks`` (the mean time waited so far by the patients on
the list) follow. ``Part_3`` rows carry their count in ``Total All`` only; the other parts'
``Total All`` is checked against their bands plus unknown clock starts, and each part's
treatment functions against the provider's ``C_999`` row (whose rows are then left out).

**Completions understate removals.** A pathway also ends without treatment: the patient
is validated off the list, treated elsewhere, declines, or dies. The extract does not count
those, so they are implied: ``other_removals = new_clock_starts - completed - list_change``
where ``list_change`` is the list's change since the previous month. With one month only
(the April 2026 extract) the change is not known; ``other_removals`` then assumes a steady
list (``steady_assumed`` is True) and is ``new_clock_starts - completed``.

Per week: ``demand_weekly``, ``completions_weekly`` and ``other_removals_weekly`` are the
month's counts x 7 / its ``days``. Every row has ``sector`` and ``region`` from the panel
(:func:`with_providers`); :func:`aggregate` sums the lists of providers into England,
regions, sectors (or providers across specialties) and derives the same columns again.
Synthetic data (:mod:`workbench.data.synth_flows`) add the true rates they were drawn
from (:data:`TRUTH_COLUMNS`).

>>> t = aggregate(example_table(), "england")
>>> t[["area_code", "specialty_code", "new_clock_starts", "waiting_list"]].to_dict("records")
[{'area_code': 'England', 'specialty_code': 'C_110', 'new_clock_starts': 40.0, 'waiting_list': 150.0}]
>>> round(float(t["demand_weekly"].iloc[0]), 3), bool(t["steady_assumed"].iloc[0])
(9.333, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.data.sources import rtt
from workbench.data.sources.common import (
    check_periods,
    incomplete,
    parse_month,
    provenance,
    require_columns,
)
from workbench.errors import AnalysisInputError, SourceFormatError

SOURCE = "rtt_flows"

#: RTT part -> the count column it gives.
PARTS = {"Part_3": "new_clock_starts", "Part_1A": "completed_admitted",
         "Part_1B": "completed_non_admitted", "Part_2": "waiting_list"}
#: Identity columns of a provider's list.
IDENT = ["provider_code", "provider_name", "sector", "region", "specialty_code",
         "specialty_name", "period"]
#: Counts read from the extract (summed when lists are aggregated).
COUNTS = ["new_clock_starts", "completed_admitted", "completed_non_admitted", "waiting_list",
          "waiting_known", "within_18w", "over_52w", "weeks_sum"]
#: Columns derived from the counts (:func:`derive`).
DERIVED = ["days", "completed", "list_change", "steady_assumed", "other_removals",
           "demand_weekly", "completions_weekly", "other_removals_weekly", "pct_within_18w",
           "mean_wait_weeks"]
#: The true rates of synthetic data (per week; the mean wait in weeks).
TRUTH_COLUMNS = ["true_demand_weekly", "true_completions_weekly", "true_other_removals_weekly",
                 "true_mean_wait_weeks"]
#: Columns of the ``rtt_flows`` table (synthetic data add :data:`TRUTH_COLUMNS`).
TABLE_COLUMNS = [*IDENT, *COUNTS, *DERIVED, "source_file"]
#: Levels :func:`aggregate` sums lists to.
LEVELS = ("provider", "region", "sector", "england")


# --------------------------------------------------------------------------- reading


def from_extract(path: str | Path | rtt.Extract, *,
                 allow_incomplete: bool = False) -> pd.DataFrame:
    """The flows of one RTT full extract: one row per provider x treatment function x month.

    ``path`` is the extract's file, or the extract already parsed for every part
    (:func:`workbench.data.sources.rtt.parse`, which a build shares with the RTT reader's
    two breakdowns: the same result without reading the file again).

    Read with the RTT reader's own steps (:mod:`workbench.data.sources.rtt`: the header and
    weekly bands, a byte-level screen, pyarrow parsing of the needed columns, suppression
    marks as missing, blank counts as 0, a cut or short file caught), keeping parts 1A, 1B,
    2 and 3. Returns :data:`COUNTS` with ``provider_code, provider_name, specialty_code,
    specialty_name, period`` and ``source_file`` (no ``sector``, ``region`` or derived
    columns: see :func:`collect`); ``attrs["provenance"]`` records the file.

    A row whose ``Total All`` is not its bands plus unknown clock starts (parts 1A, 1B, 2),
    or a provider whose treatment functions do not add up to its ``C_999`` row in a part,
    raises :class:`~workbench.errors.SourceIncompleteError` (a warning with
    ``allow_incomplete=True``).

    >>> from_extract("20260430-RTT-April-2026-full-extract.csv.zip")  # doctest: +SKIP
    """
    extract = path if isinstance(path, rtt.Extract) else rtt.parse(
        path, allow_incomplete=allow_incomplete)
    path, member = extract.path, extract.member
    bands, lower, optional = extract.bands, extract.lower, extract.optional
    require_columns(pd.DataFrame(columns=extract.header), [rtt.TOTAL_ALL], path)
    table = _read_parts(extract)
    rtt.check_rows_unique(path, table)
    part = pc.utf8_trim_whitespace(table.column(rtt.PART)).to_numpy(zero_copy_only=False)
    sums = _band_sums(path, table, bands, lower)
    extra = {c: rtt.count_array(table.column(c)) for c in optional}
    if extra:
        rtt.check_whole_counts(path, table, list(extra), np.column_stack(list(extra.values())))
    banded = np.isin(part, ["Part_1A", "Part_1B", "Part_2"])
    if banded.any():
        # the reader's check of Total All, given the band sums (and a column that is
        # missing where a band was suppressed, so that such rows are checked as a bound)
        idx = np.flatnonzero(banded)
        marks = np.where(sums["missing"][idx], np.nan, 0.0)
        rtt.check_total_all(path, table.take(pa.array(idx)),
                            np.column_stack([sums["known_nan"][idx], marks]),
                            {k: v[idx] for k, v in extra.items()}, allow_incomplete)

    keys = pd.DataFrame({
        "period_label": table.column(rtt.PERIOD).to_pandas().str.strip(),
        "provider_code": table.column(rtt.PROVIDER_CODE).to_pandas().str.strip().str.upper(),
        "specialty_code": table.column(rtt.TF_CODE).to_pandas().str.strip(),
        "part": part})
    if (keys["provider_code"] == "").any():
        raise SourceFormatError(path, "blank provider code", column=rtt.PROVIDER_CODE,
                                expected="an ODS code on every row")
    values = pd.DataFrame({"total": extra[rtt.TOTAL_ALL], "known": sums["known"],
                           "within_18w": sums["within_18w"], "over_52w": sums["over_52w"],
                           "weeks_sum": sums["weeks_sum"]})
    names = pd.DataFrame({
        "provider_name": table.column(rtt.PROVIDER_NAME).to_pandas().str.strip(),
        "specialty_name": table.column(rtt.TF_NAME).to_pandas().str.strip()})
    grouped = pd.concat([keys, values], axis=1).groupby(
        ["period_label", "provider_code", "specialty_code", "part"], sort=True)
    summed = grouped[list(values.columns)].sum(min_count=1)
    _check_functions(path, summed, allow_incomplete)
    summed = summed[summed.index.get_level_values("specialty_code") != rtt.ALL_SPECIALTIES]

    wide = summed["total"].unstack("part")
    out = pd.DataFrame(index=wide.index)
    for p, col in PARTS.items():
        out[col] = wide[p].astype("float64") if p in wide.columns else 0.0
    out = out.fillna({c: 0.0 for c in PARTS.values()})
    two = summed.xs("Part_2", level="part") if "Part_2" in wide.columns else None
    for col, src in (("waiting_known", "known"), ("within_18w", "within_18w"),
                     ("over_52w", "over_52w"), ("weeks_sum", "weeks_sum")):
        out[col] = (two[src].reindex(out.index).fillna(0.0) if two is not None else 0.0)
    first = pd.concat([keys, names], axis=1).drop_duplicates(
        ["period_label", "provider_code", "specialty_code"])
    out = out.reset_index().merge(first.drop(columns="part"),
                                  on=["period_label", "provider_code", "specialty_code"],
                                  how="left")
    months = {lab: parse_month(lab, path, column=rtt.PERIOD)
              for lab in out["period_label"].unique()}
    check_periods(months.values(), path, column=rtt.PERIOD)  # as the RTT reader checks them
    out["period"] = out["period_label"].map(months).astype("datetime64[ns]")
    out["source_file"] = Path(path).name
    cols = ["provider_code", "provider_name", "specialty_code", "specialty_name", "period",
            *COUNTS, "source_file"]
    out = out[cols].sort_values(["provider_code", "specialty_code", "period"],
                                kind="stable").reset_index(drop=True)
    out.attrs["provenance"] = provenance(
        SOURCE, path, rtt.PUBLISHER_URL, months.values(), member=member,
        parts=list(PARTS), providers=int(out["provider_code"].nunique()), rows=len(out))
    return out


def _band_sums(path: Path, table: pa.Table, bands: list[str], lower: np.ndarray
               ) -> dict[str, np.ndarray]:
    """Per row: pathways with a known clock start (``known``; missing when a band is
    suppressed, ``known_nan`` counting such a band as 0, ``missing`` where one is), within
    18 weeks, over 52 weeks and weeks waited (band midpoints; the open band at its lower
    bound), summed band by band without a rows x bands matrix.
    """
    n = table.num_rows
    out = {k: np.zeros(n) for k in ("known", "known_nan", "within_18w", "over_52w",
                                    "weeks_sum")}
    out["missing"] = np.zeros(n, dtype=bool)
    top = int(lower.max())
    for col, lo in zip(bands, lower):
        v = rtt.count_array(table.column(col))
        if (v < 0).any():
            raise SourceFormatError(path, "negative count", column=col,
                                    expected="counts of pathways, 0 or more")
        rtt.check_whole_counts(path, table, [col], v[:, None])  # the reader's own rule
        gone = np.isnan(v)
        out["missing"] |= gone
        out["known"] += v
        out["known_nan"] += np.where(gone, 0.0, v)
        if lo < 18:
            out["within_18w"] += v
        if lo >= 52:
            out["over_52w"] += v
        out["weeks_sum"] += v * (lo if lo == top else lo + 0.5)
    return out


def _read_parts(extract: rtt.Extract) -> pa.Table:
    """The rows of :data:`PARTS` of one parse of the extract (:func:`rtt.parse`)."""
    table = extract.rows_for("from_extract", rtt.ALL_PARTS)
    part = pc.utf8_trim_whitespace(table.column(rtt.PART))
    table = table.filter(pc.is_in(part, value_set=pa.array(list(PARTS))))
    if table.num_rows == 0:
        raise SourceFormatError(extract.path, "no rows of RTT parts 1A, 1B, 2 or 3",
                                column=rtt.PART,
                                expected=f"rows with {rtt.PART} in {list(PARTS)}")
    return table


def _check_functions(path: Path, summed: pd.DataFrame, allow_incomplete: bool) -> None:
    """Each provider's treatment functions add up to its ``C_999`` row, part by part."""
    total = summed["total"]
    is_all = total.index.get_level_values("specialty_code") == rtt.ALL_SPECIALTIES
    c999 = total[is_all].droplevel("specialty_code")
    parts = total[~is_all].groupby(level=["period_label", "provider_code", "part"]).sum(
        min_count=1)
    if c999.empty:
        return
    both = pd.concat([c999.rename("c999"), parts.rename("functions")], axis=1)
    both = both[both["c999"].notna()]
    off = (both["c999"] - both["functions"].fillna(0)).abs() > 0.5
    if off.any():
        (_, code, part), row = next(iter(both[off].iterrows()))
        incomplete(path, f"the treatment functions of {int(off.sum())} provider x part "
                         f"group(s) do not add up to their {rtt.ALL_SPECIALTIES} row (e.g. "
                         f"provider {code!r}, {part}: {rtt.ALL_SPECIALTIES} "
                         f"{row['c999']:,.0f} vs functions {row['functions']:,.0f})",
                   allow_incomplete=allow_incomplete, column=rtt.TF_CODE,
                   expected=f"functions that add up to {rtt.ALL_SPECIALTIES}", stacklevel=4)


# --------------------------------------------------------------------------- shaping


def with_providers(flows: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """``flows`` with each provider's ``sector`` and ``region`` from the panel (its first
    value; ``unknown`` sector and a missing region for a provider the panel lacks).

    >>> p = pd.DataFrame({"provider_code": ["RAA"], "sector": ["nhs"], "region": ["London"]})
    >>> with_providers(example_table().drop(columns=["sector", "region"]), p)[
    ...     ["provider_code", "sector", "region"]].drop_duplicates().to_dict("records")
    [{'provider_code': 'RAA', 'sector': 'nhs', 'region': 'London'}, {'provider_code': 'NT1', 'sector': 'unknown', 'region': None}]
    """
    who = panel.drop_duplicates("provider_code").set_index("provider_code")
    codes = flows["provider_code"]
    sector = codes.map(who["sector"]) if "sector" in who else pd.Series(np.nan, index=codes.index)
    region = codes.map(who["region"]) if "region" in who else pd.Series(np.nan, index=codes.index)
    out = flows.drop(columns=[c for c in ("sector", "region") if c in flows.columns])
    out.insert(2, "sector", sector.astype(object).where(sector.notna(), "unknown").to_numpy())
    out.insert(3, "region", pd.Series([r if isinstance(r, str) else None for r in region],
                                      index=out.index, dtype=object))
    return out


def derive(flows: pd.DataFrame, keys: Sequence[str] = ("provider_code", "specialty_code")
           ) -> pd.DataFrame:
    """``flows`` with :data:`DERIVED` computed from the counts, sorted by ``keys`` and month.

    ``list_change`` is the list's change since the previous month of the same ``keys``
    (missing when that month is not in the table); ``other_removals`` is new clock starts
    minus completed pathways minus that change, the change taken as 0 when missing
    (``steady_assumed``). Per-week columns are the month's counts x 7 / its days.

    >>> d = derive(example_table())
    >>> d.set_index("provider_code").loc["RAA", ["completed", "other_removals", "pct_within_18w",
    ...                                          "mean_wait_weeks"]].tolist()
    [20.0, 10.0, 60.0, 10.7]
    """
    keys = list(keys)
    out = flows.copy()
    out["period"] = pd.to_datetime(out["period"])
    out = out.sort_values([*keys, "period"], kind="stable").reset_index(drop=True)
    out["days"] = out["period"].dt.days_in_month.astype("int64")
    out["completed"] = out["completed_admitted"] + out["completed_non_admitted"]
    prev_period = out.groupby(keys, sort=False)["period"].shift(1)
    prev_list = out.groupby(keys, sort=False)["waiting_list"].shift(1)
    consecutive = prev_period == (out["period"] - pd.offsets.MonthBegin(1))
    out["list_change"] = (out["waiting_list"] - prev_list).where(consecutive)
    out["steady_assumed"] = out["list_change"].isna()
    out["other_removals"] = (out["new_clock_starts"] - out["completed"]
                             - out["list_change"].fillna(0.0))
    week = 7.0 / out["days"]
    out["demand_weekly"] = out["new_clock_starts"] * week
    out["completions_weekly"] = out["completed"] * week
    out["other_removals_weekly"] = out["other_removals"] * week
    known = out["waiting_known"].where(out["waiting_known"] > 0)
    out["pct_within_18w"] = 100.0 * out["within_18w"] / known
    out["mean_wait_weeks"] = out["weeks_sum"] / known
    return out


def collect(extracts: Iterable[tuple[pd.DataFrame, str | Path]],
            panel: pd.DataFrame) -> pd.DataFrame | None:
    """The ``rtt_flows`` table (:data:`TABLE_COLUMNS`) from the extracts a build read (each
    :func:`from_extract`'s table with its file), with the panel's sectors and regions;
    None when there are none. Two files giving the same provider, function and month
    raise :class:`~workbench.errors.SourceFormatError` naming both.
    """
    tables = [t for t, _ in extracts if t is not None and len(t)]
    if not tables:
        return None
    joined = pd.concat(tables, ignore_index=True)
    key = ["provider_code", "specialty_code", "period"]
    dup = joined.duplicated(key, keep=False)
    if dup.any():
        ex = joined.loc[dup, key].iloc[0]
        files = sorted(joined.loc[dup & (joined[key] == ex).all(axis=1), "source_file"])
        raise SourceFormatError(", ".join(files), f"provider {ex['provider_code']!r}, "
                                f"{ex['specialty_code']}, {ex['period']:%Y-%m} comes from more "
                                "than one file", column=rtt.PERIOD,
                                expected="one extract per month")
    out = derive(with_providers(joined, panel))
    return out[[c for c in TABLE_COLUMNS if c in out.columns]
               + [c for c in out.columns if c not in TABLE_COLUMNS]]


def aggregate(flows: pd.DataFrame, level: str = "england", *,
              specialties: Sequence[str] | None = None, by_specialty: bool = True,
              areas: Sequence[str] | None = None) -> pd.DataFrame:
    """Lists summed to a ``level`` of :data:`LEVELS`, by treatment function (or across the
    ``specialties`` chosen, ``by_specialty=False``) and month, with :data:`DERIVED` again.

    Columns: ``level``, ``area_code``, ``area_name`` (``England``; a region; a sector; a
    provider's code and name), ``specialty_code`` and ``specialty_name`` (``all`` and
    ``all treatment functions`` across every function, or the chosen codes joined by
    ``+``), ``period``, ``lists`` (provider x function lists summed), the counts, the
    derived columns and, for synthetic data, the true rates (summed; the true mean wait
    weighted by the list). ``specialties`` keeps those treatment function codes;
    ``areas`` those area codes (provider codes, regions, sectors).

    >>> t = aggregate(example_table(), "provider", by_specialty=False)
    >>> t[["area_code", "specialty_code", "lists", "waiting_list"]].to_dict("records")
    [{'area_code': 'NT1', 'specialty_code': 'all', 'lists': 1, 'waiting_list': 50.0}, {'area_code': 'RAA', 'specialty_code': 'all', 'lists': 1, 'waiting_list': 100.0}]
    """
    fn = "aggregate"
    if not isinstance(flows, pd.DataFrame):
        raise AnalysisInputError(fn, "flows", f"is a {type(flows).__name__}",
                                 expected="the rtt_flows table (a DataFrame)")
    if level not in LEVELS:
        raise AnalysisInputError(fn, "level", f"is {level!r}", expected=f"one of {LEVELS}")
    need = ["provider_code", "specialty_code", "specialty_name", "period", *COUNTS]
    missing = [c for c in need if c not in flows.columns]
    if missing:
        raise AnalysisInputError(fn, "flows", f"has no column(s) {missing}",
                                 expected="the rtt_flows table (s.data('rtt_flows'))")
    d = flows
    if specialties:
        codes = [str(s) for s in specialties]
        unknown = sorted(set(codes) - set(d["specialty_code"]))
        if unknown:
            raise AnalysisInputError(fn, "specialties", f"names {unknown}, not in the table",
                                     expected=f"treatment function codes such as "
                                              f"{sorted(d['specialty_code'].unique())[:6]}")
        d = d[d["specialty_code"].isin(codes)]
    d = d.copy()
    if level == "england":
        d["area_code"], d["area_name"] = "England", "England"
    elif level == "provider":
        d["area_code"] = d["provider_code"]
        d["area_name"] = d["provider_name"] if "provider_name" in d else d["provider_code"]
    else:
        col = "sector" if level == "sector" else "region"
        if col not in d.columns:
            raise AnalysisInputError(fn, "level", f"is {level!r} and the table has no {col} "
                                     "column", expected="the rtt_flows table with the panel's "
                                                        "sectors and regions")
        fill = "unknown" if level == "sector" else "region unknown"
        d["area_code"] = d[col].astype(object).where(d[col].notna(), fill)
        d["area_name"] = d["area_code"]
    if areas is not None:
        wanted = [str(a) for a in areas]
        unknown = sorted(set(wanted) - set(d["area_code"]))
        if unknown:
            raise AnalysisInputError(fn, "areas", f"names {unknown}, not in the table at level "
                                     f"{level!r}", expected="codes of the table's "
                                     f"{level}s, e.g. {sorted(d['area_code'].unique())[:5]}")
        d = d[d["area_code"].isin(wanted)]
    if not by_specialty:
        chosen = [str(s) for s in specialties] if specialties else []
        d["specialty_code"] = "+".join(chosen) if chosen else "all"
        d["specialty_name"] = (" + ".join(flows.drop_duplicates("specialty_code").set_index(
            "specialty_code").loc[chosen, "specialty_name"]) if chosen
            else "all treatment functions")
    d["lists"] = ((d["waiting_list"] > 0) | (d["new_clock_starts"] > 0)).astype("int64")
    truth = [c for c in TRUTH_COLUMNS if c in d.columns]
    if "true_mean_wait_weeks" in truth:
        d["true_weeks_sum"] = d["true_mean_wait_weeks"] * d["waiting_known"]
    sums = ["lists", *COUNTS, *[c for c in truth if c != "true_mean_wait_weeks"]]
    if "true_mean_wait_weeks" in truth:
        sums.append("true_weeks_sum")
    keys = ["area_code", "specialty_code", "period"]
    grouped = d.groupby(keys, sort=True)
    out = grouped[sums].sum(min_count=1).reset_index()
    first = grouped[["area_name", "specialty_name"]].first().reset_index()
    out = first.merge(out, on=keys)
    if "true_weeks_sum" in out.columns:
        out["true_mean_wait_weeks"] = out.pop("true_weeks_sum") / out["waiting_known"].where(
            out["waiting_known"] > 0)
    out["lists"] = out["lists"].fillna(0).astype("int64")
    out.insert(0, "level", level)
    out = derive(out, keys=("area_code", "specialty_code"))
    lead = ["level", "area_code", "area_name", "specialty_code", "specialty_name", "period",
            "lists"]
    return out[lead + [c for c in out.columns if c not in lead]]


def example_table() -> pd.DataFrame:
    """A small ``rtt_flows`` table: two providers' trauma and orthopaedics lists in April
    2026 (for examples and tests).

    >>> example_table()[["provider_code", "new_clock_starts", "waiting_list"]].values.tolist()
    [['RAA', 30.0, 100.0], ['NT1', 10.0, 50.0]]
    """
    t = pd.DataFrame({
        "provider_code": ["RAA", "NT1"], "provider_name": ["A TRUST", "AN INDEPENDENT SITE"],
        "sector": ["nhs", "independent"], "region": ["London", "London"],
        "specialty_code": ["C_110", "C_110"],
        "specialty_name": ["Trauma and Orthopaedic Service"] * 2,
        "period": pd.to_datetime(["2026-04-01", "2026-04-01"]),
        "new_clock_starts": [30.0, 10.0], "completed_admitted": [5.0, 4.0],
        "completed_non_admitted": [15.0, 4.0], "waiting_list": [100.0, 50.0],
        "waiting_known": [100.0, 50.0], "within_18w": [60.0, 45.0], "over_52w": [2.0, 0.0],
        "weeks_sum": [1070.0, 300.0], "source_file": ["example.csv"] * 2})
    return t

