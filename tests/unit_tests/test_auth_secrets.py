"""The key stays secret in every ``auth_header`` form (test_secrets.py's checks
for ``Authorization: Bearer KEY`` and the bare ``Authorization: KEY``)."""

from __future__ import annotations

import logging
import traceback

import pytest
from langchain_core.load import dumps

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini._errors import GeminiServerError
from langchain_cometgemini.testing import GeminiEmulator, Reply

KEY = "sk-SECRET-auth-forms-do-not-leak-93"
FORMS = [("bearer", f"Bearer {KEY}"), ("authorization", KEY)]


@pytest.mark.parametrize(("form", "sent"), FORMS)
def test_key_only_in_the_chosen_header(
    emulator: GeminiEmulator, form: str, sent: str
) -> None:
    emulator.queue(Reply.text("fine"), Reply.stream("fi", "ne"))
    llm = ChatCometGemini(api_key=KEY, base_url=emulator.url, auth_header=form)
    assert llm.invoke("hi").text == "fine"
    assert "".join(str(c.content) for c in llm.stream("hi")) == "fine"
    for request in emulator.requests:
        assert request.headers["authorization"] == sent
        assert "x-goog-api-key" not in request.headers
        others = {k: v for k, v in request.headers.items() if k != "authorization"}
        assert KEY not in repr(others)
        assert KEY not in request.path
        assert KEY not in repr(request.body)


@pytest.mark.parametrize(("form", "sent"), FORMS)
def test_key_not_shown_logged_or_serialized(
    emulator: GeminiEmulator,
    caplog: pytest.LogCaptureFixture,
    form: str,
    sent: str,
) -> None:
    emulator.queue(Reply.error(503, "busy", retry_after=0), Reply.error(503, "busy"))
    llm = ChatCometGemini(
        api_key=KEY, base_url=emulator.url, auth_header=form, max_retries=1
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(GeminiServerError) as info:
        llm.invoke("hi")
    shown = [
        repr(llm),
        str(llm),
        repr(llm.http),
        llm.model_dump_json(),
        repr(llm.model_dump()),
        dumps(llm),
        str(info.value),
        repr(info.value),
        "".join(traceback.format_exception(info.value)),
        caplog.text,
    ]
    assert llm.model_dump()["auth_header"] == form
    assert len(emulator.requests) == 2
    for text in shown:
        assert KEY not in text


def test_unknown_auth_header_is_refused() -> None:
    with pytest.raises(ValueError, match="auth_header"):
        ChatCometGemini(api_key=KEY, auth_header="cookie")  # type: ignore[arg-type]
