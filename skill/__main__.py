"""Command line: ``python -m skill <command>``.

Each command lives in its own module, imported only when that command runs, so that
starting the chat never imports Flask and building a package never imports the skill.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from skill.tools.extras import check_modules, report_missing_extra

# command -> (module, help). Each module exposes ``main(argv: list[str]) -> int``.
COMMANDS: dict[str, tuple[str, str]] = {
    "chat": ("skill.channels.chat", "talk to the skill in the terminal"),
    "serve": ("skill.web", "serve the Alexa (and phone) web endpoint for development"),
    "simulator": (
        "skill.channels.simulator.app",
        "talk to the skill in a browser page, with its pauses (development)",
    ),
    "phone-chat": (
        "skill.channels.phone.terminal",
        "call the phone line from the terminal: its real webhooks, no Twilio (development)",
    ),
    "content": ("skill.tools.content", "check every program's content in every locale"),
    "package": ("skill.tools.skill_package", "assemble the ASK CLI skill package under infra/"),
    "build-lambda": ("skill.tools.packaging", "build the AWS Lambda deployment zip"),
    "build-phone-lambda": ("skill.tools.phone_packaging", "build the phone line's Lambda zip"),
    "evaluate": (
        "skill.understanding.evaluate",
        "measure the chat's and phone line's ear on labelled utterances",
    ),
    "train-ear": (
        "skill.understanding.training",
        "train the ear's heads from the corpus and the model (build time)",
    ),
    "speech-report": (
        "skill.speech.report",
        "words and seconds of speech before each view's first question",
    ),
    "prerender": (
        "skill.speech.prerender",
        "render every reply ahead of time (done by build-lambda)",
    ),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m skill", description=__doc__)
    parser.add_argument("command", choices=sorted(COMMANDS), help="what to run")
    if not argv or argv[0] in {"-h", "--help"}:
        parser.print_help()
        for name, (_, text) in sorted(COMMANDS.items()):
            print(f"  {name:<19} {text}")
        return 0 if argv else 2
    args = parser.parse_args(argv[:1])
    try:
        check_modules(args.command)
        module = importlib.import_module(COMMANDS[args.command][0])
        return int(module.main(argv[1:]) or 0)
    except ModuleNotFoundError as exc:
        # An optional extra that is not installed: one line and the install command.
        return report_missing_extra(f"python -m skill {args.command}", exc)


if __name__ == "__main__":
    raise SystemExit(main())
