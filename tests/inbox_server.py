"""The staff page served for real (Sanic on a free local port, in a thread of the test process),
so tests can reach into its login state (the clock) and point it at a copy of the project."""
from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from typing import Iterator

from sanic.touchup import TouchUp

from bot.inbox.web import create_app
from bot.tooling.servers import free_port

# Sanic rewrites its own HTTP methods (class-wide) when an app starts; rewriting them a second time,
# for the next test's app in the same process, fails (KeyError). Once per process is enough.
_touch_up = TouchUp.run
_touched = []


def _once(app) -> None:
    if not _touched:
        _touch_up(app)
        _touched.append(True)


TouchUp.run = _once  # type: ignore[method-assign]


@contextmanager
def serve(settings, stores, root, gate=None) -> Iterator[tuple]:
    """(base url, app) while the page runs."""
    app = create_app(settings, stores=stores, root=root, gate=gate)
    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                                           access_log=False))
        loop.run_until_complete(server.startup())
        loop.run_until_complete(server.before_start())
        loop.run_until_complete(server.after_start())
        holder["server"] = server
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("the inbox page did not start")
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        async def stop() -> None:
            await holder["server"].close()
        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
