"""Issue 19, calls of several requests: long decode (``CONTINUATION`` answers
followed with ``continuationToken``) and the resend after
``MALFORMED_FUNCTION_CALL``. Each request checked exactly (and against
google-genai's types), each message through invoke, stream and their async
twins, on the emulator's ``Reply.long_decode`` / ``Reply.malformed_call``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import operator
from functools import reduce
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from langchain_cometgemini import ChatCometGemini, GeminiContinuationError
from langchain_cometgemini._hops import sum_usage
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.genai_check import validated
from tests.unit_tests.test_profiles import WEATHER_DECL, get_weather

ARGON = "gemini-4-argon"
ASK = [{"role": "user", "parts": [{"text": "Write it all."}]}]
PIECES = ("Part one. ", "Part two. ", "The end.")


def token(n: int) -> str:
    """The emulator's n-th continuation token (base64, as the service's are)."""
    return base64.b64encode(f"emulator-continuation-{n}".encode()).decode()


def llm(emulator: GeminiEmulator, **settings: Any) -> ChatCometGemini:
    settings.setdefault("model", ARGON)
    return ChatCometGemini(
        base_url=emulator.url, api_key="test", max_retries=0, **settings
    )


def bodies(emulator: GeminiEmulator) -> list[dict[str, Any]]:
    return [validated(r.body) for r in emulator.requests]


def run(model: Any, prompt: Any, how: str, **kwargs: Any) -> AIMessage:
    """The answer through ``how``: invoke, stream, ainvoke or astream."""
    if how == "invoke":
        message: AIMessage = model.invoke(prompt, **kwargs)
        return message
    if how == "ainvoke":
        message = asyncio.run(model.ainvoke(prompt, **kwargs))
        return message
    if how == "stream":
        chunks = list(model.stream(prompt, **kwargs))
    else:

        async def collect() -> list[Any]:
            return [c async for c in model.astream(prompt, **kwargs)]

        chunks = asyncio.run(collect())
    assert [c.chunk_position for c in chunks].count("last") == 1
    summed = reduce(operator.add, chunks)
    return AIMessage(
        content=summed.content,
        tool_calls=summed.tool_calls,
        response_metadata=summed.response_metadata,
        usage_metadata=summed.usage_metadata,
    )


HOW = ["invoke", "stream", "ainvoke", "astream"]


# -- long decode ------------------------------------------------------------------


@pytest.mark.parametrize("how", HOW)
def test_long_decode_is_followed_to_the_end(emulator: GeminiEmulator, how: str) -> None:
    emulator.queue(*Reply.long_decode(*PIECES, usage=(10, 5)))
    message = run(llm(emulator), "Write it all.", how)
    assert bodies(emulator) == [
        {"contents": ASK},
        {"contents": ASK, "continuationToken": token(1)},
        {"contents": ASK, "continuationToken": token(2)},
    ]
    action = "streamGenerateContent" if "stream" in how else "generateContent"
    assert {r.action for r in emulator.requests} == {action}
    assert message.text == "Part one. Part two. The end."
    # Every hop is billed: three prompts of 10 and three outputs of 5.
    assert message.usage_metadata is not None
    assert (
        message.usage_metadata["input_tokens"],
        message.usage_metadata["output_tokens"],
        message.usage_metadata["total_tokens"],
    ) == (30, 15, 45)
    assert message.response_metadata["finish_reason"] == "STOP"
    assert "continuation_token" not in message.response_metadata


def test_the_stream_flows_on_and_ends_once(emulator: GeminiEmulator) -> None:
    emulator.queue(*Reply.long_decode(*PIECES, usage=(10, 5)))
    chunks = list(llm(emulator).stream("Write it all."))
    texts = [c.text for c in chunks if c.text]
    assert "".join(texts) == "Part one. Part two. The end."
    assert len(texts) > 3  # pieces arrive as they stream, hop after hop
    finishes = [c.response_metadata.get("finish_reason") for c in chunks]
    assert [f for f in finishes if f] == ["STOP"]
    assert chunks[-1].chunk_position == "last"


@pytest.mark.parametrize("how", ["invoke", "stream"])
def test_continuation_off_keeps_the_token(emulator: GeminiEmulator, how: str) -> None:
    emulator.queue(*Reply.long_decode(*PIECES[:2]))
    model = llm(emulator, automatic_continuation=False)
    first = run(model, "Write it all.", how)
    assert bodies(emulator) == [{"contents": ASK}]
    assert first.text == "Part one. "
    assert first.response_metadata["finish_reason"] == "CONTINUATION"
    saved = first.response_metadata["continuation_token"]
    assert saved == token(1)
    # Later (a LangGraph checkpoint, say): the same messages and the token.
    rest = run(model, "Write it all.", how, continuation_token=saved)
    assert bodies(emulator)[-1] == {"contents": ASK, "continuationToken": saved}
    assert rest.text == "Part two. "
    assert rest.response_metadata["finish_reason"] == "STOP"


@pytest.mark.unserved_replies  # the second hop is never asked for
def test_continuation_off_per_call(emulator: GeminiEmulator) -> None:
    emulator.queue(*Reply.long_decode(*PIECES[:2]))
    message = llm(emulator).invoke("Write it all.", automatic_continuation=False)
    assert len(emulator.requests) == 1
    assert message.response_metadata["continuation_token"] == token(1)


@pytest.mark.unserved_replies  # the third hop is never asked for
@pytest.mark.parametrize("how", ["invoke", "stream"])
def test_hops_are_bounded(emulator: GeminiEmulator, how: str) -> None:
    emulator.queue(*Reply.long_decode(*PIECES))
    with pytest.raises(GeminiContinuationError, match=r"max_continuations=1\)"):
        run(llm(emulator, max_continuations=1), "Write it all.", how)
    assert len(emulator.requests) == 2


def test_usage_is_summed_as_billed() -> None:
    first = {
        "promptTokenCount": 10,
        "candidatesTokenCount": 5,
        "thoughtsTokenCount": 2,
        "totalTokenCount": 17,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 10}],
        "trafficType": "ON_DEMAND",
    }
    second = {
        "promptTokenCount": 15,
        "candidatesTokenCount": 4,
        "totalTokenCount": 19,
        "promptTokensDetails": [
            {"modality": "TEXT", "tokenCount": 12},
            {"modality": "IMAGE", "tokenCount": 3},
        ],
        "trafficType": "PROVISIONED_THROUGHPUT",
    }
    assert sum_usage(first, second) == {
        "promptTokenCount": 25,
        "candidatesTokenCount": 9,
        "thoughtsTokenCount": 2,
        "totalTokenCount": 36,
        "promptTokensDetails": [
            {"modality": "TEXT", "tokenCount": 22},
            {"modality": "IMAGE", "tokenCount": 3},
        ],
        "trafficType": "PROVISIONED_THROUGHPUT",
    }
    assert sum_usage(None, second) is second


# -- a malformed function call ------------------------------------------------------


TOOLS = [{"functionDeclarations": [WEATHER_DECL]}]
WEATHER_ASK = [{"role": "user", "parts": [{"text": "Weather?"}]}]


@pytest.mark.parametrize("how", HOW)
def test_malformed_call_is_asked_again_validated(
    emulator: GeminiEmulator, how: str
) -> None:
    emulator.queue(
        Reply.malformed_call(), Reply.tool_call("get_weather", {"city": "Paris"})
    )
    model = llm(emulator, model="gemini-3-flash-preview").bind_tools(
        [get_weather], tool_choice="get_weather"
    )
    message = run(model, "Weather?", how)
    assert bodies(emulator) == [
        {
            "contents": WEATHER_ASK,
            "tools": TOOLS,
            "toolConfig": {
                "functionCallingConfig": {
                    "mode": "ANY",
                    "allowedFunctionNames": ["get_weather"],
                }
            },
        },
        {
            "contents": WEATHER_ASK,
            "tools": TOOLS,
            "toolConfig": {
                "functionCallingConfig": {
                    "mode": "VALIDATED",
                    "allowedFunctionNames": ["get_weather"],
                }
            },
        },
    ]
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert message.response_metadata["finish_reason"] == "STOP"
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == 16  # both answers billed


@pytest.mark.parametrize("how", ["invoke", "stream"])
def test_gives_up_with_a_warning(
    emulator: GeminiEmulator, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.queue(Reply.malformed_call(), Reply.malformed_call())
    model = llm(emulator, model="gemini-3-flash-preview").bind_tools([get_weather])
    with caplog.at_level(logging.WARNING, "langchain_cometgemini.chat_models"):
        message = run(model, "Weather?", how)
    assert len(emulator.requests) == 2
    assert bodies(emulator)[1]["toolConfig"] == {
        "functionCallingConfig": {"mode": "VALIDATED"}
    }
    assert message.response_metadata["finish_reason"] == "MALFORMED_FUNCTION_CALL"
    assert message.tool_calls == [] and message.text == ""
    assert any("after 1 resend(s)" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("settings", "tools"),
    [({"malformed_call_retries": 0}, [get_weather]), ({}, [{"google_search": {}}])],
    ids=["turned-off", "no-function-tools"],
)
def test_no_resend(
    emulator: GeminiEmulator, settings: dict[str, Any], tools: list[Any]
) -> None:
    emulator.queue(Reply.malformed_call())
    model = llm(emulator, model="gemini-3-flash-preview", **settings)
    message = model.bind_tools(tools).invoke("Weather?")
    assert len(emulator.requests) == 1
    assert message.response_metadata["finish_reason"] == "MALFORMED_FUNCTION_CALL"


def test_a_continuation_resends_the_request_that_was_answered() -> None:
    """After a VALIDATED resend, each continuation stays VALIDATED; without
    one, it resends the caller's request as it was."""
    from langchain_cometgemini._hops import Hops

    def answer(reason: str, token: str | None = None) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": []}, "finishReason": reason}
        if token:
            candidate["continuationToken"] = token
        return {"candidates": [candidate]}

    asked = {"contents": WEATHER_ASK, "tools": TOOLS, "toolConfig": {"x": 1}}
    validated_ask = {
        **asked,
        "toolConfig": {"x": 1, "functionCallingConfig": {"mode": "VALIDATED"}},
    }
    for malformed, expected in [(True, validated_ask), (False, asked)]:
        hops = Hops(asked, continuation=True, max_continuations=3, malformed_retries=1)
        assert hops.next_body() == asked
        if malformed:
            hops.answer(answer("MALFORMED_FUNCTION_CALL"))
            assert hops.next_body() == validated_ask
        for n in (1, 2):
            hops.answer(answer("CONTINUATION", f"t{n}"))
            assert hops.next_body() == {**expected, "continuationToken": f"t{n}"}
        hops.answer(answer("STOP"))
        assert hops.next_body() is None
        assert asked["toolConfig"] == {"x": 1}  # the caller's request untouched
