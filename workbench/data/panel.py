"""Join whichever official files are present into the provider x month panel.

:func:`build` walks a folder tree (``data/raw`` after :func:`workbench.data.fetch.fetch`, or
a staging folder such as ``../shared/data/real``), recognises each publication by its file
name (:data:`~workbench.data.panel_files.RECOGNISERS`; CQC API dumps and staff-survey
tables by their header), reads it with its reader, and joins the tables on ``provider_code`` x ``period``. Files it knows but
does not use (national totals, derived copies, local-authority tables) are listed with the
reason; unknown files are listed as not recognised.

Identity columns
----------------
* ``provider_name``: the ODS trust list (current ``etr`` first, then the 2018 trusts-and-sites
  list), else the first name a source gives, else the code.
* ``sector`` and ``setting``: from registers only (:mod:`workbench.data.registers`): the ODS
  trust lists, the NHS Staff Survey benchmarking groups, the RTT workbooks' ``Provider`` /
  ``IS Provider`` sheets and the CQC registers. What no register settles is ``unknown``
  (listed by :meth:`BuildResult.summary` and in the provenance); never NHS by default, and
  never from a name or the shape of a code. ``ownership``: ``nhs`` for the NHS sector,
  otherwise missing (no source here publishes for-profit / not-for-profit status by code).
* ``region``: ODS national grouping of the trust (2020 NHS England regions), else the region a
  source gives (A&E parent organisation, CQC record).

Joining: measures of different publications for the same provider-month sit side by side;
two files that disagree stop the build unless ``precedence=`` names one of them
(:func:`workbench.data.panel_join.combine`).

Not provider-month data: the staff survey 2021-24 results (one row per organisation x survey
year; fieldwork spans September to December, so no one month is honest), the labelled
patient comments and the RTT waits by treatment function
(:mod:`workbench.data.specialty_waits`, from the provider workbooks and the RTT full extract
read again by treatment function) and the RTT flows (new clock starts, completions and the
list by treatment function: :mod:`workbench.data.rtt_flows`) are written beside the panel
(:data:`~workbench.data.panel_outputs.SIDE_TABLES`), not joined into it. The catalogue
beside the panel (:mod:`workbench.data.catalogue`) lists every table written, with its
sha256 and rows, and why each side table not written is absent; sessions read the tables
through it.
The RTT provider workbooks' all-treatment-function (``C_999``) rows join the panel in their
month (median as published, % within 18 weeks from the bands), named by pathway kind.

Warnings: every warning a reader gives is caught around its call and kept twice: as text in
the input's provenance record and in :attr:`BuildResult.warnings` (file, provider, column
where known, message), which :meth:`BuildResult.warnings_text` prints grouped by file.

The build's parts live by job: which file is which publication
(:mod:`workbench.data.panel_files`), the join (:mod:`workbench.data.panel_join`), the
coverage table (:mod:`workbench.data.panel_coverage`) and the outputs written together
(:mod:`workbench.data.panel_outputs`, which also says where a panel's files are).

Example
-------
>>> from workbench.data.panel import build
>>> result = build("../shared/data/real", out="data/processed/panel.parquet")  # doctest: +SKIP
>>> result.summary()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from workbench.data import catalogue, panel_files, registers, rtt_flows, specialty_waits
from workbench.data import measures as M
from workbench.data.panel_coverage import coverage_summary, coverage_table
from workbench.data.panel_files import discover, reader_for
from workbench.data.panel_join import EXTRA_COLUMNS, Table, combine, panel_rows
from workbench.data.panel_outputs import (
    DEFAULT_OUT,
    SIDE_TABLES,
    output_paths,
    side_table_path,
    write_outputs,
)
from workbench.data.schema import validate_panel
from workbench.data.side_tables import assemble as side_tables_of
from workbench.data.side_tables import coverage_text as side_coverage_text
from workbench.data.side_tables import pieces as side_pieces
from workbench.data.sources import ods as ods_reader
from workbench.data.sources import rtt as rtt_reader
from workbench.data.sources.patient_comments import trust_codes as comment_codes
from workbench.data.sources.patient_comments import with_trust_codes
from workbench.errors import ArgumentError, SourceFormatError


@dataclass
class BuildResult:
    """What :func:`build` made: the panel, its coverage, the provenance and where they are."""

    panel: pd.DataFrame
    coverage: pd.DataFrame
    provenance: dict
    panel_path: Path
    coverage_path: Path
    provenance_path: Path
    inputs: list[dict] = field(default_factory=list)
    #: Every warning of the build: ``file``, ``kind`` (the warning's class), ``provider``
    #: and ``column`` (None when the warning does not say), ``message``.
    warnings: list[dict] = field(default_factory=list)
    #: Tables kept beside the panel (:data:`SIDE_TABLES`) and where they were written.
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    table_paths: dict[str, Path] = field(default_factory=dict)
    #: The catalogue beside the panel (:mod:`workbench.data.catalogue`).
    catalogue_path: Path | None = None
    #: Sector and setting of every provider and the registers that settled them
    #: (:func:`workbench.data.registers.decide`).
    registers: pd.DataFrame | None = None
    #: The providers no register settles, as lines for the terminal ('' when none).
    unsettled: str = ""

    def warnings_text(self) -> str:
        """The build's warnings grouped by file ('' when there are none).

        >>> r = BuildResult(pd.DataFrame(), pd.DataFrame(), {}, Path("p.parquet"),
        ...     Path("c.csv"), Path("j.json"), warnings=[{"file": "a.csv", "provider": "RJ1",
        ...     "column": "Total", "kind": "IncompleteSourceWarning", "message": "a.csv: short"}])
        >>> print(r.warnings_text())
        Warnings (1):
          a.csv
            - IncompleteSourceWarning (provider RJ1, column 'Total'): a.csv: short
        """
        return warnings_text(self.warnings)

    def summary(self) -> str:
        """A few lines for the terminal: size, sectors, constructs by period and inputs."""
        p = self.panel
        lines = [(f"Panel {self.panel_path}: {len(p)} provider-months, "
                  f"{p['provider_code'].nunique()} providers, "
                  f"{p['period'].min():%Y-%m} to {p['period'].max():%Y-%m}")]
        sec = p.drop_duplicates("provider_code")["sector"].value_counts()
        lines.append("Providers by sector: " + ", ".join(f"{k} {v}" for k, v in sec.items()))
        lines.append("Provider counts by construct and sector (any month):")
        lines.append(coverage_summary(self.coverage).to_string())
        used = [i for i in self.inputs if i["status"] == "read"]
        lines.append(f"Inputs read: {len(used)}; not used: {len(self.inputs) - len(used)} "
                     f"(see {self.provenance_path.name})")
        unread = panel_files.unread_text(self.inputs, self.provenance.get("from"))
        if unread:
            lines.append(unread)
        lines.append(f"Coverage table: {self.coverage_path}")
        for name, path in self.table_paths.items():
            lines.append(f"Beside the panel: {name} ({len(self.tables[name])} rows) {path}")
        beside = side_coverage_text(self.tables, None if self.registers is None
                                    else self.registers["sector"])
        if beside:
            lines.append(beside)
        if self.catalogue_path is not None:
            lines.append(f"Catalogue of the tables: {self.catalogue_path}")
        if self.unsettled:
            lines.append(self.unsettled)
        if self.warnings:
            lines.append(f"Warnings: {len(self.warnings)} (listed below and in "
                         f"{self.provenance_path.name})")
        return "\n".join(lines)


def warnings_text(records: list[dict]) -> str:
    """Warning records (see :attr:`BuildResult.warnings`) as lines grouped by file.

    >>> print(warnings_text([{"file": "b.csv", "message": "odd", "kind": "UserWarning"}]))
    Warnings (1):
      b.csv
        - UserWarning: odd
    """
    if not records:
        return ""
    lines = [f"Warnings ({len(records)}):"]
    by_file: dict[str, list[dict]] = {}
    for rec in records:
        by_file.setdefault(str(rec.get("file") or "(build)"), []).append(rec)
    for file, recs in by_file.items():
        lines.append(f"  {file}")
        for rec in recs:
            where = [f"provider {rec['provider']}" if rec.get("provider") else "",
                     f"column {rec['column']!r}" if rec.get("column") else ""]
            at = ", ".join(w for w in where if w)
            lines.append(f"    - {rec.get('kind', 'warning')}{f' ({at})' if at else ''}: "
                         f"{rec['message']}")
    return "\n".join(lines)


_COLUMN_RX = re.compile(r"""column (['"])(.+?)\1""")
_PROVIDER_RX = re.compile(r"\bprovider (?:code )?['\"]?([A-Z0-9]{3,10})\b")


def _warning_record(path: Path, w: warnings.WarningMessage) -> dict:
    """One caught warning as a record: file, kind, provider, column (where known), message."""
    msg = w.message
    text = str(msg)
    column = getattr(msg, "column", None)
    provider = getattr(msg, "provider", None)
    if column is None and (m := _COLUMN_RX.search(text)):
        column = m.group(2)
    if provider is None and (m := _PROVIDER_RX.search(text)):
        provider = m.group(1)
    return {"file": str(path), "kind": w.category.__name__, "provider": provider,
            "column": column, "message": text}


def build(from_folder: str | Path, out: str | Path = DEFAULT_OUT, *,
          gp_sector: str = "nhs", allow_incomplete: bool = False,
          precedence: list[str] | tuple[str, ...] | str | None = None,
          progress: Callable[[str], None] | None = None) -> BuildResult:
    """Read every recognised file under ``from_folder``, join and validate, write the panel.

    ``out`` is a folder or a panel file ending in ``.parquet`` (:func:`output_paths`).
    Returns a :class:`BuildResult` (panel, coverage table, provenance, paths, warnings,
    side tables). Nothing is written unless every recognised file reads and the joined
    panel validates; the outputs then replace the old ones together (module docstring). An
    incomplete file raises :class:`~workbench.errors.SourceIncompleteError` unless
    ``allow_incomplete`` is true, when it is read with a warning.

    Two files that give the same provider, month and measure different values raise
    :class:`~workbench.errors.ConflictingValuesError` naming both files and values, unless
    ``precedence`` (publication kinds such as ``"ae_workbook"`` or file names, first wins)
    names one of them. Sector and setting come from registers
    (:mod:`workbench.data.registers`); ``gp_sector`` is the sector of providers the CQC
    records as GP practices. ``progress``, when given, is called with a line before each
    file is read (``reading 3/51: rtt_full_extract/... (rtt)``) and as the panel is joined.

    >>> build("no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: no/such/folder: is not a folder. Expected: a folder of official files.
    """
    folder = Path(from_folder)
    if isinstance(precedence, str):
        precedence = [precedence]
    precedence = [str(p) for p in (precedence or [])]
    kinds = {r.kind for r in panel_files.RECOGNISERS}
    unknown = [p for p in precedence if p not in kinds and not re.search(r"\.\w+$", p)]
    if unknown:
        raise ArgumentError("build", "precedence", unknown,
                            problem="names no publication kind or file name",
                            expected=f"kinds from {sorted(kinds)} or file names")
    out, cov_path, prov_path = output_paths(out)
    found, others = discover(folder)
    inputs: list[dict] = list(others)

    # the staff survey: one tidied file only (their engagement scales differ)
    survey = [(r, p) for r, p in found if r.kind == "staff_survey"]
    if len(survey) > 1:
        keep = min(survey, key=lambda rp: (0 if "2015_2019" in rp[1].name else 1, rp[1].name))
        for r, p in survey:
            if p != keep[1]:
                inputs.append({"path": str(p), "kind": r.kind, "status": "not used",
                               "reason": f"staff survey already read from {keep[1].name} "
                                         "(files use different engagement scales)"})
        found = [(r, p) for r, p in found if r.kind != "staff_survey" or p == keep[1]]

    ods_tables, tables, hints, evidence = [], [], [], []
    side: dict[str, list[pd.DataFrame]] = {name: [] for name in SIDE_TABLES}
    side_files: dict[str, list[str]] = {name: [] for name in SIDE_TABLES}
    workbooks, extracts = [], []  # RTT by treatment function: the specialty_waits table
    flow_extracts = []  # RTT parts 1A, 1B, 2 and 3 by treatment function: rtt_flows
    beside: dict[str, list[pd.DataFrame]] = {}  # tables of publications not joined
    caught_all: list[dict] = []
    for number, (rec, path) in enumerate(found, start=1):
        if progress is not None:
            progress(f"reading {number}/{len(found)}: {_shown(path, folder)} ({rec.kind})")
        reader = reader_for(rec)
        if rec.kind == "inpatient_survey" and reader is not None:  # scores and respondents
            from workbench.data.sources.inpatient_survey import read_all as reader
        if reader is None:
            inputs.append({"path": str(path), "kind": rec.kind, "status": "skipped",
                           "reason": f"reader {rec.module}.{rec.function} is not available"})
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # the RTT extract is parsed once for both breakdowns and the flows
            source = rtt_reader.parse(path, allow_incomplete=allow_incomplete) \
                if rec.kind == "rtt" else path
            df = reader(source, allow_incomplete=allow_incomplete)
            evidence.append(registers.path_evidence(rec.kind, path, allow_incomplete))
        if rec.kind == "rtt":  # again by treatment function, for specialty_waits
            with warnings.catch_warnings(record=True) as again:
                warnings.simplefilter("always")
                extracts.append((reader(source, by="treatment_function",
                                        allow_incomplete=allow_incomplete), path))
                flow_extracts.append((rtt_flows.from_extract(
                    source, allow_incomplete=allow_incomplete), path))
            source = None  # the parsed extract is not kept
            seen = {str(w.message) for w in caught}
            caught += [w for w in again if str(w.message) not in seen]
        caught_all.extend(_warning_record(path, w) for w in caught)
        prov = getattr(df, "provenance", None) if not isinstance(df, pd.DataFrame) \
            else df.attrs.get("provenance", {})
        record = {"path": str(path), "kind": rec.kind, "status": "read",
                  "reader": f"{rec.module}.{rec.function}",
                  "provenance": _jsonable(prov or {}),
                  "warnings": [str(w.message) for w in caught]}
        if rec.kind == "patient_comments":
            side["comments"].append(df.comments)
            side["comment_themes"].append(df.themes)
            side_files["comments"].append(path.name)
            side_files["comment_themes"].append(path.name)
            record["rows"] = len(df.comments)
            record["use"] = "beside the panel: comments and comment_themes"
            inputs.append(record)
            continue
        if rec.kind in panel_files.NOT_JOINED:  # read and checked; not joined into the panel
            kept = side_pieces(rec.kind, df, path.name)
            for name, piece in kept.items():
                beside.setdefault(name, []).append(piece)
                side_files[name].append(path.name)
            record["rows"] = len(next(iter(kept.values()))) if kept else len(df)
            record["use"] = (panel_files.NOT_JOINED[rec.kind].replace(
                "read, not joined", "beside the panel: " + ", ".join(kept)) if kept
                else panel_files.NOT_JOINED[rec.kind])
            inputs.append(record)
            continue
        evidence.append(registers.evidence(rec.kind, df, path.name))
        if rec.kind.startswith("ods"):
            ods_tables.append((rec.kind, df))
            record["rows"] = len(df)
        elif rec.kind == "staff_survey_trust":
            side["staff_survey_years"].append(df)
            side_files["staff_survey_years"].append(path.name)
            record["rows"] = len(df)
            record["use"] = "beside the panel: staff_survey_years; register (benchmarking group)"
        elif rec.kind == "cqc_locations":
            record["rows"] = len(df)
            record["use"] = "register only (ownership of CQC providers and locations)"
        else:
            if rec.kind == "rtt_provider_workbook":
                from workbench.data.sources.rtt_provider_workbook import provider_measures

                workbooks.append((df, path))
                df = provider_measures(df)
            rows, h = panel_rows(rec.kind, df, path)
            record["rows"] = len(rows)
            tables.append(Table(rec.kind, path.name, rows))
            hints.append(h)
        inputs.append(record)
    if not tables:
        raise SourceFormatError(folder, "no source file with provider measures was found",
                                expected="official files such as Monthly-AE-*.csv, the RTT "
                                         "full extract, the HCHS workforce workbook")

    if progress is not None:
        progress(f"joining {len(tables)} tables into the panel, then the tables beside it")
    panel, resolved = combine(tables, precedence)
    by_name = {Path(r["path"]).name: r["path"] for r in inputs if r.get("status") == "read"}
    for res in resolved:
        caught_all.append({"file": by_name.get(res["kept"], res["kept"]),
                           "kind": "PrecedenceApplied", "provider": None,
                           "column": res["measure"],
                           "message": f"{res['cells']} cell(s) of {res['measure']!r} differ from "
                                      f"{res['over']}; {res['kept']} takes precedence (e.g. "
                                      f"{res['example']})"})
    ods_sorted = [t for k, t in sorted(ods_tables, key=lambda kt: kt[0] != "ods_etr")]
    trusts = ods_reader.trusts_table(*ods_sorted) if ods_sorted else None
    hint = pd.concat(hints, ignore_index=True)
    first = hint.groupby("provider_code").agg(
        provider_name=("provider_name", "first"),
        region=("region", lambda s: next((v for v in s if isinstance(v, str)
                                          and v in M.REGIONS), pd.NA)))
    codes = panel["provider_code"]
    f = first.reindex(codes)
    names = f["provider_name"].astype(object)
    region = f["region"].astype(object)
    if trusts is not None and len(trusts):
        t = trusts.set_index("trust_code")
        names = codes.map(t["name"]).astype(object).where(codes.map(t["name"]).notna(),
                                                          names.to_numpy())
        tr = codes.map(t["region"])
        region = tr.astype(object).where(tr.notna(), region.to_numpy())
    panel["provider_name"] = pd.Series(names.to_numpy(), index=panel.index).where(
        pd.notna(names.to_numpy()), codes).astype(str)
    ev = pd.concat([e for e in evidence if len(e)], ignore_index=True) if any(
        len(e) for e in evidence) else pd.DataFrame(columns=registers.EVIDENCE_COLUMNS)
    decided = registers.decide(codes.unique(), ev, gp_sector=gp_sector)
    panel["sector"] = codes.map(decided["sector"]).to_numpy()
    panel["ownership"] = panel["sector"].where(panel["sector"] == "nhs")
    panel["setting"] = codes.map(decided["setting"]).to_numpy()
    panel["region"] = pd.Series(region.to_numpy(), index=panel.index).where(
        pd.notna(region.to_numpy()), None)
    ident = list(M.IDENTITY_COLUMNS)
    measures = [c for c in M.MEASURES if c in panel.columns]
    extras = [c for c in panel.columns if c not in ident and c not in measures]
    panel = panel[ident + measures + extras].sort_values(["provider_code", "period"])
    panel = validate_panel(panel.reset_index(drop=True), source=f"build from {folder}")
    for c in EXTRA_COLUMNS:
        if c in panel.columns:
            panel[c] = pd.Categorical(panel[c].astype(object), categories=list(M.CQC_LEVELS),
                                      ordered=True)
    waits = specialty_waits.collect(workbooks, extracts)
    if waits is not None:
        side["specialty_waits"].append(waits)
        side_files["specialty_waits"] = [
            f"{k} {p} from {f}" for k, p, f in
            waits[["pathway", "period", "source_file"]].drop_duplicates().itertuples(index=False)]
    flows = rtt_flows.collect(flow_extracts, panel)
    if flows is not None:
        side["rtt_flows"].append(flows)
        side_files["rtt_flows"] = [f"{p:%Y-%m} from {f}" for p, f in
                                   flows[["period", "source_file"]].drop_duplicates()
                                   .itertuples(index=False)]
    side_tables = {name: pd.concat(parts, ignore_index=True) for name, parts in side.items()
                   if parts}
    side_tables.update(side_tables_of(beside, folder))
    comment_trusts = (comment_codes(side_tables["comments"], *ods_sorted)
                      if "comments" in side_tables else None)
    if comment_trusts is not None:
        side_tables["comments"] = with_trust_codes(side_tables["comments"], comment_trusts)
    if "staff_survey_years" in side_tables:
        ss = side_tables["staff_survey_years"]
        dup = ss.duplicated(["provider_code", "year"], keep=False)
        if dup.any():
            ex = ss.loc[dup, ["provider_code", "year"]].iloc[0].tolist()
            raise SourceFormatError(folder, f"two staff survey files give organisation {ex[0]!r} "
                                    f"for {ex[1]}", column="ODS code",
                                    expected="each organisation and year in one file")
    side_paths = {name: side_table_path(out, name) for name in side_tables}

    coverage = coverage_table(panel)
    names_by_code = panel.drop_duplicates("provider_code").set_index("provider_code")[
        "provider_name"]
    unsettled = decided[(decided["sector"] == "unknown") | (decided["setting"] == "unknown")]
    provenance = {
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "from": str(folder),
        "panel": str(out),
        "allow_incomplete": bool(allow_incomplete),
        "precedence": precedence,
        "rows": len(panel),
        "providers": int(panel["provider_code"].nunique()),
        "periods": sorted({f"{p:%Y-%m}" for p in panel["period"]}),
        "providers_by_sector": {k: int(v) for k, v in panel.drop_duplicates("provider_code")[
            "sector"].value_counts().items()},
        "providers_by_setting": {k: int(v) for k, v in panel.drop_duplicates("provider_code")[
            "setting"].value_counts().items()},
        "precedence_applied": resolved,
        "sector_unknown": decided.index[decided["sector"] == "unknown"].tolist(),
        "sector_unknown_why": registers.why_unknown(
            decided, {t.file: t.rows["provider_code"] for t in tables}, names_by_code),
        "setting_unknown": decided.index[decided["setting"] == "unknown"].tolist(),
        "register_conflicts": decided["conflict"].dropna().to_dict(),
        "comment_trusts": [] if comment_trusts is None else comment_trusts.to_dict("records"),
        "side_tables": {name: {"path": str(side_paths[name]), "rows": len(t),
                               "row": SIDE_TABLES[name]} for name, t in side_tables.items()},
        "rules": {
            "sector": "workbench.data.registers.decide: ODS trust lists, staff survey "
                      "benchmarking groups, RTT workbook sheets, CQC registers, HCHS workforce "
                      "file, KO41b returns; unknown where "
                      f"none settles it; GP practices {gp_sector}",
            "ownership": "nhs for the NHS sector; otherwise not published by ODS code",
            "setting": "workbench.data.registers.decide (staff survey, CQC record, RTT "
                       "workbook sheet), else unknown",
            "ods_lists": [k for k, _ in ods_tables],
        },
        "inputs": inputs,
        "warnings": caught_all,
    }
    read = [r for r in inputs if r.get("status") == "read"]
    details = {"panel": f"made from {len(read)} published files read in {folder}",
               **{name: "; ".join(files) for name, files in side_files.items() if files}}
    write_outputs(out, cov_path, prov_path, panel, coverage, provenance, side_tables,
                  side_paths, made_by=f"a build of the published files in {folder}",
                  not_made=catalogue.missing_from_build(folder), details=details)
    return BuildResult(panel=panel, coverage=coverage, provenance=provenance, panel_path=out,
                       coverage_path=cov_path, provenance_path=prov_path, inputs=inputs,
                       warnings=caught_all, tables=side_tables, table_paths=side_paths,
                       catalogue_path=catalogue.catalogue_path(out), registers=decided,
                       unsettled=registers.unsettled_text(unsettled, names_by_code))


def _shown(path: Path, folder: Path) -> str:
    """``path`` relative to the build's folder when it is inside it, else its name."""
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return path.name


def _jsonable(obj):
    """Provenance dicts as plain JSON values (timestamps and numpy numbers as text/floats)."""
    return json.loads(json.dumps(obj, default=str))
