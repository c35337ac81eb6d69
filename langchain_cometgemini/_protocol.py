"""Chunks for langchain-core's content-block protocol (1.7.2 and later).

``stream_events(version="v3")``, and LangGraph when a handler asks for
protocol events, build their messages from each chunk's ``content_blocks``.
For ``model_provider == "google_genai"`` those come from langchain-core's
Google translator, which reads a chunk's tool calls as whole calls (the
Gemini API sends a call in one piece). A relay that forwards Vertex AI's
streamed arguments (``partialArgs``) sends a call in pieces: the translator
sees ``{`` in the first chunk and nothing in the rest, and the finished call
has no arguments. :func:`protocol_chunk` hands the protocol such a chunk as
v1 blocks with each call as a ``tool_call_chunk`` keyed by its stream index,
so the pieces are joined and parsed once the call is complete. The chunks
``stream()`` yields are not touched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.outputs import ChatGenerationChunk

_WHOLE_CALLS = ("tool_call", "invalid_tool_call")


def protocol_chunk(chunk: ChatGenerationChunk) -> ChatGenerationChunk:
    """``chunk`` with v1 content whose tool calls are ``tool_call_chunk`` blocks.

    The index key is the translator's own (``lc_tc_<index>``), so a call keeps
    one protocol block whether its pieces come here or as a whole.
    """
    message = chunk.message
    pieces = getattr(message, "tool_call_chunks", None)
    if not pieces:
        return chunk
    blocks: list[Any] = [
        b for b in message.content_blocks if b.get("type") not in _WHOLE_CALLS
    ]
    for piece in pieces:
        blocks.append(
            {
                "type": "tool_call_chunk",
                "id": piece.get("id"),
                "name": piece.get("name"),
                "args": piece.get("args"),
                "index": f"lc_tc_{piece.get('index')}",
            }
        )
    metadata = {**message.response_metadata, "output_version": "v1"}
    update = {"content": blocks, "response_metadata": metadata}
    return ChatGenerationChunk(
        message=message.model_copy(update=update),
        generation_info=chunk.generation_info,
    )


def events(chunks: Iterator[ChatGenerationChunk]) -> Iterator[Any]:
    """Protocol events for a stream of chunks (``_stream_chat_model_events``).

    Only langchain-core versions with the protocol call the hooks, so the bridge is
    imported here, not at module load (older versions do not have it).
    """
    from langchain_core.language_models._compat_bridge import chunks_to_events

    return chunks_to_events(map(protocol_chunk, chunks))


def aevents(chunks: AsyncIterator[ChatGenerationChunk]) -> AsyncIterator[Any]:
    """The async twin of :func:`events`."""
    from langchain_core.language_models._compat_bridge import achunks_to_events

    async def converted() -> AsyncIterator[ChatGenerationChunk]:
        async for chunk in chunks:
            yield protocol_chunk(chunk)

    return achunks_to_events(converted())
