"""What a million sessions cost to run, from the measured figures and published prices.

Per session: Lambda requests, Lambda GB-seconds (the function's MemorySize in
infra/template.yaml times the billed duration of each request, every measured request
rounded up to Lambda's 1 ms), and DynamoDB read and write request units (on-demand:
one strongly consistent read of up to 4 KB is 1 RRU, one write of up to 1 KB is 1 WRU,
item sizes as DynamoDB counts them). The baseline is the SDK's hello world with the
samples' DynamoDB pattern (a read and a write on every request).

The durations are this machine's, not Lambda's: a 512 MB function gets about 512/1769 of
a vCPU, so a CPU-bound turn takes longer there; both skills scale alike, and at under
1 ms per turn the 1 ms rounding dominates either way. Cold starts are left out of the
per-session figures (how often they happen depends on traffic); since 2025-08-01 Lambda
bills the INIT phase, and the cold-start rows say what one costs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.measure import ROOT

# us-east-1, as published on aws.amazon.com/lambda/pricing and
# aws.amazon.com/dynamodb/pricing/on-demand, as known on PRICES_DATE (not fetched at run
# time). Lambda's prices have not changed since 1 ms billing (2020-12-01) and arm64
# (2021-09-29); DynamoDB on-demand halved on 2024-11-01. First tier only.
PRICES_DATE = "2026-12-02"
PRICES: dict[str, float] = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second_arm64": 0.0000133334,
    "lambda_gb_second_x86_64": 0.0000166667,
    "dynamodb_write_request_unit": 0.625 / 1e6,
    "dynamodb_read_request_unit": 0.125 / 1e6,
}
PRICES_SOURCE = (
    f"us-east-1 list prices as known on {PRICES_DATE}: Lambda $0.20 per 1M requests, "
    "$0.0000133334 per GB-s (arm64); DynamoDB on-demand $0.625 per 1M write and $0.125 per "
    "1M read request units (since 2024-11-01)"
)
TEMPLATE = ROOT / "infra" / "template.yaml"
SESSIONS = 1_000_000


def function_settings(template: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    """MemorySize and architecture of each function in the SAM template, by handler.

    A plain scan (the template has CloudFormation tags no YAML loader reads untold)."""
    functions: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] = {}
    for line in template.read_text(encoding="utf-8").splitlines():
        handler = re.match(r"\s+Handler:\s*(\S+)", line)
        if handler:
            current = functions.setdefault(handler[1], {"memory_mb": None, "arch": "x86_64"})
        memory = re.match(r"\s+MemorySize:\s*(\d+)", line)
        if memory and current:
            current["memory_mb"] = int(memory[1])
        if current and re.match(r"\s+- arm64\s*$", line):
            current["arch"] = "arm64"
    return functions


def billed_ms(samples_s: Iterable[float]) -> float:
    """Mean billed duration per request: each request rounded up to 1 ms."""
    billed = [max(1, math.ceil(s * 1e3)) for s in samples_s]
    return sum(billed) / len(billed) if billed else math.nan


# --- DynamoDB item sizes and request units --------------------------------------------


def attribute_size(value: Mapping[str, Any]) -> int:
    """Bytes DynamoDB counts for one attribute value in its JSON wire form."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        digits = len(inner.lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return math.ceil(len(inner) * 3 / 4)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + attribute_size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in inner)
    return 0


def item_size(item: Mapping[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + attribute_size(v) for name, v in item.items())


class Units:
    """Read and write request units of DynamoDB calls, from their request bodies."""

    def __init__(self) -> None:
        self.read = 0.0
        self.write = 0.0
        self.item_bytes: list[int] = []  # of every item written

    def add(self, operation: str, body: Mapping[str, Any]) -> None:
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            size = item_size(body.get("Item") or body.get("Key") or {})
            self.item_bytes.append(size)
            self.write += max(1, math.ceil(size / 1024))
        elif operation in ("GetItem", "Query", "Scan"):
            # What a read returns is what was written: the largest item written so far
            # (at most 4 KB here, so 1 unit when strongly consistent, half otherwise).
            size = max(self.item_bytes, default=1)
            units = max(1, math.ceil(size / 4096))
            self.read += units if body.get("ConsistentRead") else units / 2

    def per(self, sessions: int) -> dict[str, float]:
        return {
            "read_units": round(self.read / sessions, 3),
            "write_units": round(self.write / sessions, 3),
            "max_item_bytes": max(self.item_bytes, default=0),
        }


def units_from_recording(lines: Iterable[str]) -> Units:
    """Units of every DynamoDB call in a moto server recording (JSON lines)."""
    import base64

    units = Units()
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        target = {k.lower(): v for k, v in entry.get("headers", {}).items()}.get("x-amz-target")
        if not target or not target.startswith("DynamoDB_"):
            continue
        body = entry.get("body") or "{}"
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode("utf-8")
        units.add(target.split(".", 1)[1], json.loads(body or "{}"))
    return units


# --- the table ---------------------------------------------------------------------------


def session_cost(
    *,
    requests: float,
    billed_ms_per_request: float,
    memory_mb: int,
    arch: str,
    read_units: float,
    write_units: float,
) -> dict[str, float]:
    """Cost of one session's parts, and per million sessions."""
    gb_seconds = requests * billed_ms_per_request / 1000 * memory_mb / 1024
    lambda_cost = (
        requests * PRICES["lambda_request"] + gb_seconds * PRICES[f"lambda_gb_second_{arch}"]
    )
    dynamodb_cost = (
        read_units * PRICES["dynamodb_read_request_unit"]
        + write_units * PRICES["dynamodb_write_request_unit"]
    )
    return {
        "requests": requests,
        "billed_ms_per_request": round(billed_ms_per_request, 3),
        "memory_mb": memory_mb,
        "gb_seconds": round(gb_seconds, 6),
        "read_units": read_units,
        "write_units": write_units,
        "lambda_per_million": round(lambda_cost * SESSIONS, 2),
        "dynamodb_per_million": round(dynamodb_cost * SESSIONS, 2),
        "total_per_million": round((lambda_cost + dynamodb_cost) * SESSIONS, 2),
    }


def cost_table(
    results: Mapping[str, Any], samples: Mapping[str, Sequence[float]]
) -> dict[str, Any] | None:
    """The cost rows from a bench run's results and its per-request samples (seconds)."""
    dyn = results.get("turn_dynamodb")
    if not dyn or "ally_coach" not in samples:
        return None
    functions = function_settings()
    alexa = functions.get("skill.lambda_function.lambda_handler", {})
    phone = functions.get("skill.channels.phone.aws_lambda.lambda_handler", {})
    turns = dyn["turns_per_session"]
    ours, base = dyn["ally_coach"], dyn["adapter_baseline"]
    rows: dict[str, Any] = {
        "prices": PRICES_SOURCE,
        "alexa": session_cost(
            requests=turns,
            billed_ms_per_request=billed_ms(samples["ally_coach_dynamodb"]),
            memory_mb=alexa.get("memory_mb") or 512,
            arch=alexa.get("arch", "arm64"),
            read_units=ours["units"]["read_units"],
            write_units=ours["units"]["write_units"],
        ),
        "hello_world": session_cost(
            requests=turns,
            billed_ms_per_request=billed_ms(samples["hello_world_dynamodb"]),
            memory_mb=alexa.get("memory_mb") or 512,
            arch=alexa.get("arch", "arm64"),
            read_units=base["units"]["read_units"],
            write_units=base["units"]["write_units"],
        ),
    }
    load = (results.get("phone") or {}).get("load", {})
    memory, shared = load.get("memory"), load.get("shared")
    if memory and shared and shared.get("units") and memory.get("webhooks_per_s"):
        # One GIL-bound worker serves one webhook at a time: its time per webhook is
        # 1 / throughput (the load's latency includes the queue, which Lambda has not).
        per_webhook = 1 / memory["webhooks_per_s"]
        rows["phone"] = session_cost(
            requests=load["settings"]["turns_per_call"],
            billed_ms_per_request=billed_ms([per_webhook]),
            memory_mb=phone.get("memory_mb") or 1024,
            arch=phone.get("arch", "arm64"),
            read_units=shared["units"]["read_units"],
            write_units=shared["units"]["write_units"],
        )
    base_total = rows["hello_world"]["total_per_million"]
    for key in ("alexa", "phone"):
        if key in rows and base_total:
            rows[key]["ratio"] = round(rows[key]["total_per_million"] / base_total, 3)
    cold = (results.get("cold_start_zip") or {}).get("bytecode")
    if cold:
        memory_gb = (alexa.get("memory_mb") or 512) / 1024
        price = PRICES[f"lambda_gb_second_{alexa.get('arch', 'arm64')}"]
        rows["cold_start_each"] = {
            name: round(math.ceil(cold[name]["median_ms"]) / 1000 * memory_gb * price * 1e6, 3)
            for name in ("ally_coach", "hello_world")
        }  # dollars per million cold starts
    return rows


def cost_rows(cost: Mapping[str, Any] | None) -> list[tuple[str, str, str, str, str, str]]:
    if not cost:
        return []

    def line(row: Mapping[str, Any]) -> str:
        return (
            f"${row['total_per_million']:.2f} (Lambda ${row['lambda_per_million']:.2f}, "
            f"DynamoDB ${row['dynamodb_per_million']:.2f})"
        )

    def usage(row: Mapping[str, Any]) -> str:
        return (
            f"{row['requests']:g} req x {row['billed_ms_per_request']:.2f} ms billed at "
            f"{row['memory_mb']} MB = {row['gb_seconds']:.4f} GB-s; "
            f"{row['read_units']:g} RRU + {row['write_units']:g} WRU"
        )

    base = cost["hello_world"]
    out = [
        (
            "cost per 1M sessions, Alexa path",
            line(cost["alexa"]),
            line(base),
            f"{cost['alexa']['ratio']:.2f}x",
            "",
            "info",
        ),
        ("  per session", usage(cost["alexa"]), usage(base), "", "", ""),
    ]
    if "phone" in cost:
        out += [
            (
                "cost per 1M calls, phone line",
                line(cost["phone"]),
                line(base),
                f"{cost['phone']['ratio']:.2f}x",
                "",
                "info",
            ),
            ("  per call", usage(cost["phone"]), "", "", "", ""),
        ]
    cold = cost.get("cold_start_each")
    if cold:
        out.append(
            (
                "  each 1M cold starts (INIT billed)",
                f"${cold['ally_coach']:.2f}",
                f"${cold['hello_world']:.2f}",
                "",
                "",
                "info",
            )
        )
    out.append(("  prices", cost["prices"], "", "", "", ""))
    return out
