"""The retry policy: after each attempt, retry or give up, how long to wait.

Written once, without I/O, as a generator of commands (httpx's ``auth_flow``
is the model): the flow yields :data:`SEND` and is sent back what the attempt
got (an answer read whole, :class:`Whole`; a stream's 200 ``httpx.Response``,
unread; or the ``httpx.HTTPError`` it raised); it yields a
``float`` to ask for a wait before the next attempt, raises the error to give
up, and returns the answer. ``_client.GeminiHTTP`` runs it with thin sync and
async drivers, for unary calls and for streams alike, so a change of policy
(which statuses, which waits, what counts as an error) is made here alone.

For a stream answered 200 the flow yields :data:`DELIVER` (hand every event
to the caller) or :data:`PEEK` (send me the next event, ``None`` at the end of
the stream; the driver holds peeked events back until :data:`DELIVER`). A
flow that peeks can still ask for a retry, since the caller has seen nothing;
after :data:`DELIVER` it is never consulted again, so nothing is retried once
content has reached the caller.

What counts as a failure: an HTTP error status, a transport error, and a
JSON error object (``{"error": {...}}``) however it comes: as a 200 body or
as the first event of a stream (the stream driver sends back the exception
the event stands for). Each is retried, or not, exactly as the same error
answered with its HTTP status would be. An error event after the first is
raised by the driver's event reader: the caller has seen content by then.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Generator
from typing import Any, Final, NamedTuple

import httpx

from langchain_cometgemini._errors import (
    CometGeminiError,
    GeminiAPIError,
    GeminiConnectionError,
    GeminiResponseError,
    GeminiTimeoutError,
    docs_url,
    error_from_payload,
    error_from_response,
)
from langchain_cometgemini._json import loads
from langchain_cometgemini._request_keys import SERVICE_TIER_HEADER

__all__ = [
    "DELIVER",
    "PEEK",
    "SEND",
    "SERVED_TIER",
    "RetryPolicy",
    "Whole",
    "backoff",
]

logger = logging.getLogger(__name__)

SEND: Final = "send"
"""Command: make one attempt and send back its outcome."""
DELIVER: Final = "deliver"
"""Command (streams): the answer is accepted; pass all its events on."""
PEEK: Final = "peek"
"""Command (streams): send back the next event (``None`` when there is none)."""

Command = Any  # SEND, DELIVER, PEEK, or a float: seconds to wait, then go on
Outcome = Any  # httpx.Response, Whole, httpx.HTTPError, an event dict, or None


class Whole(NamedTuple):
    """An answer read whole: what the policy reads of it. Made by the aiohttp
    lane (``_transport.AiohttpTransport.post_whole``) without an
    ``httpx.Response``, and by ``_client`` from one it read.
    """

    status_code: int
    headers: Any  # looked up case-insensitively with .get
    content: bytes


Flow = Generator[Command, Outcome, Any]

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
"""Statuses worth another try: a request timeout (408), rate limit, server
errors, and Cloudflare's 520-524 (origin unreachable or timed out; see
https://developers.cloudflare.com/support/troubleshooting/http-status-codes/cloudflare-5xx-errors/)."""
MAX_BACKOFF = 30.0
"""Longest wait of our own exponential backoff, in seconds."""
MAX_SERVER_WAIT = 60.0
"""Longest wait we accept from ``Retry-After`` / ``RetryInfo``, in seconds."""


def max_wait(timeout: float | None) -> float:
    """The longest retry wait for a caller whose request timeout is ``timeout``.

    A wait never exceeds what the caller would wait for one answer (its
    timeout), nor :data:`MAX_SERVER_WAIT`: a service that asks for longer is
    tried again after this long (the retry budget still bounds the attempts).
    """
    # No timeout set: the default (120 s) is longer than the cap anyway.
    return MAX_SERVER_WAIT if timeout is None else min(MAX_SERVER_WAIT, timeout)


def backoff(attempt: int, error: GeminiAPIError | None) -> float:
    """Seconds to wait before retry ``attempt`` (0-based).

    The server's ``Retry-After`` / ``RetryInfo.retryDelay`` wins (capped at
    :data:`MAX_SERVER_WAIT`); otherwise exponential backoff (0.5 s, 1 s, 2 s,
    ...) with +-25 % jitter so that many clients rejected together do not
    return together.
    """
    if error is not None and error.retry_after is not None:
        return min(error.retry_after, MAX_SERVER_WAIT)
    base: float = min(0.5 * (2**attempt), MAX_BACKOFF)
    return base * random.uniform(0.75, 1.25)


def retryable(error: Exception) -> bool:
    """Whether a failed attempt may be tried again.

    Read/write timeouts are not retried: the server may be working on the
    request, and repeating it would multiply the wait the caller asked to cap.
    """
    if isinstance(error, GeminiAPIError):
        return error.status_code in RETRY_STATUS
    return isinstance(error, GeminiConnectionError)


def decode_json(response: httpx.Response | Whole) -> dict[str, Any]:
    """The JSON object of a read unary answer, or :class:`GeminiResponseError`."""
    try:
        data = loads(response.content)
    except (ValueError, RecursionError) as exc:  # RecursionError: hostile nesting
        raise GeminiResponseError(
            f"The service answered {response.status_code} with a body that is not "
            f"JSON ({exc}): {response.content[:200]!r}"
        ) from None
    if not isinstance(data, dict):
        raise GeminiResponseError(
            f"The service answered with JSON that is not an object: {data!r:.200}"
        )
    return data


SERVED_TIER = "__served_service_tier__"
"""Key under which the answer (a stream's first event) carries the tier the
``x-gemini-service-tier`` header named; ``_response`` moves it to
``response_metadata["service_tier"]``. Not a wire key: the header is HTTP's,
the parser only sees JSON."""


def served(answer: Any, tier: str | None) -> None:
    """Note the served tier on ``answer`` (a JSON object), if the header named one."""
    if tier and isinstance(answer, dict):
        answer[SERVED_TIER] = tier


def transport_error(exc: httpx.HTTPError, url: str) -> Exception:
    """Our exception for a request that got no answer (never the key: URL only).

    It says what to check next: the ``timeout`` setting for a timeout; for a
    connection that failed, ``base_url`` / ``COMETAPI_BASE_URL`` (a wrong
    root is the usual cause), then the network.
    """
    if isinstance(exc, httpx.TimeoutException):
        return GeminiTimeoutError(
            f"Request to {url} timed out ({type(exc).__name__}); a longer "
            "timeout= (seconds, or a (connect, read) pair) may help."
        )
    return GeminiConnectionError(
        f"Could not complete the request to {url}: {type(exc).__name__}: {exc}. "
        "Check base_url (or the COMETAPI_BASE_URL environment variable): the "
        "service root, https://api.cometapi.com by default; then the network "
        f"and any proxy. {docs_url('reliability.md')}"
    )


def failure(outcome: Outcome, url: str) -> Exception:
    """The exception an attempt that did not succeed stands for."""
    if isinstance(outcome, httpx.HTTPError):
        return transport_error(outcome, url)
    if isinstance(outcome, CometGeminiError):  # raised reading a stream's start
        return outcome
    return error_from_response(outcome.status_code, outcome.headers, outcome.content)


class RetryPolicy:
    """Retry what may succeed, at most ``max_retries`` times after the first try.

    ``wait(attempt, api_error_or_none)`` gives the seconds before retry
    ``attempt`` (0-based); :func:`backoff` unless told otherwise; no wait is
    longer than ``longest`` seconds (see :func:`max_wait`).
    """

    __slots__ = ("longest", "max_retries", "wait")

    def __init__(
        self,
        max_retries: int,
        wait: Callable[[int, GeminiAPIError | None], float] = backoff,
        longest: float = MAX_SERVER_WAIT,
    ) -> None:
        self.max_retries = max_retries
        self.wait = wait
        self.longest = longest

    def flow(self, url: str, *, streaming: bool) -> Flow:
        """The commands for one call; returns the unary answer (streams: None)."""
        attempt = 0
        while True:
            outcome = yield SEND
            if (
                isinstance(outcome, httpx.Response | Whole)
                and outcome.status_code == 200
            ):
                tier = outcome.headers.get(SERVICE_TIER_HEADER)
                if streaming:
                    # The first event decides: an error event is a failure.
                    outcome = yield PEEK
                    if not isinstance(outcome, Exception):
                        served(outcome, tier)
                        yield DELIVER
                        return None
                else:
                    answer = decode_json(outcome)
                    if not answer.get("error"):
                        served(answer, tier)
                        return answer
                    outcome = error_from_payload(answer, 200, outcome.headers)
            yield self.retry_or_raise(attempt, failure(outcome, url))
            attempt += 1

    def retry_or_raise(self, attempt: int, error: Exception) -> float:
        """Seconds to wait before trying again after ``error``, or raise it."""
        if attempt >= self.max_retries or not retryable(error):
            raise error
        api_error = error if isinstance(error, GeminiAPIError) else None
        delay = min(self.wait(attempt, api_error), self.longest)
        logger.warning(
            "Retrying Gemini request in %.2fs after %s (attempt %d of %d)",
            delay,
            error,
            attempt + 2,
            self.max_retries + 1,
        )
        return delay
