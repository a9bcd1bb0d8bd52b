"""Download official files into ``data/raw/<source>/``: https only, from the publisher's hosts.

A catalogue (:data:`CATALOGUE`) says where each publication lives. An entry either names the
file's URL directly, or names the publisher's page and a pattern for the file's link: NHS
England's upload links carry a random suffix that cannot be predicted
(``June-2025-AE-by-provider-3euC4-1.xlsx``), so the page is read and the link found.

The page is not trusted. Every URL fetch opens (the page, the link found on it and every
redirect hop) must be ``https`` on one of the hosts the catalogue entry allows
(:attr:`Entry.hosts`, plus the hosts of its own ``page`` and ``url``); anything else is
refused with a :class:`~workbench.errors.FetchError` naming the URL and the host. The file
name taken from a link is decoded and cleaned (:func:`safe_name`), and the resolved path must
lie inside the destination folder. Downloads are limited in size (:data:`DEFAULT_MAX_BYTES`,
checked against ``Content-Length`` and while streaming), and a sha256 known in advance (from
the catalogue, or recorded by an earlier fetch) must match. Certificates are verified against
the system's trust store, or the PEM file named by ``cafile=`` or the ``WORKBENCH_CA_FILE``
environment variable (for a proxy that re-signs TLS traffic, or a test server).

Every download is written to a temporary file in the destination folder, checked (length,
size limit, sha256, zip members) and renamed into place only when all checks pass, so a
failed, refused or interrupted download never leaves a partial file behind and never replaces
the file already there. Beside each file a small JSON record (``<file>.fetch.json``) holds
the URL, the page it was found on, the sha256, the size and the time. When the machine is
offline or the publisher refuses the request, :class:`~workbench.errors.FetchError` says
which URL to download by hand and which folder to save it in.

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
import ssl
import stat
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workbench.errors import ArgumentError, FetchError, UnsafeFileNameError, WorkbenchError
from workbench.files import atomic_path, atomic_write_text, sha256_file

USER_AGENT = "workbench-fetch/0.1 (+https://github.com/; research use of open NHS data)"
SIDECAR_SUFFIX = ".fetch.json"
#: Largest download accepted unless ``max_bytes`` says otherwise (2 GiB).
DEFAULT_MAX_BYTES = 2 * 1024 ** 3
#: Largest publisher page read when looking for a link (32 MiB, or ``max_bytes`` if smaller).
PAGE_MAX_BYTES = 32 * 1024 ** 2
#: Environment variable naming a PEM file of certificates to trust instead of the system's.
CA_FILE_ENV = "WORKBENCH_CA_FILE"


@dataclass(frozen=True)
class Entry:
    """Where one publication is found.

    ``url`` is a direct file URL; otherwise ``page`` is read and the first link whose
    file name matches ``link`` (a regular expression, case-insensitive) is downloaded.
    Both are :meth:`str.format` templates filled by :func:`period_fields`. ``extract``
    names a member to unpack from a downloaded zip (the zip is kept too).

    ``hosts`` are the host names files may come from (links and redirects included),
    besides the hosts of ``page`` and ``url`` themselves. ``sha256`` is the file's known
    hash: one hex string, or a mapping of period (``YYYY-MM``) to hex string.

    >>> e = Entry("ods", "ODS trusts", url="https://files.digital.nhs.uk/etr.zip",
    ...           needs_period=False)
    >>> e.allowed_hosts()
    ('files.digital.nhs.uk',)
    """

    source: str
    description: str
    page: str | None = None
    link: str | None = None
    url: str | None = None
    extract: str | None = None
    needs_period: bool = True
    hosts: tuple[str, ...] = ()
    sha256: str | Mapping[str, str] | None = None

    def allowed_hosts(self) -> tuple[str, ...]:
        """The host names this entry may download from (lower case, sorted)."""
        names = {h.lower().rstrip(".") for h in self.hosts}
        for template in (self.page, self.url):
            if template:
                host = urllib.parse.urlsplit(template).hostname
                if host:
                    names.add(host.rstrip("."))
        return tuple(sorted(names))

    def expected_sha256(self, period: str | None) -> str | None:
        """The catalogue's sha256 for ``period`` (lower-case hex), or ``None``."""
        if self.sha256 is None:
            return None
        if isinstance(self.sha256, str):
            return self.sha256.lower()
        value = self.sha256.get(period) if period is not None else None
        return value.lower() if value else None


_NHSE = "https://www.england.nhs.uk/statistics/statistical-work-areas"
# NHS England serves its statistics files from the same host as its pages
# (www.england.nhs.uk/statistics/wp-content/uploads/...).
_NHSE_HOSTS = ("www.england.nhs.uk",)
# NHS Digital's publication pages link files on files.digital.nhs.uk.
_NHSD_HOSTS = ("digital.nhs.uk", "files.digital.nhs.uk")

#: The publications :func:`fetch` knows. Pages move from time to time; when one does the
#: error names the page, and a user can still download by hand into the folder it names.
CATALOGUE: dict[str, Entry] = {e.source: e for e in [
    Entry("ae", "A&E attendances and emergency admissions, monthly provider CSV (NHS England)",
          page=_NHSE + "/ae-waiting-times-and-activity/ae-attendances-and-emergency-admissions-{fy}/",
          link=r"^Monthly-AE-{month_name}-{year}(-revised)?(-[0-9A-Za-z]+)*\.csv$",
          hosts=_NHSE_HOSTS),
    Entry("ae_workbook", "A&E attendances by provider, monthly workbook (NHS England)",
          page=_NHSE + "/ae-waiting-times-and-activity/ae-attendances-and-emergency-admissions-{fy}/",
          link=r"^{month_name}-{year}-AE-by-provider(-[0-9A-Za-z]+)*\.xlsx$",
          hosts=_NHSE_HOSTS),
    Entry("rtt", "Referral to treatment, full CSV extract (NHS England)",
          page=_NHSE + "/rtt-waiting-times/rtt-data-{fy}/",
          link=r"^Full-CSV-data-file-{mon}{yy}(-[0-9A-Za-z]+)*\.zip$",
          hosts=_NHSE_HOSTS),
    Entry("fft", "Friends and Family Test, inpatient provider workbook (NHS England)",
          page="https://www.england.nhs.uk/fft/friends-and-family-test-data/",
          link=r"^(FFT|friends-and-family-test)-inpatient-data-{month_name}-{year}.*\.xls[xm]$",
          hosts=_NHSE_HOSTS),
    Entry("workforce", "NHS workforce statistics by organisation (NHS Digital)",
          page="https://digital.nhs.uk/data-and-information/publications/statistical/"
               "nhs-workforce-statistics/{month_name_lower}-{year}",
          link=r".*(staff[ -]group|organisation).*\.xlsx$",
          hosts=_NHSD_HOSTS),
    Entry("staff_survey", "NHS Staff Survey results (Survey Coordination Centre)",
          page="https://www.nhsstaffsurveys.com/results/",
          link=r".*(NSS|staff[ _-]survey).*{year}.*\.xlsx$",
          hosts=("www.nhsstaffsurveys.com", "cms.nhsstaffsurveys.com")),
    Entry("cqc", "CQC care directory with ratings, latest ratings (CQC)",
          page="https://www.cqc.org.uk/about-us/transparency/using-cqc-data",
          link=r"^\d{{1,2}}_{month_name}_{year}_Latest_ratings\.(ods|xlsx)$",
          hosts=("www.cqc.org.uk",)),
    Entry("ods", "ODS list of NHS trusts, etr (NHS England ODS)",
          url="https://files.digital.nhs.uk/assets/ods/current/etr.zip", extract="etr.csv",
          needs_period=False, hosts=("files.digital.nhs.uk",)),
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
        raise ArgumentError("period_fields", "period", period,
                            expected="a month as 'YYYY-MM' (e.g. '2025-06')")
    year, month = int(m.group(1)), int(m.group(2))
    fy_start = year if month >= 4 else year - 1
    name = MONTHS[month - 1]
    return {"year": f"{year}", "yy": f"{year % 100:02d}", "month": f"{month:02d}",
            "month_name": name, "month_name_lower": name.lower(), "mon": name[:3],
            "fy": f"{fy_start}-{(fy_start + 1) % 100:02d}"}


# --- URLs and names -------------------------------------------------------------------------

def _refused(url: str, why: str, host: str | None = None) -> FetchError:
    err = FetchError(f"Refused to fetch {url}: {why}. Nothing was written.")
    err.url, err.host, err.reason, err.folder = url, host, why, None
    return err


def check_url(url: str, allowed: tuple[str, ...] | list[str], what: str = "URL") -> str:
    """Return ``url`` if it is ``https`` on one of the ``allowed`` hosts; else raise.

    >>> check_url("https://www.england.nhs.uk/x.csv", ["www.england.nhs.uk"])
    'https://www.england.nhs.uk/x.csv'
    >>> check_url("http://www.england.nhs.uk/x.csv", ["www.england.nhs.uk"])
    Traceback (most recent call last):
    ...
    workbench.errors.FetchError: Refused to fetch http://www.england.nhs.uk/x.csv: the URL uses 'http', only https is allowed. Nothing was written.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise _refused(url, f"the {what} is malformed ({exc})") from None
    if parts.scheme.lower() != "https":
        raise _refused(url, f"the {what} uses {parts.scheme or 'no scheme'!r}, only https is "
                            "allowed", host or None)
    if parts.username is not None or parts.password is not None:
        raise _refused(url, f"the {what} carries a user name or password", host)
    if host not in allowed:
        raise _refused(url, f"the {what} is on host {host!r}, which the catalogue does not "
                            f"allow for this source (allowed: {', '.join(allowed)})", host)
    return url


def _decode(text: str, rounds: int = 8) -> str:
    """URL-decode until nothing changes (``%252F`` -> ``%2F`` -> ``/``)."""
    for _ in range(rounds):
        decoded = urllib.parse.unquote(text)
        if decoded == text:
            return text
        text = decoded
    raise UnsafeFileNameError(text, "is still percent-encoded after repeated decoding")


def link_name(url: str) -> str:
    """The fully decoded last segment of a URL's path (may still contain separators).

    >>> link_name("https://e.org/up/June%252F..%252Fx.xlsx?v=1")
    'June/../x.xlsx'
    """
    return _decode(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def safe_name(raw: str) -> str:
    r"""A file name safe to create in the destination folder, from a link's name.

    The name is URL-decoded repeatedly, only its last component (after ``/`` or ``\``) is
    kept, control characters (NUL included) are dropped and leading dots and spaces are
    stripped; a name left empty, longer than 255 bytes or still encoded is refused.

    >>> safe_name("June-2025-AE-by-provider-3euC4-1.xlsx")
    'June-2025-AE-by-provider-3euC4-1.xlsx'
    >>> safe_name("..%2F..%2Fevil.xlsx"), safe_name("%252F..%252F.bashrc")
    ('evil.xlsx', 'bashrc')
    >>> safe_name("..%2F")
    Traceback (most recent call last):
    ...
    workbench.errors.UnsafeFileNameError: file name '..%2F' has nothing left after removing path separators, '..' and leading dots
    """
    try:
        text = _decode(raw)
    except UnsafeFileNameError as exc:
        raise UnsafeFileNameError(raw, exc.problem) from None
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
    text = text.lstrip(". ").rstrip(" ")
    if not text or text in (".", ".."):
        raise UnsafeFileNameError(raw, "has nothing left after removing path separators, "
                                  "'..' and leading dots")
    if len(text.encode("utf-8")) > 255:
        raise UnsafeFileNameError(raw, "is longer than 255 bytes")
    return text


def _inside(folder: Path, name: str) -> Path:
    """``folder / name``, after checking the resolved path lies directly in ``folder``."""
    root = os.path.realpath(folder)
    full = os.path.normpath(os.path.join(root, name))
    if os.path.dirname(full) != root or os.path.basename(full) != name:
        raise FetchError(f"file name {name!r} would be written outside {folder}; refused")
    return folder / name


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
    r"""The absolute URL of the first link whose file name matches ``pattern``.

    The name matched is the link's fully decoded last path segment (:func:`link_name`), so
    encoded separators are seen by the pattern. The URL is returned as found: callers check
    it with :func:`check_url`.

    >>> find_link('<a href="/x/June-2025-AE-by-provider-3euC4-1.xlsx">x</a>',
    ...           "https://e.org/p/", r"^June-2025-AE-by-provider(-\w+)*\.xlsx$")
    'https://e.org/x/June-2025-AE-by-provider-3euC4-1.xlsx'
    """
    parser = _Links()
    parser.feed(page_html)
    rx = re.compile(pattern, flags=re.IGNORECASE)
    for href in parser.hrefs:
        try:
            name = link_name(href)
        except ValueError:
            continue
        if rx.search(name):
            return urllib.parse.urljoin(base_url, href)
    return None


# --- HTTP -----------------------------------------------------------------------------------

class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to ``https`` on an allowed host; refuse anything else."""

    def __init__(self, allowed: tuple[str, ...]):
        self.allowed = allowed

    def _check(self, req, fp, newurl: str):
        try:
            check_url(newurl, self.allowed, what=f"redirect from {req.full_url}")
        except FetchError:
            fp.close()
            raise

    def http_error_302(self, req, fp, code, msg, headers):
        location = headers.get("location") or headers.get("uri")
        if location:
            self._check(req, fp, urllib.parse.urljoin(req.full_url, location))
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self._check(req, fp, newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(allowed: tuple[str, ...], cafile: str | Path | None):
    """An opener that speaks only https, verifies certificates and checks every redirect."""
    where = "cafile" if cafile is not None else CA_FILE_ENV
    cafile = cafile if cafile is not None else os.environ.get(CA_FILE_ENV) or None
    try:
        context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    except (OSError, ssl.SSLError) as exc:
        raise FetchError(f"{where}={str(cafile)!r}: could not load certificates from it "
                         f"({exc}); expected a PEM file of CA certificates") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.HTTPSHandler(context=context),
                    _CheckedRedirects(allowed), urllib.request.HTTPDefaultErrorHandler(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or exc.code in (408, 429)
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, ssl.SSLError):
        return False  # a certificate that does not verify will not verify next time
    return isinstance(exc, (urllib.error.URLError, socket.timeout, TimeoutError,
                            ConnectionError, _Incomplete))


class _Incomplete(WorkbenchError, OSError):
    """The connection closed before ``Content-Length`` bytes arrived."""


def _open(opener, url: str, timeout: float, allowed: tuple[str, ...]):
    check_url(url, allowed)
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    resp = opener.open(req, timeout=timeout)
    try:
        check_url(resp.geturl(), allowed, what="final URL after redirects")
    except FetchError:
        resp.close()
        raise
    return resp


def _with_retries(action, retries: int, backoff: float):
    """Run ``action()``; retry transient failures with exponential backoff."""
    attempt = 0
    while True:
        try:
            return action()
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            if attempt >= retries or not _retryable(exc):
                raise
            time.sleep(backoff * (2 ** attempt))
            attempt += 1


def _too_big(url: str, limit: int, declared: int | None) -> FetchError:
    said = (f"the server declares {declared} bytes" if declared is not None
            else f"more than {limit} bytes arrived")
    err = FetchError(f"Refused to download {url}: {said}, above the size limit of {limit} "
                     "bytes (max_bytes= / --max-bytes raises it). Nothing was written.")
    err.url, err.limit, err.reason, err.folder = url, limit, said, None
    return err


def _declared_length(resp) -> int | None:
    try:
        value = int(resp.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _get_text(opener, url: str, timeout: float, allowed, limit: int) -> str:
    with _open(opener, url, timeout, allowed) as resp:
        declared = _declared_length(resp)
        if declared is not None and declared > limit:
            raise _too_big(url, limit, declared)
        raw = resp.read(limit + 1)
        if len(raw) > limit:
            raise _too_big(url, limit, None)
        charset = resp.headers.get_content_charset() or "utf-8"
    return raw.decode(charset, errors="replace")


def _download(opener, url: str, tmp: Path, timeout: float, allowed,
              limit: int) -> tuple[str, int]:
    """Stream ``url`` into ``tmp`` (truncated first), within ``limit`` bytes."""
    h, n = hashlib.sha256(), 0
    with _open(opener, url, timeout, allowed) as resp, open(tmp, "wb") as out:
        declared = _declared_length(resp)
        if declared is not None and declared > limit:
            raise _too_big(url, limit, declared)
        while True:
            try:
                block = resp.read(1 << 16)
            except http.client.IncompleteRead as exc:
                raise _Incomplete(f"connection closed after {n} bytes ({exc})") from None
            if not block:
                break
            n += len(block)
            if n > limit:
                raise _too_big(url, limit, None)
            out.write(block)
            h.update(block)
        if declared is not None and n != declared:
            raise _Incomplete(f"got {n} of {declared} bytes")
        out.flush()
        os.fsync(out.fileno())
    return h.hexdigest(), n


# --- files ----------------------------------------------------------------------------------

def _write_json(path: Path, record: dict) -> None:
    atomic_write_text(path, json.dumps(record, indent=2) + "\n")


def check_zip(zip_path: str | Path, label: str | Path | None = None) -> None:
    """Raise :class:`~workbench.errors.FetchError` if any member of the zip is unsafe.

    Unsafe: an absolute path or drive letter, a ``..`` component, a NUL or control
    character, or a symbolic link. ``label`` names the zip in the message (default: its path).
    """
    label = zip_path if label is None else label
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            name = info.filename
            parts = re.split(r"[/\\]", name)
            why = None
            if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
                why = "an absolute path"
            elif ".." in parts:
                why = "a '..' component"
            elif any(unicodedata.category(ch) == "Cc" for ch in name):
                why = "a control character"
            elif stat.S_ISLNK(info.external_attr >> 16):
                why = "a symbolic link"
            if why:
                raise FetchError(f"{label}: zip member {name!r} is {why}; the archive is "
                                 "refused and nothing was extracted")


def _extract(zip_path: Path, member: str, folder: Path,
             max_bytes: int = DEFAULT_MAX_BYTES) -> Path:
    check_zip(zip_path)
    target = _inside(folder, safe_name(Path(member).name))
    with zipfile.ZipFile(zip_path) as z:
        infos = [i for i in z.infolist() if Path(i.filename).name.lower() == member.lower()
                 and not i.filename.startswith("__MACOSX/") and not i.is_dir()]
        if not infos:
            raise FetchError(f"{zip_path}: no member {member!r} in the downloaded zip "
                             f"(members {z.namelist()[:10]})")
        info = infos[0]
        if info.file_size > max_bytes:
            raise FetchError(f"{zip_path}: member {info.filename!r} unpacks to "
                             f"{info.file_size} bytes, above the size limit of {max_bytes} "
                             "bytes (max_bytes= / --max-bytes raises it)")
        with atomic_path(target) as tmp, open(tmp, "wb") as out, z.open(info) as src:
            n = 0
            while block := src.read(1 << 16):
                n += len(block)
                if n > max_bytes:
                    raise FetchError(f"{zip_path}: member {info.filename!r} unpacks to more "
                                     f"than the size limit of {max_bytes} bytes")
                out.write(block)
    return target


def sidecar(path: Path) -> Path:
    """The JSON record written beside a fetched file.

    >>> sidecar(Path("data/raw/ae/Monthly-AE-June-2025.csv")).name
    'Monthly-AE-June-2025.csv.fetch.json'
    """
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _recorded_sha256(record_path: Path) -> str | None:
    if not record_path.exists():
        return None
    try:
        value = json.loads(record_path.read_text(encoding="utf-8")).get("sha256")
    except (OSError, ValueError, AttributeError) as exc:
        raise FetchError(f"{record_path}: the record of an earlier fetch cannot be read "
                         f"({exc}); fetch again with refresh=True (--refresh) to replace "
                         "it") from None
    return str(value).lower() if value else None


def _mismatch(name: str, url: str, expected: str, actual: str, origin: str,
              folder: Path) -> FetchError:
    hint = ("; the catalogue's sha256 must be updated if the publisher has republished it"
            if origin == "catalogue" else
            "; if the publisher has republished the file, fetch again with refresh=True "
            "(--refresh) to accept the new version")
    err = FetchError(f"{folder / name}: the download from {url} has sha256 {actual}, but "
                     f"{expected} was expected (from the {origin}). The download is discarded "
                     f"and any file already present is kept{hint}.")
    err.url, err.folder, err.file, err.expected, err.actual = url, str(folder), name, expected, actual
    err.reason = "sha256 mismatch"
    return err


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
    if isinstance(why, str) and "CERTIFICATE_VERIFY_FAILED" in why:
        err.args = (err.args[0] + f" If a proxy re-signs TLS traffic, set {CA_FILE_ENV} to "
                    "its CA certificate (PEM).",)
    return err


def fetch(source: str, period: str | None = None, dest: str | Path = Path("data/raw"), *,
          catalogue: dict[str, Entry] | None = None, retries: int = 3, timeout: float = 60.0,
          backoff: float = 2.0, force: bool = False, refresh: bool = False,
          max_bytes: int = DEFAULT_MAX_BYTES, cafile: str | Path | None = None) -> Path:
    """Download one publication into ``dest/<source>/`` and return the file's path.

    ``period`` is the month ``YYYY-MM`` (not needed for ``ods``). Only ``https`` URLs on
    the hosts the catalogue allows for the source are opened (links and redirects
    included), and at most ``max_bytes`` are downloaded. A file already fetched (same name,
    its recorded sha256 matching) is not downloaded again unless ``force``; a new download
    must match the sha256 the catalogue gives or the earlier fetch recorded, else it is
    discarded and the file present is kept. ``refresh`` downloads again and accepts a new
    sha256 in place of the recorded one (for a file the publisher has republished under the
    same name; a catalogue sha256 still applies). ``cafile`` (default: the
    ``WORKBENCH_CA_FILE`` environment variable, else the system's store) is a PEM file of
    the certificates to trust.

    Transient failures (connection errors, timeouts, HTTP 5xx/429, a body cut short) are
    retried ``retries`` times with exponential ``backoff`` seconds; anything else, or
    running out of retries, raises :class:`~workbench.errors.FetchError` naming the URL to
    download by hand and the folder to save it in. Refusals (host, scheme, size, sha256,
    unsafe names) are never retried.

    >>> fetch("nope", "2025-06")
    Traceback (most recent call last):
    ...
    workbench.errors.ArgumentError: fetch(): source='nope' is not in the catalogue; expected one of the known sources: ae, ae_workbook, rtt, fft, workforce, staff_survey, cqc, ods.
    """
    cat = CATALOGUE if catalogue is None else catalogue
    if source not in cat:
        raise ArgumentError("fetch", "source", source, problem="is not in the catalogue",
                            expected=f"one of the known sources: {', '.join(cat)}")
    entry = cat[source]
    if entry.needs_period and period is None:
        raise ArgumentError("fetch", "period", period,
                            problem=f"is missing: source={source!r} needs period='YYYY-MM'",
                            expected="a month as 'YYYY-MM' (e.g. '2025-06')")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ArgumentError("fetch", "max_bytes", max_bytes,
                            expected="a whole number of bytes >= 1")
    fields = period_fields(period)
    allowed = entry.allowed_hosts()
    page_url = entry.page.format(**fields) if entry.page else None
    direct_url = entry.url.format(**fields) if entry.url else None
    check_url(direct_url or page_url, allowed, what="catalogue URL")
    opener = _opener(allowed, cafile)
    folder = Path(dest) / source
    folder.mkdir(parents=True, exist_ok=True)

    if direct_url:
        url = direct_url
    else:
        limit = min(max_bytes, PAGE_MAX_BYTES)
        try:
            text = _with_retries(lambda: _get_text(opener, page_url, timeout, allowed, limit),
                                 retries, backoff)
        except (urllib.error.URLError, OSError) as exc:
            raise _fail(source, period, page_url, folder,
                        f"the publisher's page could not be read ({exc})") from None
        pattern = entry.link.format(**{k: re.escape(v) for k, v in fields.items()})
        url = find_link(text, page_url, pattern)
        if url is None:
            raise _fail(source, period, page_url, folder,
                        f"no link on the page matches {pattern!r} (not published yet, or the "
                        "page changed)")
        check_url(url, allowed, what=f"link found on {page_url}")
    raw_name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]
    try:
        name = safe_name(raw_name) if raw_name else source
    except ValueError as exc:
        raise _refused(url, f"the link's {exc}") from None
    target = _inside(folder, name)
    record_path = _inside(folder, sidecar(target).name)

    recorded = None if refresh else _recorded_sha256(record_path)
    pinned = entry.expected_sha256(period)
    if target.exists() and recorded and not (force or refresh):
        present = sha256_file(target)
        if present == recorded and pinned in (None, present):
            return _extract(target, entry.extract, folder, max_bytes) if entry.extract else target
    expected, origin = ((pinned, "catalogue") if pinned else
                        (recorded, f"record of an earlier fetch, {record_path.name}"))
    check_archive = entry.extract is not None or name.lower().endswith(".zip")
    try:
        with atomic_path(target) as tmp:
            digest, size = _with_retries(
                lambda: _download(opener, url, tmp, timeout, allowed, max_bytes),
                retries, backoff)
            if expected and digest != expected:
                raise _mismatch(name, url, expected, digest, origin, folder)
            if check_archive:
                try:
                    check_zip(tmp, label=f"{folder / name} (from {url})")
                except zipfile.BadZipFile:
                    raise _fail(source, period, url, folder, "the download is not a zip "
                                "archive", entry.extract) from None
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
        return _extract(target, entry.extract, folder, max_bytes)
    return target
