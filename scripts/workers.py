"""Serving with several processes: gunicorn's pre-forking server with the app loaded once, before the fork.

Why gunicorn: one Python process answers on one core at a time (the GIL), so a server that is to use
every core needs processes.  gunicorn (MIT, maintained) starts them by forking a process that has
already opened the index (`preload_app`): the index is memory-mapped files (index.store.columns), so
the workers share its pages through the page cache rather than holding a copy each, and a worker
starts in milliseconds.  Each worker runs threads (`gthread`), so a slow client does not hold a whole
process, and loads the embedding model itself after the fork (ONNX Runtime's threads do not survive
a fork).  Each worker's LiveArchive follows new generations on its own, as a single process does.
waitress, which serves a single process (scripts/serve.py), has no process model of its own.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http import wsgi

from webapp import SECURITY_HEADERS

GRACEFUL_STOP_S = 10  # a stopped server finishes the requests in flight for at most this long
REQUEST_TIMEOUT_S = 120  # a worker silent for this long (stuck) is restarted


class UnnamedResponse(wsgi.Response):
    """gunicorn's response without its `Server: gunicorn` header: the site names no server, as
    scripts/serve.py has waitress not name itself (ident="")."""

    def default_headers(self) -> list[str]:
        return [line for line in super().default_headers() if not line.startswith("Server:")]


wsgi.Response = UnnamedResponse  # gunicorn makes every response through this module's name


def write_secured_error(sock, status: int, reason: str, message: str) -> None:
    """gunicorn's own error answer (a request it cannot parse, a request line or headers too long),
    which never reaches the app, with the app's security headers, as scripts/serve.py gives waitress's."""
    body = (f"<html><head><title>{html.escape(reason)}</title></head>"
            f"<body><h1>{html.escape(reason)}</h1>{html.escape(message)}</body></html>")
    headers = "".join(f"{name}: {value}\r\n" for name, value in SECURITY_HEADERS.items())
    util.write_nonblock(sock, (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: text/html\r\n"
                               f"Content-Length: {len(body)}\r\n{headers}\r\n{body}").encode("latin-1"))


util.write_error = write_secured_error  # gunicorn's workers answer their own errors through this name


class PreforkServer(BaseApplication):
    """`app` served by `workers` forked processes of `threads` threads each; `after_fork` runs in each."""

    def __init__(self, app, host: str, port: int, workers: int, threads: int, after_fork: Callable[[], None]):
        self._app = app
        self._options = {
            "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": threads,
            "preload_app": True, "post_fork": lambda server, worker: after_fork(),
            "graceful_timeout": GRACEFUL_STOP_S, "timeout": REQUEST_TIMEOUT_S,
            "control_socket_disable": True, "accesslog": None, "loglevel": "warning",
            "proc_name": "newsletter-archive",
        }
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._options.items():
            self.cfg.set(name, value)

    def load(self):
        return self._app
