"""Which content of an ``AIMessage`` goes back to Gemini, and in which shape.

Histories are shared between models: a fallback from Claude or OpenAI to
Gemini, a thread that switches models, answers saved with
``output_version="v1"``. :func:`ai_blocks` turns an AI message's content into
the blocks the part-kind table (``_parts``) builds parts from, by these rules:

- Text and media always go back (a foreign text's signature, citations and
  annotations stay behind: they mean nothing to Gemini).
- Reasoning (``thinking``, v1 ``reasoning``) and thought signatures go back
  only when the message came from Gemini: ``response_metadata["model_provider"]``
  is ``google_genai`` (or ``google_vertexai``), or, with no provider recorded,
  no block has another provider's shape. Another provider's reasoning is its
  own (Gemini cannot verify a Claude signature, and an OpenAI summary is not a
  Gemini thought); it is left out. A thought with neither text nor signature
  is never sent (an empty part is an error).
- Code execution, as this package writes it (``executable_code`` /
  ``code_execution_result``) or as the v1 format does (``server_tool_call``
  named ``code_interpreter`` with ``args.code``, and its
  ``server_tool_result``), goes back as ``executableCode`` /
  ``codeExecutionResult``: the code and its output are part of the answer.
- Other server-side tool blocks (search, URL context, file search, MCP) are
  left out: the service keeps what its own tools did, and another provider's
  tool internals are not conversation content.
- Client tool calls in the content (``tool_use``, ``function_call``,
  ``tool_call``) are skipped: ``AIMessage.tool_calls`` carries them.
- OpenAI's ``refusal`` is the model's visible answer, so it goes as text.

Any other block type is left to the part-kind table, which raises a
``ValueError`` naming a type it does not know: nothing is dropped silently.
See https://ai.google.dev/gemini-api/docs/thought-signatures
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage

from langchain_cometgemini._parts import block_signature
from langchain_cometgemini._wire import OUTCOMES, PROVIDER

__all__ = ["GEMINI_PROVIDERS", "ai_blocks", "from_gemini"]

GEMINI_PROVIDERS = frozenset({PROVIDER, "google_vertexai"})
"""``model_provider`` values whose messages hold Gemini's own reasoning."""

_CODE_TOOLS = frozenset({"code_interpreter", "code_execution"})

# Blocks whose content is carried elsewhere (tool_calls) or belongs to a
# provider's own server-side tools. Types ending in "_tool_result" (Anthropic's
# web_search_tool_result, code_execution_tool_result, ...) are skipped too.
_SKIPPED = frozenset(
    {
        # client tool calls: AIMessage.tool_calls carries them
        "tool_use",
        "tool_call",
        "tool_call_chunk",
        "invalid_tool_call",
        "function_call",
        "custom_tool_call",
        # server-side tools of Anthropic and OpenAI, raw shapes
        "server_tool_use",
        "server_tool_call_chunk",
        "mcp_tool_use",
        "web_search_call",
        "file_search_call",
        "code_interpreter_call",
        "computer_call",
        "local_shell_call",
        "mcp_call",
        "mcp_list_tools",
        "mcp_approval_request",
        "tool_search_call",
        "tool_search_output",
    }
)
_REASONING = frozenset({"thinking", "reasoning", "redacted_thinking"})
# Shapes only another provider writes: with no model_provider recorded, one of
# these marks the message as foreign.
_FOREIGN_TYPES = frozenset(
    {
        "tool_use",
        "redacted_thinking",
        "server_tool_use",
        "mcp_tool_use",
        "refusal",
        "web_search_call",
        "code_interpreter_call",
    }
)


def _is_foreign_block(block: Mapping[str, Any]) -> bool:
    kind = block.get("type")
    if kind in _FOREIGN_TYPES:
        return True
    if kind == "reasoning":  # OpenAI: a summary list, an rs_ id, encrypted content
        extras = block.get("extras")
        return (
            "summary" in block
            or "encrypted_content" in block
            or (isinstance(extras, dict) and "encrypted_content" in extras)
        )
    if kind == "function_call":  # OpenAI Responses; genai's has no call_id
        return "call_id" in block or "arguments" in block
    return kind == "text" and "citations" in block  # Anthropic


def from_gemini(message: AIMessage) -> bool:
    """Whether ``message``'s reasoning and signatures are Gemini's own."""
    provider = message.response_metadata.get("model_provider")
    if provider is not None:
        return provider in GEMINI_PROVIDERS
    content = message.content
    return isinstance(content, str) or not any(
        isinstance(b, dict) and _is_foreign_block(b) for b in content
    )


def _unsigned(block: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a text or media block without any thought signature."""
    copy = {k: v for k, v in block.items() if k not in ("signature", "extras")}
    extras = block.get("extras")
    if isinstance(extras, dict):
        rest = {k: v for k, v in extras.items() if k != "signature"}
        if rest:
            copy["extras"] = rest
    return copy


def _thought(block: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A Gemini thought block, or ``None`` when it has nothing to send."""
    text = block.get("thinking", block.get("reasoning"))
    if not (isinstance(text, str) and text) and not block_signature(block):
        return None
    return block


def _code_call(block: Mapping[str, Any]) -> dict[str, Any] | None:
    """A v1 ``server_tool_call`` of code execution -> ``executable_code``."""
    args = block.get("args")
    if block.get("name") not in _CODE_TOOLS or not isinstance(args, dict):
        return None
    code = args.get("code")
    if not isinstance(code, str):
        return None
    # Gemini's Language enum has one value besides UNSPECIFIED: PYTHON.
    return {"type": "executable_code", "executable_code": code, "language": "PYTHON"}


def _code_result(block: Mapping[str, Any]) -> dict[str, Any]:
    """A v1 ``server_tool_result`` of code execution -> ``code_execution_result``."""
    extras = block.get("extras")
    outcome = extras.get("outcome") if isinstance(extras, dict) else None
    if outcome is None:
        ok = block.get("status", "success") == "success"
        outcome = OUTCOMES["OUTCOME_OK" if ok else "OUTCOME_FAILED"]
    output = block.get("output", "")
    if not isinstance(output, str):
        output = json.dumps(output, default=str)
    return {
        "type": "code_execution_result",
        "code_execution_result": output,
        "outcome": outcome,
    }


def _is_code_result(block: Mapping[str, Any], code_ids: set[Any]) -> bool:
    extras = block.get("extras")
    if isinstance(extras, dict) and (
        extras.get("block_type") == "code_execution_result" or "outcome" in extras
    ):
        return True
    return block.get("tool_call_id") in code_ids


def _convert(
    block: Mapping[str, Any], gemini: bool, code_ids: set[Any]
) -> Mapping[str, Any] | None:
    """One block of an AI message -> a block the part table builds, or None."""
    kind = block.get("type")
    if kind in _REASONING:
        return _thought(block) if gemini and kind != "redacted_thinking" else None
    if kind == "server_tool_call":
        code = _code_call(block)
        if code is not None:
            code_ids.add(block.get("id"))
        return code
    if kind == "server_tool_result":
        return _code_result(block) if _is_code_result(block, code_ids) else None
    if kind in _SKIPPED or (isinstance(kind, str) and kind.endswith("_tool_result")):
        return None
    if kind == "refusal":
        return {"type": "text", "text": str(block.get("refusal", ""))}
    if kind == "non_standard":
        value = block.get("value")
        if isinstance(value, dict) and isinstance(value.get("type"), str):
            return _convert(value, gemini, code_ids)  # a wrapped provider block
        return block
    if not gemini:
        block = _unsigned(block)
    if kind == "text" and not block.get("text") and not block_signature(block):
        return None  # an empty part is refused; a signed one carries a signature
    return block


def ai_blocks(message: AIMessage, gemini: bool) -> str | list[Any]:
    """The content of ``message`` to send back, in shapes ``_parts`` builds.

    ``gemini``: :func:`from_gemini` of the message.
    """
    content = message.content
    if isinstance(content, str):
        return content
    code_ids: set[Any] = set()
    blocks: list[Any] = []
    for block in content:
        if isinstance(block, dict):
            converted = _convert(block, gemini, code_ids)
            if converted is not None:
                blocks.append(converted)
        else:
            blocks.append(block)
    return blocks
