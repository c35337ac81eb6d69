"""A loopback Gemini-protocol server for tests: ``GeminiEmulator``.

It speaks the REST shape of the service on 127.0.0.1 (an ephemeral port), so
``ChatCometGemini(base_url=emulator.url, api_key="test")`` is all a test
needs. Answers are scripted (queued, or chosen by a function of the request),
replayed from a recording, or made up by a default responder that answers any
request plausibly. Every request is recorded for assertions; malformed ones
get a 400 in the service's own words. Guide: docs/testing.md.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "GeminiEmulator",
    "RecordedRequest",
    "Reply",
    "default_reply",
    "gemini_emulator",
    "instance_of",
]

MODEL = "gemini-2.5-flash"
# A 1x1 transparent PNG: the smallest image every decoder accepts.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="
)
_SIGNATURE = base64.b64encode(b"emulator-thought-signature").decode()
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
_TOP_LEVEL_KEYS = frozenset(
    {
        "model",
        "contents",
        "systemInstruction",
        "tools",
        "toolConfig",
        "safetySettings",
        "generationConfig",
        "cachedContent",
        "labels",
    }
)


def _tokens(text: str) -> int:
    """Rough token estimate (4 characters a token), at least 1 for any text."""
    return max(1, (len(text) + 3) // 4) if text else 0


def _usage(prompt: int, output: int, thoughts: int = 0) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": output,
        "totalTokenCount": prompt + output + thoughts,
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

    # -- answers -------------------------------------------------------------

    @classmethod
    def parts(cls, parts: Sequence[Mapping[str, Any]], **options: Any) -> Reply:
        """An answer made of raw Gemini ``parts``; options as for :meth:`text`."""
        chunks = options.pop("chunks", 3)
        return cls(json=_response([dict(p) for p in parts], **options), chunks=chunks)

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
        events = []
        for i, piece in enumerate(pieces):
            event = json.loads(json.dumps(whole))
            candidate = event["candidates"][0]
            candidate["content"]["parts"] = [{"text": piece}]
            if i < len(pieces) - 1:
                del candidate["finishReason"]
            events.append(event)
        return cls(events=events)

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
        encoded = base64.b64encode(data).decode()
        parts.append({"inlineData": {"mimeType": mime_type, "data": encoded}})
        return cls.parts(parts, **options)

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

    # -- recordings ------------------------------------------------------------

    @classmethod
    def from_recording(cls, recording: Mapping[str, Any] | str | Path) -> Reply:
        """Replay a recording in the format of ``tests/data/recordings/*.json``."""
        data = (
            json.loads(Path(recording).read_text())
            if isinstance(recording, str | Path)
            else recording
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
            body = self.json if self.events is None else _merge(self.events)
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


def _split(response: dict[str, Any], chunks: int) -> list[dict[str, Any]]:
    """Split a response into stream events as Gemini does.

    Text parts are cut into ``chunks`` pieces, other parts get an event each;
    ``finishReason``, metadata and the final usage ride on the last event,
    earlier events carry the prompt count only (stream usage is cumulative).
    """
    candidate = response["candidates"][0]
    pieces: list[dict[str, Any]] = []
    for part in candidate.get("content", {}).get("parts", []):
        text = part.get("text")
        if text is None or part.get("thought") or chunks <= 1 or len(text) < chunks:
            pieces.append(part)
            continue
        size = -(-len(text) // chunks)
        for i in range(0, len(text), size):
            piece = {**part, "text": text[i : i + size]}
            if i and "thoughtSignature" in piece:
                del piece["thoughtSignature"]
            pieces.append(piece)
    pieces = pieces or [{"text": ""}]
    usage = response.get("usageMetadata", {})
    head = {
        k: v for k, v in response.items() if k not in ("candidates", "usageMetadata")
    }
    events = []
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        cand = {"content": {"role": "model", "parts": [piece]}, "index": 0}
        if last:
            extra = {
                k: v for k, v in candidate.items() if k not in ("content", "index")
            }
            cand.update(extra)
        partial = {"promptTokenCount": usage.get("promptTokenCount", 0)}
        partial["totalTokenCount"] = partial["promptTokenCount"]
        events.append(
            {"candidates": [cand], "usageMetadata": usage if last else partial, **head}
        )
    return events


def _merge(events: Sequence[Any]) -> Any:
    """Merge stream events back into one unary ``GenerateContentResponse``."""
    decoded = [
        json.loads(e.decode().strip().removeprefix("data:"))
        if isinstance(e, bytes)
        else e
        for e in events
    ]
    decoded = [e for e in decoded if isinstance(e, dict)]
    if not decoded:
        return {}
    merged = json.loads(json.dumps(decoded[-1]))
    parts: list[dict[str, Any]] = []
    for event in decoded:
        for cand in event.get("candidates", [])[:1]:
            for part in cand.get("content", {}).get("parts", []):
                prev = parts[-1] if parts else None
                if (
                    prev is not None
                    and "text" in prev
                    and "text" in part
                    and bool(prev.get("thought")) == bool(part.get("thought"))
                    and "thoughtSignature" not in part
                ):
                    prev["text"] += part["text"]
                else:
                    parts.append(dict(part))
    if merged.get("candidates"):
        merged["candidates"][0].setdefault("content", {"role": "model"})["parts"] = (
            parts
        )
    return merged


@dataclass
class RecordedRequest:
    """A request the emulator received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def model(self) -> str:
        """Model id from the path ``/v1beta/models/{model}:{method}``."""
        return self.path.split("/models/", 1)[-1].split(":", 1)[0]

    @property
    def action(self) -> str:
        """``generateContent``, ``streamGenerateContent`` or ``countTokens``."""
        return self.path.split(":", 1)[-1].split("?", 1)[0]

    @property
    def streaming(self) -> bool:
        """Whether the client asked for ``streamGenerateContent``."""
        return self.action == "streamGenerateContent"

    @property
    def content_request(self) -> dict[str, Any]:
        """The ``GenerateContentRequest`` (unwrapped for ``countTokens``)."""
        body = self.body if isinstance(self.body, dict) else {}
        inner = body.get("generateContentRequest")
        return inner if isinstance(inner, dict) else body

    @property
    def last_user_text(self) -> str:
        """Text of the last user turn (empty when it has none)."""
        for turn in reversed(self.content_request.get("contents") or []):
            if turn.get("role", "user") == "user":
                return "".join(p.get("text", "") for p in turn.get("parts", []))
        return ""


Responder = Callable[[RecordedRequest], "Reply | None"]


# -- the default responder ---------------------------------------------------


def instance_of(schema: Any, root: Any = None, depth: int = 0) -> Any:
    """A minimal instance valid against a JSON Schema (or Gemini's subset).

    Objects get their required properties; enums and consts their first value;
    numbers respect ``minimum``; strings ``minLength``; ``$ref`` is resolved.
    """
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > 20:
        return None
    if "$ref" in schema:
        target: Any = root
        for key in schema["$ref"].lstrip("#/").split("/"):
            target = target.get(key, {}) if isinstance(target, dict) else {}
        return instance_of(target, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        options = [o for o in schema.get(key, []) if o.get("type") != "null"]
        if options:
            return instance_of(options[0], root, depth + 1)
    if schema.get("allOf"):
        return instance_of(schema["allOf"][0], root, depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    kind = str(kind).lower()
    if kind == "object":
        props = schema.get("properties", {})
        return {
            name: instance_of(props.get(name, {}), root, depth + 1)
            for name in schema.get("required", [])
        }
    if kind == "array":
        count = int(schema.get("minItems", 0))
        return [
            instance_of(schema.get("items", {}), root, depth + 1) for _ in range(count)
        ]
    if kind in ("integer", "number"):
        low = schema.get(
            "minimum",
            schema.get("exclusiveMinimum", 0)
            + (1 if "exclusiveMinimum" in schema else 0),
        )
        value = (
            max(low, 0)
            if "maximum" not in schema
            else min(max(low, 0), schema["maximum"])
        )
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    text = "example"
    length = int(schema.get("minLength", 0))
    text = (text * (length // len(text) + 1))[: max(length, len(text))]
    return text[: int(schema["maxLength"])] if "maxLength" in schema else text


def _declarations(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for tool in request.get("tools") or []:
        found.extend(
            tool.get("functionDeclarations") or tool.get("function_declarations") or []
        )
    return found


def _has_tool(request: Mapping[str, Any], *names: str) -> bool:
    return any(n in tool for tool in request.get("tools") or [] for n in names)


def default_reply(request: RecordedRequest) -> Reply:
    """A plausible answer to any request (what the emulator sends by default).

    countTokens -> an estimate; declared tools -> a call to the first one
    (unless the last turn is a function response: then text, so agent loops
    end); a response schema -> a minimal valid JSON instance; IMAGE modality
    -> an image; otherwise text echoing the last user text. Thoughts,
    grounding and code execution are added when the request asks for them.
    """
    body = request.content_request
    contents = body.get("contents") or []
    if request.action == "countTokens":
        text = json.dumps([contents, body.get("systemInstruction"), body.get("tools")])
        return Reply(json={"totalTokens": _tokens(text)})
    config = body.get("generationConfig") or {}
    prompt_tokens = _tokens(json.dumps(contents))
    last = contents[-1] if contents else {}
    last_parts = last.get("parts", [])
    after_tool = any("functionResponse" in p for p in last_parts)
    declarations = _declarations(body)
    calling = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    mode = str(calling.get("mode", "AUTO")).upper()
    parts: list[dict[str, Any]] = []
    if config.get("thinkingConfig", {}).get("includeThoughts"):
        parts.append({"text": "Thinking it over (emulated).", "thought": True})
    extra: dict[str, Any] = {}
    user_text = request.last_user_text
    if (
        declarations
        and mode != "NONE"
        and not after_tool
        and (mode == "ANY" or any("text" in p for p in last_parts))
    ):
        allowed = calling.get("allowedFunctionNames") or []
        decl = next(
            (d for d in declarations if d.get("name") in allowed), declarations[0]
        )
        schema = decl.get("parametersJsonSchema") or decl.get("parameters") or {}
        args = instance_of(schema) if schema else {}
        parts.append(
            {
                "functionCall": {"name": decl["name"], "args": args or {}},
                "thoughtSignature": _SIGNATURE,
            }
        )
    elif after_tool:
        results = [p["functionResponse"] for p in last_parts if "functionResponse" in p]
        summary = "; ".join(
            f"{r.get('name')} returned {json.dumps(r.get('response'))}" for r in results
        )
        parts.append({"text": f"Done: {summary}."})
    elif config.get("responseJsonSchema") or config.get("responseSchema"):
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        parts.append({"text": json.dumps(instance_of(schema))})
    elif config.get("responseMimeType") == "application/json":
        parts.append({"text": json.dumps({"echo": user_text})})
    elif "IMAGE" in [str(m).upper() for m in config.get("responseModalities") or []]:
        parts.append({"text": "Here is the image (emulated)."})
        parts.append(
            {
                "inlineData": {
                    "mimeType": "image/png",
                    "data": base64.b64encode(PNG_1X1).decode(),
                }
            }
        )
    else:
        if _has_tool(body, "codeExecution", "code_execution"):
            parts.append(
                {"executableCode": {"language": "PYTHON", "code": "print(2 + 2)"}}
            )
            parts.append(
                {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "4\n"}}
            )
        text = f"Echo: {user_text}" if user_text else "Hello from the Gemini emulator."
        parts.append({"text": text})
        if _has_tool(body, "googleSearch", "google_search"):
            extra = Reply.grounded(text, queries=[user_text or "query"]).json[
                "candidates"
            ][0]
            extra = {"groundingMetadata": extra["groundingMetadata"]}
    if parts and parts[0].get("thought") and len(parts) > 1:
        parts[1].setdefault("thoughtSignature", _SIGNATURE)
    out = sum(
        _tokens(p.get("text", "") or json.dumps(p))
        for p in parts
        if not p.get("thought")
    )
    thoughts = sum(_tokens(p["text"]) for p in parts if p.get("thought"))
    response = _response(
        parts,
        model=request.model or MODEL,
        usage=(prompt_tokens, out, thoughts),
        **extra,
    )
    return Reply(json=response)


# -- request validation ------------------------------------------------------


def _invalid(message: str) -> Reply:
    return Reply.error(400, message, status_text="INVALID_ARGUMENT")


def validate(request: RecordedRequest) -> Reply | None:
    """A 400 for a request the service would reject, else ``None``."""
    if request.action not in (
        "generateContent",
        "streamGenerateContent",
        "countTokens",
    ):
        return Reply.error(
            404, f"Method {request.action!r} is not found.", status_text="NOT_FOUND"
        )
    if not isinstance(request.body, dict):
        return _invalid("Invalid JSON payload received. Expected an object.")
    body = request.content_request
    unknown = sorted(set(body) - _TOP_LEVEL_KEYS)
    if unknown:
        return _invalid(
            "Invalid JSON payload received. "
            f'Unknown name "{unknown[0]}": Cannot find field.'
        )
    contents = body.get("contents")
    if not contents:
        return _invalid(
            "* GenerateContentRequest.contents: contents is not specified\n"
        )
    declared = {d.get("name") for d in _declarations(body)}
    for i, turn in enumerate(contents):
        if turn.get("role", "user") not in ("user", "model", "function"):
            return _invalid(
                f"Please use a valid role: user, model. Got {turn.get('role')!r}."
            )
        if not turn.get("parts"):
            return _invalid(
                f"* GenerateContentRequest.contents[{i}].parts: "
                "contents.parts must not be empty.\n"
            )
        for j, part in enumerate(turn["parts"]):
            for key in ("functionCall", "functionResponse"):
                name = (part.get(key) or {}).get("name")
                if key in part and declared and name not in declared:
                    return _invalid(
                        f"* GenerateContentRequest.contents[{i}].parts[{j}]"
                        f".{key}.name: "
                        f"function {name!r} is not declared in tools.\n"
                    )
    config = body.get("generationConfig") or {}
    thinking = config.get("thinkingConfig") or {}
    if "thinkingLevel" in thinking and request.model.startswith(
        ("gemini-2", "gemini-1")
    ):
        return _invalid("Thinking level is not supported for this model.")
    return None


# -- the server ------------------------------------------------------------------


class GeminiEmulator:
    """Loopback HTTP server answering like the Gemini REST API.

    Use as a context manager (or the ``gemini_emulator`` pytest fixture)::

        with GeminiEmulator() as emu:
            emu.queue(Reply.text("Paris"))
            llm = ChatCometGemini(base_url=emu.url, api_key="test")

    ``responder`` picks an answer from the request (return ``None`` to fall
    through); queued answers come first, then ``responder``, then
    :func:`default_reply` (``default=False``: a 500 instead). Requests
    without ``x-goog-api-key`` / ``Authorization`` get a 401, or a 400 when
    ``api_key`` is set and differs; ``validate=False`` turns off 400 checks.
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        default: bool = True,
        api_key: str | None = None,
        validate: bool = True,
    ) -> None:
        self.requests: list[RecordedRequest] = []
        self.aborted: list[RecordedRequest] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.media_requests: list[RecordedRequest] = []  # GETs, kept apart
        self.in_flight = 0
        self.max_in_flight = 0
        self.open_connections = 0
        self._queue: deque[Reply] = deque()
        self._responder = responder
        self._default = default
        self._api_key = api_key
        self._validate = validate
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -----------------------------------------------------------

    def queue(self, *replies: Reply | Mapping[str, Any]) -> GeminiEmulator:
        """Append answers served in order (dicts are recordings)."""
        with self._lock:
            for reply in replies:
                self._queue.append(
                    reply if isinstance(reply, Reply) else Reply.from_recording(reply)
                )
        return self

    def replay(
        self, recordings: Iterable[Mapping[str, Any] | str | Path]
    ) -> GeminiEmulator:
        """Queue the answers of several recordings."""
        return self.queue(*(Reply.from_recording(r) for r in recordings))

    def respond_with(self, responder: Responder | None) -> GeminiEmulator:
        """Replace the responder used when the queue is empty."""
        self._responder = responder
        return self

    def add_media(self, path: str, data: bytes, mime_type: str) -> str:
        """Serve ``data`` at ``GET {url}/{path}``; returns that URL."""
        key = "/" + path.lstrip("/")
        self.media[key] = (data, mime_type)
        return self.url + key

    @property
    def pending(self) -> int:
        """Queued answers not yet served."""
        return len(self._queue)

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request (``IndexError`` when there is none)."""
        return self.requests[-1]

    def reset(self) -> None:
        """Forget requests and queued answers."""
        with self._lock:
            self.requests.clear()
            self.aborted.clear()
            self._queue.clear()
            self.max_in_flight = 0

    def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``condition`` until true or ``timeout``; returns its last value."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # -- lifecycle -----------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL to give ``ChatCometGemini(base_url=...)``."""
        assert self._server is not None, "start() the emulator first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> GeminiEmulator:
        """Start serving on 127.0.0.1 in a daemon thread."""
        emulator = self

        class Handler(_Handler):
            owner = emulator

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GeminiEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _next(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
        refusal = self._check_auth(request.headers)
        if refusal is None and self._validate:
            refusal = validate(request)
        if refusal is not None:
            return refusal
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        reply = self._responder(request) if self._responder is not None else None
        if reply is not None:
            return reply
        if self._default:
            return default_reply(request)
        return Reply.error(500, "GeminiEmulator has no scripted answer left")

    def _check_auth(self, headers: Mapping[str, str]) -> Reply | None:
        key = headers.get("x-goog-api-key") or headers.get(
            "authorization", ""
        ).removeprefix("Bearer ")
        if not key:
            return Reply.error(
                401,
                "Request is missing required authentication credential. Expected "
                "an API key in the x-goog-api-key header.",
            )
        if self._api_key is not None and key != self._api_key:
            return Reply.error(400, "API key not valid. Please pass a valid API key.")
        return None

    def _enter(self, delta: int) -> None:
        with self._lock:
            self.in_flight += delta
            self.max_in_flight = max(self.max_in_flight, self.in_flight)


class _Handler(BaseHTTPRequestHandler):
    owner: GeminiEmulator
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm on,
    # the second waits for the client's delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def setup(self) -> None:
        super().setup()
        with self.owner._lock:
            self.owner.open_connections += 1

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.owner._lock:
            self.owner.open_connections -= 1

    def do_GET(self) -> None:
        """Serve bytes registered with :meth:`GeminiEmulator.add_media`."""
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.owner._lock:
            self.owner.media_requests.append(
                RecordedRequest("GET", self.path, headers, None)
            )
        found = self.owner.media.get(self.path.split("?", 1)[0])
        data, mime = found or (b"not found", "text/plain")
        self.send_response(200 if found else 404)
        self.send_header("content-type", mime)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = RecordedRequest("POST", self.path, headers, body)
        self.owner._enter(1)
        try:
            reply = self.owner._next(request)
            if reply.delay:
                time.sleep(reply.delay)
            self._answer(request, reply)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.owner.aborted.append(request)
            self.close_connection = True
        finally:
            self.owner._enter(-1)

    def _answer(self, request: RecordedRequest, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        streaming = request.streaming and reply.status == 200
        pieces = reply.body_for(streaming)
        self.send_response(reply.status)
        content_type = "text/event-stream" if streaming else "application/json"
        if reply.raw is not None:
            content_type = reply.headers.get("content-type", "application/octet-stream")
        self.send_header("content-type", content_type)
        for key, value in reply.headers.items():
            if key.lower() != "content-type":
                self.send_header(key, value)
        if not streaming:
            payload = b"".join(pieces)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            if reply.cut_after is not None:
                self.wfile.write(payload[: reply.cut_after])
                self._hang_up()
                return
            self.wfile.write(payload)
            return
        # Chunked transfer, one chunk per event, flushed as it is written.
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        sent = 0
        for i, piece in enumerate(_limited(pieces, reply.cut_after)):
            if reply.cut_event is not None and i == reply.cut_event:
                self.wfile.write(b"%x\r\n" % len(piece) + piece[: len(piece) // 2])
                self._hang_up()
                return
            if i and reply.event_delay:
                time.sleep(reply.event_delay)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
            sent += len(piece)
        if reply.cut_after is not None and sent >= reply.cut_after:
            self._hang_up()
            return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _hang_up(self) -> None:
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


def _limited(pieces: list[bytes], limit: int | None) -> Iterator[bytes]:
    if limit is None:
        yield from pieces
        return
    for piece in pieces:
        if limit <= 0:
            return
        yield piece[:limit]
        limit -= len(piece)


try:  # The fixture exists only where pytest does (it is not a dependency).
    import pytest
except ImportError:  # pragma: no cover
    pass
else:

    @pytest.fixture
    def gemini_emulator() -> Iterator[GeminiEmulator]:
        """Pytest fixture: a started :class:`GeminiEmulator`, stopped afterwards.

        Import it into a ``conftest.py``:
        ``from langchain_cometgemini.testing import gemini_emulator``.
        """
        with GeminiEmulator() as emulator:
            yield emulator
