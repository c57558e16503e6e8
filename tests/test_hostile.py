"""The archive is a public, read-only site: anyone can send it anything.  Here it is sent markup (in
the data and in queries), expensive queries, and hostile ids and paths, and must hold:

- text is escaped everywhere in HTML; no `<script>`, event-handler attribute or `javascript:` link
  ever reaches a page; the JSON API hands the same text back as data; a Content-Security-Policy
  forbids inline script and no header names the server;
- an expensive query is refused with 400 and a reason, or answered, and never ties up the server;
- an id with `../`, encoded slashes, NUL bytes or thousands of characters gives 404 or 400, and no
  file outside the index and the app's own templates and static files is opened to answer it.

A small archive holding a hostile issue is written and indexed here (the model is loaded once per process).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from conftest import built_archive
from loopback import get, served

from index.config import ROOT, Settings
from index.facade import Archive
from index.search import query as query_language
from index.search.filters import MAX_QUERY_WORDS
from index.search.query import MAX_NESTING
from webapp import create_app
from webapp.params import MAX_PARAMETERS

HOSTILE_ISSUE = """\
## <script>alert("title")</script> WATER FOR <b>BORDER</b> VILLAGES

On 2 March 2021 IOM Tajikistan delivered water <script>alert('text')</script> to four villages,
with <img src=x onerror=alert(1)> help from 120 volunteers &amp; friends &lt;b&gt; &#60;script&#62; "quoted" 'single'.
</textarea><script>alert('textarea')</script> the wells hold 7,801 litres of water.

## SCHOOL BOOKS <svg onload=alert(2)> IN OSH

IOM Kyrgyzstan gave 2,450 school books to children in Osh ]]> --> <!-- of labour migrants </p></li>
javascript:alert(3) and {{ 7*7 }} and {% raw %} and ${7*7} and </script><script>alert(4)</script>.
"""

PLAIN_ISSUE = """\
SEASONAL WORKERS IN ALMATY

On 3 June 2021 IOM Kazakhstan met 35 seasonal workers on farms near Almaty to explain their rights,
their contracts and where to turn for help when wages are not paid; 7,801 workers were reached.

WATER FOR SCHOOLS

IOM Tajikistan brought drinking water to 12 schools in Khatlon, for 3,120 pupils and their teachers.
"""

CATALOG = """\
[issues."hostile.md"]
title = "<script>alert('catalog')</script> Issue & <i>title</i>"
source_link = "javascript:alert('link')"
"""

HOSTILE_QUERY = "<script>alert('q')</script> water \"<img src=x onerror=alert(1)>\" &amp; &lt;b&gt; </textarea>"
# What must never appear as markup in a page: tags that run code, and the payload's own tags.
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "base", "img", "b", "i"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}


# --- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return built_archive(tmp_path_factory, "hostile", {"hostile.md": HOSTILE_ISSUE, "plain.txt": PLAIN_ISSUE,
                                                       "catalog.toml": CATALOG})


@pytest.fixture(scope="module")
def archive(hostile_settings: Settings) -> Archive:
    opened = Archive.open(hostile_settings)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def app(archive):
    return create_app(archive=archive)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def server(app):
    """The app served by waitress on a free loopback port, as scripts/serve.py serves it."""
    with served(app, threads=4) as port:
        yield port


# --- checking a page ---------------------------------------------------------------------------------


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)

    handle_startendtag = handle_starttag


def assert_inert(html: str, where: str) -> None:
    """No tag that runs code, no event-handler attribute, no script URL: the payload stayed text.
    The site's own scripts (a file of /static/, as its Content-Security-Policy allows) are not payload."""
    html = re.sub(r'<script src="/static/[\w-]+\.js"></script>', "", html)
    assert not re.search(r"<\s*/?\s*(script|img|iframe|object|embed)\b", html, re.IGNORECASE), where
    unquoted = re.sub(r'"[^"]*"', '""', html)  # attribute values may hold the text "onerror=", escaped
    assert not re.search(r"<[^>]*\son\w+\s*=", unquoted, re.IGNORECASE), where  # onerror= as an attribute
    markup = _Markup()
    markup.feed(html)
    markup.close()
    assert not set(markup.tags) & FORBIDDEN_TAGS, (where, set(markup.tags) & FORBIDDEN_TAGS)
    for name, value in markup.attributes:
        assert not name.startswith("on"), (where, name, value)
        if name in URL_ATTRIBUTES and value:
            assert not re.match(r"\s*(javascript|data|vbscript):", value, re.IGNORECASE), (where, name, value)


def assert_safe_headers(headers, where: str) -> None:
    headers = {k.lower(): v for k, v in dict(headers).items()}
    policy = headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives.get("default-src") == ["'self'"], (where, policy)
    assert directives.get("script-src") == ["'self'"], (where, policy)  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives.get("object-src") == ["'none'"], (where, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (where, policy)
    assert headers.get("x-content-type-options") == "nosniff", where
    assert "x-powered-by" not in headers, where
    assert "server" not in headers, (where, headers.get("server"))


def page_urls(app, archive: Archive) -> list[str]:
    """Every page the app serves (found from its URL map, so a page added later is covered too), with
    the hostile issue's ids and the hostile query filled in."""
    passages = [p.id for p in archive.passages if p.issue_id == "hostile"]
    fill = {"passage_id": passages, "issue_id": ["hostile", "plain"], "filename": ["style.css"]}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = [{}]
        for argument in rule.arguments:
            values = [{**v, argument: choice} for v in values for choice in fill.get(argument, ["<script>x</script>"])]
        for value in values:
            path = rule.build(value, append_unknown=False)[1]
            urls.append(path)
            if not rule.arguments:
                for mode in ("hybrid", "keyword"):
                    urls.append(f"{path}?{urlencode({'q': HOSTILE_QUERY, 'mode': mode})}")
                urls.append(f"{path}?{urlencode({'q': 'onerror script water'})}")
                urls.append(f"{path}?{urlencode({'q': 'water', 'country': 'Tajikistan', 'issue': 'hostile'})}")
    # Error pages, which echo what was asked for.
    urls += ["/passages/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/issues/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
             "/nothing-here%3Cscript%3Ealert(1)%3C/script%3E", "/?%3Cscript%3E=1", "/?q=x&mode=%3Cscript%3E",
             "/?q=x&from=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", "/?q=x&issue=%3Cscript%3E",
             "/api/passages/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/api/search?q=x&%3Cscript%3E=1"]
    return urls


# --- markup in data and in queries -------------------------------------------------------------------


def test_the_hostile_file_is_indexed_with_its_markup_as_text(archive):
    passages = [p for p in archive.passages if p.issue_id == "hostile"]
    assert len(passages) == 2
    assert passages[0].section_title == '<script>alert("title")</script> WATER FOR <b>BORDER</b> VILLAGES'
    assert "<img src=x onerror=alert(1)>" in passages[0].text
    assert "&amp; friends &lt;b&gt; &#60;script&#62;" in passages[0].text  # entities are text too, not decoded


def test_every_page_escapes_markup_from_data_and_query(app, archive, client):
    urls = page_urls(app, archive)
    seen_escaped = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        assert_safe_headers(response.headers, url)
        body = response.get_data(as_text=True)
        if response.mimetype == "text/html":
            assert_inert(body, url)
            seen_escaped += "&lt;script&gt;" in body or "&lt;img src=x onerror=alert(" in body
        elif response.mimetype == "application/json":
            json.loads(body)
        elif response.mimetype == "text/csv":
            assert response.headers["Content-Disposition"].startswith("attachment")
    assert seen_escaped >= 5, "the hostile text should be shown (escaped) on several pages"


def test_the_passage_page_escapes_title_text_and_citation(client, archive):
    passage = next(p for p in archive.passages if p.issue_id == "hostile")
    body = client.get(f"/passages/{passage.id}").get_data(as_text=True)
    assert_inert(body, "passage page")
    assert "&lt;img src=x onerror=alert(" in body  # (the "1" may be marked up as a figure)
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; WATER FOR &lt;b&gt;BORDER&lt;/b&gt; VILLAGES" in body
    # The citation sits in a <pre>: markup in the text must not close it.
    assert body.count("</pre>") == 1
    assert "&lt;/textarea&gt;&lt;script&gt;" in body
    # Entities in the file are shown as written, not decoded into markup.
    assert "&amp;amp; friends &amp;lt;b&amp;gt;" in body


def test_the_issue_page_shows_a_catalog_javascript_link_as_text(client):
    body = client.get("/issues/hostile").get_data(as_text=True)
    assert_inert(body, "issue page")
    assert "javascript:alert(&#39;link&#39;)" in body  # shown, but not as a link
    assert "&lt;script&gt;alert(&#39;catalog&#39;)&lt;/script&gt; Issue &amp; &lt;i&gt;title&lt;/i&gt;" in body


def test_the_search_page_escapes_the_query_and_the_highlighted_snippets(client):
    body = client.get("/?" + urlencode({"q": "onerror script " + HOSTILE_QUERY, "mode": "keyword"})).get_data(as_text=True)
    assert_inert(body, "search page")
    assert "<mark>" in body  # highlighting still works
    assert "&lt;img src=x onerror=alert(" in body or "<mark>onerror</mark>" in body
    assert 'value="onerror script &lt;script&gt;' in body  # the query box keeps the query, escaped


def test_the_api_returns_markup_as_data(client):
    response = client.get("/api/search?" + urlencode({"q": "onerror alert script", "mode": "keyword", "k": 100}))
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    texts = {hit["passage_id"]: hit for hit in body["hits"]}
    first = texts["hostile-s1-p1"]
    assert first["section"] == '<script>alert("title")</script> WATER FOR <b>BORDER</b> VILLAGES'
    assert "with <img src=x onerror=alert(1)> help" in first["text"]
    assert first["issue"]["title"] == "<script>alert('catalog')</script> Issue & <i>title</i>"

    echoed = client.get("/api/search?" + urlencode({"q": HOSTILE_QUERY})).get_json()
    assert echoed["query"] == HOSTILE_QUERY

    issue = client.get("/api/issues/hostile").get_json()
    assert issue["source_link"] == "javascript:alert('link')"
    error = client.get("/api/passages/%3Cscript%3E").get_json()
    assert error == {"error": "no passage with id '<script>'"}


def test_the_served_site_names_no_server(hostile_settings, monkeypatch):
    """scripts/serve.py's own waitress settings: no Server header, no X-Powered-By, on every kind of answer."""
    from scripts import serve

    seen = {}

    class AskingServer:
        """Instead of serving forever, serve (with scripts/serve.py's own server) while asking."""

        def __init__(self, app, host, port, threads, **options):
            self.app, self.threads = app, threads

        def run(self):
            with served(self.app, threads=self.threads) as port:
                for path in ("/", "/?q=water", "/issues", "/static/style.css", "/api/issues", "/api/search?q=water",
                             "/no-such-page", "/api/passages/nope", "/api/search?k=0&q=x"):
                    status, headers, _ = get(port, path)
                    seen[path] = status
                    assert_safe_headers(headers, path)

    monkeypatch.setenv("ARCHIVE_DIR", str(hostile_settings.archive_dir))
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(hostile_settings.index_dir))
    monkeypatch.setenv("ARCHIVE_WORKERS", "1")  # one process: waitress (several: gunicorn, tests/test_no_downtime.py)
    monkeypatch.delenv("ARCHIVE_MODEL", raising=False)
    monkeypatch.setattr(serve, "create_server", AskingServer)
    assert serve.main(["--port", "0"]) == 0
    assert seen["/"] == 200 and seen["/static/style.css"] == 200 and seen["/no-such-page"] == 404


# --- expensive queries -------------------------------------------------------------------------------

WORDS = [f"w{i}" for i in range(600)]
EXPENSIVE = [
    # (what, query string parameters, expected status, words in the 400 reason)
    ("leading wildcards", {"q": "*ater ?ater *ing *"}, 200, None),
    ("only wildcards", {"q": "* ? * ?"}, 200, None),
    ("500 one-letter words", {"q": " ".join("bcdefghjklmnopqrstuvwxyz"[i % 24] for i in range(500))}, 400, "words"),
    ("words at the limit", {"q": " ".join(WORDS[:MAX_QUERY_WORDS])}, 200, None),
    ("one word over the limit", {"q": " ".join(f"{i % 10}" for i in range(MAX_QUERY_WORDS + 1))}, 400, "words"),
    ("too many characters", {"q": "water " * 200}, 400, "characters"),
    ("ten thousand characters", {"q": "x" * 10_000}, 400, "characters"),
    # Brackets nested deeper than MAX_NESTING are searched as plain words, never handed to the parser.
    ("brackets at the limit", {"q": "(" * MAX_NESTING + "water" + ")" * MAX_NESTING}, 200, None),
    ("brackets over the limit", {"q": "(" * (MAX_NESTING + 1) + "water" + ")" * (MAX_NESTING + 1)}, 200, None),
    ("497 nested brackets", {"q": "(" * 497 + "water" + ")" * 497}, 200, None),
    ("998 unclosed brackets", {"q": "(" * 998 + "x"}, 200, None),
    ("brackets behind an unclosed quote", {"q": '"' + "(" * 400 + "water"}, 200, None),
    ("alternating AND/OR nesting", {"q": "".join(f"(w{i} {'AND' if i % 2 else 'OR'} " for i in range(100))[:1000]}, 200, None),
    ("a very long phrase", {"q": '"' + " ".join(["water"] * 160) + '"'}, 200, None),
    ("a long phrase of distinct words", {"q": '"' + " ".join(WORDS[:150]) + '"'}, 200, None),
    ("many phrases", {"q": " ".join(['"water schools"'] * 60)}, 200, None),
    ("a long NOT chain", {"q": "water " + " ".join(f"-w{i}" for i in range(100))[:1000]}, 200, None),
    ("a long AND chain", {"q": " AND ".join(["water"] * 99)}, 200, None),
    ("NOT NOT NOT", {"q": " ".join(["NOT"] * 190) + " water"}, 200, None),
    ("many grouped numbers", {"q": " ".join(["7,801"] * 90)}, 200, None),
    ("huge k", {"q": "water", "k": "1000000000"}, 400, "k must be"),
    ("k of 4000 digits", {"q": "water", "k": "9" * 4000}, 400, "k must be"),
    ("k not a number", {"q": "water", "k": "1e9"}, 400, "whole number"),
    ("huge offset", {"q": "water", "offset": str(10**12)}, 400, "offset"),
    ("negative offset", {"q": "water", "offset": "-5"}, 400, "offset"),
    ("deepest page allowed", {"q": "water", "offset": "1000", "k": "100"}, 200, None),
    ("query given twice", {"q": ["water", "wells"]}, 400, "given 2 times"),
    ("5000 repeated filters", {"q": "water", "country": ["Tajikistan"] * 5000}, 400, "parameter values"),
    ("repeated filters at the limit", {"q": "water", "country": ["Tajikistan"] * (MAX_PARAMETERS - 2)}, 200, None),
    ("year of 30 digits", {"q": "water", "year": "9" * 30}, 200, None),
]


def query_string(params: dict) -> str:
    return urlencode([(name, v) for name, values in params.items()
                      for v in (values if isinstance(values, list) else [values])])


@pytest.mark.parametrize("what, params, status, reason", EXPENSIVE, ids=[e[0] for e in EXPENSIVE])
def test_expensive_query_is_refused_with_a_reason_or_answered(client, what, params, status, reason):
    for mode in ("keyword", "hybrid", "semantic"):
        response = client.get(f"/api/search?{query_string({**params, 'mode': mode})}")
        assert response.status_code == status, (what, mode, response.get_data(as_text=True)[:300])
        if reason:
            assert reason in response.get_json()["error"], (what, response.get_json())
    page = client.get(f"/?{query_string(params)}")  # the HTML page shows the same reason in the form
    assert page.status_code == status, what
    if reason:
        assert reason in page.get_data(as_text=True)


def test_deep_brackets_never_reach_the_parser(archive, monkeypatch):
    """Whoosh's parser and the query-tree walkers recurse once per bracket level: past MAX_NESTING
    the query is searched as plain words instead, so no depth can exhaust the stack."""
    shallow = "(" * MAX_NESTING + "water AND schools" + ")" * MAX_NESTING
    assert isinstance(query_language.parse_query(shallow), query_language.AllOf)  # grouping and operators still read

    def no_parsing(*args, **kwargs):
        raise AssertionError("a deeply nested query was handed to the parser")

    monkeypatch.setattr(query_language._PARSER, "parse", no_parsing)
    for query in ("(" * (MAX_NESTING + 1) + "water" + ")" * (MAX_NESTING + 1), "(" * 990 + "water",
                  "(water " * (MAX_NESTING + 1) + "schools" + ")" * (MAX_NESTING + 1) + " AND NOT schools"):
        plain = query_language.parse_query(query)
        assert "water" in repr(plain) and "Not" not in repr(plain), plain
        hits = archive.search(query, mode="keyword").hits  # its words; NOT is a plain (stop) word here
        assert hits and any("water" in h.passage.text.lower() for h in hits)


def test_expensive_queries_never_tie_up_the_server(server):
    """Every expensive query in every mode, 8 at a time against 4 worker threads, while a cheap request
    is made again and again: every request is answered, the cheap ones all along."""
    paths = [f"/api/search?{query_string({**params, 'mode': mode})}"
             for _, params, _, _ in EXPENSIVE for mode in ("keyword", "hybrid", "semantic")]
    paths += [f"/?{query_string(params)}&k=100" for _, params, _, _ in EXPENSIVE if "k" not in params]
    done = threading.Event()
    cheap: list[tuple[int, float]] = []

    def cheap_requests():
        while not done.is_set():
            started = time.perf_counter()
            status, _, _ = get(server, "/api/issues")
            cheap.append((status, time.perf_counter() - started))

    watcher = threading.Thread(target=cheap_requests, daemon=True)
    watcher.start()
    timings = []

    def expensive(path):
        started = time.perf_counter()
        status, _, _ = get(server, path)
        timings.append((time.perf_counter() - started, path[:80]))
        return status

    try:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(expensive, paths))
    finally:
        done.set()
        watcher.join(timeout=60)
    assert set(statuses) <= {200, 400}, statuses
    assert cheap and all(status == 200 for status, _ in cheap)
    slowest = max(timings)
    print(f"\n{len(paths)} expensive requests; slowest {slowest[0]:.2f}s ({slowest[1]}); "
          f"{len(cheap)} cheap requests meanwhile, slowest {max(t for _, t in cheap):.2f}s")


# --- paths and ids -----------------------------------------------------------------------------------

HOSTILE_IDS = [
    "..", "../..", "..%2F..%2Findex%2Fstore.py", "..%252F..%252Fetc%252Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%5C..%5Cwindows", "%00", "hostile-s1-p1%00", "hostile%00.md", "....%2F%2F....%2F%2Fetc", "%C0%AE%C0%AE%2F",
    "%ff%fe", "a" * 5000, "hostile-s1-p1" * 300, "%2Fetc%2Fpasswd", "~", "%7Eroot", "CON", "hostile.md",
    "catalog.toml", "manifest.json", "documents.json", "..;", "%3Cscript%3E",
]
ID_ROUTES = ["/api/passages/{}", "/api/passages/{}/similar", "/api/issues/{}", "/passages/{}", "/issues/{}"]
STATIC_PATHS = ["/static/..%2F..%2Findex%2Fstore.py", "/static/%2e%2e/%2e%2e/index/store.py",
                "/static/..%252F__init__.py", "/static/%00", "/static/style.css%00.txt", "/static/..",
                "/static/%2Fetc%2Fpasswd", "/static/..%5C__init__.py", "/static/" + "a" * 5000,
                "/static/style.css/..%2F..%2F__init__.py", "/static/../templates/base.html",
                "/static/%2e%2e%2ftemplates%2fbase.html"]


class _OpenedFiles:
    """Every file the process opens while recording (an audit hook: it sees every open, by any library)."""

    def __init__(self) -> None:
        self.recording = False
        self.paths: list[str] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple) -> None:
        if self.recording and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            self.paths.append(os.fsdecode(args[0]))


_OPENED = _OpenedFiles()


def test_hostile_ids_and_paths_give_404_or_400_and_open_no_other_file(client, hostile_settings):
    requests = [route.format(hostile_id) for route in ID_ROUTES for hostile_id in HOSTILE_IDS]
    requests += [f"/api/search?q=water&issue={i}" for i in HOSTILE_IDS] + STATIC_PATHS
    for path in requests:  # warm up: imports and templates are loaded once, outside the recording
        client.get(path)
    allowed = [Path(p).resolve() for p in (hostile_settings.index_dir, ROOT / "webapp" / "templates",
                                           ROOT / "webapp" / "static", sys.prefix, sys.base_prefix)]
    _OPENED.paths.clear()
    _OPENED.recording = True
    try:
        answers = {path: client.get(path) for path in requests}
    finally:
        _OPENED.recording = False
    for path, response in answers.items():
        if response.status_code == 308:  # "a//b" (an encoded slash in an id) is merged to "a/b": same site only
            location = urlsplit(response.headers["Location"])
            assert location.netloc in ("", "localhost"), (path, location)
            assert location.path.split("/")[1] == path.split("/")[1], (path, location)
            response = client.get(location.path)
        assert response.status_code in (400, 404), (path, response.status_code)
        body = response.get_data()
        assert b"root:" not in body and b"SCHEMA_VERSION" not in body and b"{% extends" not in body, path
    outside = [p for p in _OPENED.paths if not any(Path(p).resolve().is_relative_to(a) for a in allowed)]
    assert not outside, outside


def test_hostile_ids_over_a_real_socket(server):
    """Through waitress too, where the raw path is not cleaned by a test client first."""
    for raw in ["/api/passages/..%2F..%2Fetc%2Fpasswd", "/api/passages/%2e%2e%2f%2e%2e%2f", "/passages/%00",
                "/api/issues/..%252F..%252F", "/static/..%2F..%2Findex%2Fstore.py", "/static/%2e%2e/__init__.py",
                "/api/passages/" + "b" * 20_000, "/issues/" + quote("../" * 1000, safe="")]:
        status, headers, body = get(server, raw)
        assert status in (400, 404), (raw, status)
        assert b"root:" not in body and b"import" not in body
    # A request line beyond waitress's own limits is refused by waitress, not passed on.
    status, _, _ = get(server, "/api/passages/" + "c" * 300_000)
    assert status in (400, 404, 431)
