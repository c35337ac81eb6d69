"""``build_contents``: LangChain messages -> ``systemInstruction`` + ``contents``.

Pure conversion, no I/O; one test checks that an unsupported block is
rejected before anything reaches the wire.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._request import build_contents, media_urls
from langchain_cometgemini.testing import GeminiEmulator

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PNG_B64 = base64.b64encode(PNG).decode()
PDF_B64 = base64.b64encode(b"%PDF-1.4 minimal").decode()


def _build(
    messages: list[BaseMessage],
    media: dict[str, tuple[bytes, str | None]] | None = None,
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    return build_contents(messages, model="gemini-2.5-flash", media=media)


def _parts(
    block: dict[str, Any], **media: tuple[bytes, str | None]
) -> list[dict[str, Any]]:
    """Parts of a single human message holding ``block``."""
    _, contents = _build([HumanMessage(content=[block])], media=dict(media) or None)
    assert len(contents) == 1
    return list(contents[0]["parts"])


# -- system and roles ----------------------------------------------------------


def test_all_system_messages_join_system_instruction_in_order() -> None:
    system, contents = _build(
        [
            SystemMessage("first"),
            HumanMessage("q1"),
            AIMessage("a1"),
            SystemMessage(content=[{"type": "text", "text": "second"}]),
            HumanMessage("q2"),
            SystemMessage("third"),
        ]
    )
    assert system == {
        "parts": [{"text": "first"}, {"text": "second"}, {"text": "third"}]
    }
    assert contents == [
        {"role": "user", "parts": [{"text": "q1"}]},
        {"role": "model", "parts": [{"text": "a1"}]},
        {"role": "user", "parts": [{"text": "q2"}]},
    ]


def test_no_system_message_gives_none() -> None:
    system, _ = _build([HumanMessage("hi")])
    assert system is None


def test_consecutive_same_role_turns_are_merged() -> None:
    _, contents = _build(
        [
            HumanMessage("a"),
            HumanMessage("b"),
            SystemMessage("s"),  # does not break the run of user turns
            HumanMessage("c"),
            AIMessage("x"),
            AIMessage("y"),
        ]
    )
    assert contents == [
        {"role": "user", "parts": [{"text": "a"}, {"text": "b"}, {"text": "c"}]},
        {"role": "model", "parts": [{"text": "x"}, {"text": "y"}]},
    ]


def test_tool_messages_of_one_step_form_one_user_turn() -> None:
    ai = AIMessage(
        "",
        tool_calls=[
            {"name": "add", "args": {"a": 1}, "id": "c1"},
            {"name": "mul", "args": {"a": 2}, "id": "c2"},
        ],
    )
    _, contents = _build(
        [
            HumanMessage("go"),
            ai,
            ToolMessage('{"sum": 3}', tool_call_id="c1"),
            ToolMessage("4", tool_call_id="c2"),
        ]
    )
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[1]["parts"] == [
        {"functionCall": {"name": "add", "args": {"a": 1}, "id": "c1"}},
        {"functionCall": {"name": "mul", "args": {"a": 2}, "id": "c2"}},
    ]
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "add", "response": {"sum": 3}, "id": "c1"}},
        {"functionResponse": {"name": "mul", "response": {"output": "4"}, "id": "c2"}},
    ]


# -- human content blocks -----------------------------------------------------


def test_text_block() -> None:
    assert _parts({"type": "text", "text": "hello"}) == [{"text": "hello"}]


@pytest.mark.parametrize(
    ("kind", "mime"),
    [
        ("image", "image/png"),
        ("audio", "audio/wav"),
        ("video", "video/mp4"),
        ("file", "application/pdf"),
    ],
)
def test_v1_base64_blocks(kind: str, mime: str) -> None:
    block = {"type": kind, "base64": "QUJD", "mime_type": mime}
    assert _parts(block) == [{"inlineData": {"mimeType": mime, "data": "QUJD"}}]


def test_v1_image_without_mime_is_sniffed() -> None:
    assert _parts({"type": "image", "base64": PNG_B64}) == [
        {"inlineData": {"mimeType": "image/png", "data": PNG_B64}}
    ]


def test_pdf_file_block_base64() -> None:
    block = {"type": "file", "base64": PDF_B64, "mime_type": "application/pdf"}
    assert _parts(block) == [
        {"inlineData": {"mimeType": "application/pdf", "data": PDF_B64}}
    ]


def test_pdf_sniffed_from_bytes() -> None:
    assert _parts({"type": "file", "base64": PDF_B64}) == [
        {"inlineData": {"mimeType": "application/pdf", "data": PDF_B64}}
    ]


def test_legacy_source_type_base64() -> None:
    block = {
        "type": "image",
        "source_type": "base64",
        "data": "QUJD",
        "mime_type": "image/jpeg",
    }
    assert _parts(block) == [{"inlineData": {"mimeType": "image/jpeg", "data": "QUJD"}}]


def test_http_url_uses_downloaded_media() -> None:
    url = "https://example.test/cat.png"
    block = {"type": "image", "url": url}
    assert media_urls([HumanMessage(content=[block])]) == [url]
    parts = _parts(block, **{url: (PNG, "image/png")})
    assert parts == [{"inlineData": {"mimeType": "image/png", "data": PNG_B64}}]


def test_http_url_not_downloaded_raises() -> None:
    with pytest.raises(ValueError, match="not downloaded"):
        _parts({"type": "image", "url": "https://example.test/cat.png"})


def test_gs_url_becomes_file_data() -> None:
    block = {
        "type": "file",
        "url": "gs://bucket/doc.pdf",
        "mime_type": "application/pdf",
    }
    assert media_urls([HumanMessage(content=[block])]) == []
    assert _parts(block) == [
        {"fileData": {"fileUri": "gs://bucket/doc.pdf", "mimeType": "application/pdf"}}
    ]


def test_gs_url_mime_guessed_from_name() -> None:
    assert _parts({"type": "video", "url": "gs://b/clip.mp4"}) == [
        {"fileData": {"fileUri": "gs://b/clip.mp4", "mimeType": "video/mp4"}}
    ]


def test_file_id_becomes_file_data() -> None:
    uri = "https://generativelanguage.googleapis.com/v1beta/files/abc123"
    block = {"type": "file", "file_id": uri, "mime_type": "application/pdf"}
    assert media_urls([HumanMessage(content=[block])]) == []
    assert _parts(block) == [
        {"fileData": {"fileUri": uri, "mimeType": "application/pdf"}}
    ]


def test_openai_image_url_data_uri() -> None:
    block = {
        "type": "image_url",
        "image_url": {"url": f"data:image/jpeg;base64,{PNG_B64}"},
    }
    assert _parts(block) == [
        {"inlineData": {"mimeType": "image/jpeg", "data": PNG_B64}}
    ]


def test_openai_image_url_http_downloaded() -> None:
    url = "http://127.0.0.1:9/pic"
    block = {"type": "image_url", "image_url": {"url": url}}
    assert media_urls([HumanMessage(content=[block])]) == [url]
    # The server's content type wins over a nameless URL.
    parts = _parts(block, **{url: (b"GIF89a....", "image/gif")})
    assert parts == [
        {
            "inlineData": {
                "mimeType": "image/gif",
                "data": base64.b64encode(b"GIF89a....").decode(),
            }
        }
    ]


def test_openai_image_url_string_form() -> None:
    block = {"type": "image_url", "image_url": f"data:image/png;base64,{PNG_B64}"}
    assert _parts(block) == [{"inlineData": {"mimeType": "image/png", "data": PNG_B64}}]


def test_mixed_blocks_keep_order() -> None:
    parts = _parts_many(
        [
            {"type": "text", "text": "look:"},
            {"type": "image", "base64": "QUJD", "mime_type": "image/png"},
            "and",
        ]
    )
    assert parts == [
        {"text": "look:"},
        {"inlineData": {"mimeType": "image/png", "data": "QUJD"}},
        {"text": "and"},
    ]


def _parts_many(blocks: list[Any]) -> list[dict[str, Any]]:
    _, contents = _build([HumanMessage(content=blocks)])
    return list(contents[0]["parts"])


def test_media_urls_deduplicated_and_skip_data_uris() -> None:
    url = "https://example.test/a.png"
    messages: list[BaseMessage] = [
        HumanMessage(content=[{"type": "image", "url": url}]),
        HumanMessage(
            content=[
                {"type": "image_url", "image_url": {"url": url}},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,QUJD"},
                },
            ]
        ),
    ]
    assert media_urls(messages) == [url]


@pytest.mark.parametrize("btype", ["audio_url", "input_audio", "made_up_block"])
def test_unsupported_block_type_raises_naming_it(btype: str) -> None:
    with pytest.raises(ValueError, match=btype):
        _parts({"type": btype, "data": "x"})


def test_unsupported_block_sends_nothing(emulator: GeminiEmulator) -> None:
    llm = ChatCometGemini(api_key="k", base_url=emulator.url)
    message = HumanMessage(
        content=[{"type": "text", "text": "hi"}, {"type": "hologram"}]
    )
    with pytest.raises(ValueError, match="hologram"):
        llm.invoke([message])
    with pytest.raises(ValueError, match="hologram"):
        list(llm.stream([message]))
    assert emulator.requests == []


async def test_unsupported_block_sends_nothing_async(emulator: GeminiEmulator) -> None:
    llm = ChatCometGemini(api_key="k", base_url=emulator.url)
    message = HumanMessage(content=[{"type": "hologram"}])
    with pytest.raises(ValueError, match="hologram"):
        await llm.ainvoke([message])
    assert emulator.requests == []


def test_media_block_without_source_raises() -> None:
    with pytest.raises(ValueError, match="'image'"):
        _parts({"type": "image", "mime_type": "image/png"})
