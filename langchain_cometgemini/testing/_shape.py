"""How the default responder's answer follows the request's generation config.

Rules (docs/testing.md, "What the default answer follows"), applied to the
answer :func:`default_reply` makes up (scripted answers are sent as
scripted), in this order:

1. ``stopSequences``: the answer text ends before the first stop sequence it
   contains (later parts are dropped); ``finishReason`` stays ``STOP``.
2. ``maxOutputTokens``: the answer text is cut after that many tokens (four
   characters a token, the emulator's estimate); ``finishReason`` becomes
   ``MAX_TOKENS`` when something was cut.
3. ``candidateCount``: that many candidates (``index`` 0..n-1), alike.
4. Every candidate carries ``safetyRatings`` (four categories, NEGLIGIBLE).
5. ``responseLogprobs``: ``logprobsResult`` (one chosen token per word of the
   text, with ``logprobs`` top candidates per step when asked) and
   ``avgLogprobs``.
6. Usage with per-modality details: ``promptTokensDetails`` from the
   request's parts (the contents' text, 258 tokens a media part in its
   modality: IMAGE, AUDIO, VIDEO or DOCUMENT), ``candidatesTokensDetails``
   from the answer's parts, ``thoughtsTokenCount`` for thoughts;
   ``cachedContent`` adds :data:`CACHED_TOKENS` as ``cachedContentTokenCount``
   (within ``promptTokenCount``, as the service counts them).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from langchain_cometgemini.testing._replies import _CHARS_PER_TOKEN, _tokens, _usage

__all__ = ["CACHED_TOKENS", "MEDIA_TOKENS", "shape", "usage_of"]

CACHED_TOKENS = 1024
"""Tokens a request naming ``cachedContent`` reads from the cache: the
smallest cache the service creates for Gemini 2.5 Flash."""
MEDIA_TOKENS = 258
"""Tokens one media part counts: what Gemini counts for an image (and a PDF
page) of up to 384 pixels a side."""
_SAFETY = (
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
)
_CHOSEN_LOGPROB = -0.1
"""Log probability of each chosen token (alternatives get lower ones)."""


def shape(response: dict[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """``response`` (one candidate) made to follow ``body``'s generation config."""
    config = body.get("generationConfig") or {}
    candidate = response["candidates"][0]
    parts = candidate["content"]["parts"]
    parts = _stop(parts, config.get("stopSequences") or [])
    parts, cut = _limit(parts, config.get("maxOutputTokens"))
    candidate["content"]["parts"] = parts
    if cut:
        candidate["finishReason"] = "MAX_TOKENS"
    candidate["safetyRatings"] = [
        {"category": category, "probability": "NEGLIGIBLE"} for category in _SAFETY
    ]
    if config.get("responseLogprobs"):
        candidate.update(_logprobs(parts, config.get("logprobs")))
    count = max(1, int(config.get("candidateCount") or 1))
    response["candidates"] = [
        {**copy.deepcopy(candidate), "index": i} for i in range(count)
    ]
    response["usageMetadata"] = usage_of(body, [parts] * count)
    return response


def _text_parts(parts: list[dict[str, Any]]) -> list[int]:
    return [
        i
        for i, p in enumerate(parts)
        if isinstance(p.get("text"), str) and not p.get("thought")
    ]


def _stop(parts: list[dict[str, Any]], stops: list[str]) -> list[dict[str, Any]]:
    """The parts up to the first stop sequence, the text cut before it."""
    stops = [s for s in stops if isinstance(s, str) and s]
    if not stops:
        return parts
    for i in _text_parts(parts):
        text = parts[i]["text"]
        found = [text.find(s) for s in stops if s in text]
        if found:
            return [*parts[:i], {**parts[i], "text": text[: min(found)]}]
    return parts


def _limit(
    parts: list[dict[str, Any]], max_tokens: Any
) -> tuple[list[dict[str, Any]], bool]:
    """The parts within ``max_tokens`` of answer text, and whether it cut."""
    if not isinstance(max_tokens, int) or max_tokens < 1:
        return parts, False
    room = max_tokens * _CHARS_PER_TOKEN
    for i in _text_parts(parts):
        text = parts[i]["text"]
        if len(text) > room:
            return [*parts[:i], {**parts[i], "text": text[:room]}], True
        room -= len(text)
    return parts, False


def _logprobs(parts: list[dict[str, Any]], top: Any) -> dict[str, Any]:
    """``logprobsResult`` and ``avgLogprobs`` for the answer text."""
    text = "".join(parts[i]["text"] for i in _text_parts(parts))
    tokens = re.findall(r"\s*\S+", text) or [text]
    chosen = [{"token": t, "logProbability": _CHOSEN_LOGPROB} for t in tokens]
    result: dict[str, Any] = {"chosenCandidates": chosen}
    if isinstance(top, int) and top > 0:
        result["topCandidates"] = [
            {
                "candidates": [
                    c,
                    *(
                        {"token": f"{c['token']}~{k}", "logProbability": -1.0 - k}
                        for k in range(1, top)
                    ),
                ]
            }
            for c in chosen
        ]
    return {"logprobsResult": result, "avgLogprobs": _CHOSEN_LOGPROB}


def _modality(part: Mapping[str, Any]) -> str | None:
    """The modality of a media part (``None`` for other parts)."""
    media = part.get("inlineData") or part.get("fileData")
    if not isinstance(media, Mapping):
        return None
    major = str(media.get("mimeType", "")).split("/", 1)[0].upper()
    return major if major in ("IMAGE", "AUDIO", "VIDEO") else "DOCUMENT"


def _details(counts: Mapping[str, int]) -> list[dict[str, Any]]:
    return [
        {"modality": modality, "tokenCount": count}
        for modality, count in counts.items()
        if count
    ]


def usage_of(
    body: Mapping[str, Any], answers: list[list[dict[str, Any]]]
) -> dict[str, Any]:
    """``usageMetadata`` for ``answers`` (each candidate's parts) to ``body``."""
    contents = body.get("contents") or []
    prompt: dict[str, int] = {"TEXT": 0}
    words = []
    for turn in contents:
        kept = []
        for part in turn.get("parts") or []:
            modality = _modality(part)
            if modality is None:
                kept.append(part)
            else:
                prompt[modality] = prompt.get(modality, 0) + MEDIA_TOKENS
        words.append({**turn, "parts": kept})
    prompt["TEXT"] = _tokens(json.dumps(words))
    usage: dict[str, Any] = {}
    if body.get("cachedContent"):
        prompt["TEXT"] += CACHED_TOKENS
        usage["cachedContentTokenCount"] = CACHED_TOKENS
        usage["cacheTokensDetails"] = _details({"TEXT": CACHED_TOKENS})
    output: dict[str, int] = {}
    thoughts = 0
    for parts in answers:
        for part in parts:
            if part.get("thought"):
                thoughts += _tokens(part.get("text", ""))
                continue
            modality = _modality(part) or "TEXT"
            tokens = _tokens(part.get("text", "") or json.dumps(part))
            output[modality] = output.get(modality, 0) + tokens
    usage.update(
        _usage(
            sum(prompt.values()),
            max(sum(output.values()), 1),
            thoughts,
            promptTokensDetails=_details(prompt),
            candidatesTokensDetails=_details(output or {"TEXT": 1}),
        )
    )
    return usage
