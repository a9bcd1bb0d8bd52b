"""NHS Adult Inpatient Survey, trust-level benchmark workbook (CQC / NHS Patient Survey Programme).

The 2022 workbook ``Adult-Inpatient-Survey-2022.ods`` (patients discharged in November 2022,
fieldwork January to April 2023, 133 NHS trusts) has the sheets ``Guidance``, ``Key`` (a
dictionary of the variable names), ``Trust_Respondents``, ``Trust_Scores``,
``National_Respondents``, ``National_Max&Min`` and ``Historical_Comparisonsto2021`` /
``...2020``. Scores are 0-10 (higher is better), standardised by route of admission, age and
sex; a question with fewer than 30 respondents in a trust has no score.

Tables (:func:`read_all`; :func:`read` returns ``scores``)
---------------------------------------------------------
``scores``: one row per trust x scored item (question ``Q2`` ... ``Q51``, section ``S01`` ...
``S11``): ``provider_code`` (``TrustCode``), ``trust_name``, ``survey_year``, ``item``,
``item_kind`` (``question`` / ``section``), ``respondents`` (``n_tpat``, the trust's
respondents), ``item_respondents`` (``Qx_tres``, questions only), ``score`` (``meanQx``), the
expected range at three levels kept beside the score -- ``expected_low_90`` /
``expected_high_90`` (``ll90``/``ul90``), ``..._95``, ``..._998`` (``ll99``/``ul99``, the
publisher's 99.8% level) -- ``band`` (1 much worse ... 4 about the same ... 7 much better;
missing where the publisher gives 0, not applicable), ``band_label`` and ``z``
(``Qx_Zfinal``).

``respondents``: one row per trust: ``respondents`` (``n_tpat``) and ``response_rate_pct``
(``tr_rate``).

``characteristics``: one row per trust x respondent characteristic (sex at birth, gender,
age group, ethnic group, religion, sexuality, disability): ``variable`` (e.g. ``age4_tpc``),
``characteristic`` (``age``), ``category`` (the ``Key`` sheet's description, e.g. "aged
66+") and ``pct``. Unweighted, as published.

``history``: one row per trust x item x earlier year (2021, 2020): ``score_then``
(``Qx_mean_H``), ``base_then`` (``Qx_Base_unw``) and ``change`` (``Qx_sig``: -1 significantly
lower in 2022, 0 no significant difference, 1 significantly higher).

Question wording
----------------
The workbook holds no question wording (its ``Key`` sheet says only "mean trust score for
question x"); the wording is in CQC's questionnaire and technical document, which are not
among the published files read here. The reader therefore keeps the publisher's item codes
and names no item as "overall experience". What the file itself establishes: sections
``S08``-``S11`` each hold one question -- their trust scores equal ``Q47``, ``Q45``, ``Q46``
and ``Q51`` for every trust -- recorded in the provenance as ``single_question_sections``.

Checks
------
The two trust sheets present (a missing one is an error naming it and the sheets found);
``TrustCode``, ``n_tpat`` and, for every ``meanX``, its six limits and band present (an item
missing one is an error naming the column); one row per trust (a second is an error naming
both rows); scores and limits 0-10; ranges nested (99.8% outside 95% outside 90%); band a
whole number 0-7, 0 exactly where there is no score, and equal to where the score falls in its
ranges (below the 99.8% range 1 ... above it 7); an inconsistent cell is an error naming the
trust, the column and the row. Suppression marks and blanks read as missing. Numbers of
respondents (``n_tpat``, ``Qx_tres``, ``Qx_Base_unw``) are whole numbers; a ``survey_year=``
other than the year in the file's name, or one in the future, is an error; formula cells
of an .xlsx without a computed value are an error saying so.

Period: one survey year (November discharges, fieldwork the following winter): a
cross-section, not a month.

Example
-------
>>> from workbench.data.sources import inpatient_survey
>>> s = inpatient_survey.read("Adult-Inpatient-Survey-2022.ods")  # doctest: +SKIP
>>> s[s["item"] == "S03"].set_index("provider_code")[["score", "expected_low_95",
...     "expected_high_95", "band_label"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_formulas_cached,
    check_whole_numbers,
    check_years,
    provenance,
    to_number,
)
from workbench.errors import SourceFormatError

SOURCE = "inpatient_survey"
PUBLISHER_URL = "https://www.cqc.org.uk/publications/surveys/adult-inpatient-survey"
SCORES, RESPONDENTS = "Trust_Scores", "Trust_Respondents"
HISTORY = ("Historical_Comparisonsto2021", "Historical_Comparisonsto2020")
KEY = "Key"
CODE, NAME = "TrustCode", "trustname"
#: output column <- the prefix of the published column (``ll90Q2`` ...)
LIMITS = {"expected_low_998": "ll99", "expected_low_95": "ll95", "expected_low_90": "ll90",
          "expected_high_90": "ul90", "expected_high_95": "ul95", "expected_high_998": "ul99"}
BANDS = {1: "Much worse than expected", 2: "Worse than expected",
         3: "Somewhat worse than expected", 4: "About the same as expected",
         5: "Somewhat better than expected", 6: "Better than expected",
         7: "Much better than expected"}
CHARACTERISTICS = ("sexatbirth", "gender", "age", "eth", "religion", "sexuality", "disabled")
_ITEM = re.compile(r"^mean([QS]\d+(?:_\d+)?)$")
_EPS = 1e-9


@dataclass
class InpatientSurvey:
    """The tables of one benchmark workbook (see the module docstring)."""

    scores: pd.DataFrame
    respondents: pd.DataFrame
    characteristics: pd.DataFrame
    history: pd.DataFrame
    provenance: dict


def _sheets(path: Path, wanted: tuple[str, ...]) -> tuple[dict[str, list[list]], list[str]]:
    """The wanted sheets (those present) as lists of rows; row 0 is worksheet row 1."""
    from python_calamine import CalamineError, CalamineWorkbook

    damaged = (CalamineError, ValueError, OSError, KeyError, zipfile.BadZipFile, EOFError)
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
    except damaged as exc:
        raise SourceFormatError(path, f"not a readable workbook ({type(exc).__name__}: {exc})",
                                sheet=SCORES, expected="the published .ods/.xlsx benchmark "
                                                       "workbook") from None
    for s in (SCORES,):
        if s not in names:
            raise SourceFormatError(path, "sheet not found", sheet=s,
                                    expected=f"a sheet named {s!r}; the workbook has {names}")
    check_formulas_cached(path, [s for s in wanted if s in names])
    out = {}
    for s in wanted:
        if s in names:
            try:
                out[s] = book.get_sheet_by_name(s).to_python(skip_empty_area=False)
            except damaged as exc:
                raise SourceFormatError(path, f"sheet cannot be read ({exc})", sheet=s,
                                        expected="the publisher's table") from None
    return out, names


def _frame(rows: list[list], path: Path, sheet: str) -> tuple[pd.DataFrame, pd.Series]:
    """A sheet whose first row is the header, as text-or-number cells; blanks are NaN."""
    if not rows or not any(str(c).strip() for c in rows[0]):
        raise SourceFormatError(path, "no header row", sheet=sheet, column=CODE,
                                expected=f"the header ({CODE}, {NAME}, ...) in row 1")
    header = [str(c).strip() for c in rows[0]]
    width = len(header)
    body = [list(r[:width]) + [""] * (width - len(r)) for r in rows[1:]]
    df = pd.DataFrame(body, columns=header, dtype=object)
    df = df.replace({"": np.nan})
    df = df.dropna(how="all")
    return df, pd.Series(df.index + 2, index=df.index)


def _codes(df: pd.DataFrame, rows: pd.Series, path: Path, sheet: str) -> pd.Series:
    if CODE not in df.columns:
        raise SourceFormatError(path, f"missing column(s) [{CODE!r}]", sheet=sheet, column=CODE,
                                expected=f"the publisher's columns {CODE}, {NAME}, ...; found "
                                         f"{list(df.columns)[:20]}")
    code = df[CODE].astype("string").str.strip().str.upper()
    if code.isna().any():
        i = code.isna().idxmax()
        raise SourceFormatError(path, f"blank trust code in row {int(rows[i])}", sheet=sheet,
                                column=CODE, expected="an ODS trust code on every row")
    return code


def _numbers(df: pd.DataFrame, col: str, path: Path, sheet: str) -> pd.Series:
    s = df[col]
    fast = pd.to_numeric(s, errors="coerce")
    if bool((fast.isna() == s.isna()).all()):    # numbers only (most cells): no text to parse
        return fast.astype("float64")
    return to_number(s, col, path, sheet=sheet)


def _scores(df: pd.DataFrame, rows: pd.Series, path: Path, resp: pd.DataFrame | None
            ) -> tuple[pd.DataFrame, list[str]]:
    code = _codes(df, rows, path, SCORES)
    if "n_tpat" not in df.columns:
        raise SourceFormatError(path, "missing column(s) ['n_tpat']", sheet=SCORES,
                                column="n_tpat", expected="the trust's number of respondents")
    items = [m.group(1) for c in df.columns if (m := _ITEM.match(c))]
    if not items:
        raise SourceFormatError(path, "no score columns (meanQ..., meanS...)", sheet=SCORES,
                                column="meanQ2", expected="a mean score column per item")
    ids = pd.DataFrame({"provider_code": code,
                        "trust_name": df[NAME].astype("string").str.strip()
                        if NAME in df.columns else pd.NA,
                        "respondents": _numbers(df, "n_tpat", path, SCORES)})
    check_whole_numbers(ids, ["respondents"], path, rows=rows, labels={"respondents": "n_tpat"},
                        sheet=SCORES)
    check_duplicates(ids, ["provider_code"], path, rows=rows, sheet=SCORES, column=CODE,
                     names={"provider_code": CODE})
    parts = []
    for item in items:
        cols = {"score": f"mean{item}", **{k: f"{p}{item}" for k, p in LIMITS.items()},
                "band": f"band{item}", "z": f"{item}_Zfinal"}
        missing = [c for k, c in cols.items() if c not in df.columns and k != "z"]
        if missing:
            raise SourceFormatError(path, f"item {item} lacks column(s) {missing}",
                                    sheet=SCORES, column=missing[0],
                                    expected=f"mean, six expected-range limits and band for {item}")
        part = ids.copy()
        part["item"] = item
        for k, c in cols.items():
            part[k] = (_numbers(df, c, path, SCORES) if c in df.columns
                       else pd.Series(np.nan, index=df.index))
        _check_item(part, cols, rows, path)
        if item.startswith("Q") and resp is not None and f"{item}_tres" in resp.columns:
            part["item_respondents"] = part["provider_code"].map(
                resp[f"{item}_tres"]).astype("float64")
        else:
            part["item_respondents"] = np.nan
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["band"] = out["band"].where(out["band"] > 0)
    label = out["band"].map(BANDS).astype(object)
    out["band_label"] = label.where(label.notna(), None)
    out["item_kind"] = np.where(out["item"].str.startswith("Q"), "question", "section")
    return out, items


def _check_item(part: pd.DataFrame, cols: dict, rows: pd.Series, path: Path) -> None:
    def fail(mask, col, problem, expected):
        i = mask.idxmax()
        raise SourceFormatError(path, f"trust {part.at[i, 'provider_code']!r} in row "
                                f"{int(rows[i])}: {problem(i)}", sheet=SCORES, column=col,
                                expected=expected)

    score = part["score"]
    for k in ["score", *LIMITS]:
        v = part[k]
        off = v.notna() & ~v.between(0, 10)
        if off.any():
            fail(off, cols[k], lambda i, v=v: f"{v[i]:g} outside 0-10",
                 "scores and expected ranges on the 0-10 scale")
    lim = [part[k] for k in LIMITS]  # low 99.8, 95, 90, high 90, 95, 99.8
    for a, b, ka, kb in zip(lim, lim[1:], list(LIMITS), list(LIMITS)[1:]):
        off = a.notna() & b.notna() & (a > b + _EPS)
        if off.any():
            fail(off, cols[kb], lambda i, a=a, b=b, ka=ka: f"{b[i]:g} is below {cols[ka]} "
                 f"{a[i]:g}", "nested expected ranges (99.8% outside 95% outside 90%)")
    with_score = score.notna()
    gap = with_score & pd.concat(lim, axis=1).isna().any(axis=1)
    if gap.any():
        fail(gap, cols["expected_low_95"], lambda i: "a score without its expected range",
             "the expected range (six limits) beside every score")
    band = part["band"]
    bad = band.notna() & (~band.isin(range(8)))
    if bad.any():
        fail(bad, cols["band"], lambda i: f"band {band[i]:g}",
             "a band 0-7 (0 = not applicable)")
    off = (with_score & ~band.between(1, 7)) | (~with_score & band.notna() & (band != 0))
    if off.any():
        fail(off, cols["band"], lambda i: f"band {band[i]:g} with "
             + ("a score" if with_score[i] else "no score"),
             "band 1-7 where there is a score, 0 or blank where there is none")
    # band = 1 + the lower limits the score reaches + the upper limits it exceeds; a score
    # within 1e-9 of a limit may fall either side (lo and hi)
    lo = 1 + sum(((score > x + _EPS) if j >= 3 else (score >= x + _EPS)).astype(int)
                 for j, x in enumerate(lim))
    hi = 1 + sum(((score > x - _EPS) if j >= 3 else (score >= x - _EPS)).astype(int)
                 for j, x in enumerate(lim))
    wrong = with_score & band.between(1, 7) & ((band < lo) | (band > hi))
    if wrong.any():
        fail(wrong, cols["band"], lambda i: f"band {band[i]:g} for a score of {score[i]:g} "
             f"(expected band {int(lo[i])} from the ranges)",
             "the band given by where the score falls in its expected ranges")


def _respondents(df: pd.DataFrame, rows: pd.Series, path: Path) -> pd.DataFrame:
    code = _codes(df, rows, path, RESPONDENTS)
    out = pd.DataFrame({"provider_code": code}, index=df.index)
    check_duplicates(out, ["provider_code"], path, rows=rows, sheet=RESPONDENTS, column=CODE,
                     names={"provider_code": CODE})
    for c in df.columns:
        if c in (CODE, NAME):
            continue
        v = _numbers(df, c, path, RESPONDENTS)
        if (v < 0).any():
            i = (v < 0).idxmax()
            raise SourceFormatError(path, f"negative value in row {int(rows[i])}",
                                    sheet=RESPONDENTS, column=c, expected="0 or more")
        if c.endswith("_tres") or c == "n_tpat":
            check_whole_numbers(pd.DataFrame({c: v}), [c], path, rows=rows, sheet=RESPONDENTS)
        if c.endswith("_tpc") or c == "tr_rate":
            off = v.notna() & ~v.between(0, 100)
            if off.any():
                i = off.idxmax()
                raise SourceFormatError(path, f"{v[i]:g} in row {int(rows[i])}",
                                        sheet=RESPONDENTS, column=c,
                                        expected="a percentage 0-100")
        out[c] = v
    return out.set_index("provider_code")


def _key(rows: list[list] | None) -> dict[str, str]:
    """Variable name -> description from the ``Key`` sheet (sheet name carried down)."""
    out: dict[str, str] = {}
    for r in rows or []:
        if len(r) >= 3 and str(r[1]).strip():
            out.setdefault(str(r[1]).strip(), str(r[2]).strip())
    return out


def _category(description: str) -> str:
    """'Percentage aged 16 - 35 (per trust)' -> 'aged 16 - 35'."""
    text = re.sub(r"^\s*Percentage\s+", "", description)
    return re.sub(r"\s*\(per trust\)\s*$", "", text).strip()


def _characteristics(resp: pd.DataFrame, key: dict[str, str]) -> pd.DataFrame:
    cols = [c for c in resp.columns if c.endswith("_tpc")]
    if not cols:
        return pd.DataFrame(columns=["provider_code", "variable", "characteristic",
                                     "category", "pct"])
    long = resp[cols].reset_index().melt("provider_code", var_name="variable", value_name="pct")
    stem = long["variable"].str.extract(r"^([a-z]+)\d*_tpc$")[0]
    long["characteristic"] = stem.replace({"eth": "ethnic group", "sexatbirth": "sex at birth",
                                           "disabled": "disability"})
    long["category"] = long["variable"].map(lambda v: _category(key[v]) if v in key else None)
    return long[["provider_code", "variable", "characteristic", "category", "pct"]]


def _history(sheets: dict, path: Path) -> pd.DataFrame:
    parts = []
    for sheet in HISTORY:
        if sheet not in sheets:
            continue
        df, rows = _frame(sheets[sheet], path, sheet)
        if df.empty:
            continue
        code = _codes(df, rows, path, sheet)
        year = _numbers(df, "SurveyYear", path, sheet) if "SurveyYear" in df.columns else None
        check_duplicates(pd.DataFrame({"provider_code": code}), ["provider_code"], path,
                         rows=rows, sheet=sheet, column=CODE, names={"provider_code": CODE})
        for c in df.columns:
            m = re.match(r"^([QS]\d+(?:_\d+)?)_mean_H\d*$", c)
            if not m:
                continue
            item = m.group(1)
            part = pd.DataFrame({"provider_code": code, "item": item,
                                 "comparison_year": year if year is not None else np.nan,
                                 "score_then": _numbers(df, c, path, sheet)})
            base, sig = f"{item}_Base_unw", f"{item}_sig"
            part["base_then"] = _numbers(df, base, path, sheet) if base in df.columns else np.nan
            check_whole_numbers(part, ["base_then"], path, rows=rows, sheet=sheet,
                                labels={"base_then": base})
            part["change"] = _numbers(df, sig, path, sheet) if sig in df.columns else np.nan
            bad = part["change"].notna() & ~part["change"].isin([-1, 0, 1])
            if bad.any():
                i = bad.idxmax()
                raise SourceFormatError(path, f"{part.at[i, 'change']:g} in row {int(rows[i])}",
                                        sheet=sheet, column=sig,
                                        expected="-1, 0 or 1 (significance of the change)")
            parts.append(part)
    cols = ["provider_code", "item", "comparison_year", "score_then", "base_then", "change"]
    return (pd.concat(parts, ignore_index=True)[cols] if parts
            else pd.DataFrame(columns=cols))


def single_question_sections(scores: pd.DataFrame) -> dict[str, str]:
    """Sections whose trust scores equal one question's for every trust: ``{section: question}``.

    What the file itself says about which question a section holds (it gives no wording).

    >>> s = pd.DataFrame({"provider_code": ["A", "B"] * 3, "item": ["Q1"] * 2 + ["Q2"] * 2
    ...     + ["S01"] * 2, "score": [7.0, 8.0, 6.0, 9.0, 6.0, 9.0]})
    >>> single_question_sections(s)
    {'S01': 'Q2'}
    """
    wide = scores.pivot_table(index="provider_code", columns="item", values="score")
    out = {}
    for s in [c for c in wide.columns if str(c).startswith("S")]:
        for q in [c for c in wide.columns if str(c).startswith("Q")]:
            a, b = wide[s], wide[q]
            if a.notna().sum() and a.isna().equals(b.isna()) and np.allclose(
                    a.dropna(), b.dropna(), rtol=0, atol=1e-9):
                out[str(s)] = str(q)
                break
    return out


def read_all(path: str | Path, *, survey_year: int | None = None,
             allow_incomplete: bool = False) -> InpatientSurvey:
    """Every table of the benchmark workbook (module docstring).

    ``survey_year`` defaults to the four-digit year in the file name (an error when there is
    none). ``allow_incomplete`` is accepted for a uniform reader signature: the workbook has
    no totals to fall short of.
    """
    path = check_file(path)
    if survey_year is None:
        m = re.search(r"(20\d{2})", path.name)
        if not m:
            raise SourceFormatError(path, "no survey year in the file name", column=None,
                                    expected="a name such as 'Adult-Inpatient-Survey-2022.ods' "
                                             "or survey_year=")
        survey_year = int(m.group(1))
    check_years([survey_year], path, column="survey_year", what="survey year")
    sheets, names = _sheets(path, (SCORES, RESPONDENTS, KEY, *HISTORY))
    resp = None
    if RESPONDENTS in sheets:
        rdf, rrows = _frame(sheets[RESPONDENTS], path, RESPONDENTS)
        resp = _respondents(rdf, rrows, path)
    sdf, srows = _frame(sheets[SCORES], path, SCORES)
    if sdf.empty:
        raise SourceFormatError(path, "has no trust rows", sheet=SCORES, column=CODE,
                                expected="one row per trust")
    scores, items = _scores(sdf, srows, path, resp)
    scores["survey_year"] = survey_year
    cols = ["provider_code", "trust_name", "survey_year", "item", "item_kind", "respondents",
            "item_respondents", "score", *LIMITS, "band", "band_label", "z"]
    order = {it: i for i, it in enumerate(items)}
    scores = scores.sort_values(["provider_code", "item"], key=lambda s: s.map(order)
                                if s.name == "item" else s).reset_index(drop=True)[cols]
    scores["provider_code"] = scores["provider_code"].astype(str)
    scores["trust_name"] = scores["trust_name"].astype(object).where(
        scores["trust_name"].notna(), None)
    key = _key(sheets.get(KEY))
    if resp is not None:
        respondents = pd.DataFrame({
            "provider_code": resp.index.astype(str),
            "respondents": resp["n_tpat"].to_numpy() if "n_tpat" in resp else np.nan,
            "response_rate_pct": resp["tr_rate"].to_numpy() if "tr_rate" in resp else np.nan})
        characteristics = _characteristics(resp, key)
    else:
        respondents = pd.DataFrame(columns=["provider_code", "respondents", "response_rate_pct"])
        characteristics = _characteristics(pd.DataFrame(), key)
    history = _history(sheets, path)
    sections = single_question_sections(scores)
    with_range = scores.dropna(subset=["score"])
    prov = provenance(
        SOURCE, path, PUBLISHER_URL, (), survey_year=survey_year, sheets=names,
        trusts=int(scores["provider_code"].nunique()), items=items,
        scores_published=len(with_range),
        scores_suppressed=int(scores["score"].isna().sum()),
        single_question_sections=sections,
        question_wording="not in the workbook (CQC's questionnaire gives it); item codes kept",
        overall_experience_item=None,
        respondents_sheet=RESPONDENTS in sheets, history_sheets=[s for s in HISTORY if s in sheets],
        period_rule="one survey year (November discharges): a cross-section, not a month")
    for t in (scores, respondents, characteristics, history):
        t.attrs["provenance"] = prov
    return InpatientSurvey(scores, respondents, characteristics, history, prov)


def read(path: str | Path, *, survey_year: int | None = None,
         allow_incomplete: bool = False) -> pd.DataFrame:
    """The ``scores`` table: one row per trust x item, with its expected range and band.

    >>> import tempfile, pathlib
    >>> from openpyxl import Workbook
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "Adult-Inpatient-Survey-2022.xlsx"
    >>> wb = Workbook(); ws = wb.active; ws.title = "Trust_Scores"
    >>> ws.append(["TrustCode", "trustname", "n_tpat", "meanQ2", "ll90Q2", "ul90Q2", "ll95Q2",
    ...            "ul95Q2", "ll99Q2", "ul99Q2", "bandQ2", "Q2_Zfinal"])
    >>> ws.append(["RJ1", "Guy's", 400, 8.6, 6.4, 8.0, 6.3, 8.1, 5.7, 8.7, 6, 2.1])
    >>> wb.save(p)
    >>> r = read(p).iloc[0]
    >>> r["item"], float(r["score"]), float(r["expected_low_95"]), r["band_label"]
    ('Q2', 8.6, 6.3, 'Better than expected')
    """
    return read_all(path, survey_year=survey_year, allow_incomplete=allow_incomplete).scores
