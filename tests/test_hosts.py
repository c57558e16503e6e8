"""The Host header: a malformed one is a 400 with a reason and the security headers (never a 500
with a traceback); an untrusted one never reaches a link (citations, the CSV `url` column, anything
built with url_for(_external=True)).  Links are built from ARCHIVE_PUBLIC_URL when it is set, else
from the request's host when it is a loopback address or named in ARCHIVE_ALLOWED_HOSTS, else from
the loopback address.  waitress's own error answers (a request it cannot parse) carry the security
headers too.

A small archive is written and indexed here; requests go over a real socket to waitress, as
scripts/serve.py serves the app, so the Host header is exactly what a client sent.
"""

from __future__ import annotations

import csv
import http.client
import io
import logging
import re
import socket
from dataclasses import replace

import pytest
from conftest import built_archive
from loopback import served
from test_hostile import assert_safe_headers

from index.config import Settings
from index.facade import Archive
from webapp import create_app

ISSUE = """\
WATER FOR BORDER VILLAGES

IOM Tajikistan delivered clean drinking water to 12 villages near the border, where 300 returning
migrants and their families had waited for months for a working well.
"""

MALFORMED = ["x..y", "a" * 64 + ".example", "bad host", "example.org:99999", "exa_mple.org", "[::1", "a" * 300,
             "example.org:80:80", "-example.org", ".", "évil.example"]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return built_archive(tmp_path_factory, "host", {"2021-03.txt": ISSUE})


@pytest.fixture(scope="module")
def archive(settings):
    opened = Archive.open(settings)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def passage_id(archive) -> str:
    return archive.passages[0].id


def ask(port: int, path: str, host: str | None) -> tuple[int, dict[str, str], str]:
    """GET `path` with exactly the Host header `host` (none at all for None)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            connection.putheader("Host", host.encode("utf-8"))
        connection.endheaders()
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode("utf-8")
    finally:
        connection.close()


def links(port: int, passage_id: str, host: str | None) -> list[str]:
    """The absolute links a client asking with `host` is given: the citation and the CSV url column."""
    status, _, page = ask(port, f"/passages/{passage_id}", host)
    assert status == 200, page
    [citation] = re.findall(r'<pre id="citation"[^>]*>(.*?)</pre>', page, re.S)
    status, _, table = ask(port, "/search.csv?q=water", host)
    assert status == 200
    rows = list(csv.reader(io.StringIO(table)))
    permalink = re.search(r"https?://[^\s)]+", citation).group().rstrip(".")  # "Available at: <permalink> (Accessed …"
    return [permalink, *(row[rows[0].index("url")] for row in rows[1:])]


@pytest.fixture()
def serve(archive):
    """Serve `archive` with the configuration `settings_changes` (over the fixture's Settings)."""
    def start(**settings_changes):
        app = create_app(archive=archive, settings=replace(archive.settings, **settings_changes))
        return served(app, threads=2, max_request_header_size=4096)
    return start


@pytest.mark.parametrize("host", MALFORMED)
def test_a_malformed_host_is_a_400_with_a_reason_and_the_security_headers(serve, host, caplog):
    with caplog.at_level(logging.ERROR), serve() as port:
        status, headers, body = ask(port, "/", host)
        api_status, api_headers, api_body = ask(port, "/api/issues", host)
    assert status == 400 and "Host" in body and "Traceback" not in body, body[:300]
    assert api_status == 400 and "Host" in api_body
    assert_safe_headers(headers, host)
    assert_safe_headers(api_headers, host)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage()[:200] for r in caplog.records]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil.example"])
def test_an_untrusted_host_never_reaches_a_link(serve, passage_id, host):
    with serve() as port:
        found = links(port, passage_id, host)
    assert found and all(link.startswith(f"http://127.0.0.1:{port}/passages/") for link in found), found
    assert not any("evil" in link for link in found)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.0.0.2"])
def test_a_loopback_host_is_used_for_links(serve, passage_id, host):
    with serve() as port:
        found = links(port, passage_id, f"{host}:{port}")
    assert all(link.startswith(f"http://{host}:{port}/passages/{passage_id}") for link in found), found


def test_no_host_at_all_gets_loopback_links(serve, passage_id):
    """Without a Host header the server's own name (the machine's, when it listens on every
    address) is not put into links either."""
    with serve() as port:
        found = links(port, passage_id, None)
    assert all(link.startswith(f"http://127.0.0.1:{port}/passages/") for link in found), found


def test_an_allowed_host_is_used_for_links(serve, passage_id):
    with serve(allowed_hosts=("archive.example.org", "News.Example.ORG")) as port:
        allowed = links(port, passage_id, "archive.example.org")
        case_blind = links(port, passage_id, "news.example.org:8443")
        other = links(port, passage_id, "other.example.org")
    assert all(link.startswith("http://archive.example.org/passages/") for link in allowed), allowed
    assert all(link.startswith("http://news.example.org:8443/passages/") for link in case_blind), case_blind
    assert not any("other" in link for link in other)


@pytest.mark.parametrize("host", ["127.0.0.1", "evil.example", "archive.example.org"])
def test_the_public_url_is_used_for_every_link_whatever_the_host(serve, passage_id, host):
    with serve(public_url="https://archive.example.org/newsletter/", allowed_hosts=("archive.example.org",)) as port:
        found = links(port, passage_id, host)
    assert all(link.startswith(f"https://archive.example.org/newsletter/passages/{passage_id}") for link in found), found


@pytest.mark.parametrize("value", ["ftp://archive.example.org", "archive.example.org", "https://x..y/", "https://a b/",
                                   "https://archive.example.org/?q=1", "https://user@archive.example.org"])
def test_a_bad_public_url_is_refused_with_a_clear_message(archive, value):
    from index.facade import ArchiveError

    with pytest.raises(ArchiveError, match="ARCHIVE_PUBLIC_URL"):
        create_app(archive=archive, settings=replace(archive.settings, public_url=value))


def test_public_url_and_allowed_hosts_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ARCHIVE_PUBLIC_URL", "https://archive.example.org")
    monkeypatch.setenv("ARCHIVE_ALLOWED_HOSTS", "archive.example.org, Mirror.Example.org")
    settings = Settings.from_env()
    assert settings.public_url == "https://archive.example.org"
    assert settings.allowed_hosts == ("archive.example.org", "mirror.example.org")


RAW_REQUESTS = {
    "a request line waitress cannot parse": b"GARBAGE\r\n\r\n",
    "a header line without a colon": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n",
    "headers larger than waitress takes": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 6000 + b"\r\n\r\n",
    "a body larger than waitress takes": b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999\r\n\r\n",
}


@pytest.mark.parametrize("what", RAW_REQUESTS)
def test_waitress_own_error_answers_carry_the_security_headers(serve, what):
    with serve() as port, socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(RAW_REQUESTS[what])
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    assert 400 <= status < 500, head[0]
    assert_safe_headers({line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in head[1:]}, what)
