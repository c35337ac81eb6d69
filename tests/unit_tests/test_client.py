"""HTTP behaviour: retries, error mapping, timeouts and broken streams.

Status handling runs over ``httpx.MockTransport`` (every request counted);
timeouts, refused connections and truncated streams use real loopback sockets
(the emulator, or a port nobody listens on).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from langchain_core.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from langchain_core.messages import AIMessageChunk

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._errors import (
    GeminiAPIError,
    GeminiAuthenticationError,
    GeminiConnectionError,
    GeminiContextOverflowError,
    GeminiInvalidRequestError,
    GeminiRateLimitError,
    GeminiResponseError,
    GeminiServerError,
    GeminiStreamError,
    GeminiTimeoutError,
)
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.raw_http import free_port

from .replay_server import ReplayServer

KEY = "sk-client-test-key-0451"
OK = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [{"text": "hello"}]},
            "finishReason": "STOP",
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 3,
        "candidatesTokenCount": 1,
        "totalTokenCount": 4,
    },
    "modelVersion": "gemini-2.5-flash",
}
EVENTS = [
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "hel"}]}}]},
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "lo"}]}}]},
    {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": "!"}]},
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 3,
            "candidatesTokenCount": 2,
            "totalTokenCount": 5,
        },
    },
]

Handler = Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler answering from a list and counting requests."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses.pop(0)


def _json(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def _gemini_error(
    status: int, message: str, code: str, **headers: str
) -> httpx.Response:
    body = {"error": {"code": status, "message": message, "status": code}}
    return _json(status, body, **headers)


def _sse(events: list[Any]) -> httpx.Response:
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\r\n\r\n" for e in events)
    return httpx.Response(
        200, content=body, headers={"content-type": "text/event-stream"}
    )


Factory = Callable[..., ChatCometGemini]


SEND_PATHS = ["own pool", "given client", "own pool (aiohttp)", "given httpx2 client"]


def _httpx2_handler(script: Handler) -> Any:
    """``script`` as an httpx2 MockTransport handler (httpx2's types both ways)."""
    httpx2 = pytest.importorskip("httpx2")

    def handle(request: Any) -> Any:
        seen = httpx.Request(
            request.method,
            str(request.url),
            headers=request.headers.raw,
            content=request.read(),
        )
        answer = script(seen)
        return httpx2.Response(
            answer.status_code, headers=answer.headers.raw, content=answer.read()
        )

    return handle


@pytest.fixture(params=SEND_PATHS)
def model(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Factory]:
    """Build a model answered by a script, on each send path.

    "own pool": the package's pool on httpx's transport, which gets each
    request directly (a ``MockTransport`` here); "own pool (aiohttp)": the
    package's pool on the aiohttp transport, answered over a loopback socket
    by the same script; "given client" / "given httpx2 client": clients the
    user passes, which keep their whole client layer.
    """
    servers: list[ReplayServer] = []

    def make(script: Handler, **kwargs: Any) -> ChatCometGemini:
        transport = httpx.MockTransport(script)
        base_url = "https://api.cometapi.test"
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            monkeypatch.delenv(name, raising=False)
            monkeypatch.delenv(name.lower(), raising=False)
        if request.param == "given client":
            kwargs["http_client"] = httpx.Client(transport=transport)
            kwargs["http_async_client"] = httpx.AsyncClient(transport=transport)
        elif request.param == "given httpx2 client":
            httpx2 = pytest.importorskip("httpx2")
            mock = httpx2.MockTransport(_httpx2_handler(script))
            kwargs["http_client"] = httpx2.Client(transport=mock)
            kwargs["http_async_client"] = httpx2.AsyncClient(transport=mock)
        elif request.param == "own pool (aiohttp)":
            pytest.importorskip("aiohttp")
            server = ReplayServer(script, base_url)
            servers.append(server)
            base_url = server.url
            kwargs["async_transport"] = "aiohttp"
        else:
            kwargs["async_transport"] = "httpx"
            monkeypatch.setattr(httpx, "HTTPTransport", lambda **_: transport)
            monkeypatch.setattr(httpx, "AsyncHTTPTransport", lambda **_: transport)
        return ChatCometGemini(api_key=KEY, base_url=base_url, **kwargs)

    yield make
    for server in servers:
        server.close()


# -- retries -------------------------------------------------------------------


def test_429_then_200_succeeds_in_two_requests(
    sleeps: list[float], model: Factory
) -> None:
    script = Script(
        _gemini_error(
            429, "Resource exhausted", "RESOURCE_EXHAUSTED", **{"Retry-After": "0"}
        ),
        _json(200, OK),
    )
    result = model(script, max_retries=2).invoke("hi")
    assert result.content == "hello"
    assert len(script.requests) == 2
    assert sleeps == [0.0]


async def test_async_429_then_200_succeeds_in_two_requests(
    sleeps: list[float], model: Factory
) -> None:
    script = Script(
        _gemini_error(
            429, "Resource exhausted", "RESOURCE_EXHAUSTED", **{"Retry-After": "0"}
        ),
        _json(200, OK),
    )
    result = await model(script, max_retries=2).ainvoke("hi")
    assert result.content == "hello"
    assert len(script.requests) == 2
    assert sleeps == [0.0]


def test_three_503_give_up_after_three_requests(
    sleeps: list[float], model: Factory
) -> None:
    script = Script(
        *[_gemini_error(503, f"model overloaded #{i}", "UNAVAILABLE") for i in range(3)]
    )
    with pytest.raises(GeminiServerError) as info:
        model(script, max_retries=2).invoke("hi")
    assert len(script.requests) == 3
    assert len(sleeps) == 2
    assert isinstance(info.value, ModelAPIError)
    assert "model overloaded #2" in str(info.value)
    assert info.value.status_code == 503
    assert info.value.status == "UNAVAILABLE"


async def test_async_three_503_give_up_after_three_requests(
    sleeps: list[float],
    model: Factory,
) -> None:
    script = Script(
        *[_gemini_error(503, "overloaded", "UNAVAILABLE") for _ in range(3)]
    )
    with pytest.raises(GeminiServerError, match="overloaded"):
        await model(script, max_retries=2).ainvoke("hi")
    assert len(script.requests) == 3
    assert len(sleeps) == 2


def test_backoff_grows_without_server_hint(sleeps: list[float], model: Factory) -> None:
    script = Script(*[_gemini_error(500, "boom", "INTERNAL") for _ in range(4)])
    with pytest.raises(GeminiServerError):
        model(script, max_retries=3).invoke("hi")
    assert len(sleeps) == 3
    assert 0.25 < sleeps[0] < sleeps[2]  # jittered exponential, never zero


@pytest.mark.parametrize(
    ("status", "code", "cls", "core_cls"),
    [
        (400, "INVALID_ARGUMENT", GeminiInvalidRequestError, ModelInvalidRequestError),
        (401, "UNAUTHENTICATED", GeminiAuthenticationError, ModelAuthenticationError),
    ],
)
def test_client_errors_are_tried_once(
    sleeps: list[float],
    status: int,
    code: str,
    cls: type,
    core_cls: type,
    model: Factory,
) -> None:
    script = Script(_gemini_error(status, f"the server says {code.lower()}", code))
    with pytest.raises(cls) as info:
        model(script, max_retries=2).invoke("hi")
    assert isinstance(info.value, core_cls)
    assert f"the server says {code.lower()}" in str(info.value)
    assert len(script.requests) == 1
    assert sleeps == []


async def test_async_401_tried_once(sleeps: list[float], model: Factory) -> None:
    script = Script(_gemini_error(401, "API key not valid", "UNAUTHENTICATED"))
    with pytest.raises(GeminiAuthenticationError, match="API key not valid"):
        await model(script, max_retries=2).ainvoke("hi")
    assert len(script.requests) == 1


def test_context_overflow_maps_to_core_class(model: Factory) -> None:
    from langchain_core.exceptions import ContextOverflowError

    message = "The input token count exceeds the maximum number of tokens allowed"
    script = Script(_gemini_error(400, message, "INVALID_ARGUMENT"))
    with pytest.raises(GeminiContextOverflowError) as info:
        model(script).invoke("hi")
    assert isinstance(info.value, ContextOverflowError)


def test_retry_info_delay_is_honoured(sleeps: list[float], model: Factory) -> None:
    body = {
        "error": {
            "code": 429,
            "message": "Quota exceeded",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure"},
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": "1.5s",
                },
            ],
        }
    }
    script = Script(_json(429, body), _json(200, OK))
    assert model(script).invoke("hi").content == "hello"
    assert sleeps == [1.5]
    assert len(script.requests) == 2


def test_retry_after_header_is_honoured(sleeps: list[float], model: Factory) -> None:
    script = Script(
        _gemini_error(503, "busy", "UNAVAILABLE", **{"Retry-After": "7"}),
        _json(200, OK),
    )
    model(script).invoke("hi")
    assert sleeps == [7.0]


def test_rate_limit_error_carries_retry_after(
    sleeps: list[float], model: Factory
) -> None:
    script = Script(
        _gemini_error(429, "slow down", "RESOURCE_EXHAUSTED", **{"Retry-After": "3"})
    )
    with pytest.raises(GeminiRateLimitError) as info:
        model(script, max_retries=0).invoke("hi")
    assert isinstance(info.value, ModelRateLimitError)
    assert info.value.retry_after == 3.0


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            _json(
                400,
                {
                    "error": {
                        "message": "proxy: model not allowed",
                        "type": "invalid_request",
                    }
                },
            ),
            "proxy: model not allowed",
        ),
        (
            httpx.Response(400, text="Bad request: plain words from the proxy"),
            "Bad request: plain words from the proxy",
        ),
        (
            _json(400, [{"error": {"code": 400, "message": "listed error"}}]),
            "listed error",
        ),
        (_json(400, {"message": "bare message"}), "bare message"),
    ],
)
def test_proxy_error_shapes_surface_message(
    response: httpx.Response,
    message: str,
    model: Factory,
) -> None:
    script = Script(response)
    with pytest.raises(GeminiInvalidRequestError) as info:
        model(script).invoke("hi")
    assert message in str(info.value)
    assert info.value.message == message


def test_proxy_type_becomes_status(model: Factory) -> None:
    body = {"error": {"message": "nope", "type": "invalid_request"}}
    with pytest.raises(GeminiAPIError) as info:
        model(Script(_json(400, body))).invoke("hi")
    assert info.value.status == "invalid_request"


def test_plain_text_502_is_retried_and_surfaces(
    sleeps: list[float], model: Factory
) -> None:
    script = Script(
        *[httpx.Response(502, text="<html>Bad Gateway</html>") for _ in range(2)]
    )
    with pytest.raises(GeminiServerError, match="Bad Gateway"):
        model(script, max_retries=1).invoke("hi")
    assert len(script.requests) == 2


def test_max_retries_zero_is_exactly_one_attempt(
    sleeps: list[float], model: Factory
) -> None:
    script = Script(_gemini_error(503, "overloaded", "UNAVAILABLE"), _json(200, OK))
    with pytest.raises(GeminiServerError):
        model(script, max_retries=0).invoke("hi")
    assert len(script.requests) == 1
    assert sleeps == []


def test_stream_max_retries_zero_is_exactly_one_attempt(
    sleeps: list[float], model: Factory
) -> None:
    script = Script(_gemini_error(429, "quota", "RESOURCE_EXHAUSTED"), _sse(EVENTS))
    with pytest.raises(GeminiRateLimitError, match="quota"):
        list(model(script, max_retries=0).stream("hi"))
    assert len(script.requests) == 1


def test_stream_retries_before_first_event(sleeps: list[float], model: Factory) -> None:
    script = Script(_gemini_error(503, "busy", "UNAVAILABLE"), _sse(EVENTS))
    chunks = list(model(script, max_retries=1).stream("hi"))
    assert "".join(str(c.content) for c in chunks) == "hello!"
    assert len(script.requests) == 2


async def test_astream_retries_before_first_event(
    sleeps: list[float], model: Factory
) -> None:
    script = Script(_gemini_error(503, "busy", "UNAVAILABLE"), _sse(EVENTS))
    chunks = [c async for c in model(script, max_retries=1).astream("hi")]
    assert "".join(str(c.content) for c in chunks) == "hello!"
    assert len(script.requests) == 2


def test_request_shape(model: Factory) -> None:
    script = Script(_json(200, OK), _sse(EVENTS))
    llm = model(script, model="gemini-2.5-pro")
    llm.invoke("hi")
    list(llm.stream("hi"))
    unary, stream = script.requests
    assert unary.method == "POST"
    assert (
        str(unary.url)
        == "https://api.cometapi.test/v1beta/models/gemini-2.5-pro:generateContent"
    )
    assert str(stream.url) == (
        "https://api.cometapi.test/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    )
    assert unary.headers["x-goog-api-key"] == KEY
    assert unary.headers["content-type"] == "application/json"
    assert json.loads(unary.content) == {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}]
    }


def test_non_json_200_raises(model: Factory) -> None:
    script = Script(httpx.Response(200, text="<html>proxy login page</html>"))
    with pytest.raises(GeminiResponseError, match="not JSON") as info:
        model(script).invoke("hi")
    assert not isinstance(info.value, GeminiStreamError)  # no stream was involved
    assert isinstance(info.value, ModelAPIError)
    assert len(script.requests) == 1  # an unreadable answer is not retried


def test_json_200_that_is_not_an_object_raises(model: Factory) -> None:
    script = Script(_json(200, ["a", "list"]))
    with pytest.raises(GeminiResponseError, match="not an object"):
        model(script).invoke("hi")


def test_stream_errors_are_response_errors() -> None:
    assert issubclass(GeminiStreamError, GeminiResponseError)


# -- sockets: refused, timeouts, broken streams --------------------------------

ASYNC_PATHS = ["httpx", "aiohttp", "httpx2 client"]


@pytest.fixture(params=ASYNC_PATHS)
def async_path(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The settings that send async calls over each real-socket path."""
    if request.param == "httpx2 client":
        httpx2 = pytest.importorskip("httpx2")
        return {"http_async_client": httpx2.AsyncClient()}
    if request.param == "aiohttp":
        pytest.importorskip("aiohttp")
    return {"async_transport": request.param}


def test_connection_refused_raises_after_retries(sleeps: list[float]) -> None:
    llm = ChatCometGemini(
        api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}", max_retries=2
    )
    with pytest.raises(GeminiConnectionError) as info:
        llm.invoke("hi")
    assert isinstance(info.value, ModelConnectionError)
    assert len(sleeps) == 2  # three attempts


async def test_async_connection_refused_raises_after_retries(
    sleeps: list[float], async_path: dict[str, Any]
) -> None:
    llm = ChatCometGemini(
        api_key=KEY,
        base_url=f"http://127.0.0.1:{free_port()}",
        max_retries=1,
        **async_path,
    )
    with pytest.raises(GeminiConnectionError):
        await llm.ainvoke("hi")
    assert len(sleeps) == 1


def test_stream_connection_refused(sleeps: list[float]) -> None:
    llm = ChatCometGemini(
        api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}", max_retries=1
    )
    with pytest.raises(GeminiConnectionError):
        list(llm.stream("hi"))
    assert len(sleeps) == 1


def test_timeout_fails_fast(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=OK, delay=5))
    llm = ChatCometGemini(
        api_key=KEY, base_url=emulator.url, timeout=0.5, max_retries=2
    )
    start = time.monotonic()
    with pytest.raises(GeminiTimeoutError) as info:
        llm.invoke("hi")
    assert time.monotonic() - start < 3
    assert isinstance(info.value, ModelTimeoutError)
    assert len(emulator.requests) == 1  # a read timeout is not repeated


async def test_async_timeout_fails_fast(
    emulator: GeminiEmulator, async_path: dict[str, Any]
) -> None:
    emulator.queue(Reply(json=OK, delay=5))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url, timeout=0.5, **async_path)
    start = time.monotonic()
    with pytest.raises(GeminiTimeoutError):
        await llm.ainvoke("hi")
    assert time.monotonic() - start < 3


def test_stream_timeout_fails_fast(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(events=EVENTS, delay=5))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(GeminiTimeoutError):
        list(llm.stream("hi"))
    assert time.monotonic() - start < 3


def _stream_bytes(events: list[Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\r\n\r\n" for e in events)


@pytest.mark.unserved_replies
def test_stream_cut_mid_body_raises_without_resending(emulator: GeminiEmulator) -> None:
    full = _stream_bytes(EVENTS)
    emulator.queue(Reply(events=EVENTS, cut_after=len(full) - 20), Reply(events=EVENTS))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url, max_retries=2)
    seen: list[AIMessageChunk] = []
    with pytest.raises(GeminiStreamError):
        for chunk in llm.stream("hi"):
            seen.append(chunk)
    assert "".join(str(c.content) for c in seen) == "hello"
    assert len(emulator.requests) == 1


@pytest.mark.unserved_replies
async def test_astream_cut_mid_body_raises_without_resending(
    emulator: GeminiEmulator, async_path: dict[str, Any]
) -> None:
    full = _stream_bytes(EVENTS)
    emulator.queue(Reply(events=EVENTS, cut_after=len(full) - 20), Reply(events=EVENTS))
    llm = ChatCometGemini(
        api_key=KEY, base_url=emulator.url, max_retries=2, **async_path
    )
    seen: list[AIMessageChunk] = []
    with pytest.raises(GeminiStreamError):
        async for chunk in llm.astream("hi"):
            seen.append(chunk)
    assert "".join(str(c.content) for c in seen) == "hello"
    assert len(emulator.requests) == 1


def test_invoke_with_streaming_cut_raises(emulator: GeminiEmulator) -> None:
    full = _stream_bytes(EVENTS)
    emulator.queue(Reply(events=EVENTS, cut_after=len(full) - 5))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url, streaming=True)
    with pytest.raises(GeminiStreamError):
        llm.invoke("hi")
    assert len(emulator.requests) == 1


def test_sse_without_final_blank_line_raises(emulator: GeminiEmulator) -> None:
    body = _stream_bytes(EVENTS)[: -len(b"\r\n\r\n")]
    emulator.queue(Reply(raw=body, headers={"content-type": "text/event-stream"}))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url)
    with pytest.raises(GeminiStreamError, match="incomplete"):
        list(llm.stream("hi"))
    assert len(emulator.requests) == 1


def test_sse_without_finish_reason_raises(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(events=EVENTS[:2]))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url, max_retries=2)
    with pytest.raises(GeminiStreamError, match="finishReason"):
        list(llm.stream("hi"))
    assert len(emulator.requests) == 1


async def test_asse_without_finish_reason_raises(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(events=EVENTS[:2]))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url)
    with pytest.raises(GeminiStreamError, match="finishReason"):
        _ = [c async for c in llm.astream("hi")]


def test_invalid_json_event_raises(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(events=[EVENTS[0], b"data: {not json\r\n\r\n", EVENTS[2]]))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url, max_retries=2)
    with pytest.raises(GeminiStreamError, match="not valid JSON"):
        list(llm.stream("hi"))
    assert len(emulator.requests) == 1


async def test_async_invalid_json_event_raises(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(events=[b"data: [1,\r\n\r\n"]))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url)
    with pytest.raises(GeminiStreamError, match="not valid JSON"):
        _ = [c async for c in llm.astream("hi")]


def test_event_that_is_not_an_object_raises(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(events=[b"data: [1, 2]\r\n\r\n"]))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url)
    with pytest.raises(GeminiStreamError, match="not a JSON object"):
        list(llm.stream("hi"))


def test_dropped_connection_is_retried(
    emulator: GeminiEmulator, sleeps: list[float]
) -> None:
    emulator.queue(Reply(drop=True), Reply(json=OK))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url, max_retries=1)
    assert llm.invoke("hi").content == "hello"
    assert len(emulator.requests) == 2
