"""One sanitiser for every page a stakeholder opens: ``report.html`` and ``index.html``.

A page is rebuilt from what :func:`sanitise_page` allows, whatever the data held:
the body goes through `nh3 <https://nh3.readthedocs.io>`_ (the Ammonia HTML sanitiser)
with a fixed list of tags and attributes, so no ``<script>``, no ``on...`` event
handlers, no ``javascript:`` (or any non-web) URL, no ``<iframe>``, ``<object>``,
``<embed>``, ``<form>`` or ``<input>`` other than the index's filter box, and images only
as ``data:image/png|jpeg|gif`` or relative links. The head is rebuilt from the page's
title and style sheets (CSS text, with any ``</style`` removed). A page that needs
its own behaviour (the index's sorting and filtering) passes it as ``script``: the
workbench's fixed code, never built from data, added after sanitising and pinned by a
Content-Security-Policy hash, so even an injected inline script or handler that got
past the sanitiser would not run.

>>> page = sanitise_page('<html><head><title>T</title></head><body>'
...                      '<p>X <img src=x onerror=alert(1)><script>alert(2)</script></p>'
...                      '<a href="javascript:alert(3)">a</a></body></html>')
>>> "onerror" in page or "alert" in page or "javascript" in page
False
>>> "<title>T</title>" in page
True
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import re
from html.parser import HTMLParser

import nh3

#: Tags a page may hold (everything else is removed, its text kept).
TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd",
    "del", "details", "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1",
    "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "input", "label", "li",
    "main", "mark", "nav", "ol", "p", "pre", "s", "section", "small", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u",
    "ul",
})
#: Tags removed together with their content.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "form",
                                  "template", "noscript", "svg", "math", "frame", "frameset",
                                  "applet", "textarea", "select", "button"})
#: Attributes allowed on every tag, and per tag.
ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir", "colspan", "rowspan", "scope", "align",
          "aria-label", "aria-sort", "role"},
    "a": {"href", "name", "download"},
    "img": {"src", "alt", "width", "height"},
    "input": {"type", "placeholder", "aria-label"},
    "label": {"for"},
    "th": {"abbr"},
    "details": {"open"},
}
#: ``data-`` attributes carry the disclosure marks and sort keys.
GENERIC_PREFIXES = {"data-"}
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*$")
_WEB = re.compile(r"^(https?://|mailto:|#|[^:/?#]+(/|$)|\./|\.\./|/[^/])", re.IGNORECASE)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "input" and attribute == "type":
        return value if value in ("search", "text") else None
    if attribute in ("href", "src"):
        v = value.strip()
        if tag == "img" and attribute == "src":
            return v if _DATA_IMAGE.match(v) or (_WEB.match(v) and ":" not in v.split("/")[0]
                                                  ) else None
        if v.lower().startswith(("http://", "https://", "mailto:", "#")):
            return v
        return v if _WEB.match(v) and ":" not in v.split("/")[0] else None
    if attribute == "style":
        return None
    return value


def sanitise_fragment(fragment: str) -> str:
    """Sanitise an HTML fragment with the page rules (see the module docstring).

    >>> sanitise_fragment('<b onclick="x()">Trust <iframe src="//evil"></iframe></b>')
    '<b>Trust </b>'
    >>> sanitise_fragment('<img src="figures/a.png"> <a href="../r/report.html">r</a>')
    '<img src="figures/a.png"> <a href="../r/report.html" rel="noopener noreferrer">r</a>'
    """
    return nh3.clean(
        fragment, tags=set(TAGS), clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        attribute_filter=_attribute_filter, generic_attribute_prefixes=set(GENERIC_PREFIXES),
        strip_comments=True, url_schemes={"http", "https", "mailto", "data"},
        link_rel="noopener noreferrer")


_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_STYLE = re.compile(r"<style[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
_BODY = re.compile(r"<body[^>]*>(.*)</body\s*>", re.IGNORECASE | re.DOTALL)
_HEAD = re.compile(r"<head[^>]*>(.*?)</head\s*>", re.IGNORECASE | re.DOTALL)


def _css(text: str) -> str:
    """Style sheet text that cannot close its element or load script (no ``<`` at all:
    CSS selectors and rules never need it).
    """
    text = text.replace("<", "")
    text = re.sub(r"\bon[a-z]+\s*=", "", text, flags=re.IGNORECASE)
    text = re.sub(r"expression\s*\(|javascript:|@import[^;]*;?|behavior\s*:", "", text,
                  flags=re.IGNORECASE)
    return text


#: The page's icon: none (an empty data URL, so a browser requests no favicon).
_ICON = '<link rel="icon" href="data:,">'
_ICON_ATTRS = (("rel", "icon"), ("href", "data:,"))


def script_hash(script: str) -> str:
    """The CSP source expression (``'sha256-...'``) that lets exactly ``script`` run.

    >>> script_hash("")
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    """
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def sanitise_page(page: str, *, script: str | None = None, lang: str = "en") -> str:
    """A whole page rebuilt from what the sanitiser allows.

    The head keeps the page's ``<title>`` (as text) and its ``<style>`` sheets; the
    body is :func:`sanitise_fragment` of the page's body (the whole page when it has
    no ``<body>``). ``script`` is the page's own fixed code (never built from data):
    added at the end of the body and allowed by the Content-Security-Policy by its
    hash; every other script, inline handler, plugin and frame is refused by the
    policy as well as removed.

    >>> page = sanitise_page("<body><p>Hi</p><script>evil()</script></body>", script="go()")
    >>> page.count("<script>"), "evil" in page, "go()" in page
    (1, False, True)
    """
    head_match = _HEAD.search(page)
    head = head_match.group(1) if head_match else ""
    title_match = _TITLE.search(head)
    title = html_lib.unescape(re.sub(r"<[^>]*>", "", title_match.group(1))) if title_match \
        else ""
    styles = [_css(s) for s in _STYLE.findall(head)]
    body_match = _BODY.search(page)
    body = body_match.group(1) if body_match else (page if not head_match else "")
    # style sheets inside the body (nbconvert puts some there) move to the head
    styles += [_css(s) for s in _STYLE.findall(body)]
    body = sanitise_fragment(body)
    script_src = script_hash(script) if script else "'none'"
    policy = (f"default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'; "
              f"script-src {script_src}; form-action 'none'; "
              "base-uri 'none'")
    parts = ["<!DOCTYPE html>", f'<html lang="{html_lib.escape(lang)}">', "<head>",
             '<meta charset="utf-8">',
             f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
             '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
             _ICON,
             f"<title>{html_lib.escape(title)}</title>"]
    parts += [f"<style>{s}</style>" for s in styles]
    parts += ["</head>", "<body>", body]
    if script:
        parts.append(f"<script>{script}</script>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


#: Elements that can run code or load a document; none may appear in a sanitised page.
UNSAFE_TAGS = frozenset({"script", "iframe", "object", "embed", "form", "frame", "frameset",
                         "applet", "base", "svg", "math", "link"})
#: URL schemes that run code.
UNSAFE = re.compile(r"^\s*(javascript|vbscript|livescript):|^\s*data:(?!image/(png|jpeg|gif);)",
                    re.IGNORECASE)
_CSS_UNSAFE = re.compile(r"javascript:|vbscript:|expression\s*\(|@import|behavior\s*:",
                         re.IGNORECASE)


class _Checker(HTMLParser):
    """Collects what in a page could run code: unsafe elements, ``on...`` attributes,
    code-running URLs, a refresh ``<meta>``, and scripts in style sheets.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link" and tuple(attrs) == _ICON_ATTRS:
            return  # the page's own empty icon
        if tag in UNSAFE_TAGS:
            self.found.append(f"<{tag}")
        if tag == "meta" and any(k == "http-equiv" and (v or "").lower() == "refresh"
                                 for k, v in attrs):
            self.found.append("<meta http-equiv=refresh")
        for name, value in attrs:
            cleaned = re.sub(r"[\x00-\x20]", "", value or "")
            if name.startswith("on"):
                self.found.append(f" {name}=")
            elif name in ("href", "src", "action", "formaction", "xlink:href", "data",
                          "srcdoc", "background", "poster") and UNSAFE.search(cleaned):
                self.found.append(f"{name}={cleaned[:24]}")
            elif name == "style" and _CSS_UNSAFE.search(value or ""):
                self.found.append(f"style={value[:24]}")
        self._in_style = tag == "style"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and _CSS_UNSAFE.search(data):
            self.found.append(_CSS_UNSAFE.search(data).group(0))


def unsafe_parts(page: str, *, script: str | None = None) -> list[str]:
    """What in ``page`` could run code, apart from the page's own ``script``.

    Elements and attributes are read as a browser reads them (text a reader sees,
    such as an escaped ``&lt;img onerror=...&gt;`` in a provider's name, cannot run).

    >>> unsafe_parts('<p onclick="x()">a</p>')
    [' onclick=']
    >>> unsafe_parts(sanitise_page('<a href="javascript:x()">a</a>'))
    []
    >>> unsafe_parts('<p>X &lt;img src=x onerror=alert(1)&gt;</p>')
    []
    """
    if script:
        page = page.replace(f"<script>{script}</script>", "")
    checker = _Checker()
    checker.feed(page)
    checker.close()
    return checker.found
