"""The key at the door (issue 21): checked once, hidden until it is written.

A key read from a file keeps its newline; one pasted from a web page may hold
a no-break space. Surrounding whitespace is stripped; anything else a header
cannot carry is refused with an error that names the character, never the
key. Once accepted, the key is in no exception text, log record, or local
variable of any frame a traceback shows (``capture_locals=True``: Sentry's
default, ``pytest -l``); assignment and ``model_copy(update=...)`` are checked
as the constructor checks.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import traceback
from typing import Any

import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from pydantic import SecretStr, ValidationError

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._auth import ApiKey, check_key
from langchain_cometgemini._errors import (
    GeminiAuthenticationError,
    GeminiConnectionError,
)
from langchain_cometgemini.testing import GeminiEmulator, Reply

KEY = "sk-door-SECRET-7d1e0c"
FORMS = [None, "bearer", "authorization"]


def _shown(exc: BaseException) -> str:
    """What a traceback printed with every frame's locals shows, but the frames
    of this file (a test's own locals hold the key it passed).
    """
    formatted = traceback.TracebackException.from_exception(exc, capture_locals=True)
    kept = [frame for frame in formatted.stack if frame.filename != __file__]
    formatted.stack = traceback.StackSummary.from_list(kept)
    return "".join(formatted.format()) + repr(exc.args)


def _stream(llm: ChatCometGemini) -> None:
    list(llm.stream("hi"))


def _ainvoke(llm: ChatCometGemini) -> None:
    asyncio.run(llm.ainvoke("hi"))


def _astream(llm: ChatCometGemini) -> None:
    async def run() -> None:
        async for _ in llm.astream("hi"):
            pass

    asyncio.run(run())


CALLS = {
    "invoke": lambda llm: llm.invoke("hi"),
    "stream": _stream,
    "ainvoke": _ainvoke,
    "astream": _astream,
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_traceback_with_locals_on_a_401_holds_no_key(
    emulator: GeminiEmulator,
    caplog: pytest.LogCaptureFixture,
    form: Any,
    call: str,
) -> None:
    emulator.queue(Reply.error(401, "API key not valid"))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url, auth_header=form)
    with (
        caplog.at_level(logging.DEBUG),
        pytest.raises(GeminiAuthenticationError) as info,
    ):
        CALLS[call](llm)
    shown = _shown(info.value)  # before this frame holds the key itself
    assert "API key not valid" in shown  # the traceback is the real one
    assert KEY not in shown
    assert KEY not in caplog.text
    assert len(emulator.requests) == 1
    sent = emulator.requests[0].headers
    assert KEY in (sent.get("x-goog-api-key", "") + sent.get("authorization", ""))


@pytest.mark.parametrize("call", sorted(CALLS))
def test_traceback_with_locals_on_a_refused_connection_holds_no_key(
    call: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A transport error is raised inside the transport, whose frames hold
    the request's headers: none of them may reach the caller's traceback."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    llm = ChatCometGemini(
        api_key=KEY, base_url=f"http://127.0.0.1:{port}", max_retries=0
    )
    with (
        caplog.at_level(logging.DEBUG),
        pytest.raises(GeminiConnectionError) as info,
    ):
        CALLS[call](llm)
    shown = _shown(info.value)
    assert "Could not complete the request" in shown
    assert KEY not in shown
    assert KEY not in caplog.text


def test_a_refused_plain_string_key_is_hidden_from_the_error() -> None:
    with pytest.raises(ValidationError) as info:
        ChatCometGemini(api_key=KEY + "\u00a0x")
    assert KEY not in repr(info.value.errors())
    assert KEY not in str(info.value)


@pytest.mark.parametrize("call", ["invoke", "ainvoke"])
def test_traceback_with_locals_holds_no_key_with_a_given_client(
    emulator: GeminiEmulator, call: str
) -> None:
    emulator.queue(Reply.error(401, "API key not valid"))
    clients: dict[str, Any] = (
        {"http_client": httpx.Client()}
        if call == "invoke"
        else {"http_async_client": httpx.AsyncClient()}
    )
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url, **clients)
    with pytest.raises(GeminiAuthenticationError) as info:
        CALLS[call](llm)
    assert KEY not in _shown(info.value)
    assert emulator.requests[0].headers["x-goog-api-key"] == KEY


def test_a_broken_connection_shows_no_key() -> None:
    # Nothing listens on this port: the error comes from deep inside httpx.
    llm = ChatCometGemini(api_key=KEY, base_url="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(Exception) as info:  # any class: the text counts
        llm.invoke("hi")
    assert KEY not in _shown(info.value)


@pytest.mark.parametrize("ending", ["\n", "\r\n", " \t", "\n\n  "])
def test_surrounding_whitespace_is_stripped(
    emulator: GeminiEmulator, ending: str
) -> None:
    emulator.queue(Reply.text("fine"))
    llm = ChatCometGemini(api_key=f"  {KEY}{ending}", base_url=emulator.url)
    assert llm.invoke("hi").text == "fine"
    assert emulator.requests[0].headers["x-goog-api-key"] == KEY


def test_a_key_from_the_environment_is_stripped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COMETAPI_KEY", KEY + "\n")
    llm = ChatCometGemini()
    assert llm.api_key is not None
    assert llm.api_key.get_secret_value() == KEY


@pytest.mark.parametrize(
    ("key", "named"),
    [
        (f"{KEY[:6]}\u00a0{KEY[6:]}", "U+00A0 NO-BREAK SPACE"),
        (f"{KEY[:6]}\n{KEY[6:]}", "U+000A"),
        (f"{KEY}\u201d", "U+201D RIGHT DOUBLE QUOTATION MARK"),
        (f"{KEY[:3]}\x00{KEY[3:]}", "U+0000"),
        ("\u00e9" + KEY, "U+00E9 LATIN SMALL LETTER E WITH ACUTE"),
    ],
)
def test_a_key_a_header_cannot_carry_is_refused_by_name(key: str, named: str) -> None:
    with pytest.raises(ValidationError) as info:
        ChatCometGemini(api_key=SecretStr(key))
    text = str(info.value)
    assert named in text
    assert "api_key" in text
    secret = KEY[6:]  # the part every bad key above keeps whole
    for shown in (
        text,
        repr(info.value),
        repr(info.value.errors()),
        _shown(info.value),
    ):
        assert secret not in shown


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="api_key is empty"):
        ChatCometGemini(api_key="  \n")


def test_the_key_object_hides_the_key() -> None:
    key = ApiKey(SecretStr(KEY), "bearer")
    assert KEY not in repr(key)
    request = key.sign(httpx.Request("GET", "http://127.0.0.1/"))
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert check_key(SecretStr(f" {KEY} ")) == SecretStr(KEY)


def test_default_headers_naming_the_key_header_win(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.text("fine"))
    llm = ChatCometGemini(
        api_key=KEY,
        base_url=emulator.url,
        default_headers={"X-Goog-Api-Key": "from-headers"},
    )
    llm.invoke("hi")
    assert emulator.requests[0].headers["x-goog-api-key"] == "from-headers"


# -- assignment and model_copy are checked like the constructor ---------------

BAD = [
    ("model", "../../v1/files"),
    ("model", "gemini-2.5-flash:generateContent?alt"),
    ("api_key", "sk\nX-Injected: 1"),
    ("base_url", "file:///etc/passwd"),
]


@pytest.mark.parametrize(("name", "value"), BAD)
def test_assignment_is_validated(name: str, value: str) -> None:
    llm = ChatCometGemini(api_key=KEY)
    before = llm.model_dump()
    with pytest.raises(ValidationError, match=name):
        setattr(llm, name, value)
    assert llm.model_dump() == before  # the bad value was not kept
    llm.temperature = 0.5  # the model is still usable
    assert llm.temperature == 0.5


@pytest.mark.parametrize(("name", "value"), BAD)
def test_model_copy_update_is_validated(name: str, value: str) -> None:
    llm = ChatCometGemini(api_key=KEY)
    with pytest.raises(ValidationError, match=name):
        llm.model_copy(update={name: value})


def test_model_copy_update_normalizes_like_the_constructor(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply.text("fine"))
    llm = ChatCometGemini(api_key="other", base_url=emulator.url)
    copy = llm.model_copy(
        update={"api_key": KEY + "\n", "model": "gemini-3-flash-preview"}
    )
    assert isinstance(copy.api_key, SecretStr)
    assert copy.invoke("hi").text == "fine"
    assert emulator.requests[0].headers["x-goog-api-key"] == KEY
    assert emulator.requests[0].path.startswith(
        "/v1beta/models/gemini-3-flash-preview:"
    )
    assert llm.api_key == SecretStr("other")  # the original is untouched


class _Recorder(BaseCallbackHandler):
    """Everything a tracer is handed about a run, as text."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kw: Any) -> None:
        self.seen.append(repr((serialized, messages, kw)))

    def on_llm_error(self, error: BaseException, **kw: Any) -> None:
        self.seen.append(repr((error, error.args, kw)) + _shown(error))


def test_no_tracer_payload_holds_the_key(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.error(401, "API key not valid"))
    recorder = _Recorder()
    llm = ChatCometGemini(api_key=KEY + "\n", base_url=emulator.url)
    with pytest.raises(GeminiAuthenticationError):
        llm.invoke("hi", config={"callbacks": [recorder]})
    assert len(recorder.seen) == 2
    assert "API key not valid" in recorder.seen[1]
    for text in recorder.seen:
        assert KEY not in text
