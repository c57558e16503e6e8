"""The Host header, and the address every absolute link is built from.

A client names the host it asked for, and Flask builds absolute links (`url_for(..., _external=True)`:
citations, feeds, the CSV `url` column) from it.  So a Host is never taken on trust:

- a malformed one (`x..y`, a label over 63 characters, a space, a bad port) is refused with a 400
  that says why, answered like any other error (error page or JSON, security headers);
- with ARCHIVE_PUBLIC_URL set, every absolute link is built from it, whatever the client said;
- else the client's host is used only when it is a loopback address or named in
  ARCHIVE_ALLOWED_HOSTS, and the loopback address the server listens on otherwise.

`guard_hosts(app, settings)` does this for the whole app, under Flask (a WSGI middleware rewrites
the request's host before Flask binds its URL adapter to it), so no view has to think about it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.exceptions import BadRequest as BadHostHeader

from index.facade import ArchiveError, Settings

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # RFC 1123: letters, digits, inner hyphens, 1-63 long
HOST = re.compile(rf"(?P<name>{_LABEL}(?:\.{_LABEL})*\.?|\[(?P<ipv6>[0-9A-Fa-f:.]{{2,45}})\])(?::(?P<port>\d{{1,5}}))?")
MAX_NAME_CHARS = 253
LOOPBACK = "127.0.0.1"
BAD_HOST = "archive.bad_host"  # the environ key under which the guard leaves why a Host was refused


def host_problem(host: str) -> str | None:
    """Why `host` (a Host header's value) is not a host name or address with an optional port; None if it is."""
    match = HOST.fullmatch(host)
    if match is None or len(match["name"]) > MAX_NAME_CHARS + 2:
        return f"the Host header {host[:80]!r} is not a host name or address"
    if match["port"] is not None and not 0 < int(match["port"]) < 65536:
        return f"the Host header {host[:80]!r} names port {match['port']}, which does not exist"
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            return f"the Host header {host[:80]!r} is not an IPv6 address"
    return None


def _host_name(host: str) -> str:
    """The name or address of a well-formed Host value, lower case, without port, brackets or final dot."""
    match = HOST.fullmatch(host)
    return (match["ipv6"] or match["name"].rstrip(".")).lower()


def is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class PublicUrl:
    scheme: str
    host: str  # with its port, as a Host header names it
    path: str  # where the site's root is, "" for the root itself

    @classmethod
    def parse(cls, value: str) -> PublicUrl:
        """ARCHIVE_PUBLIC_URL read, or ArchiveError saying what is wrong with it."""
        parts = urlsplit(value)
        problem = (
            "it must start with http:// or https://" if parts.scheme not in ("http", "https") else
            "it names no host" if not parts.netloc else
            "it may not hold a user name or password" if "@" in parts.netloc else
            host_problem(parts.netloc) or
            ("it may not hold a query or a fragment" if parts.query or parts.fragment or value.endswith(("?", "#"))
             else None))
        if problem:
            raise ArchiveError(f"ARCHIVE_PUBLIC_URL {value[:200]!r} is not usable: {problem} "
                               "(e.g. https://archive.example.org or https://example.org/newsletter)")
        return cls(parts.scheme, parts.netloc.lower(), parts.path.rstrip("/"))


class HostGuard:
    """WSGI middleware: gives the app a request whose host is one links may be built from (see the
    module's docstring); a malformed Host is marked for the app to refuse."""

    def __init__(self, wsgi_app, public_url: PublicUrl | None, allowed_hosts: tuple[str, ...]):
        self.wsgi_app = wsgi_app
        self.public_url = public_url
        self.allowed_hosts = frozenset(name.lower().rstrip(".") for name in allowed_hosts)

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST")
        problem = host_problem(host) if host is not None else None
        if problem:
            environ[BAD_HOST] = problem
        if self.public_url:
            environ.update({"HTTP_HOST": self.public_url.host, "wsgi.url_scheme": self.public_url.scheme,
                            "SCRIPT_NAME": self.public_url.path + environ.get("SCRIPT_NAME", "")})
        elif host is None or problem or not self._trusted(_host_name(host)):
            environ["HTTP_HOST"] = f"{LOOPBACK}:{environ.get('SERVER_PORT', '80')}"
        return self.wsgi_app(environ, start_response)

    def _trusted(self, name: str) -> bool:
        return is_loopback(name) or name in self.allowed_hosts


def refuse_bad_host() -> None:
    """Before each request: a malformed Host is the client's mistake, a 400 with the reason."""
    problem = request.environ.get(BAD_HOST)
    if problem:
        raise BadHostHeader(problem)


def guard_hosts(app: Flask, settings: Settings) -> None:
    """Every request of `app` through HostGuard (ArchiveError for a bad ARCHIVE_PUBLIC_URL)."""
    public_url = PublicUrl.parse(settings.public_url) if settings.public_url else None
    app.wsgi_app = HostGuard(app.wsgi_app, public_url, settings.allowed_hosts)
    app.before_request(refuse_bad_host)
