"""The simulator page in a real headless Chromium, as a person uses it.

Speech synthesis is a stub that records what the page asked it to say and when, speech
recognition a fake that hears what the test queues (conftest.py). Time runs at
TIME_SCALE, so the waits below are in scaled device time.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from skill.channels.simulator.script import load, replay
from skill.lambda_function import lambda_handler

from sim_browser import TIME_SCALE, Server, artifacts_dir, console_errors

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WAIT_SECONDS = 15


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Callable[[str], Any]]:
    """Opens the page (with an optional #hash for the stubs); at the end, no console errors."""

    def open_page(fragment: str = "") -> Any:
        browser.get(server.url + fragment)
        wait_for(browser, lambda d: d.find_element("id", "status").text.startswith("Say or type"))
        return browser

    yield open_page
    errors = console_errors(browser)
    browser.execute_script("sessionStorage.clear()")  # each test meets the microphone notice
    browser.get("about:blank")  # stops the page's timers before the next test
    assert not errors, "console errors:\n" + "\n".join(errors)


def wait_for(driver: Any, condition: Callable[[Any], Any], seconds: float = WAIT_SECONDS) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.02).until(condition)


def say(driver: Any, words: str) -> None:
    box = driver.find_element("id", "say-text")
    box.send_keys(words)
    driver.find_element("id", "say-button").click()


def turns(driver: Any) -> list[Any]:
    return driver.find_elements("css selector", "#transcript li.turn")


def last_turn_text(driver: Any) -> str:
    found = turns(driver)
    return found[-1].text if found else ""


def state(driver: Any) -> str:
    return str(driver.execute_script("return document.body.dataset.state"))


def spoken(driver: Any) -> list[dict[str, Any]]:
    return list(driver.execute_script("return window.__spoken"))


def wait_turns(driver: Any, count: int) -> None:
    wait_for(driver, lambda d: len(turns(d)) >= count)


def test_walkthrough_typed_and_spoken_with_real_pauses_then_a_disclosure(
    page: Callable[[str], Any],
) -> None:
    driver = page("#patient")
    assert driver.find_element("id", "announcer").get_attribute("aria-live") == "polite"
    say(driver, "help me talk to my partner")
    wait_turns(driver, 1)
    turn = turns(driver)[0]
    assert "Tip 1. Focus on the relationship, not on your partner." in turn.text
    card = turn.find_element("css selector", "article.card")
    assert "Tip 1: Focus on the relationship, not on your partner." in card.text
    assert "Instead of" in card.text
    # The debug panel is there, and collapsed.
    debug = turn.find_element("css selector", "details.debug")
    assert debug.get_attribute("open") is None
    wait_for(driver, lambda d: state(d) == "listening")
    said = [entry["text"] for entry in spoken(driver)]
    assert "Tip 1. Focus on the relationship, not on your partner." in said
    assert all(entry["lang"] == "en-US" for entry in spoken(driver))

    # "yes" by voice: the first press says where the audio may go, then listens.
    driver.execute_script("window.__toHear.push('yes')")
    before = len(spoken(driver))
    driver.find_element("id", "talk").click()
    dialog = driver.find_element("id", "mic-dialog")
    wait_for(driver, lambda d: dialog.is_displayed())
    assert "browser maker's service" in dialog.text
    assert "Typing sends nothing anywhere but this server" in dialog.text
    driver.find_element("id", "mic-ok").click()
    wait_turns(driver, 2)
    practice = turns(driver)[1]
    assert "You (spoken) yes" in practice.text
    assert "Close your eyes" in practice.text
    # The practice is one piece: an APL for Audio document, played as its timeline.
    assert "One continuous piece" in practice.text
    wait_for(driver, lambda d: state(d) == "listening")

    # What the speech synthesis was asked to say, and the silences between: the whole
    # practice in one answer, with silences past SSML's ten seconds, its question last.
    entries = spoken(driver)[before:]
    texts = [entry["text"] for entry in entries]
    assert texts == [
        "Okay. Let's practice.",
        "Close your eyes, if it's safe where you are.",
        "Think of one complaint you often make to your partner.",
        "Now look underneath it, for what you are longing for. Closeness, maybe. Or fun. "
        "Or feeling seen.",
        "Turn that longing into a sentence about you. Start it with, I miss. Or with, I would "
        "love.",
        "Say it quietly to yourself, once.",
        "You can open your eyes now. Do you have a sentence you could say to your partner?",
    ]
    gaps = [b["start"] - a["end"] for a, b in itertools.pairwise(entries)]
    for gap, pause_ms in zip(gaps, (1000, 2000, 8000, 20000, 30000, 8000), strict=True):
        assert gap >= pause_ms * TIME_SCALE * 0.95, (gaps, pause_ms)
    assert gaps[1] < gaps[4], "a 2 s pause lasted as long as a 30 s one"
    # A visible countdown in device seconds during each pause.
    countdowns = driver.execute_script("return window.__countdowns")
    assert "Pause 2 s" in countdowns and "Pause 8 s" in countdowns, countdowns
    thirty = countdowns.index("Pause 30 s")
    # It counts down (a loaded machine may skip a second, never all of them).
    assert any(re.fullmatch(r"Pause [1-9]\d? s", shown) for shown in countdowns[thirty + 1 :])
    assert "Listening 8 s" in countdowns[thirty:], countdowns

    # A disclosure: coaching stops, the safety answer and its card of numbers.
    say(driver, "my husband hits me")
    wait_turns(driver, 3)
    safety = turns(driver)[2]
    assert "1-800-799-7233" in safety.text and "911" in safety.text
    assert "1-800-799-7233" in safety.find_element("css selector", "article.card").text
    wait_for(driver, lambda d: state(d) == "listening")
    announced = driver.find_element("id", "announcer").get_attribute("textContent")
    assert announced.startswith("Alexa: ") and "1-800-799-7233" in announced
    # say-as read sensibly: the digits one by one, as Alexa reads them.
    assert any("call 9 1 1" in entry["text"] for entry in spoken(driver))
    assert any("1, 8 0 0, 7 9 9, 7 2 3 3" in entry["text"] for entry in spoken(driver))

    driver.save_screenshot(str(artifacts_dir() / "simulator.png"))


def test_silence_brings_the_reprompt_then_the_session_ends(page: Callable[[str], Any]) -> None:
    driver = page("")
    say(driver, "open ally coach")
    wait_turns(driver, 1)
    reprompt = driver.find_element("css selector", "#transcript details.debug")
    assert "Reprompt SSML" in reprompt.get_attribute("textContent")
    wait_turns(driver, 2)  # eight (scaled) seconds of silence
    second = turns(driver)[1]
    assert "(stayed silent)" in second.text
    assert "Would you like to hear the five tips?" in spoken(driver)[-1]["text"]
    wait_turns(driver, 3)
    assert "The session has ended" in last_turn_text(driver)
    wait_for(driver, lambda d: state(d) == "closed")
    debug = turns(driver)[2].find_element("css selector", "details.debug")
    assert "SessionEndedRequest" in debug.get_attribute("textContent")


def test_the_debug_panel_shows_what_was_understood_and_why(page: Callable[[str], Any]) -> None:
    driver = page("#patient")
    say(driver, "tip three")
    wait_turns(driver, 1)
    debug = turns(driver)[0].find_element("css selector", "details.debug")
    debug.find_element("tag name", "summary").click()
    text = debug.text
    assert "GoToTipIntent" in text
    assert "Slots\nnumber = 3" in text
    assert "100%" in text
    # The dialog core's own names for what it did and said (whatever they are today).
    assert re.search(r"Dialog action\n[a-z_]+\n", text), text
    assert re.search(r"View rendered\n[a-z_]+\n", text), text
    assert '<break time="500ms"/>' in text
    # A near-miss is understood with less confidence, and the panel says how much.
    say(driver, "okay carry on to the next bit")
    wait_turns(driver, 2)
    debug = turns(driver)[1].find_element("css selector", "details.debug")
    debug.find_element("tag name", "summary").click()
    assert "AMAZON.NextIntent" in debug.text
    assert "100%" not in debug.text


def test_locales_progress_and_forgetting(page: Callable[[str], Any]) -> None:
    driver = page("#patient")
    say(driver, "help me talk to my partner")
    wait_turns(driver, 1)
    progress = driver.find_element("id", "progress")
    wait_for(driver, lambda d: "relationship: heard" in progress.text)
    assert "Motivate your partner (current)" in progress.text
    assert "gains: not heard" in progress.text

    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", "locale")).select_by_value("en-GB")
    wait_for(driver, lambda d: "Locale en-GB" in d.find_element("id", "transcript").text)
    assert driver.execute_script("return document.documentElement.lang") == "en-GB"
    say(driver, "my partner is violent")
    wait_turns(driver, 2)
    assert "999" in last_turn_text(driver) and "0808" in last_turn_text(driver)
    wait_for(driver, lambda d: state(d) == "listening")
    assert spoken(driver)[-1]["lang"] == "en-GB"

    driver.find_element("id", "forget").click()
    driver.find_element("id", "forget-yes").click()
    wait_for(driver, lambda d: "Progress forgotten" in d.find_element("id", "transcript").text)
    wait_for(driver, lambda d: "relationship: not heard" in progress.text)
    assert "Nothing stored yet" in progress.text


def test_record_a_dialog_and_replay_it_as_a_test(
    page: Callable[[str], Any], server: Server
) -> None:
    driver = page("#patient")
    record = driver.find_element("id", "record")
    record.click()
    wait_for(driver, lambda d: record.get_attribute("aria-pressed") == "true")
    say(driver, "help me talk to my partner")
    wait_turns(driver, 1)
    boxes = turns(driver)[0].find_elements("css selector", "fieldset.must-hear input")
    chosen = {box.get_attribute("value") for box in boxes if box.is_selected()}
    assert "Tip 1: Focus on the relationship, not on your partner" in chosen
    # A greeting may be reworded by other work: offered, but not ticked.
    assert not any("really common" in value for value in chosen)
    wait_for(driver, lambda d: state(d) == "listening")
    say(driver, "yes")
    wait_turns(driver, 2)
    say(driver, "my husband hits me")
    wait_turns(driver, 3)
    record.click()
    wait_for(driver, lambda d: record.get_attribute("aria-pressed") == "false")
    name = driver.find_element("id", "script-name")
    name.clear()
    name.send_keys("browser recording")
    driver.find_element("id", "save-script").click()
    result = driver.find_element("id", "script-result")
    wait_for(driver, lambda d: result.text.startswith("Saved to"))

    saved = server.dialogs / "browser-recording.yaml"
    script = load(saved)
    assert [step.say for step in script.steps] == [
        "help me talk to my partner",
        "yes",
        "my husband hits me",
    ]
    assert script.steps[1].pauses == (1, 2, 8, 20, 30, 8)
    assert "1-800-799-7233" in script.steps[2].hear
    exchanges = replay(script, lambda_handler, str(saved))
    assert "1-800-799-7233" in exchanges[-1].text


def test_without_speech_recognition_typing_still_does_everything(
    page: Callable[[str], Any],
) -> None:
    driver = page("#no-recognition")
    talk = driver.find_element("id", "talk")
    assert not talk.is_enabled()
    assert "Type instead" in driver.find_element("id", "talk-help").text
    say(driver, "set my direction")
    wait_turns(driver, 1)
    assert "Let's set your direction." in last_turn_text(driver)


def test_the_keyboard_alone_can_talk_and_type(page: Callable[[str], Any]) -> None:
    from selenium.webdriver.common.keys import Keys

    driver = page("#patient")
    driver.execute_script("window.__toHear.push('set my direction')")
    talk = driver.find_element("id", "talk")
    dialog = driver.find_element("id", "mic-dialog")
    talk.send_keys(Keys.SPACE)
    wait_for(driver, lambda d: dialog.is_displayed())
    # "Type instead": nothing listens, and the text box has the focus.
    driver.find_element("id", "mic-cancel").click()
    wait_for(driver, lambda d: d.switch_to.active_element.get_attribute("id") == "say-text")
    assert not dialog.is_displayed()
    assert driver.execute_script("return window.__recognitions.length") == 0
    talk.send_keys(Keys.SPACE)
    wait_for(driver, lambda d: dialog.is_displayed())
    focused = driver.switch_to.active_element
    assert focused.get_attribute("id") == "mic-ok"
    focused.send_keys(Keys.ENTER)
    wait_turns(driver, 1)
    assert "You (spoken) set my direction" in last_turn_text(driver)
    assert driver.execute_script("return window.__recognitions[0].lang") == "en-US"
    # Once told, the notice is not shown again.
    driver.execute_script("window.__toHear.push('next')")
    talk.send_keys(Keys.ENTER)
    wait_turns(driver, 2)
    assert not dialog.is_displayed()
    box = driver.find_element("id", "say-text")
    box.send_keys("where am i", Keys.ENTER)
    wait_turns(driver, 3)
    assert "where am i" in last_turn_text(driver)


def test_the_reflection_plays_as_one_timeline_with_the_sound_asked_for(
    page: Callable[[str], Any],
) -> None:
    driver = page("#patient")
    say(driver, "open ally coach")
    wait_turns(driver, 1)
    say(driver, "with rain")
    wait_turns(driver, 2)
    assert "soft rain" in last_turn_text(driver)
    before = len(spoken(driver))
    say(driver, "set my direction")
    wait_turns(driver, 3)
    piece = last_turn_text(driver)
    assert "One continuous piece" in piece and "amzn_sfx_rain_on_roof_01" in piece
    wait_for(driver, lambda d: state(d) == "listening", seconds=30)
    texts = [entry["text"] for entry in spoken(driver)[before:]]
    assert texts[-1].endswith("Did you find your small step?")
    assert not any("ready" in text.lower() for text in texts)
    countdowns = driver.execute_script("return window.__countdowns")
    assert "Pause 25 s" in countdowns, countdowns


def test_two_people_take_turns_in_the_exercise_for_two(page: Callable[[str], Any]) -> None:
    driver = page("#patient")
    say(driver, "let's do it together")
    wait_turns(driver, 1)
    assert "listening exercise" in last_turn_text(driver)
    wait_for(driver, lambda d: state(d) == "listening", seconds=30)
    say(driver, "we're Sam and Alex")
    wait_turns(driver, 2)
    assert "Sam and Alex" in last_turn_text(driver)
    wait_for(driver, lambda d: state(d) == "listening")
    say(driver, "done")
    wait_turns(driver, 3)
    turn = last_turn_text(driver)
    assert "One continuous piece" in turn and "Sam" in turn
    # The minute of silence plays for real (scaled), with its countdown.
    wait_for(driver, lambda d: state(d) == "listening", seconds=60)
    assert "Pause 60 s" in driver.execute_script("return window.__countdowns")
    say(driver, "switch")
    wait_turns(driver, 4)
    assert "Alex" in last_turn_text(driver)
    wait_for(driver, lambda d: state(d) == "listening", seconds=60)
    say(driver, "we're finished")
    wait_turns(driver, 5)
    wait_for(driver, lambda d: state(d) == "listening", seconds=30)
    assert spoken(driver)[-1]["text"].endswith("Did you each feel heard?")
    say(driver, "yes")
    wait_turns(driver, 6)
    assert "Thank you both" in last_turn_text(driver)
