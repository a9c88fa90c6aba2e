"""/healthz verdicts, the Prometheus text format of /metrics, and the backoff schedule."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from sync.daemon.metrics import Live, Metrics
from sync.store import Store
from sync.store.schedule import MAX_BACKOFF, backoff_delay

SAMPLE = re.compile(r'^([a-z_:][a-z0-9_:]*)(\{([a-z_]+="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+]+|\+Inf|-Inf|NaN)$')


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_health_is_ok_only_when_every_connection_is_fresh() -> None:
    clock = Clock()
    metrics = Metrics({"jira": (60, 300), "zendesk": (60, 600)}, clock=clock)
    ok, body = metrics.health()
    assert not ok and body["status"] == "unhealthy"
    assert "jira: never synced" in body["reasons"] and "zendesk: never synced" in body["reasons"]

    metrics.record_cycle("jira", ok=True, error=None, pulled=5, changed=5, duration=0.2)
    metrics.seed_last_success("zendesk", clock.now - 100)
    ok, body = metrics.health()
    assert ok and body == {
        "status": "ok",
        "reasons": [],
        "connections": {
            "jira": {
                "ok": True,
                "state": "ok",
                "last_success": "1970-01-12T13:46:40Z",
                "in_progress_since": None,
                "in_progress_seconds": None,
                "age_seconds": 0.0,
                "staleness_seconds": 300,
                "consecutive_failures": 0,
                "last_error": None,
            },
            "zendesk": {
                "ok": True,
                "state": "ok",
                "last_success": "1970-01-12T13:45:00Z",
                "in_progress_since": None,
                "in_progress_seconds": None,
                "age_seconds": 100.0,
                "staleness_seconds": 600,
                "consecutive_failures": 0,
                "last_error": None,
            },
        },
    }

    metrics.record_start("jira")  # a job in flight is named, and stays healthy while within staleness
    clock.now += 30
    ok, body = metrics.health()
    assert ok and body["connections"]["jira"]["state"] == "in_progress"
    assert body["connections"]["jira"]["in_progress_since"] == "1970-01-12T13:46:40Z"
    assert body["connections"]["jira"]["in_progress_seconds"] == 30.0

    clock.now += 370  # jira (300 s allowed) is stale now; zendesk (600 s) is not
    metrics.record_cycle(
        "jira", ok=False, error="RetriableError: 503 from the server", pulled=0, changed=0, duration=1.0
    )
    ok, body = metrics.health()
    assert not ok
    assert body["reasons"] == [
        "jira: last successful sync 400s ago (allowed 300s)",
        "jira: last error: RetriableError: 503 from the server",
    ]
    assert body["connections"]["jira"]["consecutive_failures"] == 1
    assert body["connections"]["zendesk"]["ok"]


def test_errors_are_redacted_before_they_are_kept(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ACME_API_TOKEN", "s3cr3t-value-42")
    metrics = Metrics({"jira": (60, 1)}, clock=Clock())
    metrics.record_cycle(
        "jira", ok=False, error="401 with s3cr3t-value-42 and token=abc", pulled=0, changed=0, duration=0.1
    )
    _, body = metrics.health()
    text = str(body)
    assert "s3cr3t-value-42" not in text and "token=abc" not in text and "***" in text


def parse(text: str) -> dict[str, float]:
    """Every line is a HELP, a TYPE or a valid sample; returns samples by their full name and labels."""
    samples: dict[str, float] = {}
    typed: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram"), line
            typed.add(name)
            continue
        match = SAMPLE.match(line)
        assert match, f"not a valid sample line: {line!r}"
        family = re.sub(r"_(bucket|sum|count)$", "", match.group(1))
        assert match.group(1) in typed or family in typed, f"sample before its TYPE: {line}"
        key, value = line.rsplit(" ", 1)
        samples[key] = float(value)
    assert text.endswith("\n")
    return samples


def test_metrics_render_in_the_prometheus_text_format() -> None:
    metrics = Metrics({"jira": (60, 300), 'we"ird\\name': (60, 300)}, clock=Clock())
    for duration in (0.05, 0.3, 7.0):
        metrics.record_cycle("jira", ok=True, error=None, pulled=10, changed=2, duration=duration)
    metrics.record_push({"jira": {"applied": 3, "failed": 1, "already": 0}, "unknown": {"applied": 9}})
    metrics.record_outbox({"jira": 4})
    text = metrics.render(
        {
            "jira": Live(requests=12, rate_limit_remaining=88.0),
            'we"ird\\name': Live(requests=0, rate_limit_remaining=None),
        }
    )
    samples = parse(text)
    assert samples["rankbridge_cycles_total"] == 3
    assert samples['rankbridge_connection_cycles_total{connection="jira"}'] == 3
    assert samples['rankbridge_items_pulled_total{connection="jira"}'] == 30
    assert samples['rankbridge_requests_total{connection="jira"}'] == 12
    assert samples['rankbridge_rate_limit_remaining{connection="jira"}'] == 88
    assert samples['rankbridge_ops_applied_total{connection="jira"}'] == 3
    assert samples['rankbridge_ops_failed_total{connection="jira"}'] == 1
    assert samples['rankbridge_outbox_depth{connection="jira"}'] == 4
    assert samples['rankbridge_last_success_timestamp_seconds{connection="jira"}'] == 1_000_000
    assert samples['rankbridge_connection_cycles_total{connection="we\\"ird\\\\name"}'] == 0
    assert 'rankbridge_rate_limit_remaining{connection="we' not in text  # not exposed: nothing known
    buckets = [
        (k, v)
        for k, v in samples.items()
        if k.startswith('rankbridge_run_duration_seconds_bucket{connection="jira"')
    ]
    counts = [v for _, v in buckets]
    assert counts == sorted(counts) and counts[-1] == 3 and buckets[-1][0].endswith('le="+Inf"}')
    assert samples['rankbridge_run_duration_seconds_bucket{connection="jira",le="0.1"}'] == 1
    assert samples['rankbridge_run_duration_seconds_count{connection="jira"}'] == 3
    assert abs(samples['rankbridge_run_duration_seconds_sum{connection="jira"}'] - 7.35) < 1e-9


def test_the_shared_schedule_backs_off_up_to_a_cap_and_resets_on_success(tmp_path: Path) -> None:
    assert [backoff_delay(n, 10) for n in range(6)] == [10, 10, 20, 40, 80, 160]
    assert backoff_delay(30, 10) == MAX_BACKOFF
    assert backoff_delay(3, 7200) == 7200  # never shorter than the interval itself

    store = Store(tmp_path / "store.db")
    try:
        store.schedule_connections({"jira": 10, "github": 60})
        assert set(store.due_connections()) == {"jira", "github"}  # new connections are due at once
        store.claim("jira")  # a daemon took jira's lease: nobody else sees it due meanwhile
        assert store.due_connections() == ["github"]
        assert store.ran("jira", "HTTP 503") == 10  # one failure: the next run on schedule
        assert store.ran("jira", "HTTP 503") == 20
        row = store.schedule()["jira"]
        assert (row["failures"], row["last_error"]) == (2, "HTTP 503")
        assert store.run_now(["jira"]) == ["jira"]  # `sync --now`: due again, its failures kept
        assert "jira" in store.due_connections() and store.schedule()["jira"]["failures"] == 2
        assert store.ran("jira", None) == 10
        assert (store.schedule()["jira"]["failures"], store.schedule()["jira"]["last_error"]) == (0, None)
        store.schedule_connections({"jira": 5, "github": 60})  # a shorter interval brings the run forward
        assert store.schedule()["jira"]["interval_seconds"] == 5
        assert 4 <= seconds_until(store.schedule()["jira"]["next_run_at"]) <= 5
        assert seconds_until(store.schedule()["github"]["next_run_at"]) <= 0  # still due: never claimed
    finally:
        store.close()


def seconds_until(stamp: str) -> float:
    return (datetime.fromisoformat(stamp.replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds()
