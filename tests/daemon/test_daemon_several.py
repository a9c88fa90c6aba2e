"""Several daemons on one PostgreSQL store (real processes, the sandbox emulators): each connection synced
by one daemon at a time, the stages by one at a time, every connection pulled on time; a killed or frozen
holder's work taken over within seconds, and nothing written twice."""

from __future__ import annotations

import json
import random
import signal
import socket
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sandbox.launcher import TOKEN_ENV
from sync.store import Store
from tests.daemon.cluster import Cluster, make_cluster, moment, overlaps
from tests.daemon.test_daemon_echo import cli, person_edits, repeated_writes
from tests.daemon.test_daemon_run import Running, wait_for

TOKEN = "sbx-several-daemons"
CADENCE_FLOOR = 10.0  # seconds: each connection pulled at least every max(2 x interval, this)


@contextmanager
def running_cluster(tmp_path: Path, url: str, items: int) -> Iterator[Cluster]:
    world = make_cluster(tmp_path, url, TOKEN, items=items)
    try:
        yield world
    finally:
        world.stop_all()
        for box in world.boxes:
            box.stop()


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with running_cluster(tmp_path, postgres_url, items=10) as world:
        yield world


@pytest.fixture
def big_cluster(tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    """Enough open items for a person to label some before each of twenty kills."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with running_cluster(tmp_path, postgres_url, items=60) as world:
        yield world


def check_exclusive_and_on_time(cluster: Cluster, began: float, ended: float) -> dict[str, int]:
    """No two runs of one connection overlap (pulls and its pushes), no two stage runs overlap, and each
    connection's pulls start at most max(2 x interval, 10 s) apart over the whole run. Pulls by connection."""
    runs = [r for r in cluster.runs() if r["status"] != "abandoned"]
    by_connection: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        by_connection[run["connection"]].append(run)
    stages = by_connection.pop(None, [])
    assert stages, "no stage ran"
    assert overlaps(stages) == [], f"stage runs overlapped: {overlaps(stages)}"
    pulls: dict[str, int] = {}
    for name, interval in cluster.intervals.items():
        mine = by_connection[name]
        assert overlaps(mine) == [], f"{name}: runs overlapped: {overlaps(mine)}"
        starts = [moment(r["started_at"]) for r in mine if r["kind"] == "pull"]
        allowed = max(2 * interval, CADENCE_FLOOR)
        gaps = [b - a for a, b in zip([began, *starts], [*starts, ended], strict=True)]
        assert max(gaps) <= allowed, f"{name}: a gap of {max(gaps):.1f}s between pulls (allowed {allowed}s)"
        pulls[name] = len(starts)
    return pulls


def holders_in_status(cluster: Cluster) -> list[dict[str, Any]]:
    """``rankbridge status --json`` while the daemons run, until it shows a lease held."""
    for _ in range(10):
        shown = cli(cluster.config, "status", "--json")
        assert shown.returncode == 0, shown.stderr
        leases: list[dict[str, Any]] = json.loads(shown.stdout)["leases"]
        if leases:
            return leases
    raise AssertionError("status never showed a lease held")


def run_exclusivity(cluster: Cluster, seconds: float) -> dict[str, int]:
    cluster.start(3)
    began = time.time()
    leases = holders_in_status(cluster)
    assert {row["pid"] for row in leases} <= {d.process.pid for d in cluster.daemons}, leases
    assert all(row["host"] == socket.gethostname() and row["since"] and row["heartbeat"] for row in leases)
    time.sleep(max(0.0, began + seconds - time.time()))
    ended = time.time()
    cluster.stop_all()
    assert all(d.process.returncode == 0 for d in cluster.daemons), [d.logs[-5:] for d in cluster.daemons]
    return check_exclusive_and_on_time(cluster, began + CADENCE_FLOOR, ended)


def test_three_daemons_never_overlap_and_pull_every_connection_on_time(cluster: Cluster) -> None:
    pulls = run_exclusivity(cluster, 16)
    assert len(pulls) == 8 and min(pulls.values()) >= 3, pulls


@pytest.mark.soak
def test_three_daemons_for_two_minutes(cluster: Cluster) -> None:
    pulls = run_exclusivity(cluster, 120)
    assert min(pulls.values()) >= 20, pulls


# --- failover ---------------------------------------------------------------------------------------------
def pull_in_flight(cluster: Cluster, connection: str) -> dict[str, Any] | None:
    running = [r for r in cluster.runs() if r["connection"] == connection and r["status"] == "running"]
    return next((r for r in running if r["kind"] == "pull"), None)


def slow_pull_of(cluster: Cluster, connection: str) -> tuple[Running, dict[str, Any]]:
    """Slow ``connection``'s tracker down (every request waits 3 s) until a pull of it is in flight; that
    pull's run and the daemon holding the connection's lease (both read while the pull still runs)."""
    box, service = cluster.box_of(connection)
    box.faults(service, {"latency": 3.0})
    found: list[tuple[Running, dict[str, Any]]] = []

    def in_flight() -> bool:
        run = pull_in_flight(cluster, connection)
        holder = cluster.holder_of(f"connection:{connection}")
        if run is not None and holder is not None and pull_in_flight(cluster, connection) == run:
            found.append((holder, run))
        return bool(found)

    wait_for(f"a pull of {connection} in flight", in_flight)
    return found[0]


def next_pull_started(cluster: Cluster, connection: str, after_run: int) -> float | None:
    later = [r for r in cluster.runs() if r["connection"] == connection and r["kind"] == "pull"]
    starts = [moment(r["started_at"]) for r in later if r["id"] > after_run]
    return min(starts) if starts else None


def all_pulled(cluster: Cluster) -> bool:
    return all(next_pull_started(cluster, name, 0) for name in cluster.intervals)


def test_a_killed_or_frozen_holder_is_taken_over_within_seconds(cluster: Cluster) -> None:
    """kill -9 of jira's holder mid-pull: another daemon pulls jira within 5 s and the cut run is marked
    abandoned. Then SIGSTOP of github_b's holder mid-pull: taken over within lease_timeout + 5 s; after
    SIGCONT the woken daemon's commit is refused (its run stays as the new holder marked it)."""
    cluster.start(3)
    wait_for("every connection pulled", lambda: all_pulled(cluster))
    holder, run = slow_pull_of(cluster, "jira")
    holder.process.send_signal(signal.SIGKILL)
    killed_at = time.time()
    holder.process.wait(timeout=10)
    cluster.boxes[0].faults("jira", {"latency": 0.0})
    wait_for("another daemon pulling jira", lambda: next_pull_started(cluster, "jira", run["id"]) is not None)
    taken = next_pull_started(cluster, "jira", run["id"])
    assert taken is not None and taken - killed_at <= 5.0, f"taken over after {taken and taken - killed_at}s"
    cut = next(r for r in cluster.runs() if r["id"] == run["id"])
    assert cut["status"] == "abandoned" and "lost the connection:jira lease" in cut["error"], cut
    cluster.start(1)
    check_frozen_holder(cluster, "github_b")
    assert all_exclusive(cluster)


def check_frozen_holder(cluster: Cluster, connection: str) -> None:
    timeout = 4.0  # [daemon] lease_timeout of the cluster's config
    holder, run = slow_pull_of(cluster, connection)
    holder.process.send_signal(signal.SIGSTOP)
    frozen_at = time.time()
    box, service = cluster.box_of(connection)
    box.faults(service, {"latency": 0.0})  # the frozen pull's answer arrives while it sleeps
    wait_for(
        f"another daemon pulling {connection}",
        lambda: next_pull_started(cluster, connection, run["id"]) is not None,
        timeout=timeout + 10,
    )
    taken = next_pull_started(cluster, connection, run["id"])
    assert taken is not None and taken - frozen_at <= timeout + 5.0, f"taken over after {taken - frozen_at}s"
    cut = next(r for r in cluster.runs() if r["id"] == run["id"])
    assert cut["status"] == "abandoned", cut
    holder.process.send_signal(signal.SIGCONT)
    wait_for(
        "the woken daemon to find its lease lost",
        lambda: any("lease" in m and "lost" in m for m in holder.logs),
    )
    time.sleep(2.0)  # its pull's answer is in: it would have written its page and ended its run by now
    after = next(r for r in cluster.runs() if r["id"] == run["id"])
    assert after == cut, "the frozen daemon committed its run after it lost its lease"
    refused = [m for m in holder.logs if connection in m and "LeaseLost" in m]
    assert refused, holder.logs[-20:]  # it tried to write its page, and the guard refused the commit
    assert holder.process.poll() is None, "the woken daemon goes on (with new leases, if it can take them)"


def all_exclusive(cluster: Cluster) -> bool:
    """No two runs of one connection overlap, nor two stage runs (the killed runs marked abandoned aside)."""
    runs = [r for r in cluster.runs() if r["status"] != "abandoned"]
    groups: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        groups[run["connection"]].append(run)
    clashes = {name: overlaps(group) for name, group in groups.items() if overlaps(group)}
    assert clashes == {}, clashes
    return True


# --- no write twice ---------------------------------------------------------------------------------------
def push_in_flight(cluster: Cluster) -> dict[str, Any] | None:
    running = [r for r in cluster.runs() if r["kind"] == "push" and r["status"] == "running"]
    return next((r for r in running if r["connection"]), None)


def ops_waiting(cluster: Cluster) -> bool:
    store = Store(cluster.url)
    try:
        return bool(store.outbox())
    finally:
        store.close()


def kill_pushers(cluster: Cluster, kills: int, seed: int, budget: float) -> int:
    """Kill -9 the daemon pushing a connection (the holder of its lease) ``kills`` times, at seeded moments
    of its push, each time starting another; a person labels items between, so that there is more to
    push. The kills made."""
    rng = random.Random(seed)
    for box in cluster.boxes:
        for service in box.served:  # each write is applied, then answered 0.3 s later: pushes last
            box.faults(service, {"response_delay": 0.3})
    cluster.start(2)
    made, deadline, last_edit = 0, time.monotonic() + budget, 0.0
    while made < kills and time.monotonic() < deadline:
        push = push_in_flight(cluster)
        holder = cluster.holder_of(f"connection:{push['connection']}") if push else None
        if push is None or holder is None:
            if not ops_waiting(cluster) and time.monotonic() - last_edit > 3:
                for box in cluster.boxes:
                    person_edits(box, rng)
                last_edit = time.monotonic()
            time.sleep(0.05)
            continue
        time.sleep(rng.uniform(0.0, 0.5))
        holder.process.send_signal(signal.SIGKILL)
        holder.process.wait(timeout=10)
        made += 1
        cluster.start(1)
    for box in cluster.boxes:
        for service in box.served:
            box.faults(service, {"response_delay": 0.0})
    return made


def plans_owed(cluster: Cluster) -> set[str]:
    store = Store(cluster.url)
    try:
        return store.plans_owed()
    finally:
        store.close()


def settle(cluster: Cluster) -> None:
    """Wait until nothing is left to push or to plan (a pull that read a change owes a plan: the outbox is
    empty until the stages run it) and no write arrived for a few seconds, then stop the daemons."""

    def quiet_for(seconds: float) -> bool:
        writes = [r["time"] for b in cluster.boxes for s in b.served for r in b.requests(s) if r["mutating"]]
        last = max(writes, default=0.0)
        return not ops_waiting(cluster) and not plans_owed(cluster) and time.time() - last > seconds

    wait_for("the daemons to settle", lambda: quiet_for(4.0), timeout=90)
    cluster.stop_all()


def journal(cluster: Cluster) -> list[str]:
    store = Store(cluster.url)
    try:
        rows = store.journal_entries()
    finally:
        store.close()
    keys = ("at", "run_id", "connection", "kind", "result", "payload")
    return [" ".join(str(r[k]) for k in keys) for r in rows]


def check_written_once_and_converged(cluster: Cluster) -> None:
    for box in cluster.boxes:
        twice = repeated_writes(box, fields_too=False)
        assert twice == {}, (twice, journal(cluster))  # the journal says which run sent what, when
    after = cli(cluster.config, "sync", "--json")
    assert after.returncode == 0, after.stderr
    report = json.loads(after.stdout)
    assert report["plan"]["ops"] == [], [op["reason"] for op in report["plan"]["ops"]]


def test_killing_the_pushing_daemon_never_sends_a_write_twice(cluster: Cluster) -> None:
    made = kill_pushers(cluster, kills=2, seed=20, budget=60)
    assert made == 2
    settle(cluster)
    cut = [r for r in cluster.runs() if r["kind"] == "push" and r["status"] == "abandoned"]
    assert cut, "no kill cut a push short: the test proves nothing"
    assert all_exclusive(cluster)
    check_written_once_and_converged(cluster)


@pytest.mark.soak
def test_twenty_kills_of_the_pushing_daemon_never_send_a_write_twice(big_cluster: Cluster) -> None:
    made = kill_pushers(big_cluster, kills=20, seed=2020, budget=600)
    assert made == 20
    settle(big_cluster)
    assert all_exclusive(big_cluster)
    check_written_once_and_converged(big_cluster)
