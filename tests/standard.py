"""What ``ChatCometGemini`` claims to langchain-tests' standard suites, in one place.

``StandardFlags`` is shared by the unit suite (unit_tests/test_standard.py),
the offline integration suite (integration_tests/test_standard_offline.py,
against the bundled emulator) and the live one (integration_tests/
test_live.py): the same capability flags and the same ``invoke_with_*``
helpers for every usage detail the flags claim. The media the helpers send
are made here (a short tone as a WAV file): nothing is downloaded for them.
"""

from __future__ import annotations

import base64
import io
import wave
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import PCM_TONE

MODEL = "gemini-2.5-flash"
OVERRIDE_MODEL = "gemini-2.5-flash-lite"
TTS_MODEL = "gemini-2.5-flash-preview-tts"


def wav_tone() -> bytes:
    """0.1 s of a quiet tone as a WAV file (16-bit mono, 24 kHz)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(24000)
        clip.writeframes(PCM_TONE)
    return out.getvalue()


class StandardFlags:
    """Capability flags and usage-detail helpers of ``ChatCometGemini``.

    Subclasses give ``chat_model_params`` (where the service is) and
    ``cached_content()`` (the name of a cache the service knows).
    """

    chat_model_params: dict[str, Any]
    standard_chat_model_params: dict[str, Any]

    @property
    def chat_model_class(self) -> type[ChatCometGemini]:
        return ChatCometGemini

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_video_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return OVERRIDE_MODEL

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[str]]:
        details = [
            "audio_input",
            "audio_output",
            "reasoning_output",
            "cache_read_input",
        ]
        return {"invoke": details, "stream": details}

    # -- the helpers the usage-detail tests call ------------------------------

    def cached_content(self) -> str:
        """The name of a ``cachedContents`` entry the service holds."""
        raise NotImplementedError

    def _model(self, **overrides: Any) -> ChatCometGemini:
        params = {
            **self.standard_chat_model_params,
            **self.chat_model_params,
            **overrides,
        }
        return ChatCometGemini(**params)

    def _run(self, llm: ChatCometGemini, message: Any, stream: bool) -> AIMessage:
        if not stream:
            return llm.invoke([message])
        full: AIMessageChunk | None = None
        for chunk in llm.stream([message]):
            full = chunk if full is None else full + chunk
        assert full is not None, "the stream gave no chunk"
        return full

    def invoke_with_audio_input(self, *, stream: bool = False) -> AIMessage:
        audio = base64.b64encode(wav_tone()).decode()
        message = HumanMessage(
            [
                {"type": "text", "text": "Describe this sound in one word."},
                {"type": "audio", "base64": audio, "mime_type": "audio/wav"},
            ]
        )
        return self._run(self._model(), message, stream)

    def invoke_with_audio_output(self, *, stream: bool = False) -> AIMessage:
        llm = self._model(
            model=TTS_MODEL, response_modalities=["AUDIO"], speech_config="Kore"
        )
        return self._run(llm, HumanMessage("Say: good morning."), stream)

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        llm = self._model(include_thoughts=True, reasoning_effort="low")
        question = "How many r's are in 'strawberry'? Think, then answer briefly."
        return self._run(llm, HumanMessage(question), stream)

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        llm = self._model(cached_content=self.cached_content())
        return self._run(llm, HumanMessage("Summarise the cached text."), stream)
