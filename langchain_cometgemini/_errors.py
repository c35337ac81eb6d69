"""Exceptions raised by ChatCometGemini and the mapping from HTTP status to them.

Each HTTP error class also subclasses the matching member of langchain-core's
``ModelError`` family, so code written against the provider-neutral classes
(``except ModelRateLimitError``) catches ours without knowing this package.
"""

from __future__ import annotations

import json
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

__all__ = [
    "CometGeminiError",
    "GeminiAPIError",
    "GeminiAuthenticationError",
    "GeminiConnectionError",
    "GeminiContextOverflowError",
    "GeminiInvalidRequestError",
    "GeminiNotFoundError",
    "GeminiPermissionDeniedError",
    "GeminiRateLimitError",
    "GeminiResponseError",
    "GeminiServerError",
    "GeminiStreamError",
    "GeminiTimeoutError",
    "error_from_response",
]


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


_BY_STATUS: dict[int, type[GeminiAPIError]] = {
    400: GeminiInvalidRequestError,
    401: GeminiAuthenticationError,
    403: GeminiPermissionDeniedError,
    404: GeminiNotFoundError,
    422: GeminiInvalidRequestError,
    429: GeminiRateLimitError,
}

_OVERFLOW_HINTS = ("exceeds the maximum number of tokens", "context length", "too long")


def _parse_error_body(body: bytes) -> tuple[str, str | None, list[Any]]:
    """Return (message, status, details) from an error body of any shape.

    Gemini answers ``{"error": {"code", "message", "status", "details"}}``; a
    proxy may answer ``{"error": {"message", "type"}}``, ``{"message": ...}``,
    a list holding one such object, or plain text. The server's words are kept
    in every case.
    """
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data: Any = json.loads(text)
    except ValueError:
        return text or "(empty response body)", None, []
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict):
        return text, None, []
    err = data.get("error", data)
    if isinstance(err, str):
        return err, None, []
    if not isinstance(err, dict):
        return text, None, []
    message = err.get("message")
    status = err.get("status") or err.get("type")
    details = err.get("details")
    return (
        str(message) if message else text,
        str(status) if status else None,
        details if isinstance(details, list) else [],
    )


def retry_delay_from(headers: Any, details: list[Any]) -> float | None:
    """Seconds the server asked us to wait: ``Retry-After`` or ``RetryInfo``."""
    value = headers.get("retry-after") if headers is not None else None
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass  # an HTTP date; fall through to RetryInfo or our own backoff
    for detail in details:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith(
            "RetryInfo"
        ):
            delay = str(detail.get("retryDelay", ""))
            try:
                return max(0.0, float(delay.rstrip("s")))
            except ValueError:
                continue
    return None


def error_from_response(status_code: int, headers: Any, body: bytes) -> GeminiAPIError:
    """Build the exception for an HTTP error answer, with the server's message."""
    message, status, details = _parse_error_body(body)
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
