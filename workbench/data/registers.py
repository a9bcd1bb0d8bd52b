"""Sector and setting of each provider, from what registers say, never from names or code shapes.

Every table the build reads that states who an organisation is gives **evidence**: one row
per organisation code and register, with the ``sector`` and/or ``setting`` that register
states (:func:`evidence`, :func:`path_evidence`). A name counts only where the register
itself names a body by its statutory or legal form (the CQC's registered provider names,
the workforce file's CCGs); a code's shape never does. :func:`decide` then gives each panel provider its sector and
setting from the evidence alone. What no register settles is ``unknown``, and
:func:`decide` lists those codes; nothing is made NHS (or acute) by default.

Registers and what each settles
-------------------------------
=========================  ====================================================================
ODS trust lists            a code **listed** in ``etr.csv`` (NHS trusts) or the trusts-and-sites
(``ods_etr``,              file ``etrust*.csv``: ``nhs``. A site is NHS only when the site code
``ods_etrust``)            itself is listed: a code that merely starts with a trust's three
                           characters is not (SpaMedica Kendal, ``R1G7E``, is not a site of the
                           closed trust ``R1G``). A trust that has closed is still ``nhs``
                           (the lists keep closed trusts with their close date, which the
                           evidence records). ODS publishes no trust type: no setting.
NHS Staff Survey           the benchmarking group of the organisation's latest survey year
2021-24                    (:data:`BENCHMARK_GROUPS`): NHS trust groups, ICBs, CCGs and CSUs are
(``staff_survey_trust``)   ``nhs``; social enterprises and community surgical services (non-NHS
                           organisations that take part) ``independent``; the group gives the
                           setting (acute, acute specialist -> ``acute``; mental health and
                           learning disability -> ``mental_health``; community; ambulance;
                           ICBs and CCGs -> ``commissioner``; CSUs -> ``other``).
RTT provider workbooks     a provider on the ``IS Provider`` sheet (independent-sector provider
(``rtt_provider_workbook``) sites) is ``independent``, on the ``Provider`` sheet ``nhs``. An
                           independent site there is given setting ``acute``: the sheet lists
                           providers of consultant-led elective care, the scope of the RTT
                           collection. NHS trusts on the ``Provider`` sheet get no setting from
                           it (mental health trusts report RTT pathways too).
CQC locations export       a provider ID or location ID with its ownership (``nhs`` /
(``cqc_locations``)        ``independent``, from the provider's registered name, see
                           :mod:`workbench.data.sources.cqc_locations`). NHS providers' IDs are
                           ODS codes; independent providers' are CQC IDs (``1-...``), which
                           match a panel code only where the panel uses them.
CQC API / ratings          the record's CQC type (``NHS Healthcare Organisation`` and primary
(``cqc_api``,              medical services -> ``nhs``, other types ``independent``) and its
``cqc_ratings``)           setting from the care-home flag and inspection category.
HCHS workforce by          ``nhs`` for every organisation listed: the publisher's title says
organisation               the file holds staff "in NHS Trusts and CCGs in England" (NHS
(``workforce``)            workforce statistics cover NHS employers only). An organisation the
                           file names as a CCG (its published name ends ``CCG`` or ``Clinical
                           Commissioning Group``: the body's statutory name, as the CQC's legal
                           names say ``NHS Trust``) gets setting ``commissioner``.
KO41a site list            links each site to the organisation that reports for it
(``ko41a_sites``)          (:func:`site_links`): a site no other register settles takes the
                           one sector its organisation has from the other registers (a site
                           is run by its organisation); never a setting.
KO41b primary-care         the publisher's ``Return`` of each organisation: ``GP`` -> setting
complaints returns         ``gp`` (the sector then follows ``gp_sector``, as for the CQC's GP
(``complaints_ko41b``)     practices); ``ICB`` -> ``nhs``, ``commissioner``; ``Dental``
                           returns settle nothing. Read from the KO41a publication's zip
                           (:func:`path_evidence`).
=========================  ====================================================================

Commissioners
-------------
A CCG or an ICB (and a sub-ICB location) buys care; it is not a provider. It is labelled
sector ``nhs`` (every commissioner is an NHS body) and setting ``commissioner``, so an
analysis that selects providers by setting (``acute``, ``mental_health`` ...) leaves it out.
Commissioners enter the real-data panel through the 2017-2018 HCHS workforce file (CCGs'
own staff). Commissioning support units (CSUs) support commissioners: ``nhs``, ``other``.

Deciding (:func:`decide`)
-------------------------
* ``sector``: the one sector the registers state. When registers disagree (one says
  ``nhs``, another ``independent``) the sector is ``unknown`` and the code is listed in
  ``conflicts`` with what each register said. No evidence: ``unknown``. A provider a
  register records as a GP practice (setting ``gp``: the CQC, a KO41b ``GP`` return) takes
  ``gp_sector`` (default ``nhs``: GP practices hold NHS contracts).
* ``setting``: the first register that states one, in the order staff survey, CQC
  record, RTT workbook, KO41b return, HCHS workforce (:data:`SETTING_ORDER`); else
  ``unknown``.
* ``sector_from`` / ``setting_from`` name the registers (and files) used.
* What stays unknown is listed with why (:func:`why_unknown`): the files it appears in and
  that no register read lists it, or what the disagreeing registers said.

Example
-------
>>> import pandas as pd
>>> ev = pd.concat([
...     evidence("ods_etr", pd.DataFrame({"code": ["RX6"], "is_site": [False]}), "etr.csv"),
...     evidence("rtt_provider_workbook", pd.DataFrame({"provider_code": ["R1G7E"],
...              "sheet": ["IS Provider"]}), "wb.xlsx")])
>>> d = decide(["RX6", "R1G7E", "NT4"], ev)
>>> d[["sector", "setting"]].values.tolist()
[['nhs', 'unknown'], ['independent', 'acute'], ['unknown', 'unknown']]
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from workbench.errors import ArgumentError, SourceFormatError

EVIDENCE_COLUMNS = ["code", "sector", "setting", "register", "file", "detail"]
#: The register that links sites to the organisations that run them (KO41a site list).
SITE_REGISTER = "ko41a_sites"

#: staff survey benchmarking group -> (sector, setting)
BENCHMARK_GROUPS: dict[str, tuple[str, str]] = {
    "Acute and Acute & Community Trusts": ("nhs", "acute"),
    "Acute Specialist Trusts": ("nhs", "acute"),
    "Mental Health & Learning Disability and Mental Health, Learning Disability & "
    "Community Trusts": ("nhs", "mental_health"),
    "Community Trusts": ("nhs", "community"),
    "Ambulance Trusts": ("nhs", "ambulance"),
    "ICBs": ("nhs", "commissioner"),
    "CCGs": ("nhs", "commissioner"),
    "CSUs": ("nhs", "other"),
    "Social Enterprises - Community": ("independent", "community"),
    "Social Enterprises - Mental Health": ("independent", "mental_health"),
    "Community Surgical Services": ("independent", "community"),
}
#: registers in the order they settle a setting
SETTING_ORDER = ("staff_survey_trust", "cqc_api", "cqc_ratings", "rtt_provider_workbook",
                 "complaints_ko41b", "workforce")
RTT_SHEETS = {"Provider": ("nhs", None), "IS Provider": ("independent", "acute")}
#: KO41b return -> (sector, setting); a GP practice's sector follows ``gp_sector``
KO41B_RETURNS = {"GP": (None, "gp"), "ICB": ("nhs", "commissioner")}
#: what the HCHS workforce file's publisher says it covers
WORKFORCE_COVERS = "HCHS workforce statistics: staff in NHS trusts and CCGs only"
#: the end of a CCG's published name (``NHS Bury CCG``, ``... Clinical Commissioning Group``)
CCG_NAME = re.compile(r"(?:\bCCG|\bClinical Commissioning Group)\s*$", re.IGNORECASE)


def _frame(code, sector, setting, register: str, file: str, detail) -> pd.DataFrame:
    """Evidence rows; each of ``sector``, ``setting``, ``detail`` is one value or one per code."""
    codes = pd.Series(list(code), dtype=object).astype(str).str.strip().str.upper()
    n = len(codes)

    def col(v):
        vals = [v] * n if v is None or isinstance(v, str) else list(v)
        return [None if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) else x
                for x in vals]

    return pd.DataFrame({"code": codes.to_list(), "sector": col(sector),
                         "setting": col(setting), "register": register, "file": file,
                         "detail": col(detail)}, columns=EVIDENCE_COLUMNS)


def evidence(kind: str, df: pd.DataFrame, file: str) -> pd.DataFrame:
    """What the table ``df`` (read by the reader of ``kind``) says about organisations.

    Returns :data:`EVIDENCE_COLUMNS`; a kind that is not a register gives no rows.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"provider_code": ["TAD", "TAD"], "year": [2023, 2024],
    ...     "benchmarking_group": ["Community Trusts", "Mental Health & Learning Disability "
    ...     "and Mental Health, Learning Disability & Community Trusts"]})
    >>> evidence("staff_survey_trust", t, "s.csv")[["code", "sector", "setting"]].values.tolist()
    [['TAD', 'nhs', 'mental_health']]
    """
    empty = pd.DataFrame(columns=EVIDENCE_COLUMNS)
    if df is None or len(df) == 0:
        return empty
    if kind in ("ods_etr", "ods_etrust"):
        what = "NHS trust list" if kind == "ods_etr" else "NHS trusts and sites list"
        closed = df["close_date"] if "close_date" in df else pd.Series(pd.NaT, index=df.index)
        return _frame(df["code"], "nhs", None, kind, file,
                      [f"listed in the ODS {what}" + (f" (closed {pd.Timestamp(c):%Y-%m-%d})"
                                                      if pd.notna(c) else "") for c in closed])
    if kind == "workforce":
        per = df.drop_duplicates("provider_code")
        names = per["provider_name"].astype("string").fillna("") if "provider_name" in per \
            else pd.Series("", index=per.index, dtype="string")
        ccg = names.str.contains(CCG_NAME).fillna(False).astype(bool)
        return _frame(per["provider_code"], "nhs", ["commissioner" if c else None for c in ccg],
                      kind, file, [WORKFORCE_COVERS + (f"; named as a CCG: {n!r}" if c else "")
                                   for n, c in zip(names, ccg)])
    if kind == "complaints_ko41b":
        per = df[df["return_type"].isin(list(KO41B_RETURNS))].drop_duplicates(
            ["provider_code", "return_type"])
        return _frame(per["provider_code"], [KO41B_RETURNS[r][0] for r in per["return_type"]],
                      [KO41B_RETURNS[r][1] for r in per["return_type"]], kind, file,
                      [f"KO41b {y} return {r!r} (written complaints in primary care)".replace(
                          "  ", " ") for y, r in zip(per.get("financial_year", [""] * len(per)),
                                                     per["return_type"])])
    if kind == "staff_survey_trust":
        latest = df.sort_values("year").drop_duplicates("provider_code", keep="last")
        groups = latest["benchmarking_group"].map(
            lambda g: BENCHMARK_GROUPS.get(g, (None, None)) if isinstance(g, str) else (None, None))
        return _frame(latest["provider_code"], [g[0] for g in groups], [g[1] for g in groups],
                      kind, file, [f"staff survey {y} benchmarking group {g!r}" for y, g in
                                   zip(latest["year"], latest["benchmarking_group"])])
    if kind == "rtt_provider_workbook":
        per = df.drop_duplicates(["provider_code", "sheet"])
        known = per["sheet"].isin(list(RTT_SHEETS))
        per = per[known]
        return _frame(per["provider_code"], [RTT_SHEETS[s][0] for s in per["sheet"]],
                      [RTT_SHEETS[s][1] for s in per["sheet"]], kind, file,
                      [f"RTT provider workbook sheet {s!r}" for s in per["sheet"]])
    if kind == "cqc_locations":
        prov = df.drop_duplicates("provider_id")
        loc = df
        return pd.concat([
            _frame(prov["provider_id"], prov["ownership"], None, kind, file,
                   [f"CQC provider {n!r}" for n in prov["provider_name"]]),
            _frame(loc["location_id"], loc["ownership"], None, kind, file,
                   [f"CQC location of {n!r}" for n in loc["provider_name"]]),
        ], ignore_index=True).drop_duplicates(["code", "sector"])
    if kind in ("cqc_api", "cqc_ratings"):
        rec = df[df["provider_code"].notna()]
        if "registered" in rec:
            rec = rec[rec["registered"].astype(bool)]
        rec = rec.drop_duplicates("provider_code", keep="last")
        setting = rec["setting"].where(rec["setting"].isin(
            ["acute", "care_home", "mental_health", "community", "gp"]), None)
        return _frame(rec["provider_code"], rec["sector"].where(rec["sector"].notna(), None),
                      setting.astype(object), kind, file, "CQC record (type, inspection category)")
    return empty


def decide(codes: Iterable[str], ev: pd.DataFrame, *, gp_sector: str = "nhs") -> pd.DataFrame:
    """Sector and setting of each code from the evidence (rules in the module docstring).

    Returns one row per code (index ``code``) with ``sector, setting, sector_from,
    setting_from`` and ``conflict`` (what the registers said when they disagree, else
    ``None``).

    >>> import pandas as pd
    >>> ev = pd.DataFrame({"code": ["X1", "X1"], "sector": ["nhs", "independent"],
    ...     "setting": [None, None], "register": ["ods_etr", "rtt_provider_workbook"],
    ...     "file": ["etr.csv", "wb.xlsx"], "detail": ["", ""]})
    >>> decide(["X1"], ev).loc["X1", "sector"]
    'unknown'
    """
    if gp_sector not in ("nhs", "independent"):
        raise ArgumentError("decide", "gp_sector", gp_sector, expected="'nhs' or 'independent'")
    codes = list(dict.fromkeys(str(c).strip().upper() for c in codes))
    ev = ev if len(ev) else pd.DataFrame(columns=EVIDENCE_COLUMNS)
    all_ev = ev
    ev = ev[ev["code"].isin(codes)]
    sectors = ev[ev["sector"].notna()].groupby("code")
    settings = ev[ev["setting"].notna()].copy()
    order = {r: i for i, r in enumerate(SETTING_ORDER)}
    settings["_order"] = settings["register"].map(order).fillna(len(order))
    settings = settings.sort_values(["code", "_order"], kind="stable").drop_duplicates("code")
    setting_of = settings.set_index("code")
    rows = []
    said = {code: g for code, g in sectors}
    for code in codes:
        g = said.get(code)
        conflict = None
        if g is None:
            sector, sector_from = "unknown", None
        else:
            values = sorted(set(g["sector"]))
            sources = "; ".join(sorted({f"{r} ({f})" for r, f in zip(g["register"], g["file"])}))
            if len(values) == 1:
                sector, sector_from = values[0], sources
            else:
                sector, sector_from = "unknown", None
                conflict = "; ".join(f"{r} ({f}) says {s}" for r, f, s in
                                     zip(g["register"], g["file"], g["sector"]))
        if code in setting_of.index:
            setting = setting_of.at[code, "setting"]
            setting_from = f"{setting_of.at[code, 'register']} ({setting_of.at[code, 'file']})"
        else:
            setting, setting_from = "unknown", None
        if setting == "gp" and conflict is None:
            sector = gp_sector
            sector_from = (sector_from or "") + f"; GP practice -> gp_sector={gp_sector}"
        rows.append({"code": code, "sector": sector, "setting": setting,
                     "sector_from": sector_from, "setting_from": setting_from,
                     "conflict": conflict})
    out = pd.DataFrame(rows, columns=["code", "sector", "setting", "sector_from",
                                      "setting_from", "conflict"]).set_index("code")
    return _sites_follow_organisations(out, ev, all_ev, gp_sector)


def _sites_follow_organisations(out: pd.DataFrame, ev: pd.DataFrame, all_ev: pd.DataFrame,
                                gp_sector: str) -> pd.DataFrame:
    """An unknown code that a site list links to organisations takes their one settled sector."""
    links = ev[(ev["register"] == SITE_REGISTER) & ev["detail"].astype(str).str.startswith(
        "site of ")]
    links = links[links["code"].map(out["sector"]).eq("unknown")
                  & links["code"].map(out["conflict"]).isna()]
    if links.empty:
        return out
    parents = links["detail"].str.removeprefix("site of ")
    of_parents = decide(sorted(set(parents)), all_ev[all_ev["register"] != SITE_REGISTER],
                        gp_sector=gp_sector)
    for code, group in parents.groupby(links["code"]):
        settled = of_parents.loc[list(dict.fromkeys(group)), "sector"]
        if (settled == "unknown").any() or settled.nunique() != 1:
            continue
        org = group.iloc[0]
        file = links.loc[links["code"] == code, "file"].iloc[0]
        out.loc[code, "sector"] = settled.iloc[0]
        out.loc[code, "sector_from"] = (f"{SITE_REGISTER} ({file}): site of {org}, whose "
                                        f"sector is from {of_parents.at[org, 'sector_from']}")
    return out


def path_evidence(kind: str, path: str | Path, allow_incomplete: bool = False) -> pd.DataFrame:
    """What a publication holds about organisations beside the table its reader returns.

    The KO41a written-complaints publication (``complaints_ko41a``: its zip, or its
    organisation-level CSV with the KO41b practice-level CSV saved beside it) also holds the
    primary-care KO41b returns; their ``Return`` says which organisations are GP practices
    and ICBs (:mod:`workbench.data.sources.complaints_ko41b`). Other kinds, and a
    publication without the KO41b table, give no rows. The file named in the evidence is
    ``<file> (KO41b practice level)``. The publication's zip also gives its site list
    (:func:`site_links`). ``allow_incomplete`` is passed to the readers.

    >>> path_evidence("ae", "Monthly-AE-June-2025.csv").empty
    True
    """
    from workbench.data.sources import complaints_ko41b

    empty = pd.DataFrame(columns=EVIDENCE_COLUMNS)
    if kind != "complaints_ko41a":
        return empty
    path = Path(path)
    if zipfile.is_zipfile(path):
        source = path if complaints_ko41b.member(path) else None
    else:
        source = complaints_ko41b.sibling(path)
    parts = [site_links(path, allow_incomplete)] if zipfile.is_zipfile(path) else []
    if source is not None:
        table = complaints_ko41b.read(source, allow_incomplete=allow_incomplete)
        parts.append(evidence("complaints_ko41b", table,
                              f"{source.name} (KO41b practice level)"))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty


def site_links(path: str | Path, allow_incomplete: bool = False) -> pd.DataFrame:
    """The KO41a publication's site list as evidence that links each site to its organisation.

    The ``Site Level`` table names, for every site an organisation reports complaints for,
    the organisation (``Organisation_Code``). Each site whose code differs from its
    organisation's gives one row: register ``ko41a_sites``, no sector or setting of its own,
    detail ``site of <organisation code>``. :func:`decide` gives such a site the sector its
    organisation has from the other registers (a site is run by its organisation), when no
    register settles the site itself. A site listed under organisations of different sectors
    stays unknown.

    >>> site_links("no-sites.csv").empty  # a file that is not the publication's zip
    True
    """
    from workbench.data.sources import complaints_ko41a

    empty = pd.DataFrame(columns=EVIDENCE_COLUMNS)
    if not Path(path).exists() or not zipfile.is_zipfile(path):
        return empty
    try:
        sites = complaints_ko41a.read_sites(path, allow_incomplete=allow_incomplete)
    except SourceFormatError as exc:
        if "holds no site-level table" in str(exc):
            return empty  # a zip with the organisation table only: no site list
        raise
    sites = sites[sites["site_code"].astype(str) != sites["provider_code"].astype(str)]
    if sites.empty:
        return empty
    return pd.DataFrame({
        "code": sites["site_code"].astype(str).str.strip().str.upper(), "sector": None,
        "setting": None, "register": SITE_REGISTER,
        "file": f"{Path(path).name} (KO41a site level)",
        "detail": "site of " + sites["provider_code"].astype(str).str.strip().str.upper(),
    }, columns=EVIDENCE_COLUMNS).drop_duplicates(["code", "detail"]).reset_index(drop=True)


#: What a code's shape suggests it is, and the ODS list that would settle it, in order of
#: testing. For the record of what stays unknown only: a shape never settles a sector.
CODE_SHAPES: tuple[tuple[str, str], ...] = (
    (("independent-sector site, new-style code (letter-digit-letter-digit-letter; "
      "ODS ephpsite)"), r"[A-Z]\d[A-Z]\d[A-Z]"),
    ("GP-led or urgent-care service (Y + 5 digits; ODS epraccur)", r"Y\d{5}"),
    ("GP practice (letter + 5 digits; ODS epraccur)", r"[A-Z]\d{5}"),
    ("NHS-trust-shaped code not in the ODS trust lists (R + 2)", r"R[A-Z0-9]{2}"),
    ("non-NHS organisation (3 characters; ODS ephp)", r"[A-Z0-9]{3}"),
    ("site of a non-NHS organisation (organisation code + 2; ODS ephpsite)", r"[A-Z0-9]{5}"),
)
#: Where an unknown code appears, by the files of measures that hold it (first match).
SEEN_IN_GROUPS: tuple[tuple[str, str], ...] = (
    ("RTT full extract", r"RTT.*full-extract"),
    ("monthly A&E files", r"Monthly-AE|AE-by-provider"),
    ("NHSRdatasets A&E only (2016-2019)", r"ae_attendances"),
    ("staff survey 2015-2019 only", r"data\.NHS\."),
)


def code_shape(code: str) -> str:
    """What an organisation code's shape suggests it is (:data:`CODE_SHAPES`), or ``other``.

    Used to describe the providers no register settles, never to settle one.

    >>> code_shape("A1S9E").split(",")[0], code_shape("Y02147").split(" (")[0]
    ('independent-sector site', 'GP-led or urgent-care service')
    >>> code_shape("NNF16")
    'site of a non-NHS organisation (organisation code + 2; ODS ephpsite)'
    """
    return next((label for label, rx in CODE_SHAPES if re.fullmatch(rx, str(code))), "other")


def unknown_split(why: Iterable[Mapping]) -> pd.DataFrame:
    """The providers left unknown (:func:`why_unknown`'s records) counted by where they
    appear (:data:`SEEN_IN_GROUPS`) and by code shape (:func:`code_shape`): columns
    ``seen_in, shape, providers, codes``.

    >>> unknown_split([{"code": "A1S9E", "files": ["x-RTT-April-2026-full-extract.csv.zip"]},
    ...                {"code": "Y02147", "files": ["Monthly-AE-May-2025.csv"]}]
    ...               )[["seen_in", "providers"]].values.tolist()
    [['RTT full extract', 1], ['monthly A&E files', 1]]
    """
    rows = []
    for rec in why:
        files = [str(f) for f in rec.get("files", [])]
        where = next((label for label, rx in SEEN_IN_GROUPS
                      if any(re.search(rx, f) for f in files)), "other files")
        rows.append({"seen_in": where, "shape": code_shape(rec["code"]), "code": rec["code"]})
    frame = pd.DataFrame(rows, columns=["seen_in", "shape", "code"])
    order = {label: i for i, (label, _) in enumerate(SEEN_IN_GROUPS)}
    out = (frame.groupby(["seen_in", "shape"], sort=True)
           .agg(providers=("code", "size"), codes=("code", lambda c: ", ".join(sorted(c))))
           .reset_index())
    out["_order"] = out["seen_in"].map(order).fillna(len(order))
    return out.sort_values(["_order", "shape"], kind="stable").drop(columns="_order") \
        .reset_index(drop=True)


def why_unknown(decided: pd.DataFrame, seen_in: Mapping[str, Iterable[str]],
                names: Mapping[str, str] | pd.Series | None = None) -> list[dict]:
    """Why each provider whose sector no register settles is ``unknown``, for the provenance.

    ``decided`` is :func:`decide`'s table; ``seen_in`` maps each file read to the provider
    codes it holds. Returns one record per unknown code: ``code``, ``name`` (when given and
    other than the code), ``files`` (where the code appears), ``why``: that no register
    the build read lists it (the files it appears in give measures, not who runs it), or
    what the disagreeing registers said, and ``shape``: what the code's shape suggests it
    is (:func:`code_shape`; a description, never a sector).

    >>> import pandas as pd
    >>> d = pd.DataFrame({"sector": ["unknown", "nhs"], "conflict": [None, None]},
    ...                  index=pd.Index(["NT4", "RJ1"], name="code"))
    >>> why_unknown(d, {"Monthly-AE-June-2025.csv": ["NT4", "RJ1"]})[0]["files"]
    ['Monthly-AE-June-2025.csv']
    """
    where: dict[str, list[str]] = {}
    for file, codes in seen_in.items():
        for code in dict.fromkeys(str(c) for c in codes):
            where.setdefault(code, []).append(str(file))
    out = []
    for code, rec in decided[decided["sector"] == "unknown"].iterrows():
        files = where.get(code, [])
        if isinstance(rec.get("conflict"), str):
            why = f"registers disagree: {rec['conflict']}"
        else:
            why = (f"no register the build read lists it; the {len(files)} file(s) it appears "
                   "in (files) give measures, not who runs it" if files else
                   "no register the build read lists it, and no file of measures names it")
        row = {"code": code}
        if names is not None and code in names and str(names[code]) != code:
            row["name"] = str(names[code])
        out.append({**row, "files": files, "why": why, "shape": code_shape(code)})
    return out


def unsettled_text(decided: pd.DataFrame, names: pd.Series | None = None,
                   limit: int = 40) -> str:
    """The providers whose sector or setting no register settles, as lines for the terminal.

    >>> import pandas as pd
    >>> d = pd.DataFrame({"sector": ["unknown"], "setting": ["unknown"], "conflict": [None]},
    ...                  index=pd.Index(["NT4"], name="code"))
    >>> print(unsettled_text(d))
    Sector not settled by any register (1): NT4
    Setting not settled by any register (1): NT4
    """
    lines = []
    for col, what in (("sector", "Sector"), ("setting", "Setting")):
        codes = decided.index[decided[col] == "unknown"].tolist()
        if not codes:
            continue
        shown = [f"{c} ({names[c]})" if names is not None and c in names.index
                 and str(names[c]) != c else c for c in codes[:limit]]
        more = f" ... and {len(codes) - limit} more" if len(codes) > limit else ""
        lines.append(f"{what} not settled by any register ({len(codes)}): "
                     + ", ".join(shown) + more)
    conflicts = decided[decided["conflict"].notna()]
    for code, rec in conflicts.head(limit).iterrows():
        lines.append(f"Registers disagree on {code}: {rec['conflict']}")
    return "\n".join(lines)
