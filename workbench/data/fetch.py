"""Download official files into ``data/raw/<source>/``, with retries and a sha256 record.

A catalogue (:data:`CATALOGUE`) says where each publication lives. An entry either names the
file's URL directly, or names the publisher's page and a pattern for the file's link: NHS
England's upload links carry a random suffix that cannot be predicted
(``June-2025-AE-by-provider-3euC4-1.xlsx``), so the page is read and the link found.

Every download is written to a temporary file in the destination folder and renamed into
place only when complete (its length checked against ``Content-Length``), so a failed or
interrupted download never leaves a partial file behind. Beside each file a small JSON
record (``<file>.fetch.json``) holds the URL, the page it was found on, the sha256, the size
and the time. When the machine is offline or the publisher refuses the request,
:class:`~workbench.errors.FetchError` says which URL to download by hand and which folder to
save it in.

Example
-------
>>> from workbench.data.fetch import fetch
>>> path = fetch("ae", "2025-06")  # doctest: +SKIP
>>> path.name  # doctest: +SKIP
'Monthly-AE-June-2025.csv'
"""

from __future__ import annotations

import hashlib
import html.parser
import http.client
import json
import os
import re
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workbench.errors import FetchError
from workbench.files import atomic_path, atomic_write_text, sha256_file

USER_AGENT = "workbench-fetch/0.1 (+https://github.com/; research use of open NHS data)"
SIDECAR_SUFFIX = ".fetch.json"


@dataclass(frozen=True)
class Entry:
    """Where one publication is found.

    ``url`` is a direct file URL; otherwise ``page`` is read and the first link whose
    file name matches ``link`` (a regular expression, case-insensitive) is downloaded.
    Both are :meth:`str.format` templates filled by :func:`period_fields`. ``extract``
    names a member to unpack from a downloaded zip (the zip is kept too).
    """

    source: str
    description: str
    page: str | None = None
    link: str | None = None
    url: str | None = None
    extract: str | None = None
    needs_period: bool = True


_NHSE = "https://www.england.nhs.uk/statistics/statistical-work-areas"

#: The publications :func:`fetch` knows. Pages move from time to time; when one does the
#: error names the page, and a user can still download by hand into the folder it names.
CATALOGUE: dict[str, Entry] = {e.source: e for e in [
    Entry("ae", "A&E attendances and emergency admissions, monthly provider CSV (NHS England)",
          page=_NHSE + "/ae-waiting-times-and-activity/ae-attendances-and-emergency-admissions-{fy}/",
          link=r"^Monthly-AE-{month_name}-{year}(-revised)?(-[0-9A-Za-z]+)*\.csv$"),
    Entry("ae_workbook", "A&E attendances by provider, monthly workbook (NHS England)",
          page=_NHSE + "/ae-waiting-times-and-activity/ae-attendances-and-emergency-admissions-{fy}/",
          link=r"^{month_name}-{year}-AE-by-provider(-[0-9A-Za-z]+)*\.xlsx$"),
    Entry("rtt", "Referral to treatment, full CSV extract (NHS England)",
          page=_NHSE + "/rtt-waiting-times/rtt-data-{fy}/",
          link=r"^Full-CSV-data-file-{mon}{yy}(-[0-9A-Za-z]+)*\.zip$"),
    Entry("fft", "Friends and Family Test, inpatient provider workbook (NHS England)",
          page="https://www.england.nhs.uk/fft/friends-and-family-test-data/",
          link=r"^(FFT|friends-and-family-test)-inpatient-data-{month_name}-{year}.*\.xls[xm]$"),
    Entry("workforce", "NHS workforce statistics by organisation (NHS Digital)",
          page="https://digital.nhs.uk/data-and-information/publications/statistical/"
               "nhs-workforce-statistics/{month_name_lower}-{year}",
          link=r".*(staff[ -]group|organisation).*\.xlsx$"),
    Entry("staff_survey", "NHS Staff Survey results (Survey Coordination Centre)",
          page="https://www.nhsstaffsurveys.com/results/",
          link=r".*(NSS|staff[ _-]survey).*{year}.*\.xlsx$"),
    Entry("cqc", "CQC care directory with ratings, latest ratings (CQC)",
          page="https://www.cqc.org.uk/about-us/transparency/using-cqc-data",
          link=r"^\d{{1,2}}_{month_name}_{year}_Latest_ratings\.(ods|xlsx)$"),
    Entry("ods", "ODS list of NHS trusts, etr (NHS England ODS)",
          url="https://files.digital.nhs.uk/assets/ods/current/etr.zip", extract="etr.csv",
          needs_period=False),
]}

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def period_fields(period: str | None) -> dict[str, str]:
    """Template fields of a month ``YYYY-MM``.

    >>> f = period_fields("2025-06")
    >>> f["month_name"], f["mon"], f["yy"], f["fy"]
    ('June', 'Jun', '25', '2025-26')
    >>> period_fields("2026-02")["fy"]
    '2025-26'
    """
    if period is None:
        return {}
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(period).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"period={period!r}: expected a month as 'YYYY-MM' (e.g. '2025-06')")
    year, month = int(m.group(1)), int(m.group(2))
    fy_start = year if month >= 4 else year - 1
    name = MONTHS[month - 1]
    return {"year": f"{year}", "yy": f"{year % 100:02d}", "month": f"{month:02d}",
            "month_name": name, "month_name_lower": name.lower(), "mon": name[:3],
            "fy": f"{fy_start}-{(fy_start + 1) % 100:02d}"}


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag.lower() == "a":
            for k, v in attrs:
                if k.lower() == "href" and v:
                    self.hrefs.append(v.strip())


def find_link(page_html: str, base_url: str, pattern: str) -> str | None:
    """The absolute URL of the first link whose file name matches ``pattern``.

    >>> find_link('<a href="/x/June-2025-AE-by-provider-3euC4-1.xlsx">x</a>',
    ...           "https://e.org/p/", r"^June-2025-AE-by-provider(-\\w+)*\\.xlsx$")
    'https://e.org/x/June-2025-AE-by-provider-3euC4-1.xlsx'
    """
    parser = _Links()
    parser.feed(page_html)
    rx = re.compile(pattern, flags=re.IGNORECASE)
    for href in parser.hrefs:
        name = urllib.parse.unquote(urllib.parse.urlparse(href).path.rsplit("/", 1)[-1])
        if rx.search(name):
            return urllib.parse.urljoin(base_url, href)
    return None


def _hand_message(source: str, period: str | None, url: str, folder: Path, why: str,
                  extract: str | None = None) -> str:
    when = f" for {period}" if period else ""
    keep = (f"unzip {extract} from it into {folder}/" if extract
            else f"save it in {folder}/ under the name the publisher gives it")
    return (f"Could not download {source}{when}: {why}. Download it by hand from {url} "
            f"and {keep}; then run `workbench data build --from {folder.parent}`.")


def _fail(source, period, url, folder, why, extract: str | None = None) -> FetchError:
    err = FetchError(_hand_message(source, period, url, folder, why, extract))
    err.url, err.folder, err.reason = url, str(folder), why
    return err


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code in (408, 429)
    return isinstance(exc, (urllib.error.URLError, socket.timeout, TimeoutError,
                            ConnectionError, _Incomplete))


class _Incomplete(OSError):
    """The connection closed before ``Content-Length`` bytes arrived."""


def _request(url: str, timeout: float):
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    return urllib.request.urlopen(req, timeout=timeout)


def _with_retries(action, retries: int, backoff: float):
    """Run ``action()``; retry transient failures with exponential backoff."""
    for attempt in range(retries + 1):
        try:
            return action()
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            if attempt == retries or not _retryable(exc):
                raise
            time.sleep(backoff * (2 ** attempt))
    raise AssertionError("unreachable")


def _get_text(url: str, timeout: float) -> str:
    with _request(url, timeout) as resp:
        raw = resp.read()
        charset = resp.headers.get_content_charset() or "utf-8"
    return raw.decode(charset, errors="replace")


def _download(url: str, target: Path, timeout: float) -> tuple[str, int]:
    """Stream ``url`` into a temp file beside ``target``; rename when complete."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    h, n = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out, _request(url, timeout) as resp:
            expected = resp.headers.get("Content-Length")
            while True:
                try:
                    block = resp.read(1 << 16)
                except http.client.IncompleteRead as exc:
                    raise _Incomplete(f"connection closed after {n} bytes ({exc})") from None
                if not block:
                    break
                out.write(block)
                h.update(block)
                n += len(block)
            if expected is not None and n != int(expected):
                raise _Incomplete(f"got {n} of {expected} bytes")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return h.hexdigest(), n


def _write_json(path: Path, record: dict) -> None:
    atomic_write_text(path, json.dumps(record, indent=2) + "\n")


def _extract(zip_path: Path, member: str, folder: Path) -> Path:
    target = folder / Path(member).name
    with zipfile.ZipFile(zip_path) as z:
        names = [n for n in z.namelist() if Path(n).name.lower() == member.lower()
                 and not n.startswith("__MACOSX/")]
        if not names:
            raise FetchError(f"{zip_path}: no member {member!r} in the downloaded zip "
                             f"(members {z.namelist()[:10]})")
        with atomic_path(target) as tmp, open(tmp, "wb") as out, z.open(names[0]) as src:
            while block := src.read(1 << 16):
                out.write(block)
    return target


def sidecar(path: Path) -> Path:
    """The JSON record written beside a fetched file.

    >>> sidecar(Path("data/raw/ae/Monthly-AE-June-2025.csv")).name
    'Monthly-AE-June-2025.csv.fetch.json'
    """
    return path.with_name(path.name + SIDECAR_SUFFIX)


def fetch(source: str, period: str | None = None, dest: str | Path = Path("data/raw"), *,
          catalogue: dict[str, Entry] | None = None, retries: int = 3, timeout: float = 60.0,
          backoff: float = 2.0, force: bool = False) -> Path:
    """Download one publication into ``dest/<source>/`` and return the file's path.

    ``period`` is the month ``YYYY-MM`` (not needed for ``ods``). A file already fetched
    (same name, its recorded sha256 matching) is not downloaded again unless ``force``.
    Transient failures (connection errors, timeouts, HTTP 5xx/429, a body cut short) are
    retried ``retries`` times with exponential ``backoff`` seconds; anything else, or
    running out of retries, raises :class:`~workbench.errors.FetchError` naming the URL to
    download by hand and the folder to save it in.

    >>> fetch("nope", "2025-06")
    Traceback (most recent call last):
    ...
    ValueError: source='nope' is not in the catalogue; known sources: ae, ae_workbook, rtt, fft, workforce, staff_survey, cqc, ods
    """
    cat = CATALOGUE if catalogue is None else catalogue
    if source not in cat:
        raise ValueError(f"source={source!r} is not in the catalogue; known sources: "
                         f"{', '.join(cat)}")
    entry = cat[source]
    if entry.needs_period and period is None:
        raise ValueError(f"source={source!r} needs period='YYYY-MM'")
    fields = period_fields(period)
    folder = Path(dest) / source
    folder.mkdir(parents=True, exist_ok=True)
    page_url = entry.page.format(**fields) if entry.page else None

    if entry.url:
        url = entry.url.format(**fields)
    else:
        try:
            text = _with_retries(lambda: _get_text(page_url, timeout), retries, backoff)
        except (urllib.error.URLError, OSError) as exc:
            raise _fail(source, period, page_url, folder,
                        f"the publisher's page could not be read ({exc})") from None
        pattern = entry.link.format(**{k: re.escape(v) for k, v in fields.items()})
        url = find_link(text, page_url, pattern)
        if url is None:
            raise _fail(source, period, page_url, folder,
                        f"no link on the page matches {pattern!r} (not published yet, or the "
                        "page changed)")
    name = urllib.parse.unquote(urllib.parse.urlparse(url).path.rsplit("/", 1)[-1]) or source
    target = folder / name
    record_path = sidecar(target)
    if target.exists() and record_path.exists() and not force:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if record.get("sha256") == sha256_file(target):
            return _extract(target, entry.extract, folder) if entry.extract else target
    try:
        digest, size = _with_retries(lambda: _download(url, target, timeout), retries, backoff)
    except (urllib.error.URLError, OSError) as exc:
        raise _fail(source, period, url, folder, f"the download failed ({exc})",
                    entry.extract) from None
    _write_json(record_path, {
        "source": source, "period": period, "url": url, "page": page_url, "file": name,
        "sha256": digest, "bytes": size,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "description": entry.description,
    })
    if entry.extract:
        try:
            return _extract(target, entry.extract, folder)
        except zipfile.BadZipFile:
            raise _fail(source, period, url, folder, "the download is not a zip archive",
                        entry.extract) from None
    return target
