"""``python -m bench [--quick] [--skip-web] [--skip-phone] [--strict]``: every benchmark.

Ally Coach side by side with a plain ASK SDK hello-world skill (bench/hello_world.py),
in the same run on the same machine: per-turn cost on the embedded store and on
DynamoDB (moto), DynamoDB calls per session, cold starts, peak memory, and the web
endpoint's throughput with Alexa request verification on and off. It prints a table
with PASS/FAIL per budget (fitting 100 columns) and writes bench/results/latest.json and
latest.md (the full table).

Ratios are what to read: absolute times drift on a shared machine. ``--quick`` runs a
tiny version (seconds, for tests); its timing verdicts are "indicative", never failures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.cost import cost_rows, cost_table
from bench.measure import RESULTS_DIR, ROOT
from bench.phone import PHONE_BUDGETS, phone_rows


@dataclass(frozen=True)
class Settings:
    sessions: int  # scripted sessions per skill, embedded store
    warmup: int
    dynamodb_sessions: int
    cold_repeats: int
    cold_from_source: bool
    web_requests: int  # per round
    web_pairs: int
    web_concurrency: int
    web_workers: int
    web_threads: int
    phone_cold_repeats: int = 7
    phone_calls: int = 40  # simulated calls of bench/phone.py's script, per store
    phone_concurrency: int = 8
    phone_workers: int = 2  # gunicorn workers per host (two hosts) on the shared call store
    zip_cold: bool = True  # build the Lambda zip and start both skills from it
    prerender: bool = True  # render the replies ahead for the cold starts, as the zip does


FULL = Settings(
    sessions=300,
    warmup=20,
    dynamodb_sessions=100,
    cold_repeats=11,
    cold_from_source=True,
    web_requests=300,
    web_pairs=32,
    web_concurrency=8,
    web_workers=1,
    web_threads=8,
)
QUICK = Settings(
    sessions=5,
    warmup=1,
    dynamodb_sessions=3,
    cold_repeats=1,
    cold_from_source=False,
    web_requests=16,
    web_pairs=1,
    web_concurrency=4,
    web_workers=1,
    web_threads=8,
    phone_cold_repeats=1,
    phone_calls=4,
    phone_concurrency=2,
    phone_workers=1,
    # Building the zip and rendering every reply ahead take most of a minute; the quick
    # run (tests) leaves both out unless --zip names a built zip.
    zip_cold=False,
    prerender=False,
)

INDICATIVE = "INDICATIVE"  # a quick run's timing: too few samples to pass or fail a budget
# The printed summary fits a terminal this wide; the full table is in latest.md.
SUMMARY_COLUMNS = 100
CLIP = "~"
# The summary's columns, at most: measurement, Ally Coach, baseline, ratio, result.
SUMMARY_WIDTHS = (38, 16, 14, 8, 16)

# Modules the bench cannot do without, and the distributions that provide them.
NEEDED = {"ask_sdk_dynamodb": "ask-sdk-dynamodb-persistence-adapter", "moto": "moto[dynamodb]"}

# name, where the value is in the results, the limit, and how to compare.
BUDGETS: list[tuple[str, tuple[str, ...], float, str]] = [
    ("turn, embedded store (median)", ("turn_embedded", "ratio_median"), 1.2, "<="),
    ("turn, DynamoDB (median)", ("turn_dynamodb", "ratio_median"), 0.4, "<="),
    (
        "DynamoDB reads per session",
        ("turn_dynamodb", "ally_coach", "reads_per_session"),
        1,
        "==",
    ),
    ("cold start, Lambda zip", ("cold_start_zip", "bytecode", "ratio"), 1.0, "<="),
    ("cold start, embedded store", ("cold_start", "embedded", "ratio"), 1.2, "<="),
    (
        "no boto3 on the embedded store",
        ("cold_start", "embedded", "ally_coach", "loaded", "boto3"),
        0,
        "==",
    ),
    ("cold start, DynamoDB", ("cold_start", "dynamodb", "ratio"), 1.0, "<="),
    ("web: verification cost", ("web", "verification_cost"), 0.10, "<="),
    *PHONE_BUDGETS,
]


def _get(results: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def judge(results: dict[str, Any]) -> list[dict[str, Any]]:
    """A verdict per budget. A quick run's timings (the ``<=`` budgets) have too few
    samples to judge: they are ``INDICATIVE`` (``within`` says on which side of the limit
    they fell), never ``FAIL``. Counts (the ``==`` budgets) are exact in any run."""
    quick = bool(_get(results, ("meta", "quick")))
    verdicts = []
    for name, path, limit, op in BUDGETS:
        value = _get(results, path)
        verdict: dict[str, Any] = {"budget": name, "value": value, "limit": f"{op} {limit}"}
        if value is None:
            verdict["result"] = "SKIP"
        elif op == "<=":
            within = float(value) <= limit
            if quick:
                verdict.update(result=INDICATIVE, within=within)
            else:
                verdict["result"] = "PASS" if within else "FAIL"
        else:
            verdict["result"] = "PASS" if float(value) == limit else "FAIL"
        verdicts.append(verdict)
    return verdicts


def shown(verdict: dict[str, Any]) -> str:
    """A verdict as the tables show it."""
    if verdict["result"] == INDICATIVE:
        return "indicative" if verdict.get("within") else "indicative, over"
    return str(verdict["result"])


# --- the table ----------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g} ms" if value < 10 else f"{value:.0f} ms"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(measurement, Ally Coach, baseline, ratio, budget, result) for the table."""
    verdict = {v["budget"]: v for v in results.get("budgets", [])}

    def judged(name: str) -> tuple[str, str]:
        v = verdict.get(name)
        return (v["limit"], shown(v)) if v else ("", "")

    out: list[tuple[str, str, str, str, str, str]] = []
    turn = results.get("turn_embedded")
    if turn:
        out.append(
            (
                "turn, embedded store: median",
                _ms(turn["ally_coach"]["median_ms"]),
                _ms(turn["hello_world"]["median_ms"]),
                _x(turn["ratio_median"]),
                *judged("turn, embedded store (median)"),
            )
        )
        out.append(
            (
                "turn, embedded store: p99",
                _ms(turn["ally_coach"]["p99_ms"]),
                _ms(turn["hello_world"]["p99_ms"]),
                _x(turn["ratio_p99"]),
                "",
                "",
            )
        )
        off = turn["ally_coach_render_cache_off"]
        out.append(
            (
                "  (render cache off: median / p99)",
                f"{_ms(off['median_ms'])} / {_ms(off['p99_ms'])}",
                "",
                _x(off["median_ms"] / turn["hello_world"]["median_ms"]),
                "",
                "info",
            )
        )
    dyn = results.get("turn_dynamodb")
    if dyn:
        ours, base = dyn["ally_coach"], dyn["adapter_baseline"]
        out.append(
            (
                "turn, DynamoDB (moto): median",
                _ms(ours["median_ms"]),
                _ms(base["median_ms"]),
                _x(dyn["ratio_median"]),
                *judged("turn, DynamoDB (median)"),
            )
        )
        out.append(
            (
                "turn, DynamoDB (moto): p99",
                _ms(ours["p99_ms"]),
                _ms(base["p99_ms"]),
                _x(ours["p99_ms"] / base["p99_ms"]),
                "",
                "",
            )
        )
        out.append(
            (
                "DynamoDB reads per session",
                f"{ours['reads_per_session']:g}",
                f"{base['reads_per_session']:g}",
                "",
                *judged("DynamoDB reads per session"),
            )
        )

        def calls(c: dict[str, float]) -> str:
            return f"{sum(c.values()):g} ({', '.join(f'{k} {v:g}' for k, v in c.items())})"

        out.append(
            (
                "DynamoDB calls per session",
                calls(ours["calls_per_session"]),
                calls(base["calls_per_session"]),
                "",
                "",
                "",
            )
        )
    cold = results.get("cold_start")
    if cold:
        labels = {
            "embedded": ("cold start, embedded store", "cold start, embedded store"),
            "dynamodb": ("cold start, DynamoDB", "cold start, DynamoDB"),
            "embedded_from_source": ("cold start, embedded, no .pyc", None),
        }
        for key, (label, budget) in labels.items():
            c = cold.get(key)
            if not c:
                continue
            ours, base = c["ally_coach"], c["hello_world"]
            out.append(
                (
                    f"{label}: spawn to answer",
                    _ms(ours["median_ms"]),
                    _ms(base["median_ms"]),
                    _x(c["ratio"]),
                    *(judged(budget) if budget else ("", "info")),
                )
            )
            out.append(
                (
                    "  CPU time (user + system)",
                    _ms(ours.get("cpu_median_ms")),
                    _ms(base.get("cpu_median_ms")),
                    _x(c.get("cpu_ratio")),
                    "",
                    "info",
                )
            )
            out.append(
                (
                    "  import + first answer",
                    f"{_ms(ours['import_median_ms'])} + {_ms(ours['first_answer_median_ms'])}",
                    f"{_ms(base['import_median_ms'])} + {_ms(base['first_answer_median_ms'])}",
                    "",
                    "",
                    "",
                )
            )
        emb = cold.get("embedded")
        if emb:
            boto = emb["ally_coach"]["loaded"]["boto3"]
            out.append(
                (
                    "boto3 imported, embedded store",
                    "yes" if boto else "no",
                    "yes" if emb["hello_world"]["loaded"]["boto3"] else "no",
                    "",
                    *judged("no boto3 on the embedded store"),
                )
            )
            if "maxrss_mib" in emb["ally_coach"]:
                out.append(
                    (
                        "peak memory (RSS) after the conversation",
                        f"{emb['ally_coach']['maxrss_mib']:g} MiB",
                        f"{emb['hello_world']['maxrss_mib']:g} MiB",
                        _x(emb["memory_ratio"]),
                        "",
                        "info",
                    )
                )
    zipped = results.get("cold_start_zip")
    if zipped and "skipped" in zipped:
        out.append(("cold start, Lambda zip", f"skipped: {zipped['skipped']}", "", "", "", ""))
    elif zipped:
        for key, label, budget in (
            ("bytecode", "with bytecode", "cold start, Lambda zip"),
            ("source", "no .pyc", None),
        ):
            c = zipped[key]
            ours, base = c["ally_coach"], c["hello_world"]
            out.append(
                (
                    f"cold start, Lambda zip, {label}: spawn to answer",
                    _ms(ours["median_ms"]),
                    _ms(base["median_ms"]),
                    _x(c["ratio"]),
                    *(judged(budget) if budget else ("", "info")),
                )
            )
            out.append(
                (
                    "  CPU time; import + first answer",
                    f"{_ms(ours['cpu_median_ms'])}; {_ms(ours['import_median_ms'])} + "
                    f"{_ms(ours['first_answer_median_ms'])}",
                    f"{_ms(base['cpu_median_ms'])}; {_ms(base['import_median_ms'])} + "
                    f"{_ms(base['first_answer_median_ms'])}",
                    _x(c.get("cpu_ratio")),
                    "",
                    "info",
                )
            )
        out.append(("  interpreter", zipped["interpreter"], "", "", "", ""))
    web = results.get("web")
    if web:
        on, off = web["verify_on"], web["verify_off"]
        cost = web["verification_cost"]
        out.append(
            (
                "web: requests/s, verification on / off",
                f"{on['rps']:g} / {off['rps']:g}",
                "",
                "-" if cost is None else f"cost {cost:.1%}",
                *judged("web: verification cost"),
            )
        )
        out.append(
            (
                "web: p50 / p99, verification on",
                f"{_ms(on['p50_ms'])} / {_ms(on['p99_ms'])}",
                "",
                "",
                "",
                "",
            )
        )
        out.append(
            (
                "web: p50 / p99, verification off",
                f"{_ms(off['p50_ms'])} / {_ms(off['p99_ms'])}",
                "",
                "",
                "",
                "",
            )
        )
        cpu = web.get("verification_cost_cpu")
        if cpu is not None:
            out.append(
                (
                    "web: server CPU per request, on / off",
                    f"{on['server_cpu_ms_per_request']:.2f} / "
                    f"{off['server_cpu_ms_per_request']:.2f} ms",
                    "",
                    f"cost {cpu:.1%}",
                    "",
                    "info",
                )
            )
        share = web.get("verify_share_of_server_cpu")
        if share is not None:
            out.append(
                (
                    "web: verification's own CPU per request",
                    _ms(web["verify_cpu_ms_per_request"]),
                    "",
                    f"{share:.1%} of CPU",
                    "",
                    "info",
                )
            )
    out.extend(phone_rows(results, judged))
    out.extend(cost_rows(results.get("cost")))
    return out


HEADER = ("measurement", "Ally Coach", "baseline", "ratio", "budget", "result")


def text_table(results: dict[str, Any], columns: int | None = SUMMARY_COLUMNS) -> str:
    """The table as text. With ``columns`` (the printed summary): measurement, the two
    sides, ratio and verdict, each cell cut to its column (ending in ``~``) so a line
    fits; the budget limits are in latest.md. ``columns=None``: every cell, whole."""
    if columns is None:
        table = [HEADER, *rows(results)]
        widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    else:
        keep = (0, 1, 2, 3, 5)  # the budget's limit is left to the full table
        table = [tuple(r[i] for i in keep) for r in [HEADER, *rows(results)]]
        widths = [
            min(limit, max(len(r[i]) for r in table)) for i, limit in enumerate(SUMMARY_WIDTHS)
        ]
        assert sum(widths) + 2 * (len(widths) - 1) <= columns

    def cell(text: str, width: int) -> str:
        return text if len(text) <= width else text[: width - len(CLIP)] + CLIP

    lines = ["  ".join(cell(c, w).ljust(w) for c, w in zip(r, widths, strict=True)) for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(results: dict[str, Any]) -> str:
    table = [HEADER, *rows(results)]
    lines = ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in table]
    lines.insert(1, "|" + "---|" * len(HEADER))
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    return "\n".join(
        [
            "# Ally Coach benchmark",
            "",
            f"{meta['date']}, commit {meta['commit']}, Python {meta['python']}, "
            f"{meta['cpus']} CPUs, load average {meta['load_before']} before, "
            f"{meta['load_after']} after{' (--quick)' if meta['quick'] else ''}.",
            "",
            "Baseline: the plain ASK SDK hello world (bench/hello_world.py); on DynamoDB "
            "with ask-sdk's DynamoDbAdapter, reading and saving every turn. "
            "Ratios are Ally Coach / baseline in this run.",
            "",
            "![per-turn latency](latency.png)",
            "",
            markdown_table(results),
            "",
            f"Cold start DynamoDB mode: {_get(results, ('cold_start', 'dynamodb', 'mode'))}.",
            "",
        ]
    )


# --- running ------------------------------------------------------------------------------


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def run(
    settings: Settings,
    *,
    quick: bool,
    web: bool,
    log: Callable[[str], None],
    phone: bool = True,
    zip_path: Path | None = None,
    plot: Path | None = None,
) -> dict:
    from bench.coldstart import run_cold_starts
    from bench.inprocess import dynamodb_turns, embedded_turns

    results: dict[str, Any] = {
        "meta": {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": _commit(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_before": _load(),
            "quick": quick,
            "settings": settings.__dict__,
        }
    }
    with tempfile.TemporaryDirectory(prefix="ally-bench-") as tmp:
        workdir = Path(tmp)
        started = time.monotonic()
        samples: dict[str, list[float]] = {}
        log("1/5 turns on the embedded store ...")
        results["turn_embedded"] = embedded_turns(
            workdir, settings.sessions, settings.warmup, samples
        )
        log("2/5 turns on DynamoDB (moto) ...")
        results["turn_dynamodb"] = dynamodb_turns(
            settings.dynamodb_sessions, max(1, settings.warmup // 4), samples
        )
        log("3/5 cold starts and 5/5 peak memory (subprocesses) ...")
        results["cold_start"] = run_cold_starts(
            workdir,
            settings.cold_repeats,
            from_source=settings.cold_from_source,
            prerender=settings.prerender,
        )
        if settings.zip_cold or zip_path is not None:
            from bench.lambda_zip import zip_cold_starts
            from skill.tools.packaging import DEFAULT_PYTHON

            log(f"3/5 cold starts from the Lambda zip (python{DEFAULT_PYTHON}) ...")
            results["cold_start_zip"] = zip_cold_starts(
                workdir, settings.cold_repeats, DEFAULT_PYTHON, zip_path
            )
        else:
            results["cold_start_zip"] = {"skipped": "--quick (give --zip to include it)"}
        if web and importlib.util.find_spec("gunicorn") is None:
            log("4/5 skipped: gunicorn is not installed")
        elif web:
            log("4/5 web endpoint under load (gunicorn on loopback) ...")
            from bench.load import web_benchmark

            results["web"] = web_benchmark(
                workdir,
                requests=settings.web_requests,
                concurrency=settings.web_concurrency,
                pairs=settings.web_pairs,
                workers=settings.web_workers,
                threads=settings.web_threads,
            )
        if phone and importlib.util.find_spec("gunicorn") is None:
            log("phone line skipped: gunicorn is not installed")
        elif phone:
            log("phone line: cold start, and calls under load (gunicorn, moto server) ...")
            from bench.phone import phone_benchmark

            results["phone"] = phone_benchmark(
                workdir,
                cold_repeats=settings.phone_cold_repeats,
                calls=settings.phone_calls,
                concurrency=settings.phone_concurrency,
                workers=settings.phone_workers,
                threads=settings.web_threads,
                prerender=settings.prerender,
            )
        results["meta"]["seconds"] = round(time.monotonic() - started, 1)
    results["meta"]["load_after"] = _load()
    results["cost"] = cost_table(results, samples)
    results["budgets"] = judge(results)
    if plot is not None:
        from bench.plot import latency_plot

        title = f"Per-turn latency, {results['meta']['date']}, commit {results['meta']['commit']}"
        written = latency_plot(samples, plot, title)
        results["meta"]["plot"] = str(written) if written else "not written (no matplotlib)"
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny setting (a few seconds)")
    parser.add_argument("--skip-web", action="store_true", help="leave out the web load test")
    parser.add_argument("--skip-phone", action="store_true", help="leave out the phone line")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a budget fails")
    parser.add_argument(
        "--out", type=Path, default=RESULTS_DIR, help="where latest.json, .md and .png go"
    )
    parser.add_argument(
        "--zip",
        type=Path,
        help="a build-lambda zip (for this machine's architecture) to start the cold "
        "starts from, instead of building one",
    )
    args = parser.parse_args(argv)
    missing = [name for name in NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        from skill.tools.extras import EXIT_MISSING_EXTRA, install_command

        print(
            f"python -m bench needs the 'dev' extra ({', '.join(NEEDED[m] for m in missing)} "
            f"is not installed). Install it with: {install_command('dev')}",
            file=sys.stderr,
        )
        return EXIT_MISSING_EXTRA

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    results = run(
        QUICK if args.quick else FULL,
        quick=args.quick,
        web=not args.skip_web,
        phone=not args.skip_phone,
        log=log,
        zip_path=args.zip.resolve() if args.zip else None,
        plot=args.out / "latency.png",
    )
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "latest.md").write_text(markdown(results))
    print(text_table(results))
    failed = [v["budget"] for v in results["budgets"] if v["result"] == "FAIL"]
    print(f"\n{len(failed)} budget(s) failed: {', '.join(failed) or 'none'}")
    indicative = [v for v in results["budgets"] if v["result"] == INDICATIVE]
    if indicative:
        over = [v["budget"] for v in indicative if not v.get("within")]
        print(
            f"{len(indicative)} timing budget(s) indicative only (a quick run has too few "
            f"samples to judge them); over the limit this time: {', '.join(over) or 'none'}"
        )
    print(f"full table: {args.out / 'latest.md'}; every number: {args.out / 'latest.json'}")
    print(f"plot: {results['meta'].get('plot')}")
    return 1 if failed and args.strict else 0
