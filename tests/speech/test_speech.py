"""The template renderer: escaping, locale fallback, strictness, compiled once."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

from skill.speech.render import Speech, get_speech
from skill.speech.ssml import validate
from skill.speech.templating import build_environment

from support import tip_reply

TIP = dict(tip_reply(1, intro=True).data)


def test_values_are_escaped_in_speech_but_not_in_cards() -> None:
    rendered = get_speech().render("en-US", "step", {**TIP, "partner": "Tom & <Jerry>"}, "step")
    assert "Tom &amp; &lt;Jerry&gt;" in (rendered.speech or "")
    validate(rendered.speech or "")


def test_missing_values_fail_loudly() -> None:
    with pytest.raises(UndefinedError):
        get_speech().render("en-US", "step", {"question": "practice"})


def test_locale_overrides_only_what_differs(tmp_path: Path) -> None:
    (tmp_path / "en" / "views").mkdir(parents=True)
    (tmp_path / "en-GB").mkdir()
    (tmp_path / "en" / "_words.ssml.j2").write_text("{% macro color() %}color{% endmacro %}")
    (tmp_path / "en-GB" / "_words.ssml.j2").write_text("{% macro color() %}colour{% endmacro %}")
    (tmp_path / "en" / "views" / "hi.ssml.j2").write_text(
        '{% import "_words.ssml.j2" as w %}'
        "{% macro speech() %}A {{ w.color() }} for {{ name }}.{% endmacro %}"
        "{% macro reprompt() %}Say yes.{% endmacro %}"
    )
    speech = Speech(build_environment(tmp_path))
    assert speech.render("en-US", "hi", {"name": "you"}).speech == "A color for you."
    assert speech.render("en-GB", "hi", {"name": "you"}).speech == "A colour for you."
    assert speech.render("en-AU", "hi", {"name": "you"}).reprompt == "Say yes."


def test_templates_are_read_and_compiled_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    speech = Speech()
    loader = speech.env.loader
    assert loader is not None
    calls: list[str] = []
    original = loader.get_source

    def counting(environment, template):  # type: ignore[no-untyped-def]
        calls.append(template)
        return original(environment, template)

    monkeypatch.setattr(loader, "get_source", counting)
    for _ in range(5):
        speech.render("en-US", "step", TIP, "step")
    assert len(calls) == len(set(calls)), f"templates read more than once: {calls}"
    assert get_speech() is get_speech()


def test_silence_renders_nothing() -> None:
    rendered = get_speech().render("en-US", None, {})
    assert rendered.speech is None and rendered.reprompt is None
