"""Board packs: a study's summary page and chosen reports as one PDF or Word document.

``workbench export outputs/default --pdf`` (:func:`export_pack`) reads the pages a study
published (:mod:`~workbench.report.export.pages`): its ``index.html`` (the summary) and
the ``report.html`` of each chosen run (by default every run that finished ok), never
``findings.json``, the executed notebooks or the data. So a pack holds the same
sanitised content as the pages, under the same disclosure control: a count the pages
hide is hidden in the pack, shown by the same symbol. The pages become one document
(:mod:`~workbench.report.export.pack`): a cover with the contents, then a section per
page, each under its own heading. The PDF is laid out from that document by WeasyPrint
(:mod:`~workbench.report.export.pdf`); the Word document is walked from the same HTML
with python-docx (:mod:`~workbench.report.export.word`). Both number their pages,
carry the headings as a document outline, and give every figure its description as
alternative text. A progress bar follows the pages read and laid out.

>>> export_pack("no/such/folder", "pdf")                   # doctest: +ELLIPSIS
Traceback (most recent call last):
workbench.errors.ExportError: no/such/folder: does not exist; expected a study's output folder ...
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workbench.errors import ExportError
from workbench.report.export.pack import Pack, Section, build_pack
from workbench.report.export.pages import PUBLIC, choose_runs, study_pages

__all__ = ["FORMATS", "Pack", "Section", "build_pack", "default_path", "export_pack"]

#: The formats a pack can be written in (file suffix without the dot).
FORMATS = ("pdf", "docx")
#: The pack's file name in the study's output folder, without its suffix.
PACK_NAME = "board_pack"


def default_path(study_output: str | Path, fmt: str) -> Path:
    """Where a pack goes when no file is named: ``board_pack.<fmt>`` in the study's output
    folder (beside ``index.html``; for a ``public/`` folder, beside it in the study's
    folder, which the next run replaces whole).

    >>> default_path("outputs/default", "pdf").as_posix()
    'outputs/default/board_pack.pdf'
    >>> default_path("outputs/default/public", "docx").as_posix()
    'outputs/default/board_pack.docx'
    """
    folder = Path(study_output)
    if folder.name == PUBLIC:
        folder = folder.parent
    return folder / f"{PACK_NAME}.{fmt}"


def export_pack(study_output: str | Path, fmt: str, out: str | Path | None = None,
                runs: Sequence[str] | None = None, progress: bool = False) -> Path:
    """Write the board pack of the study output folder ``study_output`` as ``fmt``
    (``"pdf"`` or ``"docx"``) to ``out`` (default :func:`default_path`); return its path.

    ``runs`` names the runs whose reports go in (run ids, in that order); by default
    every run that finished ok, in the index's order. ``progress`` shows a progress bar
    (tqdm, on stderr) of the pages read and laid out.
    :class:`~workbench.errors.ExportError` for a folder that is not a study's output, a
    named run the study does not have or that did not finish ok, no run that finished
    ok, an unknown format, a file name whose suffix is another format's, or a converter
    that is not installed.
    """
    if fmt not in FORMATS:
        raise ExportError(out or study_output, f"unknown format {fmt!r}",
                          expected="one of " + ", ".join(FORMATS))
    out = Path(out) if out is not None else default_path(study_output, fmt)
    if out.suffix.lower() != f".{fmt}":
        raise ExportError(out, f"a {fmt.upper()} pack in a file named {out.name!r}",
                          expected=f"a file name ending .{fmt}")
    if out.is_dir():
        raise ExportError(out, "is a folder", expected=f"a file name ending .{fmt}")
    from tqdm.auto import tqdm

    n_runs = len(choose_runs(study_pages(study_output), runs))  # errors before the bar
    bar = tqdm(total=n_runs + 2, desc=f"board pack ({fmt})", unit="step",
               disable=not progress, dynamic_ncols=True, leave=False)
    with bar:
        def step(what: str) -> None:
            bar.set_postfix_str(what, refresh=False)
            bar.update()

        def note(what: str) -> None:
            bar.set_postfix_str(what)

        pack = build_pack(study_output, runs, progress=step)
        if fmt == "pdf":
            from workbench.report.export.pdf import write_pdf

            path = write_pdf(pack.document(), out, progress=note)
        else:
            from workbench.report.export.word import write_docx

            path = write_docx(pack, out, progress=note)
        bar.update()
    return path
