"""Bad user input fails early, with a message naming what is wrong.

Settings are checked when the model is built (and per-call overrides when
the call is made); bad messages, tools and oversized inline media are refused
while the request is prepared. In every case the loopback emulator must see
no request at all.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    HumanMessage,
    ToolMessage,
)

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._request import MAX_INLINE_BYTES, build_contents
from langchain_cometgemini.testing import GeminiEmulator

KEY = "validation-test-key"


def _llm(emulator: GeminiEmulator, **kwargs: Any) -> ChatCometGemini:
    return ChatCometGemini(base_url=emulator.url, api_key=KEY, **kwargs)


# -- constructor settings ------

BAD_SETTINGS = [
    ("temperature", {"temperature": 2.5}),
    ("temperature", {"temperature": -0.1}),
    ("top_p", {"top_p": 1.01}),
    ("top_p", {"top_p": -1}),
    ("top_k", {"top_k": 0}),
    ("max_tokens", {"max_tokens": 0}),
    ("n", {"n": 0}),
    ("n", {"n": 9}),
    ("presence_penalty", {"presence_penalty": 3}),
    ("frequency_penalty", {"frequency_penalty": -3}),
    ("logprobs", {"logprobs": 21}),
    ("thinking_budget", {"thinking_budget": -2}),
    ("thinking_level", {"thinking_level": "extreme"}),
    ("reasoning_effort", {"reasoning_effort": "maximum"}),
    ("reasoning_effort", {"reasoning_effort": "HIGH!"}),
    ("response_modalities", {"response_modalities": ["SMELL"]}),
    ("timeout", {"timeout": 0}),
    ("max_retries", {"max_retries": -1}),
    ("safety_settings", {"safety_settings": {"HARM_CATEGORY_NOPE": "BLOCK_NONE"}}),
    ("safety_settings", {"safety_settings": {"hate_speech": "BLOCK_SOMETIMES"}}),
    (
        "safety_settings",
        {"safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT"}]},
    ),
    ("safety_settings", {"safety_settings": "BLOCK_NONE"}),
    ("image_size", {"image_config": {"image_size": "3K"}}),
    ("image_size", {"image_config": {"image_size": "1080p"}}),
    ("image_config", {"image_config": "16:9"}),
    ("thinking_budget", {"thinking_budget": 100, "thinking_level": "low"}),
    ("model_kwargs", {"model_kwargs": {"temperature": 0.5}}),
    ("base_url", {"base_url": "ftp://example.com"}),
]


@pytest.mark.parametrize(("name", "settings"), BAD_SETTINGS)
def test_bad_setting_is_refused_naming_it(
    emulator: GeminiEmulator, name: str, settings: dict[str, Any]
) -> None:
    settings = {"base_url": emulator.url, "api_key": KEY, **settings}
    with pytest.raises(ValueError, match=name):
        ChatCometGemini(**settings)
    assert emulator.requests == []


def test_missing_key_is_refused_naming_it(
    emulator: GeminiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMETAPI_KEY", raising=False)
    with pytest.raises(ValueError, match="COMETAPI_KEY"):
        ChatCometGemini(base_url=emulator.url)


@pytest.mark.parametrize("size", ["1K", "2K", "4K", "2k"])
def test_good_image_sizes_are_accepted(emulator: GeminiEmulator, size: str) -> None:
    _llm(emulator, image_config={"image_size": size, "aspect_ratio": "16:9"})


@pytest.mark.parametrize(
    "settings",
    [
        {"temperature": 0.0, "top_p": 1.0, "top_k": 1},
        {"temperature": 2.0, "top_p": 0.0},
        {"safety_settings": {"hate_speech": "none"}},
        {"reasoning_effort": "minimal"},
        {"thinking_budget": -1},
    ],
)
def test_boundary_settings_are_accepted(
    emulator: GeminiEmulator, settings: dict[str, Any]
) -> None:
    _llm(emulator, **settings)


@pytest.mark.parametrize(
    ("name", "override"),
    [
        ("temperature", {"temperature": 9}),
        ("top_k", {"top_k": -5}),
        ("reasoning_effort", {"reasoning_effort": "lots"}),
        ("safety_settings", {"safety_settings": {"HARM_CATEGORY_X": "OFF"}}),
        ("image_size", {"image_config": {"image_size": "3K"}}),
    ],
)
def test_bad_per_call_override_is_refused_before_sending(
    emulator: GeminiEmulator, name: str, override: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=name):
        _llm(emulator).invoke("hi", **override)
    assert emulator.requests == []


def test_unknown_keyword_is_a_type_error(emulator: GeminiEmulator) -> None:
    with pytest.raises(TypeError, match="temprature"):
        _llm(emulator).invoke("hi", temprature=0)
    assert emulator.requests == []


# -- messages ------


@pytest.mark.parametrize(
    ("match", "messages"),
    [
        ("'hologram'", [HumanMessage([{"type": "hologram", "data": "x"}])]),
        ("no base64 data, url or file_id", [HumanMessage([{"type": "image"}])]),
        (
            "Unsupported media URL",
            [HumanMessage([{"type": "image", "url": "c:/x.png"}])],
        ),
        ("no url", [HumanMessage([{"type": "image_url", "image_url": {}}])]),
        ("banana", [ChatMessage(role="banana", content="hi")]),
        (
            "answers no tool call",
            [HumanMessage("hi"), ToolMessage("42", tool_call_id="t9")],
        ),
        (
            "invalid tool call",
            [
                HumanMessage("hi"),
                AIMessage(
                    "",
                    invalid_tool_calls=[
                        {"name": "f", "args": "{", "id": "1", "error": "bad json"}
                    ],
                ),
                HumanMessage("go on"),
            ],
        ),
    ],
)
@pytest.mark.parametrize("method", ["invoke", "stream"])
def test_bad_message_is_refused_before_sending(
    emulator: GeminiEmulator, match: str, messages: list[Any], method: str
) -> None:
    llm = _llm(emulator)
    with pytest.raises(ValueError, match=match):
        if method == "invoke":
            llm.invoke(messages)
        else:
            list(llm.stream(messages))
    assert emulator.requests == []


async def test_bad_message_is_refused_before_sending_async(
    emulator: GeminiEmulator,
) -> None:
    with pytest.raises(ValueError, match="'hologram'"):
        await _llm(emulator).ainvoke([HumanMessage([{"type": "hologram"}])])
    with pytest.raises(ValueError, match="answers no tool call"):
        async for _ in _llm(emulator).astream([ToolMessage("1", tool_call_id="x")]):
            pass
    assert emulator.requests == []


def test_streaming_several_candidates_is_refused(emulator: GeminiEmulator) -> None:
    with pytest.raises(ValueError, match="n=2"):
        list(_llm(emulator, n=2).stream("hi"))
    assert emulator.requests == []


# -- tools ------


def _fn(name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "description": "d", "parameters": parameters}


@pytest.mark.parametrize(
    ("match", "tools"),
    [
        ("'object'", [_fn("f", {"type": "string"})]),
        ("'object'", [_fn("f", {"type": "array", "items": {"type": "string"}})]),
        ("no 'type'", [{"title": "Loose", "properties": {}}]),
        (
            "Duplicate tool names",
            [
                _fn("f", {"type": "object"}),
                _fn("f", {"type": "object", "required": []}),
            ],
        ),
    ],
)
def test_bad_tools_are_refused_at_bind_time(
    emulator: GeminiEmulator, match: str, tools: list[Any]
) -> None:
    with pytest.raises(ValueError, match=match):
        _llm(emulator).bind_tools(tools)
    assert emulator.requests == []


def test_tool_choice_naming_an_unbound_tool_is_refused(
    emulator: GeminiEmulator,
) -> None:
    with pytest.raises(ValueError, match="nope"):
        _llm(emulator).bind_tools([_fn("f", {"type": "object"})], tool_choice="nope")
    assert emulator.requests == []


# -- inline size limit ------


def test_inline_media_over_the_limit_is_refused_before_sending(
    emulator: GeminiEmulator,
) -> None:
    """Three 7 MB base64 images share one string: ~7 MB allocated, 21 MB sent."""
    blob = "A" * 7_000_000
    block = {"type": "image", "base64": blob, "mime_type": "image/png"}
    for method in ("invoke", "stream"):
        llm = _llm(emulator)
        with pytest.raises(ValueError, match="file URI") as info:
            if method == "invoke":
                llm.invoke([HumanMessage([block, block, block])])
            else:
                list(llm.stream([HumanMessage([block, block, block])]))
        assert "21.0 MB" in str(info.value)
    assert emulator.requests == []


def test_inline_media_limit_counts_the_whole_history() -> None:
    """Two turns each under the limit, together over it."""
    blob = "A" * 10_500_000
    block = {"type": "image", "base64": blob, "mime_type": "image/png"}
    with pytest.raises(ValueError, match="file URI"):
        build_contents(
            [HumanMessage([block]), AIMessage("ok"), HumanMessage([block])],
            model="gemini-2.5-flash",
        )


def test_inline_media_at_the_limit_and_file_uris_pass() -> None:
    blob = "A" * (MAX_INLINE_BYTES // 2)
    block = {"type": "image", "base64": blob, "mime_type": "image/png"}
    uri = {
        "type": "file",
        "file_id": "https://generativelanguage.googleapis.com/v1beta/files/x",
    }
    _, contents = build_contents(
        [HumanMessage([block, block, uri])], model="gemini-2.5-flash"
    )
    assert [list(p) for p in contents[0]["parts"]] == [
        ["inlineData"],
        ["inlineData"],
        ["fileData"],
    ]


# -- transport security ------


def test_plain_http_to_a_remote_host_warns() -> None:
    with pytest.warns(UserWarning, match="plain http"):
        ChatCometGemini(base_url="http://api.example.com", api_key=KEY)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com",
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:9",
    ],
)
def test_https_and_loopback_do_not_warn(url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ChatCometGemini(base_url=url, api_key=KEY)
