"""Save the audio a Gemini speech model returned: :func:`save_audio`.

Text-to-speech models (``response_modalities=["AUDIO"]`` with a
``speech_config``) answer with raw PCM, ``audio/L16;codec=pcm;rate=24000``:
16-bit little-endian samples with no header, which no player opens as is.
Each answer becomes standard ``{"type": "audio", "base64": ..., "mime_type":
...}`` blocks; :func:`save_audio` joins them and writes a WAV file whose
header is taken from the parameters the MIME type names (``rate``,
``channels``). Google's guide writes the same bytes with Python's ``wave``
module: https://ai.google.dev/gemini-api/docs/speech-generation
"""

from __future__ import annotations

import wave
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from langchain_core.messages import BaseMessage

from langchain_cometgemini.images import decode_base64

__all__ = ["AudioClip", "audio_clips", "pcm_format", "save_audio"]

_PCM_TYPES = ("audio/l16", "audio/pcm")


class AudioClip(NamedTuple):
    """One run of audio of one format: its MIME type and the decoded bytes."""

    mime_type: str
    data: bytes


def _blocks(message: BaseMessage) -> Iterator[Mapping[str, Any]]:
    if isinstance(message.content, str):
        return
    for block in message.content:
        if isinstance(block, Mapping):
            if block.get("type") == "non_standard":  # content_blocks' wrapping
                block = block.get("value") or {}
            if block.get("type") == "audio" and isinstance(block.get("base64"), str):
                yield block


def audio_clips(message: BaseMessage) -> list[AudioClip]:
    """The message's inline audio, neighbouring blocks of one format joined.

    A streamed answer may aggregate into several blocks (base64 pieces join
    only when aligned); a block without ``mime_type`` continues the one before.
    """
    clips: list[AudioClip] = []
    for block in _blocks(message):
        mime = block.get("mime_type") or (clips[-1].mime_type if clips else "")
        raw = decode_base64(str(block["base64"]), f"{mime or 'audio'} audio")
        if clips and clips[-1].mime_type == mime:
            clips[-1] = AudioClip(mime, clips[-1].data + raw)
        else:
            clips.append(AudioClip(str(mime), raw))
    return clips


def pcm_format(mime_type: str) -> tuple[int, int] | None:
    """``(rate, channels)`` of a raw PCM MIME type, ``None`` for other audio.

    ``audio/L16;codec=pcm;rate=24000`` -> ``(24000, 1)``; a missing rate is
    Gemini's 24 kHz, missing channels mono.
    """
    kind, *params = [p.strip() for p in mime_type.split(";")]
    if kind.lower() not in _PCM_TYPES:
        return None
    values = dict(p.partition("=")[::2] for p in params)
    try:
        rate = int(values.get("rate", "24000"))
        channels = int(values.get("channels", "1"))
    except ValueError as exc:
        raise ValueError(f"Unreadable PCM parameters in {mime_type!r}") from exc
    if rate <= 0 or channels <= 0:
        raise ValueError(f"Unusable PCM parameters in {mime_type!r}")
    return rate, channels


def save_audio(message: BaseMessage, path: str | Path) -> Path:
    """Write the audio of ``message`` to ``path`` and return the path.

    Raw PCM (``audio/L16`` / ``audio/pcm``) is written as a 16-bit WAV file,
    its header built from the MIME type's ``rate`` and ``channels``; audio
    that already has a container (``audio/wav``, ``audio/mpeg``, ...) is
    written as it came. The parent directory is created if needed.

    Raises ``ValueError`` when the message holds no audio, or clips of
    different formats (use :func:`audio_clips` to save them one by one).

    Example:
        .. code-block:: python

            msg = llm.invoke("Say hello", response_modalities=["AUDIO"],
                             speech_config="Kore")
            save_audio(msg, "hello.wav")

    """
    clips = audio_clips(message)
    if not clips:
        raise ValueError("The message holds no audio block to save.")
    if len({clip.mime_type for clip in clips}) > 1:
        kinds = sorted({clip.mime_type for clip in clips})
        raise ValueError(
            f"The message holds audio of several formats {kinds}; save each of "
            "audio_clips(message) separately."
        )
    mime = clips[0].mime_type
    data = b"".join(clip.data for clip in clips)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    pcm = pcm_format(mime)
    if pcm is None:
        target.write_bytes(data)
        return target
    rate, channels = pcm
    with wave.open(str(target), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)  # L16: 16-bit samples
        out.setframerate(rate)
        out.writeframes(data)
    return target
