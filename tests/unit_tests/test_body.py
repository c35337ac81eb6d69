"""Request bodies with large inline media: same bytes on the wire, a fraction of
the memory.

``encode`` must produce exactly what one ``json.dumps`` would, whether it
returns bytes or pieces; the pieces must survive retries and every entry point;
and sending them must not copy the media whole.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import tracemalloc
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._body import LARGE, Pieces, encode
from langchain_cometgemini.testing import GeminiEmulator, Reply

OK = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [{"text": "a cat"}]},
            "finishReason": "STOP",
        }
    ]
}


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(size: int) -> str:
    return base64.b64encode(os.urandom(size * 3 // 4)).decode()


def _inline(data: str, mime: str = "image/png") -> dict[str, Any]:
    return {"inlineData": {"mimeType": mime, "data": data}}


def _body(*parts: dict[str, Any], system: list[dict[str, Any]] | None = None) -> Any:
    body: dict[str, Any] = {
        "contents": [
            {"role": "user", "parts": [{"text": 'say "what" - é'}, *parts]},
            {"role": "model", "parts": [{"text": "ok"}]},
        ],
        "generationConfig": {"temperature": 0.2},
    }
    if system is not None:
        body["systemInstruction"] = {"parts": system}
    return body


# -- encode (pure) -----------------------------------------------------------------


def test_small_body_is_one_bytes_object() -> None:
    body = _body(_inline(_b64(LARGE // 2)))
    assert encode(body) == _dumps(body)


def test_large_media_goes_in_pieces_with_identical_bytes() -> None:
    first, second, third = _b64(LARGE + 4), _b64(LARGE * 2), _b64(LARGE + 400)
    body = _body(
        _inline(first),
        {"text": "between"},
        _inline(second, "audio/wav"),
        system=[{"text": "sys"}, _inline(third)],
    )
    encoded = encode(body)
    assert isinstance(encoded, Pieces)
    wire = b"".join(encoded)
    assert wire == _dumps(body)
    assert encoded.length == len(wire)
    # Sent in slices, never as one whole copy of a media string.
    assert max(len(piece) for piece in encoded) <= 1 << 18
    # Iterable again (a retry sends the same bytes).
    assert b"".join(encoded) == wire


def test_encode_leaves_the_callers_body_untouched() -> None:
    body = _body(_inline(_b64(LARGE * 2)), system=[_inline(_b64(LARGE))])
    before = copy.deepcopy(body)
    parts = body["contents"][0]["parts"]
    encode(body)
    assert body == before
    assert body["contents"][0]["parts"] is parts


@pytest.mark.parametrize(
    "data",
    [
        "QUJD\n" * (LARGE // 4),  # MIME-style base64 with line breaks
        'AAAA"injected":"x' + "A" * LARGE,  # not base64: would break out of JSON
        "é" * LARGE,
    ],
    ids=["newlines", "quote", "non-ascii"],
)
def test_large_data_that_needs_escaping_is_encoded_normally(data: str) -> None:
    body = _body(_inline(data))
    encoded = encode(body)
    assert encoded == _dumps(body)
    assert json.loads(encoded) == body


def test_user_text_equal_to_the_internal_mark_still_encodes_exactly() -> None:
    from langchain_cometgemini._body import _MARK

    body = _body(_inline(_b64(LARGE * 2)), {"text": _MARK})
    assert encode(body) == _dumps(body)  # falls back to one plain encoding


# -- over HTTP ---------------------------------------------------------------------


def _image_message(data: str) -> list[HumanMessage]:
    return [
        HumanMessage(
            content=[
                {"type": "text", "text": "Describe"},
                {"type": "image", "base64": data, "mime_type": "image/png"},
            ]
        )
    ]


@pytest.mark.parametrize("entry", ["invoke", "stream", "ainvoke", "astream"])
async def test_every_entry_point_sends_large_media_intact(
    emulator: GeminiEmulator,
    entry: str,
) -> None:
    data = _b64(LARGE * 3)
    llm = ChatCometGemini(api_key="k", base_url=emulator.url)
    emulator.queue(
        Reply.text("a cat") if "stream" not in entry else Reply.stream("a", " cat")
    )
    messages = _image_message(data)
    if entry == "invoke":
        text = llm.invoke(messages).text
    elif entry == "ainvoke":
        text = (await llm.ainvoke(messages)).text
    elif entry == "stream":
        text = "".join(chunk.text for chunk in llm.stream(messages))
    else:
        text = "".join([chunk.text async for chunk in llm.astream(messages)])
    assert text == "a cat"
    request = emulator.last_request
    assert request.body["contents"][0]["parts"][1]["inlineData"] == {
        "mimeType": "image/png",
        "data": data,
    }
    # Framed by Content-Length (the emulator, like many proxies, reads no chunks).
    assert "transfer-encoding" not in request.headers
    assert int(request.headers["content-length"]) > len(data)


class _Draining(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A transport that reads bodies piece by piece, as a socket would, keeping
    only their digests (``MockTransport`` would join the pieces first).
    """

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.digests: list[str] = []
        self.lengths: list[str] = []

    def _answer(self, request: httpx.Request, digest: Any) -> httpx.Response:
        self.digests.append(digest.hexdigest())
        self.lengths.append(request.headers["content-length"])
        status = self.statuses.pop(0)
        if status != 200:
            error = {"error": {"code": status, "message": "busy", "status": "X"}}
            return httpx.Response(status, json=error, headers={"retry-after": "0"})
        return httpx.Response(200, json=OK)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        digest = hashlib.sha256()
        for piece in request.stream:  # type: ignore[union-attr]
            digest.update(piece)
        return self._answer(request, digest)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        digest = hashlib.sha256()
        async for piece in request.stream:  # type: ignore[union-attr]
            digest.update(piece)
        return self._answer(request, digest)


def _draining_model(transport: _Draining, **kwargs: Any) -> ChatCometGemini:
    return ChatCometGemini(
        api_key="k",
        base_url="https://api.cometapi.test",
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        **kwargs,
    )


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_a_retry_resends_the_same_pieces(asynchronous: bool) -> None:
    transport = _Draining(503, 200)
    llm = _draining_model(transport, max_retries=1)
    messages = _image_message(_b64(LARGE * 2))
    if asynchronous:
        assert (await llm.ainvoke(messages)).text == "a cat"
    else:
        assert llm.invoke(messages).text == "a cat"
    wire = _dumps(llm._prepare(messages, None, {}, {}).body)
    assert transport.digests == [hashlib.sha256(wire).hexdigest()] * 2
    assert transport.lengths == [str(len(wire))] * 2


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_sending_large_media_does_not_copy_it_whole(asynchronous: bool) -> None:
    llm = _draining_model(_Draining(200))
    data = _b64(8_000_000)
    call = llm._prepare(_image_message(data), None, {}, {})
    tracemalloc.start()
    try:
        if asynchronous:
            await llm.http.apost(call.model, "generateContent", call.body)
        else:
            llm.http.post(call.model, "generateContent", call.body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One whole copy (a JSON str or the bytes of the body) would be >= 1.0.
    assert peak / len(data) < 0.25


# -- UTF-16 surrogates in text from elsewhere ---------------------------------


def _lone_surrogate_history() -> list[Any]:
    from langchain_core.messages import AIMessage

    # An emoji cut in half by another system: the high half stays, alone.
    return [HumanMessage("hi"), AIMessage("cut \ud83d"), HumanMessage("go on")]


@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "stream", "astream"])
async def test_lone_surrogate_is_refused_by_name_before_sending(
    emulator: GeminiEmulator, mode: str
) -> None:
    llm = ChatCometGemini(base_url=emulator.url, api_key="k")
    messages = _lone_surrogate_history()
    with pytest.raises(ValueError, match=r"lone UTF-16 surrogate '\\ud83d'") as err:
        if mode == "invoke":
            llm.invoke(messages)
        elif mode == "ainvoke":
            await llm.ainvoke(messages)
        elif mode == "stream":
            list(llm.stream(messages))
        else:
            [c async for c in llm.astream(messages)]
    assert not isinstance(err.value, UnicodeEncodeError)
    assert "cut" in str(err.value)  # says where
    assert emulator.requests == []


def test_surrogate_pair_held_as_two_characters_is_joined(
    emulator: GeminiEmulator,
) -> None:
    emulator.queue(Reply.text("fine"))
    llm = ChatCometGemini(base_url=emulator.url, api_key="k")
    assert llm.invoke([HumanMessage("smile \ud83d\ude00 please")]).text == "fine"
    (request,) = emulator.requests
    assert request.last_user_text == "smile \U0001f600 please"


def test_large_body_with_a_lone_surrogate_is_refused_too() -> None:
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "x \udc00"},
                    {"inlineData": {"mimeType": "image/png", "data": "A" * LARGE}},
                ],
            }
        ]
    }
    with pytest.raises(ValueError, match="lone UTF-16 surrogate"):
        encode(body)


def test_large_body_with_a_surrogate_pair_is_sent_joined() -> None:
    """The sliced path encodes its JSON text as the one-shot path does."""
    body = {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "smile \ud83d\ude00"},
                    {"inlineData": {"mimeType": "image/png", "data": "A" * LARGE}},
                ],
            }
        ]
    }
    pieces = encode(body)
    assert isinstance(pieces, Pieces)
    sent = b"".join(pieces)
    assert len(sent) == pieces.length
    assert json.loads(sent)["contents"][0]["parts"][0]["text"] == "smile \U0001f600"
