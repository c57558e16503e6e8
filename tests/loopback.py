"""Serving an app with waitress (scripts/serve.py's create_server) on a free loopback port, in a thread, for tests
that need a real socket: `with served(app, threads=4) as port: ...`.  Stopped cleanly on exit."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from waitress import wasyncore

from scripts.serve import create_server


@contextmanager
def served(app, threads: int = 4, **options) -> Iterator[int]:
    server = create_server(app, "127.0.0.1", 0, threads, **options)
    thread = threading.Thread(target=server.run, name="waitress-test", daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        # The request threads first: a task still finishing wakes the loop through its trigger,
        # which must not be closed under it ("Bad file descriptor", logged as an error).
        server.task_dispatcher.shutdown(timeout=30)
        # Then closed from inside the server's own loop, so its select() never sees a closed socket.
        # The loop may run the close (woken by an earlier pull) before this pull writes to the
        # trigger, whose pipe the close has then shut: the server is closed either way.
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        except OSError:
            pass
        thread.join(timeout=30)


def get(port: int, path: str, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """One GET on a fresh connection: status, headers (lower-case names), body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()
