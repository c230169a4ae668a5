"""The template renderer: escaping, locale fallback, strictness, compiled once, what SSML
cannot carry, and a cache bounded by its size."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

from skill.core.dialog import Action, Command, Conversation, handle
from skill.core.progress import Progress
from skill.speech.programs import get_catalog
from skill.speech.render import NEUTRAL_LOCALE, Speech, get_speech, speakable, speech_locale
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


# --- any locale, any text, bounded memory ---------------------------------------------


@pytest.mark.parametrize("locale", ["de-DE", "fr-CA", "ja-JP", "xx-XX", "", None, "../../etc"])
def test_a_locale_without_templates_speaks_the_default_english(locale: str | None) -> None:
    welcome = handle(Conversation(), Progress(), Command(Action.LAUNCH), 0, get_catalog()).reply
    rendered = get_speech().render(locale, "welcome", welcome.data)
    assert rendered.speech == get_speech().render("en-US", "welcome", welcome.data).speech


def test_the_skills_locales_are_matched_whatever_their_case() -> None:
    assert speech_locale("EN-gb") == "en-GB"
    assert speech_locale(" en-AU ") == "en-AU"
    assert speech_locale("en-NZ") == NEUTRAL_LOCALE  # no local numbers known: none given


def test_the_templates_loader_finds_a_template_for_any_locale() -> None:
    env = build_environment()
    assert env.get_template("xx-XX/views/error.ssml.j2") is not None


def test_text_values_lose_what_ssml_cannot_carry() -> None:
    data = {**TIP, "partner": "To\x00m\ud800 & \ufffeJerry\x1b"}
    rendered = get_speech().render("en-US", "step", data, "step")
    validate(rendered.speech or "")
    assert "Tom &amp; Jerry" in (rendered.speech or "")
    assert speakable("a\tb\nc") == "a\tb\nc"  # whitespace stays; tidying handles it


def test_the_render_cache_is_bounded_by_size_not_only_entries() -> None:
    speech = Speech(prerendered_dir=None, cache_size=10_000, cache_chars=50_000)
    for n in range(200):
        speech.render("en-US", "step", {**TIP, "partner": f"{n} " + "x" * 90})
    assert speech.cache.chars <= 50_000
    assert len(speech.cache) < 200  # the oldest went, though far fewer than 10,000 entries
    # The most recent are still there, and still right.
    last = {**TIP, "partner": "199 " + "x" * 90}
    assert speech.render("en-US", "step", last) == speech.render_now("en-US", "step", last)


def test_a_reply_larger_than_the_whole_cache_is_not_kept() -> None:
    speech = Speech(prerendered_dir=None, cache_chars=100)
    speech.render("en-US", "step", TIP)
    assert len(speech.cache) == 0 and speech.cache.chars == 0
