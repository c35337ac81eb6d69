"""Pure: when one call takes several requests (hops), and what it returns.

Two reasons to send again, decided here once for invoke and stream, sync and
async (the drivers in ``_client`` only send what :class:`Hops` asks for):

- **Long decode.** A model that caps each request's output (Gemini 4) ends
  an unfinished answer with ``finishReason: CONTINUATION`` and a
  ``continuationToken`` on the candidate. With ``automatic_continuation`` the
  same request is sent again with the token at the top level, until another
  finish reason; at most ``max_continuations`` times, then
  :class:`GeminiContinuationError`. Invoke gets one answer: the hops' parts
  joined (the parser then reads them through the part table as one answer),
  usage summed as Google bills it (every hop's prompt and output counted),
  the last hop's finish reason and metadata. A stream flows on across hops:
  the intermediate ``CONTINUATION`` finish and token are taken off the event
  that carries them, so the stream ends once, and each hop's closing usage
  is carried into the next (stream usage is cumulative within a hop only).
  See https://ai.google.dev/gemini-api/docs/generate-content/long-decode
- **A malformed function call.** An answer with function tools bound that
  ends in ``MALFORMED_FUNCTION_CALL`` (and, streamed, showed nothing yet) is
  asked again with ``toolConfig.functionCallingConfig.mode = "VALIDATED"``
  (calls constrained to the declared schemas), at most
  ``malformed_call_retries`` times; past that the answer is returned as it
  is and a warning logged. See
  https://ai.google.dev/gemini-api/docs/function-calling#function_calling_modes
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from langchain_cometgemini._errors import GeminiContinuationError

__all__ = [
    "CONTINUATION",
    "MALFORMED",
    "Hops",
    "sum_usage",
]

logger = logging.getLogger("langchain_cometgemini.chat_models")

CONTINUATION = "CONTINUATION"
MALFORMED = "MALFORMED_FUNCTION_CALL"


def _candidate(answer: Any) -> dict[str, Any] | None:
    candidates = answer.get("candidates") if isinstance(answer, dict) else None
    if isinstance(candidates, list) and candidates:
        first = candidates[0]
        return first if isinstance(first, dict) else None
    return None


def _finish(candidate: Mapping[str, Any] | None) -> str | None:
    if candidate is None:
        return None
    reason = candidate.get("finishReason", candidate.get("finish_reason"))
    return reason if isinstance(reason, str) else None


def _token(candidate: Mapping[str, Any] | None) -> str | None:
    if candidate is None:
        return None
    token = candidate.get("continuationToken", candidate.get("continuation_token"))
    return token if isinstance(token, str) and token else None


def _has_parts(candidate: Mapping[str, Any] | None) -> bool:
    """Whether the candidate holds a part with something in it."""
    content = candidate.get("content") if candidate else None
    parts = content.get("parts") if isinstance(content, dict) else None
    return isinstance(parts, list) and any(p and p != {"text": ""} for p in parts)


def sum_usage(first: Any, second: Any) -> Any:
    """Two hops' ``usageMetadata`` as one bill: counts added, per-modality
    details added by modality, any other field (``trafficType``) the latest.
    """
    if not isinstance(first, dict):
        return second
    if not isinstance(second, dict):
        return first
    total = dict(first)
    for key, value in second.items():
        before = total.get(key)
        if isinstance(value, int) and isinstance(before, int):
            total[key] = before + value
        elif isinstance(value, list) and isinstance(before, list):
            total[key] = _sum_details(before, value)
        else:
            total[key] = value
    return total


def _sum_details(first: list[Any], second: list[Any]) -> list[Any]:
    counts: dict[Any, dict[str, Any]] = {}
    for item in [*first, *second]:
        if not isinstance(item, dict):
            continue
        entry = counts.setdefault(item.get("modality"), dict(item, tokenCount=0))
        count = item.get("tokenCount", item.get("token_count", 0))
        entry["tokenCount"] += count if isinstance(count, int) else 0
    return list(counts.values())


class Hops:
    """The requests of one call and what they add up to.

    Drivers loop: ``while (body := hops.next_body()) is not None`` send it,
    then hand back the unary answer (:meth:`answer`) or pass each stream
    event through :meth:`see`; a unary call ends with :meth:`joined`.
    """

    def __init__(
        self,
        body: Mapping[str, Any],
        *,
        continuation: bool,
        max_continuations: int,
        malformed_retries: int,
    ) -> None:
        self.body = dict(body)
        self.continuation = continuation
        self.max_continuations = max_continuations
        tools = body.get("tools") or []
        functions = any(
            isinstance(t, dict) and t.get("functionDeclarations") for t in tools
        )
        self.retries_left = malformed_retries if functions else 0
        self.malformed_retries = malformed_retries if functions else 0
        self.hops = 0  # continuations sent
        self.answers: list[dict[str, Any]] = []
        self._next: dict[str, Any] | None = self.body
        # The request that was answered: a continuation resends it (a
        # VALIDATED resend stays VALIDATED).
        self._answered = self.body
        self._shown = False  # a stream event with content reached the caller
        self._carried: Any = None  # usage of finished hops not in answers

    # -- what to send --------------------------------------------------------

    def next_body(self) -> dict[str, Any] | None:
        """The next request, or ``None``: the call is complete."""
        body, self._next = self._next, None
        return body

    def _after(self, candidate: dict[str, Any] | None, shown: bool) -> bool:
        """Decide the next request from a hop's last candidate; whether the
        call goes on (so the hop's finish is intermediate).
        """
        reason = _finish(candidate)
        token = _token(candidate)
        if reason == MALFORMED and not shown and not self.answers:
            if self.retries_left > 0:
                self.retries_left -= 1
                self._next = self._answered = _validated(self.body)
                return True
            if self.malformed_retries:
                logger.warning(
                    "Gemini answered MALFORMED_FUNCTION_CALL again after %d "
                    "resend(s) with functionCallingConfig.mode VALIDATED; "
                    "returning the answer as it is.",
                    self.malformed_retries,
                )
            return False
        if not (self.continuation and token and reason in (CONTINUATION, None)):
            return False
        if self.hops >= self.max_continuations:
            raise GeminiContinuationError(
                "The answer is still unfinished (finishReason CONTINUATION) after "
                f"{self.hops} continuations (max_continuations="
                f"{self.max_continuations}). Raise max_continuations, or set "
                "automatic_continuation=False "
                "and continue from response_metadata['continuation_token']."
            )
        self.hops += 1
        self._next = {**self._answered, "continuationToken": token}
        return True

    # -- unary -----------------------------------------------------------------

    def answer(self, answer: dict[str, Any]) -> None:
        """One hop's unary answer."""
        candidate = _candidate(answer)
        if self._after(candidate, shown=False) and _finish(candidate) == MALFORMED:
            # Asked again: this answer is dropped, but it was billed.
            self._carried = sum_usage(self._carried, answer.get("usageMetadata"))
            return
        self.answers.append(answer)

    def joined(self) -> dict[str, Any]:
        """The hops' answers as one ``GenerateContentResponse``."""
        last = self.answers[-1]
        if len(self.answers) == 1 and self._carried is None:
            return last
        whole = copy.deepcopy(last)
        candidate = _candidate(whole)
        if candidate is not None:
            parts = [
                part
                for answer in self.answers
                for part in ((_candidate(answer) or {}).get("content") or {}).get(
                    "parts", []
                )
            ]
            content = candidate.setdefault("content", {"role": "model"})
            content["parts"] = parts
        usage = self._carried
        for answer in self.answers:
            usage = sum_usage(usage, answer.get("usageMetadata"))
        if usage is not None:
            whole["usageMetadata"] = usage
        return whole

    # -- streams ---------------------------------------------------------------

    def see(self, event: Any) -> Any:
        """A stream event as the caller should see it.

        The event that ends a hop the call goes on from loses its finish
        reason and token (the stream ends once), and its usage is carried;
        every later event's usage has the finished hops' added.
        """
        candidate = _candidate(event)
        if _has_parts(candidate):
            self._shown = True
        # Only a hop's finishing event decides (a token on an earlier event is
        # a checkpoint, not the end of the hop).
        if _finish(candidate) is not None and self._after(candidate, self._shown):
            event = _intermediate(event)
            self._carried = sum_usage(self._carried, event.pop("usageMetadata", None))
            return event
        if self._carried is not None and isinstance(event, dict):
            usage = event.get("usageMetadata")
            if isinstance(usage, dict):
                event = {**event, "usageMetadata": sum_usage(self._carried, usage)}
        return event


def _validated(body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` with ``functionCallingConfig.mode`` VALIDATED (other keys kept)."""
    config = dict(body.get("toolConfig") or {})
    calling = dict(config.get("functionCallingConfig") or {})
    calling["mode"] = "VALIDATED"
    config["functionCallingConfig"] = calling
    return {**body, "toolConfig": config}


_HOP_END_KEYS = frozenset(
    {"finishReason", "finish_reason", "continuationToken", "continuation_token"}
)


def _intermediate(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``event`` without its first candidate's finish and token."""
    event = dict(event)
    candidates = list(event["candidates"])
    candidates[0] = {k: v for k, v in candidates[0].items() if k not in _HOP_END_KEYS}
    event["candidates"] = candidates
    return event
