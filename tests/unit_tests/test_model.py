"""``ChatCometGemini`` as a LangChain model: validation, per-call overrides,
streaming switch, batching and client reuse (against the loopback emulator).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from pydantic import ValidationError

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, Reply

KEY = "sk-model-test-key-1207"


def _ok(text: str = "hello", model: str = "gemini-2.5-flash") -> dict[str, Any]:
    body: dict[str, Any] = Reply.text(text, model=model, usage=(2, 1)).json
    return body


def _llm(emulator: GeminiEmulator, **kwargs: Any) -> ChatCometGemini:
    return ChatCometGemini(api_key=KEY, base_url=emulator.url, **kwargs)


# -- validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"temperature": 5}, "temperature"),
        ({"top_p": 2}, "top_p"),
        ({"max_retries": -1}, "max_retries"),
        ({"n": 0}, "n"),
        ({"top_k": 0}, "top_k"),
        ({"timeout": 0}, "timeout"),
        (
            {"safety_settings": {"HARM_CATEGORY_NOPE": "BLOCK_NONE"}},
            "HARM_CATEGORY_NOPE",
        ),
        ({"base_url": "ftp://x"}, "base_url"),
    ],
)
def test_invalid_constructor_values_name_the_field(
    kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        ChatCometGemini(api_key=KEY, **kwargs)
    assert field in str(info.value)


def test_missing_key_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMETAPI_KEY", raising=False)
    with pytest.raises(ValidationError, match="api_key"):
        ChatCometGemini()


def test_key_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMETAPI_KEY", KEY)
    monkeypatch.setenv("COMETAPI_BASE_URL", "https://proxy.example.test")
    llm = ChatCometGemini()
    assert llm.api_key is not None and llm.api_key.get_secret_value() == KEY
    assert llm.base_url == "https://proxy.example.test"


def test_plain_http_remote_base_url_warns() -> None:
    with pytest.warns(UserWarning, match="unencrypted"):
        ChatCometGemini(api_key=KEY, base_url="http://proxy.example.test")


def test_invalid_per_call_value_fails_before_sending(emulator: GeminiEmulator) -> None:
    with pytest.raises(ValidationError, match="temperature"):
        _llm(emulator).invoke("hi", temperature=9)
    assert emulator.requests == []


# -- per-call overrides -----------------------------------------------------------


def test_per_call_overrides_apply_to_that_request_only(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply(json=_ok(model="gemini-2.5-pro")), Reply(json=_ok()))
    llm = _llm(emulator, temperature=0.7, max_tokens=50)
    first = llm.invoke("hi", model="gemini-2.5-pro", temperature=0, stop=["x"])
    llm.invoke("hi")
    one, two = emulator.requests
    assert one.model == "gemini-2.5-pro"
    assert one.body["generationConfig"]["temperature"] == 0
    assert one.body["generationConfig"]["stopSequences"] == ["x"]
    assert one.body["generationConfig"]["maxOutputTokens"] == 50
    assert first.response_metadata["model_name"] == "gemini-2.5-pro"
    assert two.model == "gemini-2.5-flash"
    assert two.body["generationConfig"]["temperature"] == 0.7
    assert "stopSequences" not in two.body["generationConfig"]
    assert llm.model == "gemini-2.5-flash" and llm.temperature == 0.7


def test_per_call_override_in_stream(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.stream("a", "b"))
    chunks = list(_llm(emulator).stream("hi", model="gemini-3-flash-preview", seed=7))
    assert "".join(str(c.content) for c in chunks) == "ab"
    (request,) = emulator.requests
    assert request.action == "streamGenerateContent"
    assert request.model == "gemini-3-flash-preview"
    assert request.body["generationConfig"]["seed"] == 7


def test_bound_overrides(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=_ok()))
    _llm(emulator).bind(top_k=3).invoke("hi")
    assert emulator.requests[0].body["generationConfig"]["topK"] == 3


def test_ls_params_report_model() -> None:
    llm = ChatCometGemini(api_key=KEY, temperature=0.2)
    assert llm._get_ls_params()["ls_model_name"] == "gemini-2.5-flash"
    params = llm._get_ls_params(model="gemini-2.5-pro", temperature=0)
    assert params["ls_model_name"] == "gemini-2.5-pro"
    assert params["ls_temperature"] == 0
    assert params["ls_provider"] == "cometapi"


def test_unknown_kwarg_raises_type_error(emulator: GeminiEmulator) -> None:
    with pytest.raises(TypeError, match="tempurature"):
        _llm(emulator).invoke("hi", tempurature=0)
    assert emulator.requests == []


async def test_unknown_kwarg_raises_type_error_async(emulator: GeminiEmulator) -> None:
    with pytest.raises(TypeError, match="bogus"):
        await _llm(emulator).ainvoke("hi", bogus=1)
    assert emulator.requests == []


# -- streaming switch, batch -------------------------------------------------------


def test_streaming_true_makes_invoke_stream(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.stream("Hel", "lo"))
    tokens: list[str] = []

    from langchain_core.callbacks import BaseCallbackHandler

    class Tokens(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            tokens.append(token)

    message = _llm(emulator, streaming=True).invoke(
        "hi", config={"callbacks": [Tokens()]}
    )
    assert message.content == "Hello"
    assert emulator.requests[0].action == "streamGenerateContent"
    assert tokens[:2] == ["Hel", "lo"]


async def test_streaming_true_makes_ainvoke_stream(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply.stream("Hel", "lo"))
    message = await _llm(emulator, streaming=True).ainvoke("hi")
    assert message.content == "Hello"
    assert emulator.requests[0].action == "streamGenerateContent"


def _echo(request: Any) -> Reply:
    """Answer with the prompt text, so batch outputs can be matched to inputs."""
    text = request.body["contents"][-1]["parts"][0]["text"]
    return Reply(json=_ok(f"echo:{text}"))


def test_batch() -> None:
    with GeminiEmulator(responder=_echo) as emulator:
        out = _llm(emulator).batch(["a", "b", "c"])
        assert [m.content for m in out] == ["echo:a", "echo:b", "echo:c"]
        assert len(emulator.requests) == 3


async def test_abatch() -> None:
    with GeminiEmulator(responder=_echo) as emulator:
        out = await _llm(emulator).abatch(["a", "b", "c"])
        assert [m.content for m in out] == ["echo:a", "echo:b", "echo:c"]


def test_n_candidates_give_generations(emulator: GeminiEmulator) -> None:
    body = _ok("one")
    body["candidates"].append(
        {
            "content": {"role": "model", "parts": [{"text": "two"}]},
            "finishReason": "STOP",
            "index": 1,
        }
    )
    emulator.queue(Reply(json=body))
    result = _llm(emulator, n=2).generate([[HumanMessage("hi")]])
    assert [g.text for g in result.generations[0]] == ["one", "two"]
    assert emulator.requests[0].body["generationConfig"]["candidateCount"] == 2


def test_stream_with_n_above_one_raises(emulator: GeminiEmulator) -> None:
    with pytest.raises(ValueError, match="n=2"):
        list(_llm(emulator, n=2).stream("hi"))
    assert emulator.requests == []


# -- client reuse ------------------------------------------------------------------


def test_sync_client_created_once_and_reused(emulator: GeminiEmulator) -> None:
    emulator.queue(Reply(json=_ok()), Reply(json=_ok()), Reply.stream("x"))
    llm = _llm(emulator)
    llm.invoke("a")
    client = llm.http.sync_client()
    llm.invoke("b")
    list(llm.stream("c"))
    assert llm.http.sync_client() is client
    assert not client.is_closed


def test_async_client_per_event_loop(emulator: GeminiEmulator) -> None:
    emulator.queue(*[Reply(json=_ok()) for _ in range(3)])
    llm = _llm(emulator)

    async def call_twice() -> tuple[object, object]:
        await llm.ainvoke("a")
        first = llm.http.async_client()
        await llm.ainvoke("b")
        return first, llm.http.async_client()

    async def call_once() -> object:
        await llm.ainvoke("c")
        return llm.http.async_client()

    first, second = asyncio.run(call_twice())
    assert first is second  # reused within one loop
    third = asyncio.run(call_once())
    assert third is not first  # a new loop gets its own client
    assert len(emulator.requests) == 3


def test_injected_clients_are_used() -> None:
    import httpx

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_ok())

    client = httpx.Client(transport=httpx.MockTransport(handler))
    llm = ChatCometGemini(api_key=KEY, http_client=client)
    assert llm.invoke("hi").content == "hello"
    assert llm.http.sync_client() is client
    assert len(seen) == 1
