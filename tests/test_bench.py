"""The benchmark runs and reports; how fast anything is, is not a test's business."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.conversation import ALLY_COACH_SCRIPT, HELLO_WORLD_SCRIPT, TURNS, run_session
from bench.measure import ROOT, child_env, percentile
from bench.run import judge, markdown, text_table


def test_hello_world_answers_its_script_in_one_session() -> None:
    from bench.hello_world import HELLO, build_handler

    answered = run_session(build_handler(), HELLO_WORLD_SCRIPT)
    assert len(answered.responses) == TURNS
    assert HELLO in answered.responses[1]["response"]["outputSpeech"]["ssml"]
    assert answered.responses[-1]["response"]["shouldEndSession"] is True


def test_ally_coach_answers_its_script_in_one_session(handler: Any) -> None:
    answered = run_session(handler, ALLY_COACH_SCRIPT)
    assert len(answered.responses) == TURNS
    assert all("outputSpeech" in r["response"] for r in answered.responses)
    assert answered.responses[-1]["response"]["shouldEndSession"] is True


def test_item_sizes_and_units_are_counted_as_dynamodb_counts_them() -> None:
    from bench.cost import Units, billed_ms, item_size, units_from_recording

    # Names and values: "id" + "abc" = 5; "n" + 123 (2 digits' worth + 1) = 1 + 3;
    # "m" + map (3 + "k" + true) = 1 + 5; "l" + list (3 + 1 + null) = 1 + 5.
    item = {
        "id": {"S": "abc"},
        "n": {"N": "123"},
        "m": {"M": {"k": {"BOOL": True}}},
        "l": {"L": [{"NULL": True}]},
    }
    assert item_size(item) == 5 + 4 + 6 + 6
    units = Units()
    units.add("PutItem", {"Item": item})
    units.add("PutItem", {"Item": {"id": {"S": "x" * 1500}}})  # over 1 KB: 2 units
    units.add("GetItem", {"ConsistentRead": True})
    units.add("GetItem", {})  # eventually consistent: half
    assert (units.write, units.read) == (3, 1.5)
    recording = [
        json.dumps(
            {
                "headers": {"X-Amz-Target": "DynamoDB_20120810.PutItem"},
                "body": json.dumps({"Item": item}),
                "body_encoded": False,
            }
        ),
        json.dumps({"headers": {"X-Amz-Target": "Other.Call"}, "body": "{}"}),
    ]
    assert units_from_recording(recording).per(1)["write_units"] == 1
    assert billed_ms([0.0002, 0.0012]) == 1.5  # each rounded up to Lambda's 1 ms


def test_the_template_gives_each_function_its_memory() -> None:
    from bench.cost import function_settings

    functions = function_settings()
    assert functions["skill.lambda_function.lambda_handler"] == {"memory_mb": 512, "arch": "arm64"}
    phone = functions["skill.channels.phone.aws_lambda.lambda_handler"]
    assert phone == {"memory_mb": 1024, "arch": "arm64"}


def test_percentile_is_an_observed_value() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile(list(range(1, 101)), 99) == 99


def _fake_results(**overrides: Any) -> dict[str, Any]:
    side = {"median_ms": 1.0, "p99_ms": 2.0, "n": 10}
    cold = {
        "median_ms": 100.0,
        "import_median_ms": 80.0,
        "first_answer_median_ms": 10.0,
        "runs": 2,
        "loaded": {"boto3": False},
        "maxrss_mib": 20.0,
    }
    results: dict[str, Any] = {
        "meta": {
            "date": "today",
            "commit": "abc",
            "python": "3.11",
            "cpus": 2,
            "load_before": "0",
            "load_after": "0",
            "quick": True,
        },
        "turn_embedded": {
            "ally_coach": side,
            "hello_world": side,
            "ally_coach_render_cache_off": side,
            "ratio_median": 1.25,
            "ratio_p99": 1.0,
        },
        "turn_dynamodb": {
            "ally_coach": {**side, "calls_per_session": {"GetItem": 1}, "reads_per_session": 1},
            "adapter_baseline": {
                **side,
                "calls_per_session": {"GetItem": 10, "PutItem": 10},
                "reads_per_session": 10,
            },
            "ratio_median": 0.7,  # over the 0.5 budget
        },
        "cold_start": {
            "embedded": {
                "ally_coach": cold,
                "hello_world": cold,
                "ratio": 1.0,
                "memory_ratio": 1.0,
            },
        },
    }
    results.update(overrides)
    return results


def test_budgets_are_judged_from_the_results() -> None:
    full = _fake_results()
    full["meta"]["quick"] = False
    verdicts = {v["budget"]: v["result"] for v in judge(full)}
    assert verdicts["turn, embedded store (median)"] == "FAIL"  # 1.25x, over the 1.2 budget
    assert verdicts["turn, DynamoDB (median)"] == "FAIL"
    assert verdicts["DynamoDB reads per session"] == "PASS"
    assert verdicts["no boto3 on the embedded store"] == "PASS"
    assert verdicts["web: verification cost"] == "SKIP"  # not measured
    assert verdicts["cold start, Lambda zip"] == "SKIP"
    assert verdicts["phone: lost turns, shared store"] == "SKIP"


def test_a_quick_runs_timings_are_indicative_and_its_counts_judged() -> None:
    results = _fake_results()  # a quick run
    results["turn_dynamodb"]["ally_coach"]["reads_per_session"] = 2
    verdicts = {v["budget"]: v for v in judge(results)}
    over = verdicts["turn, embedded store (median)"]
    assert (over["result"], over["within"]) == ("INDICATIVE", False)
    assert verdicts["cold start, embedded store"]["within"] is True
    assert verdicts["DynamoDB reads per session"]["result"] == "FAIL"  # a count: exact
    assert "FAIL" not in {v["result"] for n, v in verdicts.items() if n.startswith("turn")}


def test_tables_show_every_measurement_and_verdict() -> None:
    results = _fake_results()
    results["meta"]["quick"] = False
    results["budgets"] = judge(results)
    table = text_table(results)
    assert "turn, DynamoDB (moto): median" in table and "FAIL" in table
    assert "| measurement |" in markdown(results)


def test_the_summary_fits_100_columns_and_the_report_keeps_every_cell() -> None:
    results = _fake_results()
    long = {f"Op{i}": 1.0 for i in range(12)}  # a wide cell, as the real calls are
    results["turn_dynamodb"]["adapter_baseline"]["calls_per_session"] = long
    results["budgets"] = judge(results)
    summary = text_table(results)
    assert max(len(line) for line in summary.splitlines()) <= 100
    assert "indicative, over" in summary  # the verdict is never cut
    assert "Op11 1" in markdown(results) and "Op11 1" not in summary
    assert len(max(text_table(results, columns=None).splitlines(), key=len)) > 100


@pytest.mark.slow
def test_quick_run_writes_json_and_markdown(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        env=child_env(drop=("SKILL_TABLE_NAME", "SKILL_DB_PATH", "SKILL_ID")),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout.split("\n\n")[0].splitlines()
    assert table[0].startswith("measurement") and len(table) > 10, done.stdout
    assert max(len(line) for line in table) <= 100, done.stdout
    results = json.loads((tmp_path / "latest.json").read_text())
    # A quick run's timings are indicative, never failures.
    timings = [v for v in results["budgets"] if v["limit"].startswith("<=") and v["value"]]
    assert timings and {v["result"] for v in timings} == {"INDICATIVE"}
    assert {
        "meta",
        "turn_embedded",
        "turn_dynamodb",
        "cold_start",
        "web",
        "phone",
        "budgets",
    } <= set(results)
    for side in ("ally_coach", "hello_world"):
        assert {"median_ms", "p99_ms"} <= set(results["turn_embedded"][side])
        for mode in ("embedded", "dynamodb"):
            assert "median_ms" in results["cold_start"][mode][side]
    assert "maxrss_mib" in results["cold_start"]["embedded"]["ally_coach"]
    assert {"ratio_median", "ratio_p99"} <= set(results["turn_embedded"])
    assert {"ratio"} <= set(results["cold_start"]["dynamodb"])
    # Counts, not timings: one read per session for us, read and save per turn for the SDK.
    assert results["turn_dynamodb"]["ally_coach"]["reads_per_session"] == 1
    assert results["turn_dynamodb"]["adapter_baseline"]["calls_per_session"] == {
        "GetItem": 10,
        "PutItem": 10,
    }
    assert results["cold_start"]["embedded"]["ally_coach"]["loaded"]["boto3"] is False
    # The DynamoDB store needs botocore only; the SDK's adapter brings boto3.
    dynamodb_loaded = {
        s: results["cold_start"]["dynamodb"][s]["loaded"] for s in ("ally_coach", "hello_world")
    }
    if results["cold_start"]["dynamodb"]["mode"].startswith("moto server"):  # dev extra
        assert dynamodb_loaded["ally_coach"]["boto3"] is False
        assert dynamodb_loaded["hello_world"]["boto3"] is True
    assert results["cold_start"]["embedded"]["ally_coach"]["cpu_median_ms"] > 0
    # Every verified request went through the meter inside the server.
    assert 0 < results["web"]["verify_cpu_ms_per_request"] < 50
    for mode in ("verify_on", "verify_off"):
        assert {"rps", "p99_ms"} <= set(results["web"][mode])
        assert results["web"][mode]["errors"] == 0
    # The phone line: every simulated call completed on both stores, no turn lost, and
    # the shared store's calls really were spread over several gunicorn workers.
    phone = results["phone"]
    for store in ("shared", "memory"):
        side = phone["load"][store]
        assert side["calls"] == side["completed"] > 0, side
        assert side["lost_turns"] == 0 and side["errors"] == 0, side
        assert side["p99_ms"] >= side["p50_ms"] > 0
    assert phone["load"]["shared"]["workers_seen"] >= 2
    assert phone["load"]["shared"]["calls_on_several_workers"] >= 1
    assert phone["load"]["memory"]["workers_seen"] == 1
    cold = phone["cold_start"]
    assert cold["phone"]["median_ms"] > cold["phone"]["import_median_ms"] > 0
    assert cold["resolver"]["total_median_ms"] > 0 and cold["ratio"] > 0
    assert {v["result"] for v in results["budgets"]} <= {"PASS", "FAIL", "SKIP", "INDICATIVE"}
    assert (tmp_path / "latest.md").read_text().startswith("# Ally Coach benchmark")
    assert "budget" in done.stdout
    # Request units from the requests sent: one strongly consistent read per session (1
    # RRU) against the samples' ten; writes of small items, 1 WRU each.
    units = {s: results["turn_dynamodb"][s]["units"] for s in ("ally_coach", "adapter_baseline")}
    assert units["ally_coach"]["read_units"] == 1 and units["adapter_baseline"]["read_units"] == 10
    assert units["adapter_baseline"]["write_units"] == 10
    assert 0 < units["ally_coach"]["write_units"] <= 10
    assert phone["load"]["shared"]["units"]["write_units"] > 0
    cost = results["cost"]
    for key in ("alexa", "hello_world", "phone"):
        assert cost[key]["total_per_million"] > 0 and cost[key]["gb_seconds"] > 0
    assert cost["alexa"]["memory_mb"] == 512 and cost["phone"]["memory_mb"] == 1024
    assert "$0.0000133334 per GB-s" in cost["prices"] and "2026-12-02" in cost["prices"]
    assert "cost per 1M sessions, Alexa path" in done.stdout
    assert (tmp_path / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert results["cold_start_zip"]["skipped"].startswith("--quick")
