"""The alert rules (deploy/prometheus/alerts.yaml): a Prometheus rule file, each expression valid PromQL that names
only metrics the running services expose, and the ones that matter all covered.

The structure is checked against a JSON schema of Prometheus's rule-file format (written here from Prometheus's
documentation of `rule_files`: groups of rules, an alerting rule's `alert`, `expr`, `for`, `keep_firing_for`,
`labels`, `annotations`), stricter than Prometheus in what thidua wants of its own rules (every alert waits a
`for`, has a severity and says what to do). Each expression is parsed by `promql-parser` (Prometheus's grammar;
a test dependency), and every metric it selects is looked up in what `/metrics` of every service of a real stack
answers, with the labels it matches on: a renamed metric or a typo fails here, not silently in production.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support import Stack
from thidua import registry

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
DURATION = r"^([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$"
LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
# What Prometheus adds to every scraped series (`job`, `instance`) and what prometheus.yml adds (`service`).
TARGET_LABELS = {"job", "instance", "service"}
# Series Prometheus itself writes for each target, not exposed by the service: `up` is 0 when a scrape failed.
SCRAPE_SERIES: dict[str, set[str]] = {"up": set()}

RULE_FILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["groups"],
    "additionalProperties": False,
    "properties": {
        "groups": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "rules"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "interval": {"type": "string", "pattern": DURATION, "minLength": 1},
                    "query_offset": {"type": "string", "pattern": DURATION, "minLength": 1},
                    "limit": {"type": "integer", "minimum": 0},
                    "labels": {"$ref": "#/$defs/labels"},
                    "rules": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/alert"}},
                },
            },
        }
    },
    "$defs": {
        "labels": {
            "type": "object",
            "propertyNames": {"pattern": LABEL_NAME},
            "additionalProperties": {"type": "string"},
        },
        "alert": {
            "type": "object",
            # thidua's own: only alerting rules, each with a wait, a severity and words for whoever is paged.
            "required": ["alert", "expr", "for", "labels", "annotations"],
            "additionalProperties": False,
            "properties": {
                "alert": {"type": "string", "pattern": "^Thidua[A-Z][A-Za-z0-9]*$"},
                "expr": {"type": "string", "minLength": 1},
                "for": {"type": "string", "pattern": DURATION, "minLength": 1},
                "keep_firing_for": {"type": "string", "pattern": DURATION, "minLength": 1},
                "labels": {
                    "allOf": [
                        {"$ref": "#/$defs/labels"},
                        {
                            "required": ["severity"],
                            "properties": {"severity": {"enum": ["warning", "critical"]}},
                        },
                    ]
                },
                "annotations": {
                    "type": "object",
                    "required": ["summary", "description"],
                    "propertyNames": {"pattern": LABEL_NAME},
                    "additionalProperties": {"type": "string", "minLength": 1},
                },
            },
        },
    },
}


def rule_file() -> dict[str, Any]:
    doc = yaml.safe_load((PROMETHEUS / "alerts.yaml").read_text())
    assert isinstance(doc, dict)
    return doc


def alerts() -> list[dict[str, Any]]:
    return [rule for group in rule_file()["groups"] for rule in group["rules"]]


Selector = tuple[str, set[str]]  # a metric's name and the labels a selector matches on


def selectors(expr: Any) -> Iterator[Selector]:
    """Every metric an expression selects, walking the parsed tree; a node of a kind not known here fails."""
    match expr:
        case promql_parser.VectorSelector():
            assert expr.name, f"a selector without a metric name: {expr}"
            yield expr.name, {m.name for m in expr.matchers.matchers}
        case promql_parser.MatrixSelector():
            yield from selectors(expr.vector_selector)
        case promql_parser.BinaryExpr():
            yield from selectors(expr.lhs)
            yield from selectors(expr.rhs)
        case promql_parser.AggregateExpr():
            yield from selectors(expr.expr)
            if expr.param is not None:
                yield from selectors(expr.param)
        case promql_parser.Call():
            for arg in expr.args:
                yield from selectors(arg)
        case promql_parser.ParenExpr() | promql_parser.UnaryExpr() | promql_parser.SubqueryExpr():
            yield from selectors(expr.expr)
        case promql_parser.NumberLiteral() | promql_parser.StringLiteral():
            return
        case _:
            raise AssertionError(f"an expression of a kind this test does not know: {type(expr).__name__}")


def exposed(text: str) -> dict[str, set[str]]:
    """The series names a scrape gives Prometheus (a counter's `_total`, a histogram's `_bucket`, `_count` and `_sum`,
    whether or not a family has samples yet) and the labels of each."""
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"], "gauge": [""], "untyped": [""]}
    found: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for suffix in suffixes[family.type]:
            found.setdefault(family.name + suffix, set())
        for sample in family.samples:
            found.setdefault(sample.name, set()).update(sample.labels)
    return found


@pytest.fixture(scope="module")
async def metrics_of_a_running_stack(stack: Stack) -> dict[str, set[str]]:
    """Every series name (with its labels) that the /metrics of every service of the stack answers, after a request
    to each (so per-route series exist) and a roll read twice (so the cache has counted)."""
    found: dict[str, set[str]] = {}
    async with httpx.AsyncClient() as client:
        await client.get(stack.url("events") + "/honorees")
        await client.get(stack.url("events") + "/honorees")
        for name in registry.NAMES:
            await client.get(stack.url(name) + "/health/ready")
            resp = await client.get(stack.url(name) + "/metrics")
            assert resp.status_code == 200, (name, resp.text)
            for metric, labels in exposed(resp.text).items():
                found.setdefault(metric, set()).update(labels)
    return found


def test_the_rule_file_is_a_prometheus_rule_file() -> None:
    doc = rule_file()
    jsonschema.Draft202012Validator.check_schema(RULE_FILE_SCHEMA)
    jsonschema.Draft202012Validator(RULE_FILE_SCHEMA).validate(doc)
    groups = [g["name"] for g in doc["groups"]]
    assert len(groups) == len(set(groups)), groups  # Prometheus refuses a file with a group name twice
    names = [rule["alert"] for rule in alerts()]
    assert len(names) == len(set(names)), names
    for rule in alerts():
        assert promql_parser.parse_duration(rule["for"]).total_seconds() > 0, rule["alert"]
        parsed = promql_parser.parse(rule["expr"])  # raises on what Prometheus would refuse to load
        assert list(selectors(parsed)), rule["alert"]
        for text in rule["annotations"].values():
            # Templates name only the labels the alert's series keep (the `by` of its expression, or the target's).
            for label in re.findall(r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)", text):
                kept = set(re.findall(r"by \(([^)]*)\)", rule["expr"]))
                kept_labels = {part.strip() for group in kept for part in group.split(",")} or TARGET_LABELS
                assert label in kept_labels, (rule["alert"], label, kept_labels)


def test_the_schema_refuses_what_prometheus_or_thidua_would() -> None:
    validator = jsonschema.Draft202012Validator(RULE_FILE_SCHEMA)
    good = {"alert": "ThiduaX", "expr": "up == 0", "for": "1m", "labels": {"severity": "warning"}}
    good["annotations"] = {"summary": "s", "description": "d"}
    assert validator.is_valid({"groups": [{"name": "g", "rules": [good]}]})
    bad: dict[str, Any]
    for bad in (
        {"groups": [{"name": "g", "rules": [{**good, "for": "one minute"}]}]},
        {"groups": [{"name": "g", "rules": [{**good, "labels": {}}]}]},
        {"groups": [{"name": "g", "rules": [{**good, "labels": {"severity": "page"}}]}]},
        {"groups": [{"name": "g", "rules": [{**good, "annotation": good["annotations"]}]}]},
        {"groups": [{"name": "g", "rules": [{k: v for k, v in good.items() if k != "for"}]}]},
        {"groups": [{"rules": [good]}]},
        {"group": []},
    ):
        assert not validator.is_valid(bad), bad
    with pytest.raises(ValueError):
        promql_parser.parse("sum by (le (rate(x[5m]))")


def test_the_alerts_that_matter_are_there() -> None:
    used = {name for rule in alerts() for name, _ in selectors(promql_parser.parse(rule["expr"]))}
    for metric in (
        "up",  # a service not scraped
        "thidua_database_up",
        "thidua_outbox_oldest_unsent_seconds",
        "thidua_outbox_backlog_events",
        "thidua_consumer_pending_messages",
        "thidua_consumer_redelivered_messages",
        "thidua_dead_letters_open",
        "thidua_http_requests_total",  # the 5xx rate
        "thidua_http_request_duration_seconds_bucket",  # the p99
    ):
        assert metric in used, metric


def test_prometheus_scrapes_every_service_with_the_rules() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yaml"]
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "thidua"]
    assert job["metrics_path"] == "/metrics"
    targets = {c["labels"]["service"]: c["targets"] for c in job["static_configs"]}
    assert targets == {name: [f"{name}:{registry.service(name).port}"] for name in registry.NAMES}


async def test_every_metric_an_alert_names_is_one_the_services_expose(
    metrics_of_a_running_stack: dict[str, set[str]],
) -> None:
    known = {**metrics_of_a_running_stack, **SCRAPE_SERIES}
    for rule in alerts():
        for name, matched in selectors(promql_parser.parse(rule["expr"])):
            assert name in known, f"{rule['alert']}: no service exposes {name}"
            unknown = matched - known[name] - TARGET_LABELS
            assert not unknown, f"{rule['alert']}: {name} has no label {sorted(unknown)}"
