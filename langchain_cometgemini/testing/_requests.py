"""Received requests: :class:`RecordedRequest`, validation, default answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_cometgemini._parts import PART_KINDS
from langchain_cometgemini._profiles import GENERATION_3, generation
from langchain_cometgemini._wire import GenerateContentRequest
from langchain_cometgemini.testing._fill import instance_of
from langchain_cometgemini.testing._replies import (
    _SIGNATURE,
    MODEL,
    PCM_MIME,
    PCM_TONE,
    PNG_1X1,
    Reply,
    _b64,
    _response,
    _tokens,
)
from langchain_cometgemini.testing._shape import shape

_TOP_LEVEL_KEYS = GenerateContentRequest.__optional_keys__
# Part kinds whose payload names a function that must be declared in tools.
_NAMED_KINDS = tuple(kind.key for kind in PART_KINDS if kind.declared_name)


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


def _declarations(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for tool in request.get("tools") or []:
        found.extend(
            tool.get("functionDeclarations") or tool.get("function_declarations") or []
        )
    return found


def _has_tool(request: Mapping[str, Any], *names: str) -> bool:
    return any(n in tool for tool in request.get("tools") or [] for n in names)


def _called(contents: list[dict[str, Any]]) -> set[str]:
    return {
        str(p["functionCall"].get("name"))
        for turn in contents
        for p in turn.get("parts", [])
        if "functionCall" in p
    }


def _pick_function(
    body: Mapping[str, Any], calling: Mapping[str, Any], after_tool: bool
) -> dict[str, Any] | None:
    """The declaration the emulated model calls now, or ``None`` for no call.

    ``NONE`` never calls; ``AUTO``/``VALIDATED`` call the first allowed
    function in answer to a user's text and stop after a function response (so
    agent loops end); ``ANY`` must call: the first allowed function not yet
    called in the conversation, else the last allowed one (agents add their
    structured-output tools last, so a ToolStrategy agent ends with it).
    """
    declarations = _declarations(body)
    mode = str(calling.get("mode", "AUTO")).upper()
    if not declarations or mode == "NONE":
        return None
    allowed = calling.get("allowedFunctionNames") or []
    candidates = [d for d in declarations if d.get("name") in allowed] or declarations
    if mode != "ANY":
        contents = body.get("contents") or [{}]
        asked = any("text" in p for p in contents[-1].get("parts", []))
        return candidates[0] if asked and not after_tool else None
    called = _called(body.get("contents") or [])
    return next((d for d in candidates if d.get("name") not in called), candidates[-1])


def default_reply(request: RecordedRequest) -> Reply:
    """A plausible answer to any request (what the emulator sends by default).

    countTokens -> an estimate; declared tools -> a call chosen as
    ``_pick_function`` says (``toolConfig`` mode ``ANY`` always calls, with
    schema-valid arguments); a response schema (``responseJsonSchema``) -> a
    minimal valid JSON instance, also after tool results; after tool results
    -> a summary text; IMAGE modality -> an image; otherwise text echoing the
    last user text. Thoughts, grounding and code execution are added when the
    request asks for them. The answer names the model the request named, and
    follows the generation config (stop sequences, token limit, candidates,
    logprobs) with usage details per modality: see ``_shape``.
    """
    body = request.content_request
    contents = body.get("contents") or []
    if request.action == "countTokens":
        text = json.dumps([contents, body.get("systemInstruction"), body.get("tools")])
        return Reply(json={"totalTokens": _tokens(text)})
    config = body.get("generationConfig") or {}
    parts: list[dict[str, Any]] = []
    if config.get("thinkingConfig", {}).get("includeThoughts"):
        parts.append({"text": "Thinking it over (emulated).", "thought": True})
    answer, extra = _answer(request, body, config)
    parts.extend(answer)
    if parts and parts[0].get("thought") and len(parts) > 1:
        parts[1].setdefault("thoughtSignature", _SIGNATURE)
    response = _response(parts, model=request.model or MODEL, **extra)
    return Reply(json=shape(response, body))


_Answer = tuple[list[dict[str, Any]], dict[str, Any]]
"""An answer's parts (thoughts aside) and extra candidate fields."""


def _answer(
    request: RecordedRequest, body: Mapping[str, Any], config: Mapping[str, Any]
) -> _Answer:
    """The answer kind the request asks for, in ``default_reply``'s order."""
    contents = body.get("contents") or []
    last_parts = (contents[-1] if contents else {}).get("parts", [])
    after_tool = any("functionResponse" in p for p in last_parts)
    calling = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    user_text = request.last_user_text
    decl = _pick_function(body, calling, after_tool)
    response_schema = config.get("responseJsonSchema") or config.get("responseSchema")
    if decl is not None:
        return [_function_call(decl, user_text)], {}
    if response_schema:
        answer = instance_of(response_schema, text=user_text)
        return [{"text": json.dumps(answer, ensure_ascii=False)}], {}
    if after_tool:
        return [_tool_summary(last_parts)], {}
    if config.get("responseMimeType") == "application/json":
        return [{"text": json.dumps({"echo": user_text})}], {}
    if _asks(config, "AUDIO"):
        return [{"inlineData": {"mimeType": PCM_MIME, "data": _b64(PCM_TONE)}}], {}
    if _asks(config, "IMAGE"):
        return _image(), {}
    return _text(body, user_text)


def _asks(config: Mapping[str, Any], modality: str) -> bool:
    return modality in [str(m).upper() for m in config.get("responseModalities") or []]


def _function_call(decl: Mapping[str, Any], user_text: str) -> dict[str, Any]:
    """A call of ``decl`` with schema-valid arguments, taken from the last
    user text where the schema allows (``instance_of``'s rules).
    """
    schema = decl.get("parametersJsonSchema") or decl.get("parameters") or {}
    args = instance_of(schema, text=user_text) if schema else {}
    return {
        "functionCall": {"name": decl["name"], "args": args or {}},
        "thoughtSignature": _SIGNATURE,
    }


def _tool_summary(last_parts: list[dict[str, Any]]) -> dict[str, Any]:
    """A text naming what each function in the last turn returned."""
    results = [p["functionResponse"] for p in last_parts if "functionResponse" in p]
    summary = "; ".join(
        f"{r.get('name')} returned {json.dumps(r.get('response'))}" for r in results
    )
    return {"text": f"Done: {summary}."}


def _image() -> list[dict[str, Any]]:
    """A caption and a 1x1 PNG (the IMAGE modality)."""
    return [
        {"text": "Here is the image (emulated)."},
        {"inlineData": {"mimeType": "image/png", "data": _b64(PNG_1X1)}},
    ]


def _text(body: Mapping[str, Any], user_text: str) -> _Answer:
    """Text echoing the user, after a code-execution step and with grounding
    when the request declares those tools.
    """
    parts: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    if _has_tool(body, "codeExecution", "code_execution"):
        parts.append({"executableCode": {"language": "PYTHON", "code": "print(2 + 2)"}})
        parts.append(
            {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "4\n"}}
        )
    text = f"Echo: {user_text}" if user_text else "Hello from the Gemini emulator."
    parts.append({"text": text})
    if _has_tool(body, "googleSearch", "google_search"):
        candidate = Reply.grounded(text, queries=[user_text or "query"]).json[
            "candidates"
        ][0]
        extra = {"groundingMetadata": candidate["groundingMetadata"]}
    return parts, extra


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
            for key in _NAMED_KINDS:
                name = (part.get(key) or {}).get("name")
                if key in part and declared and name not in declared:
                    return _invalid(
                        f"* GenerateContentRequest.contents[{i}].parts[{j}]"
                        f".{key}.name: "
                        f"function {name!r} is not declared in tools.\n"
                    )
    refusal = _combination(body, request.model)
    if refusal is not None:
        return refusal
    config = body.get("generationConfig") or {}
    thinking = config.get("thinkingConfig") or {}
    if "thinkingLevel" in thinking and request.model.startswith(
        ("gemini-2", "gemini-1")
    ):
        return _invalid("Thinking level is not supported for this model.")
    return None


def _combination(body: Mapping[str, Any], model: str) -> Reply | None:
    """Built-in tools mixed with function declarations on Gemini 3+ need
    ``toolConfig.includeServerSideToolInvocations`` (the service answers 400
    without it). See https://ai.google.dev/gemini-api/docs/tool-combination
    """
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    functions = bool(_declarations(body))
    builtins = [k for t in tools for k in t if k not in _DECLARATION_KEYS]
    if not (functions and builtins) or generation(model) != GENERATION_3:
        return None
    config = body.get("toolConfig") or {}
    if config.get("includeServerSideToolInvocations") is True:
        return None
    return _invalid(
        f"Built-in tools ({', '.join(builtins)}) and function calling are used "
        "together; set toolConfig.includeServerSideToolInvocations to true to "
        "combine them."
    )


_DECLARATION_KEYS = frozenset({"functionDeclarations", "function_declarations"})
