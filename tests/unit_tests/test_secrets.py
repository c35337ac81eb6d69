"""The API key stays secret: never shown, logged, serialised in clear or sent
anywhere but the ``x-goog-api-key`` header of requests to the service; and
models still work after pickling or ``dumps``/``loads``.
"""

from __future__ import annotations

import base64
import logging
import pickle
import traceback
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.load import dumps, loads
from langchain_core.messages import HumanMessage

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._errors import (
    CometGeminiError,
    GeminiConnectionError,
    GeminiPermissionDeniedError,
)
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.raw_http import free_port

pytestmark = pytest.mark.filterwarnings("ignore:The function `loads` is in beta")

KEY = "sk-SECRET-zq8X1vT4-do-not-leak-77"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(32))
OK = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [{"text": "fine"}]},
            "finishReason": "STOP",
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 1,
        "candidatesTokenCount": 1,
        "totalTokenCount": 2,
    },
    "modelVersion": "gemini-2.5-flash",
}


def _llm(emulator: GeminiEmulator, **kwargs: Any) -> ChatCometGemini:
    return ChatCometGemini(api_key=KEY, base_url=emulator.url, **kwargs)


def _assert_key_only_in_header(emulator: GeminiEmulator) -> None:
    assert emulator.requests
    for request in emulator.requests:
        assert request.headers["x-goog-api-key"] == KEY
        assert KEY not in request.path
        others = {k: v for k, v in request.headers.items() if k != "x-goog-api-key"}
        assert KEY not in repr(others)
        assert KEY not in repr(request.body)


# -- display and serialisation ------------------------------------------------------


def test_key_not_in_repr_or_str(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=OK))
    llm = _llm(emulator)
    llm.invoke("hi")  # the HTTP layer now exists and holds the header
    shown = [
        repr(llm),
        str(llm),
        repr(llm.http),
        repr(llm.api_key),
        str(llm.api_key),
        repr(llm.model_dump()),
        llm.model_dump_json(),
        repr(llm._identifying_params),
        repr(llm._get_ls_params()),
        repr(llm.bind(temperature=0)),
    ]
    for text in shown:
        assert KEY not in text


def test_dumps_keeps_key_out() -> None:
    llm = ChatCometGemini(api_key=KEY, temperature=0.5)
    for text in (dumps(llm), dumps(llm, pretty=True), dumps(llm.bind(top_k=2))):
        assert KEY not in text
        assert "COMETAPI_KEY" in text  # a reference to the secret, not its value


# -- errors ---------------------------------------------------------------------------


def _leaks(exc: BaseException) -> list[str]:
    texts = [
        str(exc),
        repr(exc),
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        repr(vars(exc)),
        repr(exc.args),
    ]
    return [t for t in texts if KEY in t]


def test_http_error_does_not_carry_key(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.error(403, "Permission denied on resource project"))
    with pytest.raises(GeminiPermissionDeniedError) as info:
        _llm(emulator).invoke("hi")
    assert _leaks(info.value) == []


def test_stream_error_does_not_carry_key(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.error(400, "Invalid argument"))
    with pytest.raises(CometGeminiError) as info:
        list(_llm(emulator).stream("hi"))
    assert _leaks(info.value) == []


def test_connection_error_does_not_carry_key(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = ChatCometGemini(
        api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}", max_retries=0
    )
    with pytest.raises(GeminiConnectionError) as info:
        llm.invoke("hi")
    assert _leaks(info.value) == []


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture everything at DEBUG, the HTTP libraries' loggers included."""
    with caplog.at_level(logging.DEBUG):
        for name in ("httpx", "httpcore", "langchain_cometgemini"):
            caplog.set_level(logging.DEBUG, logger=name)
        yield caplog


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    handler = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = []
    for record in caplog.records:
        lines.append(handler.format(record))
        lines.append(repr(record.args))
        lines.append(repr(vars(record)))
    return "\n".join(lines)


def test_retried_call_logs_and_warns_without_key(
    emulator: GeminiEmulator, debug_logs: pytest.LogCaptureFixture
) -> None:
    emulator.queue(
        Reply.rate_limited(0), Reply.error(503, "busy", retry_after=0), Reply(json=OK)
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _llm(emulator, max_retries=2).invoke("hi")
        list(_llm(emulator).stream("again"))
    assert result.content == "fine"
    assert len(emulator.requests) == 4
    text = _log_text(debug_logs)
    assert "httpcore" in text and "Retrying" in text  # the loggers really were captured
    assert ":generateContent: HTTP 429" in text  # our own request log, too
    assert KEY not in text
    assert all(KEY not in str(w.message) for w in caught)
    _assert_key_only_in_header(emulator)


def test_http_base_url_warning_has_no_key() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ChatCometGemini(api_key=KEY, base_url="http://proxy.example.test")
    assert caught, "plain-http base_url should warn"
    assert all(KEY not in str(w.message) for w in caught)


@pytest.mark.parametrize(
    "bad",
    [
        {"base_url": "ftp://x"},
        {"thinking_budget": 10, "thinking_level": "low"},
        {"temperature": 9},
        {"default_headers": {"authorization": 5}},
    ],
)
def test_validation_errors_do_not_carry_key(bad: dict[str, Any]) -> None:
    """pydantic prints the input of a failed validation; the key is in it."""
    with pytest.raises(ValueError) as caught:
        ChatCometGemini(api_key=KEY, **bad)
    shown = "".join(traceback.format_exception(caught.value))
    # pydantic shortens long values in the middle: look for any piece.
    for piece in (KEY, KEY[:10], KEY[-10:], "zq8X1vT4"):
        assert piece not in shown


# -- transport -------------------------------------------------------------------------


def test_key_travels_only_in_header(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=OK), Reply(json=OK))
    llm = _llm(emulator)
    llm.invoke("hi")
    list(llm.stream("hi"))
    assert [r.action for r in emulator.requests] == [
        "generateContent",
        "streamGenerateContent",
    ]
    _assert_key_only_in_header(emulator)
    assert "key=" not in emulator.requests[0].path
    assert "authorization" not in emulator.requests[0].headers


def test_media_downloaded_without_our_key(emulator: GeminiEmulator) -> None:
    url = emulator.add_media("cat.png", PNG, "image/png")
    emulator.queue(Reply(json=OK))
    message = HumanMessage(
        content=[{"type": "text", "text": "what is it?"}, {"type": "image", "url": url}]
    )
    llm = _llm(emulator, allow_private_media_urls=True)  # a loopback media host
    assert llm.invoke([message]).content == "fine"
    (get,) = emulator.media_requests
    assert get.path == "/cat.png"
    assert "x-goog-api-key" not in get.headers
    assert "authorization" not in get.headers
    assert KEY not in repr(get.headers)
    sent = emulator.requests[0].body["contents"][0]["parts"][1]
    assert sent == {
        "inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}
    }


async def test_media_downloaded_without_our_key_async(emulator: GeminiEmulator) -> None:
    url = emulator.add_media("pic", PNG, "image/png")
    emulator.queue(Reply(json=OK))
    message = HumanMessage(content=[{"type": "image_url", "image_url": {"url": url}}])
    llm = _llm(emulator, allow_private_media_urls=True)  # a loopback media host
    assert (await llm.ainvoke([message])).content == "fine"
    (get,) = emulator.media_requests
    assert "x-goog-api-key" not in get.headers
    assert emulator.requests[0].body["contents"][0]["parts"][0]["inlineData"][
        "mimeType"
    ] == ("image/png")


def test_media_404_fails_before_model_call(emulator: GeminiEmulator) -> None:
    message = HumanMessage(
        content=[{"type": "image", "url": emulator.url + "/missing.png"}]
    )
    with pytest.raises(ValueError, match="404") as info:
        _llm(emulator, allow_private_media_urls=True).invoke([message])
    assert KEY not in str(info.value)
    assert emulator.requests == []


# -- pickling and load/dumps --------------------------------------------------------


def test_pickle_round_trip_then_invoke(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=OK), Reply(json=OK))
    llm = _llm(emulator, temperature=0.25)
    llm.invoke("warm up")  # create the pooled client first: it must not be pickled
    clone = pickle.loads(pickle.dumps(llm))
    assert clone.temperature == 0.25
    assert clone.invoke("hi").content == "fine"
    assert clone.http is not llm.http
    assert emulator.requests[1].body["generationConfig"]["temperature"] == 0.25
    _assert_key_only_in_header(emulator)


def test_dumps_loads_with_secrets_map(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=OK))
    text = dumps(_llm(emulator, temperature=0.1, model="gemini-2.5-pro"))
    clone = loads(
        text,
        secrets_map={"COMETAPI_KEY": KEY},
        valid_namespaces=["langchain_cometgemini"],
        allowed_objects=[ChatCometGemini],
    )
    assert isinstance(clone, ChatCometGemini)
    assert clone.invoke("hi").content == "fine"
    (request,) = emulator.requests
    assert request.model == "gemini-2.5-pro"
    assert request.body["generationConfig"]["temperature"] == 0.1
    _assert_key_only_in_header(emulator)


def test_dumps_loads_with_secrets_from_env(
    emulator: GeminiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.queue(Reply(json=OK))
    text = dumps(_llm(emulator))
    monkeypatch.setenv("COMETAPI_KEY", KEY)
    clone = loads(
        text,
        secrets_from_env=True,
        valid_namespaces=["langchain_cometgemini"],
        allowed_objects=[ChatCometGemini],
    )
    assert clone.invoke("hi").content == "fine"
    _assert_key_only_in_header(emulator)
