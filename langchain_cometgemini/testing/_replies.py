"""Scripted answers: :class:`Reply` and the responses it builds."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from langchain_cometgemini.testing._streams import _merge, _split

MODEL = "gemini-2.5-flash"
# A 1x1 transparent PNG: the smallest image every decoder accepts.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="
)
_SIGNATURE = base64.b64encode(b"emulator-thought-signature").decode()
PCM_MIME = "audio/L16;codec=pcm;rate=24000"
"""What Gemini's speech models answer with: raw 16-bit PCM, 24 kHz, mono."""
# 0.1 s of a quiet 440 Hz square wave, 16-bit little-endian mono at 24 kHz.
PCM_TONE = b"".join(
    (800 if (i // 27) % 2 else -800).to_bytes(2, "little", signed=True)
    for i in range(2400)
)
_ERROR_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _one_part_events(
    whole: Mapping[str, Any], parts: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``whole`` streamed as one event per part; only the last one finishes."""
    events = []
    for i, part in enumerate(parts):
        event = json.loads(json.dumps(whole))
        candidate = event["candidates"][0]
        candidate["content"]["parts"] = [part]
        if i < len(parts) - 1:
            del candidate["finishReason"]
        events.append(event)
    return events


_CHARS_PER_TOKEN = 4
"""The emulator's token estimate: four characters a token."""


def _tokens(text: str) -> int:
    """Rough token estimate (:data:`_CHARS_PER_TOKEN`), at least 1 for any text."""
    return max(1, (len(text) + _CHARS_PER_TOKEN - 1) // _CHARS_PER_TOKEN) if text else 0


def _usage(
    prompt: int, output: int, thoughts: int = 0, **details: Any
) -> dict[str, Any]:
    """``usageMetadata`` for these token counts; ``details``: per-modality
    lists (``promptTokensDetails=...``) placed before ``thoughtsTokenCount``.
    """
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": output,
        "totalTokenCount": prompt + output + thoughts,
        **details,
    }
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


def _response(
    parts: list[dict[str, Any]],
    *,
    model: str = MODEL,
    finish_reason: str = "STOP",
    usage: tuple[int, int] | tuple[int, int, int] | None = None,
    **candidate_extra: Any,
) -> dict[str, Any]:
    """A ``GenerateContentResponse`` with one candidate holding ``parts``."""
    if usage is None:
        out = sum(_tokens(p.get("text", "")) for p in parts if not p.get("thought"))
        thoughts = sum(_tokens(p.get("text", "")) for p in parts if p.get("thought"))
        usage = (8, max(out, 1), thoughts)
    candidate = {
        "content": {"role": "model", "parts": parts},
        "finishReason": finish_reason,
        "index": 0,
        **candidate_extra,
    }
    return {
        "candidates": [candidate],
        "usageMetadata": _usage(*usage),
        "modelVersion": model,
        "responseId": f"emulator-{uuid.uuid4().hex[:16]}",
    }


@dataclass
class Reply:
    """One scripted answer.

    ``json`` is a unary body (a ``GenerateContentResponse`` is split into
    several events when the request streams), ``events`` a stream (each a
    JSON object or raw ``bytes``; merged into one body for a unary request),
    ``raw`` bytes sent as they are. Faults: ``delay`` before answering,
    ``event_delay`` between stream events, ``drop`` closes the connection
    without an answer, ``cut_after`` ends the body after that many bytes,
    ``cut_event`` sends half of that stream event and closes the connection.
    """

    status: int = 200
    json: Any = None
    events: list[Any] | None = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    event_delay: float = 0.0
    drop: bool = False
    cut_after: int | None = None
    cut_event: int | None = None
    chunks: int = 3
    echo_model: bool = False
    """Answer as the model the request names (helpers given no ``model=``)."""

    # -- answers -------------------------------------------------------------

    @classmethod
    def parts(cls, parts: Sequence[Mapping[str, Any]], **options: Any) -> Reply:
        """An answer made of raw Gemini ``parts``; options as for :meth:`text`."""
        chunks = options.pop("chunks", 3)
        return cls(
            json=_response([dict(p) for p in parts], **options),
            chunks=chunks,
            echo_model="model" not in options,
        )

    @classmethod
    def text(cls, text: str, *, signature: str | None = None, **options: Any) -> Reply:
        """A text answer; streamed as ``chunks`` events (default 3).

        Options: ``model``, ``finish_reason``, ``usage=(prompt, output[,
        thoughts])``, ``chunks``.
        """
        part: dict[str, Any] = {"text": text}
        if signature:
            part["thoughtSignature"] = signature
        return cls.parts([part], **options)

    @classmethod
    def stream(cls, *pieces: str, **options: Any) -> Reply:
        """Streamed text, one event per piece exactly as given."""
        whole = cls.text("".join(pieces), **options).json
        events = _one_part_events(whole, [{"text": piece} for piece in pieces])
        return cls(events=events, echo_model="model" not in options)

    @classmethod
    def tool_call(
        cls,
        name: str,
        args: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        signature: str | None = _SIGNATURE,
        **options: Any,
    ) -> Reply:
        """One function call, carrying a thought signature as Gemini 3 sends."""
        return cls.tool_calls((name, args or {}, id), signature=signature, **options)

    @classmethod
    def tool_calls(
        cls,
        *calls: tuple[str, Mapping[str, Any]]
        | tuple[str, Mapping[str, Any], str | None],
        signature: str | None = _SIGNATURE,
        text: str | None = None,
        **options: Any,
    ) -> Reply:
        """Parallel function calls ``(name, args[, id])``; only the first is signed."""
        parts: list[dict[str, Any]] = [{"text": text}] if text else []
        for i, call in enumerate(calls):
            fc: dict[str, Any] = {"name": call[0], "args": dict(call[1])}
            if len(call) > 2 and call[2]:
                fc["id"] = call[2]
            part: dict[str, Any] = {"functionCall": fc}
            if signature and i == 0:
                part["thoughtSignature"] = signature
            parts.append(part)
        return cls.parts(parts, **options)

    @classmethod
    def thought(
        cls,
        thought: str,
        text: str,
        *,
        signature: str | None = _SIGNATURE,
        **options: Any,
    ) -> Reply:
        """A thought summary (``thought: true``) followed by the answer."""
        answer: dict[str, Any] = {"text": text}
        if signature:
            answer["thoughtSignature"] = signature
        return cls.parts([{"text": thought, "thought": True}, answer], **options)

    @classmethod
    def image(
        cls,
        data: bytes = PNG_1X1,
        *,
        mime_type: str = "image/png",
        text: str | None = None,
        **options: Any,
    ) -> Reply:
        """An image answer (``inlineData``), optionally after some text."""
        parts: list[dict[str, Any]] = [{"text": text}] if text else []
        parts.append({"inlineData": {"mimeType": mime_type, "data": _b64(data)}})
        return cls.parts(parts, **options)

    @classmethod
    def audio(
        cls,
        data: bytes = PCM_TONE,
        *,
        mime_type: str = PCM_MIME,
        pieces: int = 3,
        **options: Any,
    ) -> Reply:
        """A speech answer (``inlineData`` of ``mime_type``, raw PCM by default).

        Unary: one part holding the whole clip. Streamed: ``pieces`` events,
        each a part with its own base64 (as the service streams speech); the
        cuts fall on multiples of 3 bytes except the last, so the pieces'
        base64 can be joined, as the service's are in practice.
        """
        whole = cls.parts(
            [{"inlineData": {"mimeType": mime_type, "data": _b64(data)}}],
            usage=options.pop("usage", (8, max(1, len(data) // 800))),
            **options,
        )
        size = max(3, -(-len(data) // max(pieces, 1) // 3 * 3))
        cuts = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
        parts = [{"inlineData": {"mimeType": mime_type, "data": _b64(c)}} for c in cuts]
        return replace(whole, events=_one_part_events(whole.json, parts))

    @classmethod
    def grounded(
        cls,
        text: str,
        *,
        queries: Sequence[str] = ("emulated search",),
        sources: Sequence[tuple[str, str]] = (("https://example.com/", "example.com"),),
        **options: Any,
    ) -> Reply:
        """A Google Search grounded answer with ``groundingMetadata``."""
        metadata = {
            "webSearchQueries": list(queries),
            "groundingChunks": [{"web": {"uri": u, "title": t}} for u, t in sources],
            "groundingSupports": [
                {
                    "segment": {
                        "startIndex": 0,
                        "endIndex": len(text.encode()),
                        "text": text,
                    },
                    "groundingChunkIndices": list(range(len(sources))),
                }
            ],
            "searchEntryPoint": {"renderedContent": "<div>emulated search</div>"},
        }
        return cls.parts([{"text": text}], groundingMetadata=metadata, **options)

    @classmethod
    def code_execution(
        cls, code: str, output: str, *, text: str | None = None, **options: Any
    ) -> Reply:
        """Code the model ran, its result, and an optional closing text."""
        parts: list[dict[str, Any]] = [
            {"executableCode": {"language": "PYTHON", "code": code}},
            {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": output}},
        ]
        if text:
            parts.append({"text": text})
        return cls.parts(parts, **options)

    @classmethod
    def long_decode(
        cls, *pieces: str, token: str = "emulator-continuation", **options: Any
    ) -> list[Reply]:
        """A long-decode answer in hops, one reply per piece of text (queue
        them all: ``emulator.queue(*Reply.long_decode("a", "b"))``).

        Every hop but the last ends in ``finishReason: CONTINUATION`` with a
        ``continuationToken``: ``f"{token}-{n}"`` (n = 1, 2, ...) in base64
        (the service's tokens are bytes, base64 in JSON), as Gemini 4
        answers past one request's output cap; the last ends in ``STOP``.
        Options as for :meth:`text`. See
        https://ai.google.dev/gemini-api/docs/generate-content/long-decode
        """
        replies = []
        for n, piece in enumerate(pieces, start=1):
            hop = dict(options)
            if n < len(pieces):
                hop.update(finish_reason="CONTINUATION")
                hop["continuationToken"] = _b64(f"{token}-{n}".encode())
            replies.append(cls.text(piece, **hop))
        return replies

    @classmethod
    def malformed_call(
        cls,
        message: str = "Malformed function call: the arguments were not valid JSON.",
        **options: Any,
    ) -> Reply:
        """An answer with no content ending in ``MALFORMED_FUNCTION_CALL`` (the
        model's call did not parse), streamed as one event. ``model=`` and
        ``usage=(prompt, output)`` as for :meth:`text`.
        """
        answer = _response(
            [],
            finish_reason="MALFORMED_FUNCTION_CALL",
            usage=options.pop("usage", (8, 0)),
            finishMessage=message,
            **options,
        )
        del answer["candidates"][0]["content"]
        return cls(json=answer, events=[answer], echo_model="model" not in options)

    # -- faults --------------------------------------------------------------

    @classmethod
    def error(
        cls,
        status: int,
        message: str,
        *,
        status_text: str = "",
        retry_after: float | None = None,
        **headers: str,
    ) -> Reply:
        """A Gemini-style JSON error, optionally with ``Retry-After``."""
        body = {
            "error": {
                "code": status,
                "message": message,
                "status": status_text or _ERROR_STATUS.get(status, "UNKNOWN"),
            }
        }
        hdrs = {k.replace("_", "-"): v for k, v in headers.items()}
        if retry_after is not None:
            hdrs["retry-after"] = f"{retry_after:g}"
        return cls(status=status, json=body, headers=hdrs)

    @classmethod
    def rate_limited(cls, retry_after: float = 0.05) -> Reply:
        """429 RESOURCE_EXHAUSTED with a ``Retry-After`` header."""
        return cls.error(
            429,
            "Resource has been exhausted (e.g. check quota).",
            retry_after=retry_after,
        )

    @classmethod
    def dropped(cls) -> Reply:
        """Close the connection without answering."""
        return cls(drop=True)

    def delayed(self, seconds: float) -> Reply:
        """A copy of the answer, sent after ``seconds``."""
        return replace(self, delay=seconds)

    def slowly(self, seconds: float) -> Reply:
        """A copy of the answer, streamed with ``seconds`` between events."""
        return replace(self, event_delay=seconds)

    def cut(self, event: int = 1) -> Reply:
        """A copy of the answer as a stream broken in the middle of event ``event``."""
        return replace(self, cut_event=event)

    def naming(self, model: str) -> Reply:
        """A copy answering as ``model`` would, if ``echo_model`` is set.

        Answers built by the helpers above without ``model=`` carry the
        model id the request named in ``modelVersion`` (as the service does),
        so a test of ``gemini-3-flash-preview`` sees that id, not a default.
        """
        if not (self.echo_model and model):
            return self

        def renamed(event: Any) -> Any:
            if isinstance(event, dict) and "modelVersion" in event:
                return {**event, "modelVersion": model}
            return event

        events = None if self.events is None else [renamed(e) for e in self.events]
        return replace(self, json=renamed(self.json), events=events)

    # -- recordings ------------------------------------------------------------

    @classmethod
    def from_recording(cls, recording: Mapping[str, Any] | str | Path) -> Reply:
        """Replay a recording in the format of ``tests/data/recordings/*.json``."""
        data = (
            json.loads(Path(recording).read_text())
            if isinstance(recording, str | Path)
            else recording
        )
        if not isinstance(data, Mapping):
            raise TypeError(
                "a recording is a JSON object with response_json or "
                f"response_sse; got {type(data).__name__}"
            )
        if data.get("stream"):
            frames = data["response_sse"].split("\r\n\r\n")
            events = [f.encode() + b"\r\n\r\n" for f in frames if f.strip()]
            return cls(status=data.get("status", 200), events=events)
        return cls(status=data.get("status", 200), json=data["response_json"])

    # -- rendering -------------------------------------------------------------

    def body_for(self, streaming: bool) -> list[bytes]:
        """The bytes to send: one item per stream event, or the whole body."""
        if self.raw is not None:
            return [self.raw]
        if not streaming or self.status != 200:
            # A unary answer is ``json`` when given (an audio reply has both:
            # one part unary, pieces streamed), else the events merged.
            body = self.json if self.json is not None else _merge(self.events or [])
            return [json.dumps(body).encode()]
        events = self.events
        if events is None:
            events = (
                _split(self.json, self.chunks)
                if isinstance(self.json, dict) and "candidates" in self.json
                else [self.json]
            )
        return [
            e
            if isinstance(e, bytes)
            else b"data: " + json.dumps(e).encode() + b"\r\n\r\n"
            for e in events
        ]
