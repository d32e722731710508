"""Figures 2 and 7: the event pipeline (outbox → relay → Kafka → consumer with inbox → effect) on the
local broker and PostgreSQL, beside raw aiokafka produce + consume of the same payloads, in one run.

    .venv/bin/python -m bench.event_pipeline [--events 3000] [--latency-seconds 10] [--replicas 1 2 4]

- **Throughput** (figure 2, and figure 7 for each replica count): N events are written to the
  producer's outbox (one row each, as the unit of work writes them) before the clock starts; then the
  relay starts and the clock runs until the consumer replicas (separate processes, one consumer group,
  4 partitions) have applied the last one — inbox row and effect row committed together.
- **Latency** (figure 2): at half the measured rate, a paced writer commits one state change + event
  per transaction; latency = effect written − the write's scheduled time (so a writer falling behind
  counts against us, no coordinated omission).
- **Anchor**: raw aiokafka (idempotent, acks=all, as the bus) produce + consume of the same envelope
  bytes on a topic of its own with 4 partitions, in this process; and the same paced latency run raw.

The consumer's effect is one row per event, written by a batch handler (one multi-row INSERT per
fetched batch, as a service registers with ``shared.events.consumer.batched``);
``--per-event-effect`` writes it with one INSERT per event instead (a handler without a batch form);
without that flag the one-replica drain is also run with such a handler, for comparison.

Everything lives under the Kafka namespace ``srdibench`` with fresh names per run; the run's topics
and databases are deleted at the end. ``--profile DIR`` records a profile of the one-replica
consumer process (py-spy attached to it when py-spy is installed, pyinstrument inside it otherwise)
to DIR/event_pipeline_consumer.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.results import Result, results_dir, write_fragment
from shared.config import ServiceSettings
from shared.events.consumer import EventHandler, batched
from shared.events.envelope import Envelope, dead_letter_topic, topic_for_source
from shared.events.kafka import KafkaBus
from shared.events.tables import messaging_tables
from shared.service import ServiceDefinition, ServiceRuntime
from shared.uow import UnitOfWork

# sqlmodel nags about session.execute(); the messaging code uses it on purpose (Core statements).
warnings.filterwarnings("ignore", category=DeprecationWarning)
NAMESPACE = "srdibench"
PARTITIONS = 4
EVENT = "srdi.bench.recorded.v1"
SUBJECTS = 1000  # distinct enterprises: keys spread over the 4 partitions
THROUGHPUT_TARGET = 0.5  # ≥ 50 % of raw aiokafka
P99_TARGET_MS = 250.0


# --- the pipeline under test: a producer service and a consumer service, fresh per run -------------


@dataclass
class Pipeline:
    tag: str
    producer: ServiceDefinition
    consumer: ServiceDefinition
    ledger: Table
    effect: Table


def pipeline(tag: str, per_event_effect: bool = False) -> Pipeline:
    producer_metadata = MetaData()
    ledger = Table("ledger", producer_metadata, Column("id", Integer, primary_key=True), Column("subject", String(40)))
    consumer_metadata = MetaData()
    effect = Table(
        "effect",
        consumer_metadata,
        Column("id", Integer, primary_key=True),
        Column("subject", String(40)),
        Column("seq", Integer),
        Column("event_id", String(36)),
        Column("sent_at", Float),  # epoch seconds: the write's scheduled time
        Column("applied_at", Float),  # epoch seconds: when the handler wrote the effect
    )

    def row(envelope: Envelope) -> dict[str, Any]:
        return {"subject": envelope.subject, "seq": envelope.data["seq"], "event_id": envelope.id,
                "sent_at": envelope.data["sent_at"], "applied_at": time.time()}  # fmt: skip

    async def apply(envelope: Envelope, uow: UnitOfWork) -> None:
        await uow.session.execute(effect.insert().values(**row(envelope)))

    async def apply_many(envelopes: Sequence[Envelope], uow: UnitOfWork) -> None:
        await uow.session.execute(effect.insert(), [row(envelope) for envelope in envelopes])

    handler: EventHandler = apply if per_event_effect else batched(apply, apply_many)

    producer = ServiceDefinition(
        name=f"benchp_{tag}",
        metadata=producer_metadata,
        tables=messaging_tables(producer_metadata),
        migrations_dir=None,
        settings_cls=ServiceSettings,
    )
    consumer = ServiceDefinition(
        name=f"benchc_{tag}", metadata=consumer_metadata, tables=messaging_tables(consumer_metadata),
        migrations_dir=None, settings_cls=ServiceSettings, consumes=[producer.name], event_handlers={EVENT: [handler]},
    )  # fmt: skip
    return Pipeline(tag, producer, consumer, ledger, effect)


def subject(index: int) -> str:
    return f"9153{index % SUBJECTS:014d}"


def envelope_for(p: Pipeline, seq: int, sent_at: float) -> Envelope:
    return Envelope(
        source=f"/srdi/{p.producer.name}", type=EVENT, subject=subject(seq), data={"seq": seq, "sent_at": sent_at}
    )


def settings(database_url: str) -> ServiceSettings:
    return ServiceSettings(database_url=database_url, log_json=False, relay_poll_seconds=0.05)


def infra() -> tuple[str, str]:
    from tests.infra import kafka_bootstrap, postgres_url

    return kafka_bootstrap(), postgres_url()


# --- a consumer replica: its own process ---------------------------------------------------------


async def replica(tag: str, profile: str | None, per_event_effect: bool) -> None:
    bootstrap, database_url = infra()
    p = pipeline(tag, per_event_effect)
    bus = KafkaBus(bootstrap, PARTITIONS, 1, NAMESPACE)
    runtime = ServiceRuntime(p.consumer, settings(database_url), bus, run_relay=False)
    await bus.start()
    await runtime.start()
    await bus.start_consumers()
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled")
        profiler.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    if profiler is not None and profile:
        profiler.stop()
        Path(profile).with_suffix(".txt").write_text(profiler.output_text(unicode=True, show_all=False), "utf-8")
    await bus.stop()
    await runtime.stop()


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start_replicas(tag: str, count: int, profile: str | None, per_event_effect: bool) -> list[subprocess.Popen[str]]:
    bootstrap, database_url = infra()
    env = os.environ | {"SRDI_KAFKA_BOOTSTRAP": bootstrap, "SRDI_DATABASE_URL": database_url}
    processes = []
    for index in range(count):
        command = [sys.executable, "-m", "bench.event_pipeline", "--replica", tag]
        if per_event_effect:
            command.append("--per-event-effect")
        if profile and index == 0 and py_spy() is None:
            command += ["--profile-to", profile]
        processes.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env))
    for process in processes:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"consumer replica did not start (exit {process.poll()})")
    return processes


def stop_replicas(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- measuring -----------------------------------------------------------------------------------


async def poll(check: Callable[[], Awaitable[bool]], timeout: float, what: str, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(every)


async def group_stable(bootstrap: str, group: str, members: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:

        async def stable() -> bool:
            for response in await admin.describe_consumer_groups([group]):
                for description in response.groups:
                    state, joined = description[2], description[5]
                    if state == "Stable" and len(joined) == members:
                        return True
            return False

        await poll(stable, 90, f"consumer group {group} stable with {members} members", every=0.25)
    finally:
        await admin.close()


@dataclass
class Run:
    """One pipeline with its producer runtime in this process and consumer replicas apart."""

    p: Pipeline
    bootstrap: str
    database_url: str
    producer: ServiceRuntime
    consumer: ServiceRuntime  # used only to migrate and read the effect table
    replicas: list[subprocess.Popen[str]]
    profiler: subprocess.Popen[str] | None = None  # py-spy attached to replica 0
    profile: str | None = None

    async def effects(self) -> int:
        async with self.consumer.uow() as uow:
            return int(await uow.session.scalar(select(func.count()).select_from(self.p.effect)) or 0)

    async def latest_effect(self) -> float:
        async with self.consumer.uow() as uow:
            return float(await uow.session.scalar(select(func.max(self.p.effect.c.applied_at))) or 0.0)

    async def relay_lags_ms(self, last: int) -> list[float]:
        """published − written, in ms, of the last ``last`` outbox rows."""
        outbox = self.p.producer.tables.outbox
        async with self.producer.uow() as uow:
            rows = await uow.session.execute(
                select(outbox.c.created_at, outbox.c.published_at).order_by(outbox.c.id.desc()).limit(last)
            )
            return [(published - created).total_seconds() * 1e3 for created, published in rows]

    async def latencies_ms(self, first_seq: int) -> list[float]:
        effect = self.p.effect
        async with self.consumer.uow() as uow:
            rows = await uow.session.execute(
                select(effect.c.applied_at - effect.c.sent_at).where(effect.c.seq >= first_seq)
            )
            return [float(value) * 1e3 for (value,) in rows]


async def open_run(replicas: int, profile: str | None = None, per_event_effect: bool = False) -> Run:
    bootstrap, database_url = infra()
    p = pipeline(uuid.uuid4().hex[:8], per_event_effect)
    producer_bus = KafkaBus(bootstrap, PARTITIONS, 1, NAMESPACE)
    await producer_bus.start()
    producer = ServiceRuntime(p.producer, settings(database_url), producer_bus, run_relay=False, run_consumers=False)
    consumer = ServiceRuntime(p.consumer, settings(database_url), KafkaBus(bootstrap, PARTITIONS, 1, NAMESPACE),
                              run_relay=False, run_consumers=False)  # fmt: skip
    await producer.start()  # migrates, creates the producer's topic
    await consumer.migrate()
    processes = start_replicas(p.tag, replicas, profile, per_event_effect)
    await group_stable(bootstrap, f"{NAMESPACE}.srdi.{p.consumer.name}", replicas)
    profiler = None
    spy = py_spy()
    if profile and spy:
        raw = str(Path(profile).with_suffix(".raw"))
        command = [spy, "record", "--pid", str(processes[0].pid), "--format", "raw", "--rate", "200", "-o", raw]
        profiler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    return Run(p, bootstrap, database_url, producer, consumer, processes, profiler, profile)


def summarise_py_spy(raw: Path, output: Path, top: int = 40) -> None:
    """py-spy's collapsed stacks → the functions with the most samples, inclusive and own."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in raw.read_text("utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [frame.split(" (")[0] + " (" + frame.split(" (")[-1].split(":")[0] + ")"
                  if " (" in frame else frame for frame in stack.split(";")]  # fmt: skip
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count
    lines = [f"py-spy record --rate 200 of the one-replica consumer process over the drain, sustained and "
             f"latency runs: {total:,} samples (py-spy's default drops samples it sees idle; the epoll wait "
             "it still counts is the event loop with nothing to do)", "",
             f"top {top} by inclusive samples (% of all):"]  # fmt: skip
    for frame, count in sorted(inclusive.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"{100 * count / max(total, 1):6.1f}%  {frame}")
    lines += ["", f"top {top} by own samples (% of all):"]
    for frame, count in sorted(own.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"{100 * count / max(total, 1):6.1f}%  {frame}")
    output.write_text("\n".join(lines) + "\n", "utf-8")


async def close_run(run: Run) -> None:
    await run.producer.stop_background()
    if run.profiler is not None and run.profile:
        run.profiler.send_signal(signal.SIGINT)
        run.profiler.wait(timeout=60)
        raw = Path(run.profile).with_suffix(".raw")
        if raw.exists():
            summarise_py_spy(raw, Path(run.profile).with_suffix(".txt"))
            raw.unlink()
    stop_replicas(run.replicas)
    await run.producer.bus.stop()
    await run.producer.engine.dispose()
    await run.consumer.engine.dispose()
    await drop_databases(run.database_url, [run.p.producer.name, run.p.consumer.name])
    await delete_topics(run.bootstrap, [
        topic_for_source(run.p.producer.name), dead_letter_topic(run.p.consumer.name)
    ])  # fmt: skip


async def drop_databases(database_url: str, services: Sequence[str]) -> None:
    from shared.db import service_database_url

    admin = create_async_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            for service in services:
                name = make_url(service_database_url(database_url, service)).database
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def delete_topics(bootstrap: str, topics: Sequence[str], namespaced: bool = True) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [f"{NAMESPACE}.{t}" if namespaced else t for t in topics]
        existing = set(await admin.list_topics())
        with contextlib.suppress(Exception):
            await admin.delete_topics([n for n in names if n in existing])
    finally:
        await admin.close()


async def prefill(run: Run, events: int, per_transaction: int = 500) -> None:
    for start in range(0, events, per_transaction):
        async with run.producer.uow() as uow:
            for seq in range(start, min(events, start + per_transaction)):
                uow.emit(envelope_for(run.p, seq, 0.0))
            await uow.commit()


async def drain(run: Run, events: int) -> float:
    """Events/s from the relay's start to the last effect, the outbox holding ``events`` rows."""
    await prefill(run, events)
    started = time.time()
    run.producer.spawn(run.producer.relay.run_forever(), "relay")
    await poll(lambda: _at_least(run.effects, events), timeout=max(120.0, events / 20), what="effects")
    elapsed = await run.latest_effect() - started
    return events / elapsed


async def sustained(run: Run, events: int, first_seq: int, writers: int = 8) -> tuple[float, float]:
    """(events/s end to end, events/s of the writers alone) with everything running at once:
    ``writers`` tasks commit one state change + event per transaction as fast as they can while the
    relay publishes and the consumers apply (the relay is already running, after :func:`drain`)."""
    started = time.time()

    async def writer(offset: int) -> None:
        for index in range(offset, events, writers):
            async with run.producer.uow() as uow:
                seq = first_seq + index
                await uow.session.execute(run.p.ledger.insert().values(subject=subject(seq)))
                uow.emit(envelope_for(run.p, seq, time.time()))
                await uow.commit()

    await asyncio.gather(*(writer(offset) for offset in range(writers)))
    written = time.time() - started
    await poll(lambda: _at_least(run.effects, first_seq + events), timeout=max(120.0, events / 20), what="effects")
    return events / (await run.latest_effect() - started), events / written


async def _at_least(count: Callable[[], Awaitable[int]], target: int) -> bool:
    return await count() >= target


async def paced(rate: float, seconds: float, write: Callable[[int, float], Awaitable[None]], writers: int = 8) -> int:
    """``rate`` writes/s for ``seconds``, spread over ``writers`` tasks; write(i, scheduled_epoch).
    As many writers as the sustained run has: half its rate is then half load for the writers too."""
    total = max(1, int(rate * seconds))
    origin = time.time() + 0.2

    async def worker(offset: int) -> None:
        for index in range(offset, total, writers):
            scheduled = origin + index / rate
            delay = scheduled - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await write(index, scheduled)

    await asyncio.gather(*(worker(offset) for offset in range(writers)))
    return total


async def pipeline_latency(run: Run, rate: float, seconds: float, first_seq: int) -> tuple[list[float], list[float]]:
    """(latencies, writer lags) in ms; the lag = commit of the write − its scheduled time."""
    lags: list[float] = []

    async def write(index: int, scheduled: float) -> None:
        async with run.producer.uow() as uow:
            seq = first_seq + index
            await uow.session.execute(run.p.ledger.insert().values(subject=subject(seq)))
            uow.emit(envelope_for(run.p, seq, scheduled))
            await uow.commit()
        lags.append((time.time() - scheduled) * 1e3)

    sent = await paced(rate, seconds, write)
    await poll(lambda: _at_least(run.effects, first_seq + sent), timeout=120, what="latency-run effects")
    return await run.latencies_ms(first_seq), lags


# --- the anchor: raw aiokafka, same payloads ----------------------------------------------------


async def raw_kafka(bootstrap: str, events: int, rate: float, seconds: float) -> tuple[float, list[float]]:
    """(events/s of produce + consume of ``events`` envelopes, latencies in ms at ``rate``)."""
    topic = f"{NAMESPACE}.raw_{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    await admin.close()
    p = pipeline("raw")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"{topic}.group", enable_auto_commit=False,
        auto_offset_reset="earliest", max_poll_records=200,
    )  # fmt: skip
    await producer.start()
    await consumer.start()
    received: list[tuple[float, bytes]] = []
    try:
        consuming = asyncio.create_task(_consume_raw(consumer, received))
        await poll(lambda: _assigned(consumer), 60, "raw consumer assignment")
        payloads = [(envelope_for(p, seq, 0.0).to_bytes(), subject(seq).encode()) for seq in range(events)]
        started = time.time()
        futures = [await producer.send(topic, value, key=key) for value, key in payloads]
        await asyncio.gather(*futures)
        await poll(lambda: _length_at_least(received, events), 120, "raw consumption")
        throughput = events / (received[events - 1][0] - started)

        async def write(index: int, scheduled: float) -> None:
            value = envelope_for(p, events + index, scheduled).to_bytes()
            await (await producer.send(topic, value, key=subject(index).encode()))

        sent = await paced(rate, seconds, write)
        await poll(lambda: _length_at_least(received, events + sent), 120, "raw latency run")
        latencies = [(at - json.loads(value)["data"]["sent_at"]) * 1e3 for at, value in received[events:]]
        consuming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consuming
        return throughput, latencies
    finally:
        await consumer.stop()
        await producer.stop()
        await delete_topics(bootstrap, [topic], namespaced=False)


async def _consume_raw(consumer: AIOKafkaConsumer, received: list[tuple[float, bytes]]) -> None:
    while True:
        batches = await consumer.getmany(timeout_ms=200)
        now = time.time()
        for messages in batches.values():
            received.extend((now, message.value) for message in messages)
            await consumer.commit()


async def _assigned(consumer: AIOKafkaConsumer) -> bool:
    return len(consumer.assignment()) == PARTITIONS


async def _length_at_least(items: list[Any], target: int) -> bool:
    return len(items) >= target


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


# --- the benchmark --------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    bootstrap, _ = infra()
    profile_dir = Path(args.profile) if args.profile else None
    replica_counts = sorted(set(args.replicas) | {1})

    print(f"raw aiokafka: {args.events:,} envelopes produce + consume", flush=True)
    # The raw anchor's paced rate is set after our throughput is known: run the raw throughput twice
    # would cost time, so its latency run uses the same half rate as ours (below).
    throughputs: dict[int, float] = {}
    concurrent = writers_rate = 0.0
    latencies: list[float] = []
    lags: list[float] = [0.0]
    relay_lags: list[float] = [0.0]
    rate = 0.0
    for count in replica_counts:
        profile = str(profile_dir / "event_pipeline_consumer") if profile_dir and count == 1 else None
        if profile_dir:
            profile_dir.mkdir(parents=True, exist_ok=True)
        run = await open_run(count, profile, args.per_event_effect)
        try:
            throughputs[count] = await drain(run, args.events)
            print(f"pipeline, {count} consumer replica(s): {throughputs[count]:,.0f} events/s", flush=True)
            if count == 1:
                concurrent, writers_rate = await sustained(run, args.events, first_seq=args.events)
                print(f"pipeline, writes concurrent with relay and consumer: {concurrent:,.0f} events/s "
                      f"(the writers alone committed {writers_rate:,.0f}/s)", flush=True)  # fmt: skip
                rate = concurrent / 2
                latencies, lags = await pipeline_latency(run, rate, args.latency_seconds, first_seq=2 * args.events)
                relay_lags = await run.relay_lags_ms(len(latencies))
        finally:
            await close_run(run)
    per_event_drain = None
    if not args.per_event_effect:  # the same drain with a handler that has no batch form, for comparison
        run = await open_run(1, None, per_event_effect=True)
        try:
            per_event_drain = await drain(run, args.events)
            print(f"pipeline, 1 replica, effect one INSERT per event: {per_event_drain:,.0f} events/s", flush=True)
        finally:
            await close_run(run)
    raw_throughput, raw_latencies = await raw_kafka(bootstrap, args.events, rate, args.latency_seconds)
    print(f"raw aiokafka: {raw_throughput:,.0f} events/s", flush=True)

    share = concurrent / raw_throughput
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    raw_p50, raw_p99 = percentile(raw_latencies, 50), percentile(raw_latencies, 99)
    print(f"at {rate:,.0f} events/s: pipeline p50 {p50:.1f} ms p99 {p99:.1f} ms; "
          f"raw p50 {raw_p50:.1f} p99 {raw_p99:.1f}")  # fmt: skip
    writers_note = f"; the writers alone committed {writers_rate:,.0f} events/s"
    if share >= THROUGHPUT_TARGET:
        limit = ""
    elif writers_rate < 1.25 * concurrent:
        limit = ("; limited by the writers (one PostgreSQL transaction per state change + event, 8 at a time), "
                 f"not the relay or consumer: the outbox drains at {throughputs[1]:,.0f} events/s")  # fmt: skip
    else:
        limit = "; limited by the relay and consumer — profiles/event_pipeline_consumer.txt"
    effect = "one INSERT per event" if args.per_event_effect else "a batch handler: one multi-row INSERT per batch"
    sizes = f"{args.events:,} events, {PARTITIONS} partitions, 1 consumer process"
    write_fragment("event_pipeline", [
        Result.measured("2 event pipeline: sustained throughput", concurrent, "events/s",
                        "raw aiokafka produce + consume", raw_throughput, higher_is_better=True,
                        target="≥ 50 % of raw", met=share >= THROUGHPUT_TARGET,
                        note=f"{sizes}; 8 writers, one transaction per event, relay and consumer running; effect by "
                        f"{effect}" + writers_note + limit),
        Result.measured("2 event pipeline: outbox drain", throughputs[1], "events/s",
                        "raw aiokafka produce + consume", raw_throughput, higher_is_better=True,
                        note=f"{sizes}; events already in the outbox: relay → Kafka → consumer only; effect by "
                        f"{effect}"),
        *([Result.measured("2 event pipeline: outbox drain, per-event effect", per_event_drain, "events/s",
                           "raw aiokafka produce + consume", raw_throughput, higher_is_better=True,
                           note=f"{sizes}; as the drain, the effect written by a handler without a batch form "
                           "(one INSERT round trip per event, inside the batch's one transaction)")]
          if per_event_drain is not None else []),
        Result.measured(f"2 event pipeline: p50 at {rate:,.0f} events/s", p50, "ms", "raw aiokafka p50, same rate",
                        raw_p50, higher_is_better=False,
                        note=f"{len(latencies):,} events over {args.latency_seconds:g} s"),
        Result.measured(f"2 event pipeline: p99 at {rate:,.0f} events/s", p99, "ms", "raw aiokafka p99, same rate",
                        raw_p99, higher_is_better=False, target=f"≤ {P99_TARGET_MS:.0f} ms", met=p99 <= P99_TARGET_MS,
                        note=f"effect written − scheduled write time. Parts, p99: outbox write (commit − "
                        f"scheduled) {percentile(lags, 99):.0f} ms, relay (published − written) "
                        f"{percentile(relay_lags, 99):.0f} ms; the rest is Kafka + the consumer's queue"),
    ], extra={"size": {"events": args.events, "latency_seconds": args.latency_seconds}})  # fmt: skip
    cores = os.cpu_count() or 1
    write_fragment("scale_out", [
        Result.measured(f"7 scale-out: {count} consumer replica(s)", throughputs[count], "events/s",
                        f"{count} × the 1-replica rate (linear)", count * throughputs[1], higher_is_better=True,
                        note=f"{PARTITIONS} partitions, replicas are processes on {cores} shared cores"
                        + ("; more replicas than cores cannot scale linearly" if count > cores else ""))
        for count in replica_counts
    ])  # fmt: skip


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000, help="events per throughput run")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--replicas", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--profile", default=str(results_dir() / "profiles"), help="'' for no profile")
    parser.add_argument("--replica", help=argparse.SUPPRESS)  # internal: run one consumer replica
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    parser.add_argument(
        "--per-event-effect",
        action="store_true",
        help="the effect written by a handler without a batch form (one INSERT per event)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.replica:
        asyncio.run(replica(arguments.replica, arguments.profile_to, arguments.per_event_effect))
    else:
        asyncio.run(main(arguments))
