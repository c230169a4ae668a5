"""One cold start, run in a fresh interpreter by bench/coldstart.py (not imported by it).

``python -m bench.cold MODULE EVENT_FILE [--conversation SCRIPT]``

Before the clock starts, it imports what AWS Lambda's Python runtime has already
imported when it loads a handler (awslambdaric: bootstrap.py's importlib, json,
logging, os, sys, time, traceback; the runtime client's concurrent.futures; the
marshaller's decimal and math) and, like the runtime, gives the root logger a handler
that formats every record, so neither skill is charged for those. Then, like the
runtime, it imports the handler module and answers one LaunchRequest. It prints one
JSON line: monotonic timestamps and which heavy modules ended up loaded. With
``--conversation`` it then answers the scripted conversation (three sessions) and
reports the peak resident memory of the process.
"""

from __future__ import annotations

# Some of these are imported only because the Lambda runtime has them loaded already.
import concurrent.futures  # noqa: F401
import decimal  # noqa: F401
import importlib
import json
import logging
import math  # noqa: F401
import os
import sys
import time
import traceback  # noqa: F401


def lambda_like_logging() -> None:
    """A root handler like the runtime's: it formats every record (here into /dev/null)."""
    handler = logging.StreamHandler(open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    handler.setFormatter(
        logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(message)s\n")
    )
    logging.getLogger().addHandler(handler)


def peak_rss_kib() -> int:
    """The peak resident set size of this process, in KiB.

    From /proc's VmHWM where there is one: getrusage's ru_maxrss survives execve, so in
    a child it can report the (larger) parent's peak from before the exec.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# Directories to put in front of sys.path: how bench/lambda_zip.py, which runs this file
# as a script with -I (no PYTHONPATH), gives it the unpacked zip.
PATH_ENV = "BENCH_SYS_PATH"


def main(argv: list[str]) -> int:
    module_name, event_file = argv[0], argv[1]
    extra = [entry for entry in os.environ.get(PATH_ENV, "").split(os.pathsep) if entry]
    sys.path[:0] = extra
    with open(event_file, encoding="utf-8") as file:
        event = json.load(file)
    lambda_like_logging()

    start = time.monotonic()
    handler = importlib.import_module(module_name).lambda_handler
    imported = time.monotonic()
    response = handler(event, None)
    answered = time.monotonic()
    cpu_at_answer = time.process_time()  # this process's CPU time since it started

    result = {
        "start": start,
        "imported": imported,
        "answered": answered,
        "cpu_at_answer": cpu_at_answer,
        "spoke": "outputSpeech" in (response.get("response") or {}),
        "loaded": {
            name: name in sys.modules
            # The reminders' API client and its HTTP stack load only when a reminder is
            # set, listed, changed or cancelled (skill.alexa.reminders): never on a launch.
            for name in (
                "boto3",
                "botocore",
                "jinja2",
                "platformdirs",
                "sqlite3",
                "moto",
                "skill.alexa.reminders",
                "urllib.request",
                "zoneinfo",
            )
        },
    }
    if len(argv) > 3 and argv[2] == "--conversation":
        from bench.conversation import SCRIPTS, run_session

        for _ in range(int(os.environ.get("BENCH_SESSIONS", "3"))):
            run_session(handler, SCRIPTS[argv[3]])
        result["maxrss_kib"] = peak_rss_kib()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
