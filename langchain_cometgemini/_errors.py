"""Exceptions raised by ChatCometGemini and the mapping from HTTP status to them.

Each HTTP error class also subclasses the matching member of langchain-core's
``ModelError`` family, so code written against the provider-neutral classes
(``except ModelRateLimitError``) catches ours without knowing this package.
"""

from __future__ import annotations

import json
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

# No __all__: the exception classes are public through the package
# (langchain_cometgemini.__all__, checked against this module by test_imports).

PROJECT_URL = "https://github.com/cometapi/langchain-cometgemini"
"""The project's home ([project.urls] in pyproject.toml says the same)."""


def docs_url(page: str) -> str:
    """Absolute link to a page of the guide, for error messages.

    A wheel holds no ``docs/`` folder, so a message that says "see
    docs/caching.md" points nowhere on a user's machine; this points at the
    page online. ``page`` is a file name in docs/, with an optional anchor.
    """
    return f"{PROJECT_URL}/blob/main/docs/{page}"


class CometGeminiError(ModelError):
    """Base class of every error this package raises about a model call."""


class GeminiAPIError(CometGeminiError):
    """The service answered with an HTTP error.

    ``message`` is the server's own words (``error.message`` when the body is
    JSON, else the raw body), ``status`` Gemini's status string such as
    ``INVALID_ARGUMENT`` when given, ``details`` its ``error.details`` list.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        status: str | None = None,
        details: list[Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.status = status
        self.details = details or []
        self.retry_after = retry_after
        label = f"{status_code} {status}" if status else str(status_code)
        super().__init__(f"CometAPI Gemini error {label}: {message}")


class GeminiInvalidRequestError(GeminiAPIError, ModelInvalidRequestError):
    """400/422: the request was malformed or not accepted for this model."""


class GeminiContextOverflowError(GeminiInvalidRequestError, ContextOverflowError):
    """400 whose message says the input exceeds the model's context window."""


class GeminiAuthenticationError(GeminiAPIError, ModelAuthenticationError):
    """401: the API key is missing or wrong."""


class GeminiPermissionDeniedError(GeminiAPIError, ModelPermissionDeniedError):
    """403: the key may not use this model or resource."""


class GeminiNotFoundError(GeminiAPIError, ModelNotFoundError):
    """404: unknown model or endpoint."""


class GeminiRateLimitError(GeminiAPIError, ModelRateLimitError):
    """429: quota or rate limit exceeded."""


class GeminiServerError(GeminiAPIError, ModelAPIError):
    """5xx (and any other unexpected status): a failure on the server side."""


class GeminiConnectionError(CometGeminiError, ModelConnectionError):
    """The service could not be reached, or dropped the connection."""


class GeminiTimeoutError(CometGeminiError, ModelTimeoutError):
    """The request did not complete within ``timeout`` seconds."""


class GeminiResponseError(CometGeminiError, ModelAPIError):
    """The service answered, but the answer could not be read.

    For example a 200 whose body is not JSON (a proxy's login page) or is JSON
    but not an object. Raised instead of guessing at what was meant.
    """


class GeminiStreamError(GeminiResponseError):
    """A stream ended early or carried an event that is not valid JSON.

    Raised instead of returning partial content as if it were complete. A
    kind of :class:`GeminiResponseError`: code that catches unreadable
    answers catches broken streams too.
    """


class GeminiContinuationError(GeminiResponseError):
    """A long-decode answer still unfinished after ``max_continuations``
    continuation requests (``finishReason: CONTINUATION`` each time).
    """


_BY_STATUS: dict[int, type[GeminiAPIError]] = {
    400: GeminiInvalidRequestError,
    401: GeminiAuthenticationError,
    403: GeminiPermissionDeniedError,
    404: GeminiNotFoundError,
    422: GeminiInvalidRequestError,
    429: GeminiRateLimitError,
}

_OVERFLOW_HINTS = ("exceeds the maximum number of tokens", "context length", "too long")

# google.rpc.Code names, for an error that gives a status but no HTTP code
# (a relay's 200 body or stream event). See
# https://cloud.google.com/apis/design/errors#handling_errors
_BY_RPC_STATUS = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL": 500,
    "UNKNOWN": 500,
    "DATA_LOSS": 500,
    "NOT_IMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}

MAX_MESSAGE = 300
"""Longest error text kept from a body that is not JSON, in characters."""
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def _condensed(text: str, size: int) -> str:
    """The words of a body that is not JSON, short enough for a log line.

    A CDN or proxy error page (kilobytes of HTML) is reduced to its
    ``<title>``, or to its text without tags; any long text is cut, with
    its full size said, so that neither the exception nor each retry warning
    carries the whole page.
    """
    if text.startswith("<"):
        title = _TITLE.search(text.encode())
        if title is not None:
            text = title.group(1).decode(errors="replace")
        text = _SPACE.sub(" ", _TAG.sub(" ", text)).strip() or "(an HTML page)"
        if title is not None or len(text) > MAX_MESSAGE:
            return f"{text[:MAX_MESSAGE]} (HTML page of {size} bytes, not shown)"
        return text
    if len(text) > MAX_MESSAGE:
        return f"{text[:MAX_MESSAGE]}... ({size} bytes in all)"
    return text


def _parse_error_body(body: bytes) -> tuple[str, str | None, list[Any]]:
    """Return (message, status, details) from an error body of any shape.

    Gemini answers ``{"error": {"code", "message", "status", "details"}}``; a
    proxy may answer ``{"error": {"message", "type"}}``, ``{"message": ...}``,
    a list holding one such object, plain text or an HTML page. The server's
    words are kept in every case (an HTML page: its title).
    """
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):
        return _condensed(text, len(body)) or "(empty response body)", None, []
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict):
        return _condensed(text, len(body)), None, []
    message, status, details, _ = _error_fields(data.get("error", data))
    return message or _condensed(text, len(body)), status, details


def _error_fields(err: Any) -> tuple[str, str | None, list[Any], Any]:
    """(message, status, details, code) of an ``error`` value; "" if no message."""
    if isinstance(err, str):
        return err, None, [], None
    if not isinstance(err, dict):
        return "", None, [], None
    message = err.get("message")
    status = err.get("status") or err.get("type")
    details = err.get("details")
    return (
        str(message) if message else "",
        str(status) if status else None,
        details if isinstance(details, list) else [],
        err.get("code"),
    )


def retry_delay_from(headers: Any, details: list[Any]) -> float | None:
    """Seconds the server asked us to wait: ``Retry-After`` or ``RetryInfo``.

    ``Retry-After`` is seconds or an HTTP date (RFC 9110, section 10.2.3:
    https://www.rfc-editor.org/rfc/rfc9110#field.retry-after). A date already
    past says nothing usable (most likely clocks that disagree): our own
    backoff is used then, rather than retrying at once.
    """
    value = headers.get("retry-after") if headers is not None else None
    if value:
        delay = _retry_after(value)
        if delay is not None:
            return delay
    for detail in details:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith(
            "RetryInfo"
        ):
            delay_text = str(detail.get("retryDelay", ""))
            try:
                return max(0.0, float(delay_text.rstrip("s")))
            except ValueError:
                continue
    return None


def _retry_after(value: str) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    delay = when - time.time()
    return delay if delay > 0 else None


def _build(
    status_code: int, message: str, status: str | None, details: list[Any], headers: Any
) -> GeminiAPIError:
    """The exception of the class ``status_code`` (and the message) call for."""
    cls = _BY_STATUS.get(status_code, GeminiServerError)
    if cls is GeminiInvalidRequestError and any(
        hint in message.lower() for hint in _OVERFLOW_HINTS
    ):
        cls = GeminiContextOverflowError
    return cls(
        message,
        status_code=status_code,
        status=status,
        details=details,
        retry_after=retry_delay_from(headers, details),
    )


def error_from_response(status_code: int, headers: Any, body: bytes) -> GeminiAPIError:
    """Build the exception for an HTTP error answer, with the server's message.

    A redirect is named as one: the API is never redirected on purpose, and
    our requests do not follow redirects (the key must not go elsewhere).
    """
    message, status, details = _parse_error_body(body)
    if 300 <= status_code < 400:
        location = headers.get("location") if headers is not None else None
        where = f"to {location}" if location else "without a Location"
        said = "" if message == "(empty response body)" else f" ({message})"
        message = f"a redirect {where}, not followed: check base_url{said}"
    return _build(status_code, message, status, details, headers)


def error_from_payload(
    data: dict[str, Any], status_code: int, headers: Any = None
) -> GeminiAPIError:
    """The exception for ``{"error": {...}}`` sent as a 200 body or stream event.

    Relays report an upstream failure that way. The error's own ``code`` (or
    its ``status``, e.g. ``RESOURCE_EXHAUSTED``) chooses the class, exactly
    as the same error answered with that HTTP status would; with neither,
    the answer's own ``status_code`` is kept and it is a server error.
    """
    message, status, details, code = _error_fields(data.get("error"))
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if not (isinstance(code, int) and 400 <= code <= 599):
        code = _BY_RPC_STATUS.get(str(status).upper(), status_code)
    message = message or json.dumps(data, ensure_ascii=False)[:MAX_MESSAGE]
    return _build(code, message, status, details, headers)
