"""The API key at the door: checked once, then held hidden until it is sent.

A key read from a file or pasted from a web page brings what a header cannot
carry: a trailing newline, a no-break space. httpx refuses such a header
with an error whose text holds the whole header value, so the key ended up
in the exception, the retry warning, DEBUG records and a tracer's
``run.error``. :func:`check_key` strips the surrounding whitespace and
refuses anything else that is not printable ASCII, with an error that names
the character and its position, never the key.

Once checked, the key lives in an :class:`ApiKey`, whose ``repr`` hides it,
and is written into a request's headers only as the request is sent
(httpx's ``Auth`` flow is the model: the key is added to the request, not
carried in the headers every frame holds). So a traceback printed with the
local variables of every frame (Sentry's default, ``pytest -l``, loguru's
``diagnose``) shows ``ApiKey(x-goog-api-key: ***)``, not the key: httpx's
``Headers`` repr masks ``authorization`` but not ``x-goog-api-key``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Generator, Mapping
from typing import Literal

import httpx
from pydantic import SecretStr

from langchain_cometgemini._errors import docs_url

__all__ = ["ApiKey", "AuthHeader", "check_auth_header", "check_key", "secret"]

AuthHeader = Literal["x-goog-api-key", "bearer", "authorization"]
"""How the key is sent: ``x-goog-api-key: KEY`` (Gemini's own header),
``Authorization: Bearer KEY``, or ``Authorization: KEY`` (CometAPI's guide)."""

_FORMS: dict[str | None, tuple[str, str]] = {
    None: ("x-goog-api-key", ""),
    "x-goog-api-key": ("x-goog-api-key", ""),
    "bearer": ("authorization", "Bearer "),
    "authorization": ("authorization", ""),
}


def check_auth_header(form: object) -> AuthHeader | None:
    """``form`` if it is one of :data:`AuthHeader` (or None), else ``ValueError``."""
    if form not in _FORMS:
        raise ValueError(
            "auth_header must be 'x-goog-api-key', 'bearer' or 'authorization', "
            f"not {form!r}"
        )
    return form  # type: ignore[return-value]


def secret(value: object) -> object:
    """A key given as ``str`` wrapped in ``SecretStr`` at once, whitespace stripped.

    Used before validation, so that whatever reports the input afterwards
    (pydantic's ``errors()``, a frame's locals) holds the hidden form.
    """
    if isinstance(value, str):
        return SecretStr(value.strip())
    if isinstance(value, SecretStr):
        return SecretStr(value.get_secret_value().strip())
    return value


def _problem(key: SecretStr) -> str | None:
    """What in ``key`` a header cannot carry, said without the key, or None."""
    size = len(key.get_secret_value())
    if not size:
        return (
            "api_key is empty (after stripping surrounding whitespace): pass your "
            "CometAPI key (api_key='sk-...') or set COMETAPI_KEY to it. Without a "
            f"key, run against the bundled emulator: {docs_url('testing.md')}"
        )
    for position, char in enumerate(key.get_secret_value(), 1):
        if " " <= char <= "~":
            continue
        code = f"U+{ord(char):04X}"
        name = unicodedata.name(char, "")
        what = f"{code} {name}".strip()
        kind = "a control character" if char < " " or char == "\x7f" else "not ASCII"
        return (
            f"api_key holds {what} ({kind}) at character {position} of {size}: "
            "HTTP headers carry printable ASCII only. Check how the key was read "
            "(a line ending kept from a file, a no-break space or quote copied "
            "from a web page)."
        )
    return None


def check_key(key: SecretStr | None) -> SecretStr | None:
    """``key`` stripped of surrounding whitespace, or ``ValueError`` naming the
    character a header cannot carry (by code point and position, never the key).
    """
    if key is None:
        return None
    key = SecretStr(key.get_secret_value().strip())
    problem = _problem(key)
    if problem is not None:
        raise ValueError(problem)
    return key


class ApiKey(httpx.Auth):
    """The checked key and the header it goes in; written into a request last.

    Used as httpx's ``auth=`` (its :meth:`auth_flow`) or directly with
    :meth:`sign` for requests sent straight to a transport.
    """

    __slots__ = ("_key", "_name", "_prefix")

    def __init__(self, key: SecretStr, form: AuthHeader | None = None) -> None:
        checked = check_key(key)
        assert checked is not None
        self._key = checked
        self._name, self._prefix = _FORMS[check_auth_header(form)]

    @classmethod
    def of(
        cls,
        key: SecretStr | str | None,
        form: AuthHeader | None,
        headers: Mapping[str, str] | None,
    ) -> ApiKey | None:
        """The key to send, or None: no key, or ``headers`` set its header.

        A header of the same name in ``default_headers`` wins (as it always
        has): the key is then not sent.
        """
        name = _FORMS[check_auth_header(form)][0]
        if key is None or any(h.lower() == name for h in headers or ()):
            return None
        # Hidden at once; the constructor strips and checks it.
        return cls(key if isinstance(key, SecretStr) else SecretStr(key), form)

    def __repr__(self) -> str:
        return f"ApiKey({self._name}: ***)"

    def sign(self, request: httpx.Request) -> httpx.Request:
        """``request`` with the key in its header (no local ever holds the key)."""
        request.headers[self._name] = self._prefix + self._key.get_secret_value()
        return request

    @staticmethod
    def pairs(key: ApiKey | None) -> tuple[tuple[str, str], ...]:
        """The header ``key`` adds (none for None), for a request built by hand."""
        if key is None:
            return ()
        return ((key._name, key._prefix + key._key.get_secret_value()),)

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """The request, signed (the ``auth_flow`` of httpx's ``Auth`` protocol)."""
        yield self.sign(request)
