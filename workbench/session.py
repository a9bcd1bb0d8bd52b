"""The notebook's side of a run: load the panel, collect findings and figures, write them.

A notebook starts a session from its parameters, asks it for the panel (``s.panel``)
and the tables beside it (``s.data("comments")``, read through the data's catalogue,
:mod:`workbench.data.catalogue`), hands it findings and figures (and any true values it
knows beyond the panel's, :meth:`Session.add_truth`), and finishes. Run
interactively (JupyterLab, default
parameters) the session builds the synthetic default itself and writes into
``outputs/interactive/<notebook>/``; run by ``workbench run`` it reads the study's
panel and writes into the run folder.

Example
-------
>>> import tempfile
>>> s = start("demo", seed=1, n_providers=30, n_months=3, output_dir=tempfile.mkdtemp())
>>> s.panel["period"].nunique()
3
>>> path = s.finish()
>>> path.name
'findings.json'
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from workbench import interactive
from workbench.analysis.findings.record import Finding, Findings, findings_frame
from workbench.data import declared
from workbench.data import measures as registry
from workbench.data.catalogue import Catalogue, NotHeld
from workbench.data.origin import DataOrigin, panel_origin
from workbench.data.schema import canonical_dtypes, validate_panel
from workbench.data.synth import (
    DEFAULT_MONTHS,
    DEFAULT_PROVIDERS,
    DEFAULT_SEED,
    generate,
    read_truth,
)
from workbench.errors import (
    ArgumentError,
    ArgumentTypeError,
    PanelNotFoundError,
    SourceFormatError,
)
from workbench.files import sha256_file
from workbench.finding_id import FindingId, FindingIdError
from workbench.report.findings_file import FINDINGS_FILE, TRUTH_FILE, write_findings, write_truth

#: Where interactive runs write, relative to the project root.
INTERACTIVE_DIR = Path("outputs") / "interactive"
#: Written by :meth:`Session.finish` beside findings.json: what the report header says
#: about the data (source, period, synthetic or not).
DATA_RECORD_FILE = "data.json"
#: Beside a panel file: the sha256 of that file as ``workbench run``'s data step validated
#: it. A panel whose sha256 equals it is read without validating it again.
VALIDATED_FILE = "panel.validated"


def project_root(start: Path | None = None) -> Path:
    """The folder holding ``pyproject.toml`` above ``start`` (default: the cwd)."""
    here = (start or Path.cwd()).resolve()
    for p in (here, *here.parents):
        if (p / "pyproject.toml").exists() and (p / "workbench").is_dir():
            return p
    return here


def panel_sha256(panel: pd.DataFrame) -> str:
    """sha256 of the panel's parquet bytes (as :meth:`SyntheticData.write` writes them)."""
    buf = io.BytesIO()
    panel.to_parquet(buf, index=False)
    return hashlib.sha256(buf.getvalue()).hexdigest()


def load(panel_path: str | Path | None = None, *, declaration: Any = None,
         seed: int = DEFAULT_SEED, n_providers: int = DEFAULT_PROVIDERS,
         n_months: int = DEFAULT_MONTHS, summary: bool = False) -> pd.DataFrame:
    """The panel in one call: a table of your own with its declaration, a built panel
    file, or the synthetic default.

    With ``declaration`` (a YAML file or a mapping saying which column is the unit, which
    the period, and what each measure is; see docs/your_own_data.md), ``panel_path`` is
    your own table, CSV, Excel or parquet, read and checked through it
    (:func:`workbench.data.declared.read_table`); its measures are then in use (their
    labels, units and directions reach sentences, tables and figures) until another
    panel is loaded. Otherwise ``panel_path`` may be a panel parquet file, or a folder
    holding one as ``panel.parquet`` or ``data/panel.parquet`` (a built
    ``data/processed/`` folder, or a study's output folder such as
    ``outputs/default``). Empty means the synthetic default (``seed``,
    ``n_providers``, ``n_months``). The panel is validated; with ``summary=True`` a
    summary of what it holds is shown (a table in a notebook, text elsewhere; see
    :func:`summarize`).

    >>> panel = load(seed=2, n_providers=30, n_months=2)
    >>> sorted(panel["setting"].unique())
    ['acute', 'care_home']
    """
    if declaration is not None:
        if not panel_path:
            raise ArgumentError("load", "panel_path", panel_path,
                                expected="the table the declaration describes (CSV, Excel "
                                         "or parquet)")
        table = declared.read_table(panel_path, declaration)
        registry.use(table.declaration.registry())
        panel, decl = table.panel, table.declaration
    elif panel_path:
        path = resolve_panel_path(panel_path)
        panel, decl = _read_panel(path), declared.beside(path)
    else:
        registry.use({})
        panel, decl = generate(seed=seed, n_providers=n_providers, n_months=n_months).panel, None
    if summary:
        _show(summarize(panel, decl))
    return panel


def _read_panel(path: Path, sha256: str | None = None) -> pd.DataFrame:
    """The panel file at ``path`` with the schema's dtypes, validated unless ``sha256`` (the
    file's, computed by the caller) equals the one in :data:`VALIDATED_FILE` beside it.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> generate(seed=3, n_providers=20, n_months=2).panel.to_parquet(folder / "panel.parquet")
    >>> checked = _read_panel(folder / "panel.parquet")
    >>> sha = sha256_file(folder / "panel.parquet")
    >>> _ = (folder / VALIDATED_FILE).write_text(sha)
    >>> pd.testing.assert_frame_equal(_read_panel(folder / "panel.parquet", sha), checked)

    A panel made from a declared table has its declaration beside it
    (:func:`workbench.data.declared.beside`): its measures are put in use and it is
    checked against that declaration. A file that is not parquet (a CSV, a workbook) is
    refused with what to do instead.
    """
    _refuse_table_without_declaration(path)
    try:
        panel = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds on a damaged file
        raise SourceFormatError(path, f"cannot be read as a parquet panel ({type(exc).__name__}"
                                f": {exc})", expected="a panel file written whole (make it "
                                "again), or a table of your own with its declaration") from None
    marker = path.parent / VALIDATED_FILE
    marked = bool(sha256) and marker.is_file() and \
        marker.read_text(encoding="utf-8").strip() == sha256
    decl = declared.beside(path)
    registry.use(decl.registry() if decl else {})
    if decl is not None:
        return declared.check_panel(panel, decl, source=str(path))
    if marked:
        return canonical_dtypes(panel)
    return validate_panel(panel, source=str(path))


def _refuse_table_without_declaration(path: Path) -> None:
    r"""Raise :class:`~workbench.errors.SourceFormatError` for a CSV or workbook given
    where a panel (parquet) file was expected, saying how to read it.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "wards.csv"
    >>> _ = p.write_text("ward,month,fill\n")
    >>> _refuse_table_without_declaration(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SourceFormatError: ...wards.csv: is a CSV file, not a panel (parquet) file. Expected: a table of your own is read with a declaration of what its columns hold: workbench.load('...wards.csv', declaration='wards.yaml') in a notebook, or data: {table: ...wards.csv, declaration: wards.yaml} in a study (see docs/your_own_data.md).
    """
    kind = declared.sniff(path)
    if kind == "parquet":
        return
    what = "a CSV file" if kind == "csv" else f"an Excel or spreadsheet file ({kind})"
    raise SourceFormatError(path, f"is {what}, not a panel (parquet) file",
                            expected="a table of your own is read with a declaration of what "
                                     f"its columns hold: workbench.load('{path}', "
                                     "declaration='wards.yaml') in a notebook, or data: "
                                     f"{{table: {path}, declaration: wards.yaml}} in a study "
                                     "(see docs/your_own_data.md)")


def resolve_panel_path(panel_path: str | Path) -> Path:
    """The panel file ``panel_path`` names: the file itself, or ``panel.parquet`` /
    ``data/panel.parquet`` inside a folder. Raises
    :class:`~workbench.errors.PanelNotFoundError` (a ``FileNotFoundError``) naming what
    was looked for.

    >>> resolve_panel_path("no/such/panel.parquet")
    Traceback (most recent call last):
    ...
    workbench.errors.PanelNotFoundError: Panel file no/such/panel.parquet not found. ...
    """
    path = Path(panel_path)
    if path.is_dir():
        for candidate in (path / "panel.parquet", path / "data" / "panel.parquet"):
            if candidate.is_file():
                return candidate
        raise PanelNotFoundError(path, f"Folder {path} holds no panel.parquet or "
                                 "data/panel.parquet", expected="Give the panel file itself, "
                                 "build one with `workbench data build`, or leave panel_path "
                                 "empty for the synthetic default.")
    if not path.exists():
        raise PanelNotFoundError(path, f"Panel file {path} not found", expected="Build one "
                                 "with `workbench data build` or leave panel_path empty for "
                                 "the synthetic default.")
    return path


def _show(obj: Any) -> None:
    """Display ``obj`` richly inside an IPython kernel, print it elsewhere."""
    import sys

    if "ipykernel" in sys.modules:
        from IPython.display import display

        display(obj)
    else:
        print(obj)


@dataclass(frozen=True)
class PanelSummary:
    """What a panel holds: providers by setting and sector, months, and how complete
    each measure is. Prints as text; shows as a table in a notebook.

    >>> summary = summarize(load(seed=1, n_providers=30, n_months=2))
    >>> summary.n_providers, summary.n_months
    (30, 2)
    >>> str(summary).splitlines()[0]
    '30 providers x 2 months (Apr 2023 to May 2023), 60 rows'
    """

    n_providers: int
    n_months: int
    first: pd.Timestamp
    last: pd.Timestamp
    n_rows: int
    providers: pd.DataFrame   # setting, sector, providers (a declared table: its groups)
    measures: pd.DataFrame    # construct, measure, label, unit, complete (share of rows)
    #: What a unit and a period are (a declared table: ``wards``, ``month``).
    units: str = "providers"
    period: str = "month"
    unit: str = "provider"

    def __str__(self) -> str:
        lines = [(f"{self.n_providers} {self.units} x {self.n_months} {self.period}s "
                  f"({self.first:%b %Y} to {self.last:%b %Y}), {self.n_rows} rows")]
        groups = [c for c in self.providers.columns if c != "providers"]
        lines += [f"  {' / '.join(str(getattr(r, g)) for g in groups)}: {r.providers} "
                  f"{self.unit if r.providers == 1 else self.units}"
                  for r in self.providers.itertuples(index=False)]
        for construct, group in self.measures.groupby("construct", sort=False):
            lines.append(f"  {construct}: {', '.join(group['measure'])}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = (f"<p><b>Panel:</b> {self.n_providers} {self.units} &times; {self.n_months} "
                f"{self.period}s ({self.first:%B %Y} to {self.last:%B %Y}), "
                f"{self.n_rows:,} rows</p>")
        groups = [c for c in self.providers.columns if c != "providers"]
        if groups == ["setting", "sector"]:
            prov = self.providers.pivot_table(index="setting", columns="sector",
                                              values="providers", aggfunc="sum", fill_value=0)
            prov.columns.name = None
            shown = prov.to_html(border=0)
        else:
            shown = self.providers.rename(columns={"providers": self.units}).to_html(
                index=False, border=0)
        measures = self.measures.assign(
            complete=(self.measures["complete"] * 100).round(0).astype(int).astype(str) + "%")
        return (head + f"<p><b>{self.units.capitalize()}</b></p>" + shown
                + f"<p><b>Measures</b> (share of {self.unit}-{self.period}s with a value)</p>"
                + measures.to_html(index=False, border=0))


def summarize(panel: pd.DataFrame, declaration: declared.Declaration | None = None
              ) -> PanelSummary:
    """A :class:`PanelSummary` of ``panel``: every measure known here (the registry's and
    those declared in use, :func:`workbench.data.measures.in_use`), and the units by
    setting and sector, or by the groups of ``declaration`` (a table of your own; its
    units' and periods' names too).
    """
    from workbench.data import measures as M
    from workbench.data.schema import measure_columns

    if declaration is not None:
        groups = [g for g in declaration.groups if g in panel.columns]
    else:
        groups = [g for g in ("setting", "sector") if g in panel.columns]
    units = panel.drop_duplicates("provider_code")
    by = (units.groupby(groups, observed=True, dropna=declaration is None).size()
          .rename("providers")
          .reset_index() if groups else
          pd.DataFrame({"providers": [len(units)]}))
    rows = []
    for construct in M.CONSTRUCTS:
        for col in measure_columns(panel, construct):
            m = M.get(col)
            rows.append({"construct": construct, "measure": col, "label": m.label,
                         "unit": m.unit, "complete": float(panel[col].notna().mean())})
    return PanelSummary(
        n_providers=int(panel["provider_code"].nunique()),
        n_months=int(panel["period"].nunique()), first=panel["period"].min(),
        last=panel["period"].max(), n_rows=len(panel), providers=by,
        measures=pd.DataFrame(rows, columns=["construct", "measure", "label", "unit",
                                             "complete"]),
        units=declaration.unit_plural if declaration else "providers",
        unit=declaration.unit_name if declaration else "provider",
        period=declaration.frequency if declaration else "month")


def describe_panel(panel: pd.DataFrame) -> str:
    """A few lines on what a panel holds: providers by sector, months, constructs."""
    return str(summarize(panel))


@dataclass
class Session:
    """What one notebook run has loaded and produced."""

    notebook: str
    parameters: dict[str, Any]
    output_dir: Path
    panel: pd.DataFrame
    data_sha256: str
    synthetic: bool
    truth: dict[str, float] | None = None
    findings: list[Finding] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    #: What the study's data hold beside the panel (:meth:`data` reads through it).
    catalogue: Catalogue = field(default_factory=Catalogue.synthetic)
    #: Where each true value of :attr:`truth` came from (key of ``truth`` -> plain words):
    #: the panel's truth, or what :meth:`add_truth` was told; written to ``truth.json``.
    truth_sources: dict[str, str] = field(default_factory=dict)
    #: What a table of the user's own holds (None for the registry's panels): its unit,
    #: period and measures, which are in use while the session's data are
    #: (:func:`workbench.data.measures.in_use`).
    declaration: declared.Declaration | None = None
    #: How a synthetic panel's world differs from the built-in default (its scenario and
    #: any overridden true effects, from the panel's truth.json), in words; "" when it
    #: does not or the data are not synthetic.
    synthetic_world: str = ""

    def data(self, name: str) -> pd.DataFrame | NotHeld:
        """The table ``name`` of the study's data as a DataFrame, or a
        :class:`~workbench.data.catalogue.NotHeld` value saying why the data do not hold
        it (its ``reason``; a question module turns it into a stated limitation).

        Names are those of :data:`workbench.data.catalogue.TABLES`: ``panel`` (this
        session's panel), ``truth``, ``coverage``, ``staff_survey_years``, ``comments``,
        ``comment_themes``, ``specialty_waits``. A table is read through the catalogue
        beside the panel, its sha256 checked against the one recorded there; an unknown
        name, a changed file or a catalogue of another panel raises
        :class:`~workbench.data.catalogue.CatalogueError`.

        >>> import tempfile
        >>> s = start("demo", seed=1, n_providers=30, n_months=3, output_dir=tempfile.mkdtemp())
        >>> len(s.data("panel")) == len(s.panel), len(s.data("truth")) == len(s.truth)
        (True, True)
        >>> str(s.data("comments"))[:64]
        "The study's data hold no comments table: the synthetic default ("
        """
        entry = self.catalogue.entry(name)
        if name == "panel":
            return self.panel
        if name == "truth":
            if self.truth is None:
                return NotHeld(name, entry.reason or "these data have no known truth")
            return pd.DataFrame(sorted(self.truth.items()), columns=["id", "truth"])
        self.catalogue.check_panel(self.data_sha256)
        return self.catalogue.read(name)

    @property
    def data_origin(self) -> DataOrigin:
        """Where the session's panel came from
        (:func:`workbench.data.origin.panel_origin`): synthetic, the publications a build
        read (named, from the provenance beside the panel), the user's own table (named),
        or a panel file of unknown origin.

        >>> import tempfile
        >>> start("demo", seed=1, n_providers=30, n_months=3,
        ...       output_dir=tempfile.mkdtemp()).data_origin.kind
        'synthetic'
        """
        panel_path = str(self.parameters.get("panel_path") or "")
        try:
            path = resolve_panel_path(panel_path) if panel_path else None
        except PanelNotFoundError:
            path = None
        return panel_origin(path, synthetic=self.synthetic, declaration=self.declaration,
                            made_by=self.catalogue.made_by if path else "",
                            sha256=self.data_sha256)

    @property
    def data_label(self) -> str:
        """Plain words on the data, for the top of a report: where it came from (never
        "published" unless a build's provenance names the publications read), how many
        units and which months.

        >>> import tempfile
        >>> start("demo", seed=1, n_providers=30, n_months=3,
        ...       output_dir=tempfile.mkdtemp()).data_label
        'SYNTHETIC data (the built-in default; not real providers): 30 providers, April 2023 to June 2023'
        """
        p = self.panel
        span = f"{p['period'].min():%B %Y} to {p['period'].max():%B %Y}"
        units = p["provider_code"].nunique()
        origin = self.data_origin
        d = self.declaration
        if d is not None:
            about = "; ".join(x for x in (d.origin, f"your own table {origin.file}") if x)
            return f"{d.title or 'your own data'} ({about}): {units} {d.unit_plural}, {span}"
        if origin.kind == "synthetic":
            world = (f"the built-in generator, {self.synthetic_world}" if self.synthetic_world
                     else "the built-in default")
            return f"SYNTHETIC data ({world}; not real providers): {units} providers, {span}"
        if origin.kind == "publications":
            return (f"published data, {units} providers, {span}, read from: "
                    + "; ".join(origin.publications))
        return f"{origin.words}: {units} providers, {span}"

    @property
    def unit(self) -> str:
        """What one unit of the data is called: the declaration's (``ward``), else
        ``provider``; question modules take it for their sentences.

        >>> import tempfile
        >>> start("demo", seed=1, n_providers=30, n_months=3, output_dir=tempfile.mkdtemp()).unit
        'provider'
        """
        return self.declaration.unit_name if self.declaration is not None else "provider"

    @property
    def unit_plural(self) -> str:
        """What several units of the data are called (``wards``, ``providers``)."""
        return self.declaration.unit_plural if self.declaration is not None else "providers"

    def add(self, findings: Iterable[Finding]) -> Findings:
        """Record findings, stamping each with the data hash, notebook and parameters.

        The notebook's parameters are added to what a finding already records in its
        ``parameters`` (a claim's verdict and margin, say), which is kept, and wins
        where a name is in both. Returns the findings added as a
        :class:`~workbench.analysis.findings.record.Findings` list, which a notebook shows as a
        table (with the true values on synthetic data).
        """
        added = []
        run = {k: v for k, v in self.parameters.items() if k not in ("panel_path", "output_dir")}
        for f in findings:
            f.data_sha256 = self.data_sha256
            f.notebook = self.notebook
            f.parameters = {**run, **(f.parameters or {})}
            self.findings.append(f)
            added.append(f)
        return Findings(added, truth=self.truth)

    def add_truth(self, truths: Mapping[str, float] | Any, source: str = "") -> dict[str, float]:
        """Tell the session true values it cannot know from the data: a change the
        notebook inserted, a simulation's parameters. Returns the values added.

        ``truths`` is ``{finding id or estimand id: true value}`` (an estimand id, a
        finding id without its variant, gives the value of every variant of it), or an
        object that knows its own truths (``truths()``; its ``truth_source`` is the
        default ``source``), such as the
        :class:`~workbench.analysis.questions.did_it_work.KnownChange` of notebook 08.
        ``source`` says where the values came from; it is written beside each in the
        run's ``truth.json``. A value given again replaces the earlier one (the panel's
        too). Findings then show their true value (:meth:`table`), and :meth:`finish`
        records it, and whether each interval covers it, in ``findings.json``.

        >>> import tempfile
        >>> s = start("demo", seed=1, n_providers=30, n_months=3, output_dir=tempfile.mkdtemp())
        >>> s.add_truth({"did:att->fft_pct_positive@treated": 2.5}, source="inserted change")
        {'did:att->fft_pct_positive@treated': 2.5}
        >>> s.truth_sources["did:att->fft_pct_positive@treated"]
        'inserted change'
        >>> s.add_truth({"not an id": 1.0})
        Traceback (most recent call last):
        ...
        workbench.errors.ArgumentError: Session.add_truth(): truths='not an id' is not a finding id; expected keys like 'did:att->fft_pct_positive@treated' (kind:[exposure->]outcome[@subset][#variant]).
        """
        fn = "Session.add_truth"
        if not isinstance(truths, Mapping):
            known = getattr(truths, "truths", None)
            if not callable(known):
                raise ArgumentTypeError(fn, "truths", truths, expected="a mapping {finding id: "
                                        "true value}, or an object with truths() such as a "
                                        "KnownChange")
            source = source or str(getattr(truths, "truth_source", "") or "")
            truths = known()
        source = source or f"given by the notebook {self.notebook}"
        added: dict[str, float] = {}
        for key, value in truths.items():
            try:
                FindingId.parse(key)
            except FindingIdError:
                raise ArgumentError(fn, "truths", key, problem="is not a finding id",
                                    expected="keys like 'did:att->fft_pct_positive@treated' "
                                             "(kind:[exposure->]outcome[@subset][#variant])"
                                    ) from None
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = math.nan
            if not math.isfinite(number):
                raise ArgumentError(fn, f"truths[{key!r}]", value,
                                    expected="a finite number, the true value")
            added[str(key)] = number
        self.truth = {**(self.truth or {}), **added}
        self.truth_sources.update(dict.fromkeys(added, source))
        return added

    def table(self, findings: Iterable[Finding] | None = None) -> pd.DataFrame:
        """Findings (all of this session's by default) as the tidy frame of
        :func:`~workbench.analysis.findings.record.findings_frame`: every field and, on
        synthetic data, the true value and whether the interval covers it.

        The analyst's frame, for computing (a forest plot's rows, a check): assign it
        rather than display it. A report shows findings with :meth:`findings_table`.

        >>> import tempfile
        >>> s = start("demo", seed=1, n_providers=30, n_months=3, output_dir=tempfile.mkdtemp())
        >>> s.table([Finding(id="a:x->y@nhs", question="q", estimate=1.0)])[["id", "estimate"]]
                   id  estimate
        0  a:x->y@nhs       1.0
        """
        fs = list(self.findings if findings is None else findings)
        return findings_frame(fs, self.truth)

    def sentences(self, findings: Iterable[Finding] | None = None) -> str:
        """The findings as a Markdown bullet list of plain sentences, each escaped
        (:func:`~workbench.report.notebook_text.escape_markdown`) so that a provider's
        name from the data shows as written, never as markup.

        >>> import tempfile
        >>> s = start("demo", seed=1, n_providers=30, n_months=3, output_dir=tempfile.mkdtemp())
        >>> print(s.sentences([Finding(id="a:x->y@nhs", question="q", estimate=1.0,
        ...                            sentence="<b>St Mary's</b> rose.")]))
        - &lt;b&gt;St Mary's&lt;/b&gt; rose.
        """
        from workbench.report.notebook_text import escape_markdown

        fs = list(self.findings if findings is None else findings)
        return "\n".join(f"- {escape_markdown(f.sentence or f.question)}" for f in fs)

    def data_record(self) -> dict[str, Any]:
        """What a report header says about the data: source (where the panel came from,
        :attr:`data_origin`: the publications a build read named, or the user's file),
        ``origin`` (its kind), period, size, synthetic, the label and ``publications``.

        >>> import tempfile
        >>> s = start("demo", seed=1, n_providers=30, n_months=3, output_dir=tempfile.mkdtemp())
        >>> s.data_record()["synthetic"], s.data_record()["period"]
        (True, 'April 2023 to June 2023')
        """
        p = self.panel
        d = self.declaration
        origin = self.data_origin
        record = {"synthetic": bool(self.synthetic),
                  "source": (f"{d.origin + '; ' if d.origin else ''}{origin.words}, "
                             f"declared in {Path(d.source).name}"
                             if d is not None else origin.words),
                  "origin": origin.kind,
                  "period": f"{p['period'].min():%B %Y} to {p['period'].max():%B %Y}",
                  "providers": int(p["provider_code"].nunique()),
                  "units": d.unit_plural if d is not None else "providers",
                  "label": self.data_label}
        if origin.publications:
            record["publications"] = list(origin.publications)
        if self.catalogue.tables_read:  # the tables beside the panel read, by sha256
            record["tables"] = self.catalogue.tables_read
        return record

    def show(self, data: pd.DataFrame, columns: Mapping[str, str] | Iterable[str] | None = None,
             *, counts: Iterable[str] = (), rates: Mapping[str, Iterable[str]] | None = None,
             index: bool = False, digits: int | None = 3):
        """Display a table for a report: the columns chosen, ordered and named in words,
        numbers written for reading, marked for the disclosure rule.

        ``columns`` maps each column to show to its name in words
        (``{"provider_name": "Provider", "fft_pct_positive": "% positive"}``), or lists
        the columns to show (named from the measure registry); None shows every column,
        named in words. A report shows at most eight columns across a page: choose the
        ones a reader needs. Numbers are written through
        :mod:`~workbench.analysis.findings.formatting` (at most ``digits`` decimals,
        p-values as ``< 0.001``, never in e-notation); see
        :func:`workbench.report.tables.readable_table`.

        The stakeholder report (:func:`workbench.report.run_report.render_report`) shows
        counts of people through :mod:`workbench.report.disclosure`, reading each column
        under its name in the data: registry count measures and usual count names
        (``n``, ``count``, ...) by name; ``counts`` names further count columns and
        ``rates`` maps a rate column to the counts it is built on. Returns the table
        shown (its ``data`` is the HTML, its ``frame`` the text); it is shown once, also
        when it ends a cell.

        >>> import tempfile
        >>> s = start("demo", seed=1, n_providers=30, n_months=3, output_dir=tempfile.mkdtemp())
        >>> df = pd.DataFrame({"provider_code": ["R1"], "beds_used": [3], "p": [1e-52]})
        >>> html = s.show(df, {"provider_code": "Provider", "beds_used": "Beds used",
        ...                    "p": "p-value"}, counts=["beds_used"])
        Provider Beds used p-value
              R1         3 < 0.001
        >>> 'data-wb-disclosure' in html.data
        True
        """
        from IPython.display import display

        from workbench.report.tables import readable_table

        table = readable_table(data, columns, counts=counts, rates=rates, index=index,
                               digits=digits)
        display(table)
        return table

    def findings_table(self, findings: Iterable[Finding] | None = None):
        """Display findings (all of this session's by default) as a table a board can
        read: the question, the estimate and its interval with the same decimals, the
        p-value (``< 0.001``), the unit, what it is based on, whether it is the answer
        or a check and, on synthetic data, the true value and whether the interval
        covers it; at most eight columns, no ids, hashes or formulas
        (:func:`workbench.report.tables.board_findings_table`). In a report each row's
        numbers are shown by their kinds under the disclosure rule. For the analyst's
        full record use :meth:`table`.

        >>> import tempfile
        >>> s = start("demo", seed=1, n_providers=30, n_months=3, output_dir=tempfile.mkdtemp())
        >>> t = s.findings_table([Finding(id="a:x->y@nhs", question="Does x move y?",
        ...                               estimate=0.25, ci_low=0.1, ci_high=0.4, p_value=1e-9)])
              Question Estimate 95% interval p-value
        Does x move y?     0.25 0.10 to 0.40 < 0.001
        """
        from IPython.display import display

        from workbench.report.tables import board_findings_table

        fs = list(self.findings if findings is None else findings)
        table = board_findings_table(fs, self.truth)
        display(table)
        return table

    def savefig(self, fig_or_ax, name: str):
        """Save a figure as ``figures/<name>.png`` in the output folder; return the figure.

        Layout and drawing happen in the workbench theme (some settings, e.g. font
        sizes for padding and tick spacing, are read then, not when the figure was
        made), so the file looks the same whatever the user's matplotlib settings.
        What the figure plots is written beside it as ``figures/<name>.json``
        (:func:`~workbench.report.figure_disclosure.figure_data`), for an output checker.
        The values of the study's private parameters drawn into any text of the figure
        (title, labels, ticks, legend, annotations) are first replaced by their
        ``[private <digest>]`` label (:func:`~workbench.report.figure_disclosure.mask_figure_text`).
        """
        from workbench.report.figure_disclosure import figure_data, mask_figure_text
        from workbench.report.masking import private_names, private_replacements
        from workbench.report.theme import theme_context

        fig = getattr(fig_or_ax, "figure", fig_or_ax)
        folder = self.output_dir / "figures"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        with theme_context():
            mask_figure_text(fig, private_replacements(getattr(self, "parameters", None) or {},
                                                       private_names()))
            if fig.get_layout_engine() is None:  # keep a figure's own (e.g. constrained) layout
                fig.tight_layout()
            fig.savefig(path, dpi=110, metadata={"Software": None})
        path.with_suffix(".json").write_text(json.dumps(figure_data(fig), indent=1) + "\n",
                                             encoding="utf-8")
        self.figures.append(path)
        return fig

    def finish(self) -> Path:
        """Write the run's files and return the path of ``findings.json``.

        * ``data.json``: what the report header says about the data;
        * ``truth.json``, when the true value of any finding is known (the panel's
          truth on synthetic data, and what :meth:`add_truth` was told): the true value
          of every finding id the run can check and where each came from
          (:func:`~workbench.report.findings_file.write_truth`);
        * ``findings.json``: the findings sorted by id at fixed precision, each whose
          true value is known with ``truth`` and ``covers_truth``
          (:func:`~workbench.report.findings_file.write_findings`).

        >>> import tempfile
        >>> s = start("demo", seed=1, n_providers=30, n_months=3, output_dir=tempfile.mkdtemp())
        >>> _ = s.add([Finding(id="did:att->y@treated", question="q", estimate=1.0,
        ...                    ci_low=0.0, ci_high=2.0)])
        >>> _ = s.add_truth({"did:att->y@treated": 1.5}, source="inserted")
        >>> path = s.finish()
        >>> sorted(p.name for p in path.parent.iterdir())
        ['data.json', 'findings.json', 'truth.json']
        >>> json.loads(path.read_text())[0]["covers_truth"]
        True
        """
        from workbench.files import atomic_write_text

        atomic_write_text(self.output_dir / DATA_RECORD_FILE,
                          json.dumps(self.data_record(), indent=2, sort_keys=True) + "\n")
        write_truth(self.findings, self.truth, self.output_dir / TRUTH_FILE,
                    sources=self.truth_sources)
        return write_findings(self.findings, self.output_dir / FINDINGS_FILE, truth=self.truth)


def start(notebook: str, *, panel_path: str = "", seed: int = DEFAULT_SEED,
          n_providers: int = DEFAULT_PROVIDERS, n_months: int = DEFAULT_MONTHS,
          output_dir: str = "", **parameters) -> Session:
    """Start a notebook session from the notebook's parameters.

    ``panel_path`` empty means the synthetic default (``seed``, ``n_providers``,
    ``n_months``). A ``truth.json`` beside a panel file is read so findings can be
    compared with the true values (:attr:`Session.truth`; the synthetic default knows
    its own), and the catalogue beside it
    (:meth:`Catalogue.beside <workbench.data.catalogue.Catalogue.beside>`) says which
    tables :meth:`Session.data` can read. ``output_dir`` empty means
    ``outputs/interactive/<notebook>`` under the project root. A panel made from a table
    of the user's own has its declaration beside it: the session carries it
    (:attr:`Session.declaration`) and its measures are in use from here on (their labels,
    units and directions in every sentence, table and figure), in place of any in use
    before.
    """
    interactive.use_styled_findings()
    decl = None
    if panel_path:
        panel_file = resolve_panel_path(panel_path)
        sha = sha256_file(panel_file)
        panel = _read_panel(panel_file, sha)
        decl = declared.beside(panel_file)
        truth_path = panel_file.with_name("truth.json")
        truth = read_truth(truth_path) if truth_path.exists() else None
        synthetic = truth is not None or _is_synthetic(panel)
        world = synthetic_world(truth_path) if truth is not None and decl is None else ""
        catalogue = Catalogue.beside(panel_file)
        origin = (f"the panel's truth.json, from the synthetic generator (data sha256 "
                  f"{sha[:12]})" if decl is None else
                  f"the truth.json given with the table (data sha256 {sha[:12]})")
    else:
        registry.use({})
        sd = generate(seed=seed, n_providers=n_providers, n_months=n_months)
        panel, truth, synthetic = sd.panel, sd.truth, True
        world = ""
        sha = panel_sha256(panel)
        catalogue = Catalogue.synthetic(
            f"the synthetic default (seed {seed}, {n_providers} providers, {n_months} months)",
            rows=len(panel), truths=len(truth), tables={"rtt_flows": sd.flows})
        origin = (f"the synthetic default's truth (seed {seed}, {n_providers} providers, "
                  f"{n_months} months)")
    out = Path(output_dir) if output_dir else project_root() / INTERACTIVE_DIR / notebook
    out.mkdir(parents=True, exist_ok=True)
    params = {"panel_path": panel_path, "seed": seed, "n_providers": n_providers,
              "n_months": n_months, "output_dir": output_dir, **parameters}
    return Session(notebook=notebook, parameters=json.loads(json.dumps(params, default=str)),
                   output_dir=out, panel=panel, data_sha256=sha, synthetic=synthetic,
                   truth=truth, catalogue=catalogue,
                   truth_sources=dict.fromkeys(truth or {}, origin), declaration=decl,
                   synthetic_world=world)


def synthetic_world(truth_path: str | Path) -> str:
    """How the world of a generated panel differs from the built-in default, in words:
    its scenario and the true effects a study overrode (``data.synthetic``), from the
    settings in its ``truth.json``; "" for the default world.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "truth.json"
    >>> _ = p.write_text(json.dumps({"truth": {}, "settings": {"scenario": "confounded",
    ...     "effect_overrides": {"staffing_on_wait": 0.0}}}))
    >>> synthetic_world(p)
    "scenario 'confounded', true effects changed: staffing on wait 0"
    """
    try:
        settings = json.loads(Path(truth_path).read_text(encoding="utf-8")).get("settings", {})
    except (OSError, ValueError, AttributeError):
        return ""
    if not isinstance(settings, dict):
        return ""
    parts = []
    if settings.get("scenario"):
        parts.append(f"scenario {settings['scenario']!r}")
    overrides = settings.get("effect_overrides") or {}
    if isinstance(overrides, dict) and overrides:
        parts.append("true effects changed: " + ", ".join(
            f"{str(k).replace('_', ' ')} {v:g}" if isinstance(v, (int, float)) else
            f"{str(k).replace('_', ' ')} {v}" for k, v in overrides.items()))
    return ", ".join(parts)


def _is_synthetic(panel: pd.DataFrame) -> bool:
    return bool(panel["provider_name"].astype(str).str.startswith("Synthetic ").all())
