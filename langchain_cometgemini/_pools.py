"""The package's own connection pools and their lifecycle.

One sync client per model's HTTP layer, and one async client per event loop:
an async client's connections belong to the loop they were opened on, so a
model used from several threads, each running its own loop, gets a client per
loop (made under a lock, so two threads never race to make one), and a loop
that is gone never sees another loop's client ("bound to a different event
loop", "Event loop is closed").

Each async client is closed on its own loop, by whichever comes first:

- the loop's shutdown: an async generator started on the loop waits at its
  ``yield`` and closes the client when the loop closes its async generators
  (``asyncio.run`` and ``asyncio.Runner`` call ``loop.shutdown_asyncgens()``;
  https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.shutdown_asyncgens);
- :meth:`Pools.aclose` (awaited on the caller's loop, scheduled on the others)
  or :meth:`Pools.close` (from sync code);
- the model being garbage-collected (:meth:`Pools.close` run by a
  ``weakref.finalize`` on the HTTP layer): the sync client is closed at once
  and each async client on its loop, so no socket is left to a
  ``ResourceWarning``.

Clients given by the user are never here: they are the user's to close.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, Callable
from typing import Any, NamedTuple

import httpx

__all__ = ["Pools"]

Made = tuple[Any, Any]
"""A client and the transport requests go to directly (None: the client)."""
_TASKS: set[asyncio.Task[Any]] = set()  # closings scheduled, kept until done


class _Loop(NamedTuple):
    client: httpx.AsyncClient
    direct: Any
    closer: AsyncGenerator[None, None]


class Pools:
    """The sync client and the async client of each event loop, made on demand.

    ``make_sync()`` / ``make_async()`` build a ``(client, direct transport or
    None)`` pair; they must not hold the HTTP layer itself (it is collected
    while this object closes its pools).
    """

    def __init__(
        self, make_sync: Callable[[], Made], make_async: Callable[[], Made]
    ) -> None:
        self._make_sync, self._make_async = make_sync, make_async
        self._lock = threading.Lock()
        self._sync: Made | None = None
        self._loops: dict[asyncio.AbstractEventLoop, _Loop] = {}

    def sync(self) -> Made:
        """The sync client and its direct transport, made on first use."""
        made = self._sync
        if made is None:
            with self._lock:
                made = self._sync
                if made is None:
                    made = self._sync = self._make_sync()
        return made

    def for_loop(self) -> Made:
        """The running loop's async client and its direct transport."""
        loop = asyncio.get_running_loop()
        entry = self._loops.get(loop)
        if entry is None:
            entry = self._open(loop)
        return entry.client, entry.direct

    def _open(self, loop: asyncio.AbstractEventLoop) -> _Loop:
        with self._lock:
            for old in [old for old in self._loops if old.is_closed()]:
                del self._loops[old]  # closed without shutdown: nothing to do
            entry = self._loops.get(loop)
            if entry is None:
                client, direct = self._make_async()
                closer = _closing(client, self._loops, loop)
                entry = self._loops[loop] = _Loop(client, direct, closer)
                # Run it up to its ``yield``: that registers it with the loop.
                with contextlib.suppress(StopIteration):
                    closer.asend(None).send(None)
        return entry

    def _take(self) -> list[tuple[asyncio.AbstractEventLoop, _Loop]]:
        """Forget every pool: the sync one closed here, the async ones returned
        (each to be closed on its own loop).
        """
        with self._lock:
            made, self._sync = self._sync, None
            loops, self._loops = list(self._loops.items()), {}
        if made is not None:
            made[0].close()
        return loops

    def close(self, *, drive: bool = True) -> None:
        """Close every pool; async ones on their own loops (see the module doc).

        A loop at rest (not running, not closed) is run until its client is
        closed, unless this thread runs another loop: then its shutdown does it.
        ``drive=False`` (a finalizer) never runs a loop, only schedules.
        """
        for loop, entry in self._take():
            _close_on(loop, entry.closer, drive=drive)

    async def aclose(self) -> None:
        """Close every pool; the running loop's client before returning."""
        current = asyncio.get_running_loop()
        for loop, entry in self._take():
            if loop is current:
                await entry.closer.aclose()
            else:
                _close_on(loop, entry.closer, drive=True)


def _close_on(
    loop: asyncio.AbstractEventLoop, closer: AsyncGenerator[None, None], drive: bool
) -> None:
    """Close ``closer``'s client on ``loop``, from whatever thread we are in."""
    if loop.is_closed():
        return  # its shutdown closed the client, or nothing can now
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
        if running is loop:
            _spawn(closer)
        elif loop.is_running():
            loop.call_soon_threadsafe(_spawn, closer)
        elif drive and running is None:
            loop.run_until_complete(closer.aclose())


def _spawn(closer: AsyncGenerator[None, None]) -> None:
    task = asyncio.ensure_future(closer.aclose())
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


async def _closing(
    client: httpx.AsyncClient,
    registry: dict[asyncio.AbstractEventLoop, _Loop],
    loop: asyncio.AbstractEventLoop,
) -> AsyncGenerator[None, None]:
    """Wait at ``yield``; when closed (by the loop's shutdown or by us), close
    ``client`` and forget it.
    """
    try:
        yield
    finally:
        entry = registry.get(loop)
        if entry is not None and entry.client is client:
            del registry[loop]
        await client.aclose()
