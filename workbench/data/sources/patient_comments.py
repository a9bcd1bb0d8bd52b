"""Labelled patient feedback comments (Friends and Family Test free text) and their themes.

Two layouts of the pxtextmining project (NHS England-funded) are read:

* ``v6framework_*.csv`` -- one row per FFT free-text answer: ``Comment ID, Trust,
  Respondent ID, Date`` (``DD/MM/YYYY``), ``Service type 1, Service type 2, FFT categorical
  answer`` (1 very good ... 5 very poor; 6 and 7 are don't know / other), ``FFT question,
  FFT answer`` (the text), ``Person identifiable info?, Comment sentiment`` (labeller's, 1
  very positive ... 5 very negative, 3 mixed or neutral), then one column per theme of the
  qualitative framework, ``1`` where the theme applies and blank otherwise;
* ``phase_1__text_data.csv`` -- ``code, label, subcategory, feedback, criticality``
  (-5 highly critical ... +5 highly positive), ``organization`` (``Trust A/B/C``),
  ``question, row_index``: one row per comment with one code; no dates, no FFT score.

:func:`read` returns a :class:`Comments` with two tables:

``comments`` (one row per comment)
    ``comment_id`` (``Comment ID``; ``phase_1:<row_index>``), ``source`` (``v6framework``
    / ``phase_1``), ``trust`` (as published: ``NEAS``, ``NHFT``, ``Trust A`` ...),
    ``date`` (day; missing in phase 1), ``service``, ``service_detail``, ``question``,
    ``fft_score`` (1-5; 6, 7 and blank are missing), ``sentiment`` (1-5, v6 only),
    ``criticality`` (-5..5, phase 1 only), ``text`` (missing when blank or the trusts'
    placeholder ``Did not answer``), ``respondent_id`` (v6 ``Respondent ID``: one
    respondent may answer two or three questions; missing in phase 1) and
    ``person_identifiable`` (v6 ``Person identifiable info?``: true where the labeller
    marked the cell, false where it is blank; missing in phase 1, which has no such flag).
``themes`` (tidy long)
    ``comment_id, theme, theme_group``: one row per comment x theme that applies (v6: a
    ``1`` in the theme's column; phase 1: the row's ``subcategory``, with its ``code``
    and major ``label``). ``theme_group`` is the workbench's group (:data:`THEME_GROUPS`)
    or missing for themes outside them.

Theme groups (from the labels present in the two files)
-------------------------------------------------------
=====================  =================================================================
``staff_numbers``      v6 ``Number & deployment of staff``; phase 1 ``sl`` Staffing levels
``staff_attitude``     v6 ``Staff manner & personal attributes``; phase 1 ``sa`` Attitude Of
                       Staff
``timeliness_of_care`` v6 ``Timeliness of care``; phase 1 ``wa`` Time spent waiting for first
                       appt/referral/service, ``wb`` Time spent waiting between appointments
``appointments``       v6 ``Appointment arrangements``, ``Appointment method``
``communication``      v6 ``Unspecified communication``, ``Staff listening, understanding &
                       involving patients``, ``Information directly from staff during care``,
                       ``Information provision & guidance``, ``Being kept informed, clarity &
                       consistency of information``, ``Contacting services``; phase 1 ``mm``
                       Communication, ``mi`` Amount/clarity of information, ``ml`` Listening
=====================  =================================================================

Checks: the layout's columns present (a renamed column is an error naming it); FFT score
1-7 or blank, sentiment 1-5 or blank, theme cells ``1`` or blank (other text is an error
naming the line and column); a criticality outside the codebook's -5..5 (the phase 1 file
has a few labelling slips such as ``-o``, ``-9``, ``SS``) is left missing with a warning
giving their number and an example (``NA`` is missing); a comment id listed twice is an error naming
both lines; a last row cut mid-row raises :class:`~workbench.errors.SourceIncompleteError`
(``allow_incomplete=True`` warns and leaves it out). Dates that are not ``DD/MM/YYYY``
(some NEAS "See and Convey" rows are month-first, e.g. ``10/17/2021`` or ``1/14/2022``)
are left missing, not swapped, with a warning giving their number and an example; in that
service a month-first date whose day is 12 or less cannot be told from a day-first one,
so its dates are approximate.

Care: patient free text. Show it to stakeholders only as counts and shares of themes, or
as quotations that have passed a check for names, places, dates and other identifying
details.

Example
-------
>>> from workbench.data.sources import patient_comments
>>> c = patient_comments.read("v6framework_230831.csv")  # doctest: +SKIP
>>> c.themes.groupby("theme_group").comment_id.nunique()  # doctest: +SKIP
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data.sources.common import (
    check_duplicates,
    check_file,
    check_not_truncated,
    provenance,
    read_csv_text,
    require_columns,
)
from workbench.errors import SourceFormatError

SOURCE = "patient_comments"
PUBLISHER_URL = "https://github.com/The-Strategy-Unit/pxtextmining"

V6_IDS = ["Comment ID", "Trust", "Respondent ID", "Date", "Service type 1", "Service type 2",
          "FFT categorical answer", "FFT question", "FFT answer", "Person identifiable info?",
          "Comment sentiment"]
PHASE1 = ["code", "label", "subcategory", "feedback", "criticality", "organization",
          "question", "row_index"]
NO_TEXT = ("", "did not answer")
OUT_COLUMNS = ["comment_id", "source", "trust", "date", "service", "service_detail",
               "question", "fft_score", "sentiment", "criticality", "text", "respondent_id",
               "person_identifiable"]

#: workbench theme group -> the framework labels (v6 column names, phase 1 codes) in it
THEME_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "staff_numbers": {"v6framework": ("Number & deployment of staff",), "phase_1": ("sl",)},
    "staff_attitude": {"v6framework": ("Staff manner & personal attributes",),
                       "phase_1": ("sa",)},
    "timeliness_of_care": {"v6framework": ("Timeliness of care",), "phase_1": ("wa", "wb")},
    "appointments": {"v6framework": ("Appointment arrangements", "Appointment method"),
                     "phase_1": ()},
    "communication": {"v6framework": (
        "Unspecified communication", "Staff listening, understanding & involving patients",
        "Information directly from staff during care", "Information provision & guidance",
        "Being kept informed, clarity & consistency of information", "Contacting services"),
        "phase_1": ("mm", "mi", "ml")},
}

#: The trusts the v6 file names by abbreviation, and the NHS body each stands for: the
#: pxtextmining project's two public trusts, as the staging folder's MANIFEST (section 14)
#: records them (the file gives only ``NEAS`` and ``NHFT``; their services -- patient
#: transport, see and convey, 111; mental health, community, forensic -- are those of an
#: ambulance trust and of a mental health and community trust). The ODS code is looked up
#: in the ODS lists by this name (:func:`trust_codes`), never written here.
TRUST_NAMES: dict[str, str] = {
    "NEAS": "North East Ambulance Service NHS Foundation Trust",
    "NHFT": "Northamptonshire Healthcare NHS Foundation Trust",
}
#: trust labels the publisher anonymised (phase 1: ``Trust A``, ``Trust B``, ``Trust C``)
ANONYMISED = re.compile(r"^Trust [A-Z]$")
TRUST_CODE_COLUMNS = ["source", "trust", "comments", "trust_name", "provider_code", "ods_list",
                      "reason"]


@dataclass
class Comments:
    """The two tables of a comments file: ``comments`` and ``themes`` (tidy long)."""

    comments: pd.DataFrame
    themes: pd.DataFrame
    layout: str
    provenance: dict = field(default_factory=dict)


def theme_group(source: str, label: str) -> str | None:
    """The workbench theme group of a framework label, or ``None``.

    >>> theme_group("v6framework", "Number & deployment of staff")
    'staff_numbers'
    >>> theme_group("phase_1", "wa"), theme_group("phase_1", "ef")
    ('timeliness_of_care', None)
    """
    for group, labels in THEME_GROUPS.items():
        if label in labels.get(source, ()):
            return group
    return None


def detect_layout(columns) -> str | None:
    """``v6framework``, ``phase_1`` or ``None`` from a header.

    >>> detect_layout(["code", "label", "subcategory", "feedback", "row_index"])
    'phase_1'
    """
    cols = set(columns)
    if {"Comment ID", "FFT answer"} <= cols:
        return "v6framework"
    if {"feedback", "subcategory", "row_index"} <= cols:
        return "phase_1"
    return None


def _text(s: pd.Series) -> pd.Series:
    t = s.astype("string").str.strip()
    return t.mask(t.str.lower().isin(NO_TEXT) | t.isna())


def _scores(raw: pd.DataFrame, col: str, allowed: range, missing: tuple[str, ...],
            path: Path, lines: pd.Series) -> pd.Series:
    txt = raw[col].astype("string").str.strip()
    num = pd.to_numeric(txt.mask(txt == ""), errors="coerce")
    bad = txt.ne("") & (num.isna() | ~num.isin(list(allowed)))
    if bad.any():
        i = bad.idxmax()
        raise SourceFormatError(path, f"value {raw.at[i, col]!r} on line {int(lines[i])}",
                                column=col, expected=f"whole numbers {allowed.start} to "
                                                     f"{allowed.stop - 1} or blank")
    return num.mask(num.isin([float(m) for m in missing])).astype("float64")


def read(path: str | Path, *, allow_incomplete: bool = False) -> Comments:
    r"""Read a labelled comments file (either layout) into comments and themes.

    See the module docstring for the tables and checks.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "phase_1__text_data.csv"
    >>> _ = p.write_text("code,label,subcategory,feedback,criticality,organization,question,"
    ...                  "row_index\nsl,Staff,Staffing levels,Not enough nurses,-3,Trust A,"
    ...                  "Trust A - Q1,0\n")
    >>> c = read(p)
    >>> c.comments[["trust", "text"]].iloc[0].tolist(), float(c.comments["criticality"].iloc[0])
    (['Trust A', 'Not enough nurses'], -3.0)
    >>> c.themes[["theme", "theme_group"]].iloc[0].tolist()
    ['Staffing levels', 'staff_numbers']
    """
    path = check_file(path)
    cut = check_not_truncated(path, allow_incomplete=allow_incomplete)
    raw = read_csv_text(path, dtype=str, keep_default_na=False, cut_last=cut)
    raw.columns = [str(c).strip() for c in raw.columns]
    layout = detect_layout(raw.columns)
    if layout is None:
        require_columns(raw, V6_IDS if "Comment ID" in raw.columns or "Trust" in raw.columns
                        else PHASE1, path)
        raise SourceFormatError(path, "unrecognised layout", column=str(raw.columns[0]),
                                expected=f"the columns {V6_IDS} (v6 framework) or {PHASE1} "
                                         "(phase 1)")
    if raw.empty:
        raise SourceFormatError(path, "has no data rows", expected="one row per comment")
    lines = pd.Series(raw.index + 2, index=raw.index)
    if layout == "v6framework":
        comments, themes, extra = _v6(raw, path, lines)
    else:
        comments, themes, extra = _phase1(raw, path, lines)
    months = comments["date"].dropna().dt.to_period("M").dt.to_timestamp().unique()
    prov = provenance(SOURCE, path, PUBLISHER_URL, months, layout=layout,
                      comments=len(comments), with_text=int(comments["text"].notna().sum()),
                      with_text_and_score=int((comments["text"].notna()
                                               & comments["fft_score"].notna()).sum()),
                      theme_rows=len(themes), **extra)
    comments.attrs["provenance"] = prov
    themes.attrs["provenance"] = prov
    return Comments(comments=comments, themes=themes, layout=layout, provenance=prov)


def _v6(raw: pd.DataFrame, path: Path, lines: pd.Series):
    require_columns(raw, V6_IDS, path)
    theme_cols = list(raw.columns[raw.columns.get_loc("Comment sentiment") + 1:])
    if not theme_cols:
        raise SourceFormatError(path, "no theme columns after 'Comment sentiment'",
                                column="Comment sentiment",
                                expected="one column per framework theme (1 or blank)")
    ids = raw["Comment ID"].astype("string").str.strip()
    if (ids == "").any():
        i = (ids == "").idxmax()
        raise SourceFormatError(path, f"blank comment id on line {int(lines[i])}",
                                column="Comment ID", expected="an id on every row")
    out = pd.DataFrame({"comment_id": ids, "source": "v6framework",
                        "trust": raw["Trust"].astype("string").str.strip()})
    check_duplicates(out, ["comment_id"], path, rows=lines, column="Comment ID",
                     names={"comment_id": "Comment ID"}, what="line")
    txt = raw["Date"].astype("string").str.strip()
    shaped = txt.str.fullmatch(r"\d{2}/\d{2}/\d{4}").fillna(False).astype(bool)
    date = pd.to_datetime(txt.where(shaped), format="%d/%m/%Y", errors="coerce")
    odd = date.isna() & txt.ne("")
    n_odd = int(odd.sum())
    if n_odd:
        i = odd.idxmax()
        warnings.warn(f"{path} (column 'Date'): {n_odd} date(s) are not DD/MM/YYYY (e.g. "
                      f"{raw.at[i, 'Date']!r} on line {int(lines[i])}, service "
                      f"{raw.at[i, 'Service type 1'].strip()!r}) and are left missing, not "
                      "swapped", stacklevel=3)
    out["date"] = date.astype("datetime64[ns]")
    out["service"] = _text(raw["Service type 1"])
    out["service_detail"] = _text(raw["Service type 2"])
    out["question"] = _text(raw["FFT question"])
    out["fft_score"] = _scores(raw, "FFT categorical answer", range(1, 8), ("6", "7"), path,
                               lines)
    out["sentiment"] = _scores(raw, "Comment sentiment", range(1, 6), (), path, lines)
    out["criticality"] = np.nan
    out["text"] = _text(raw["FFT answer"])
    out["respondent_id"] = _text(raw["Respondent ID"])
    out["person_identifiable"] = pd.Series(
        raw["Person identifiable info?"].astype("string").str.strip().ne("").to_numpy(),
        index=raw.index, dtype=object)
    cells = raw[theme_cols].apply(lambda s: s.str.strip())
    bad = ~cells.isin(["", "1"])
    if bad.to_numpy().any():
        col = bad.columns[bad.any()][0]
        i = bad[col].idxmax()
        raise SourceFormatError(path, f"value {raw.at[i, col]!r} on line {int(lines[i])}",
                                column=col, expected="1 where the theme applies, else blank")
    hit = (cells == "1").to_numpy()
    r, c = np.nonzero(hit)
    themes = pd.DataFrame({"comment_id": ids.to_numpy()[r],
                           "theme": np.asarray(theme_cols, dtype=object)[c]})
    themes["theme_group"] = pd.Series([theme_group("v6framework", t) for t in themes["theme"]],
                                      index=themes.index, dtype=object)
    return _finish(out), themes.reset_index(drop=True), {
        "themes": theme_cols, "dates_not_day_first": n_odd}


def _phase1(raw: pd.DataFrame, path: Path, lines: pd.Series):
    require_columns(raw, PHASE1, path)
    rid = raw["row_index"].astype("string").str.strip()
    num = pd.to_numeric(rid, errors="coerce")
    if num.isna().any():
        i = num.isna().idxmax()
        raise SourceFormatError(path, f"value {raw.at[i, 'row_index']!r} on line "
                                f"{int(lines[i])}", column="row_index",
                                expected="a whole-number row id on every row")
    out = pd.DataFrame({"comment_id": "phase_1:" + rid, "source": "phase_1",
                        "trust": raw["organization"].astype("string").str.strip()})
    check_duplicates(out, ["comment_id"], path, rows=lines, column="row_index",
                     names={"comment_id": "row_index"}, what="line")
    out["date"] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    out["service"] = pd.NA
    out["service_detail"] = pd.NA
    out["question"] = _text(raw["question"])
    out["fft_score"] = np.nan
    out["sentiment"] = np.nan
    crit = raw["criticality"].astype("string").str.strip()
    crit = crit.mask(crit.str.upper().isin(["", "NA", "-NA"]))
    cnum = pd.to_numeric(crit, errors="coerce")
    bad = crit.notna() & (cnum.isna() | ~cnum.isin(list(range(-5, 6))))
    if bad.any():
        i = bad.idxmax()
        warnings.warn(f"{path} (column 'criticality'): {int(bad.sum())} value(s) outside the "
                      f"codebook's -5..5 (e.g. {raw.at[i, 'criticality']!r} on line "
                      f"{int(lines[i])}) are left missing", stacklevel=3)
        cnum = cnum.mask(bad)
    out["criticality"] = cnum.astype("float64")
    out["text"] = _text(raw["feedback"])
    out["respondent_id"] = None
    out["person_identifiable"] = None
    code = raw["code"].astype("string").str.strip()
    sub = _text(raw["subcategory"])
    has = code.ne("") & code.notna()
    themes = pd.DataFrame({"comment_id": out.loc[has, "comment_id"].to_numpy(),
                           "theme": sub[has].astype(object).to_numpy(),
                           "code": code[has].astype(object).to_numpy(),
                           "label": _text(raw["label"])[has].astype(object).to_numpy()})
    themes["theme_group"] = pd.Series([theme_group("phase_1", c) for c in themes["code"]],
                                      index=themes.index, dtype=object)
    return _finish(out), themes.reset_index(drop=True), {
        "codes": sorted(set(code[has])), "criticality_outside_codebook": int(bad.sum())}


def _finish(out: pd.DataFrame) -> pd.DataFrame:
    out = out[OUT_COLUMNS].reset_index(drop=True)
    for c in ("comment_id", "source", "trust", "service", "service_detail", "question", "text",
              "respondent_id"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def trust_codes(comments: pd.DataFrame, *ods_tables: pd.DataFrame) -> pd.DataFrame:
    """The ODS code of each trust the comments name, found in the ODS lists by name.

    ``comments`` is the ``comments`` table of :func:`read` (or several concatenated);
    ``ods_tables`` are :func:`workbench.data.sources.ods.read` tables, the current list
    first. A published abbreviation is expanded with :data:`TRUST_NAMES`; any other label is
    looked up as it stands. The name must match one organisation of the lists exactly
    (:func:`workbench.data.sources.ods.codes_by_name`); nothing is matched in part.

    Returns one row per ``source`` x ``trust``: ``comments`` (their number),
    ``trust_name`` (the name looked up), ``provider_code`` (``None`` when unmatched),
    ``ods_list`` (the list that gave it) and ``reason`` (why unmatched: anonymised by the
    publisher, no organisation of that name, several).

    >>> import pandas as pd
    >>> c = pd.DataFrame({"source": ["v6framework", "phase_1"], "trust": ["NEAS", "Trust A"]})
    >>> t = pd.DataFrame({"code": ["RX6"], "is_site": [False], "close_date": [pd.NaT],
    ...     "name": ["NORTH EAST AMBULANCE SERVICE NHS FOUNDATION TRUST"]})
    >>> trust_codes(c, t)[["trust", "provider_code"]].values.tolist()
    [['NEAS', 'RX6'], ['Trust A', None]]
    """
    from workbench.data.sources import ods

    if len(comments) == 0:
        return pd.DataFrame(columns=TRUST_CODE_COLUMNS)
    counts = comments.groupby(["source", "trust"], sort=False, dropna=False).size()
    rows = []
    for (source, trust), n in counts.items():
        label = "" if trust is None or pd.isna(trust) else str(trust).strip()
        rec = {"source": source, "trust": trust, "comments": int(n), "trust_name": None,
               "provider_code": None, "ods_list": None, "reason": None}
        if not label:
            rec["reason"] = "no trust named"
        elif ANONYMISED.match(label):
            rec["reason"] = "anonymised by the publisher: no name to look up"
        else:
            name = TRUST_NAMES.get(label.upper(), label)
            hit = ods.codes_by_name([name], *ods_tables).iloc[0]
            rec["trust_name"] = name
            if pd.notna(hit["code"]):
                rec["provider_code"], rec["ods_list"] = str(hit["code"]), str(hit["list"])
            else:
                rec["reason"] = f"{hit['reason']} ({name!r})"
        rows.append(rec)
    out = pd.DataFrame(rows, columns=TRUST_CODE_COLUMNS).astype(object)
    return out.where(out.notna(), None)


def with_trust_codes(comments: pd.DataFrame, codes: pd.DataFrame) -> pd.DataFrame:
    """``comments`` with a ``provider_code`` column from :func:`trust_codes` (``None`` where
    the trust has no code).

    >>> import pandas as pd
    >>> c = pd.DataFrame({"source": ["v6framework"], "trust": ["NEAS"]})
    >>> k = pd.DataFrame({"source": ["v6framework"], "trust": ["NEAS"],
    ...                   "provider_code": ["RX6"]})
    >>> with_trust_codes(c, k)["provider_code"].tolist()
    ['RX6']
    """
    key = codes.set_index(["source", "trust"])["provider_code"]
    got = [key.get((s_, t), None) for s_, t in zip(comments["source"], comments["trust"])]
    out = comments.copy()
    out["provider_code"] = pd.Series([None if v is None or pd.isna(v) else str(v) for v in got],
                                     index=comments.index, dtype=object)
    return out
