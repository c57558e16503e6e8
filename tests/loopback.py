"""Serving an app with waitress (as scripts/serve.py does) on a free loopback port, in a thread, for tests
that need a real socket: `with served(app, threads=4) as port: ...`.  Stopped cleanly on exit."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import waitress
from waitress import wasyncore


@contextmanager
def served(app, threads: int = 4, **options) -> Iterator[int]:
    server = waitress.create_server(app, host="127.0.0.1", port=0, ident="", threads=threads, **options)
    thread = threading.Thread(target=server.run, name="waitress-test", daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        # Closed from inside the server's own loop, so its select() never sees a closed socket.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=30)
        server.task_dispatcher.shutdown()


def get(port: int, path: str, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """One GET on a fresh connection: status, headers (lower-case names), body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()
