"""``srdi``: run the platform, serve one service, relay its outbox, migrate, load demo data."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import Annotated

import typer
import uvicorn

from shared.config import REPO_ROOT
from shared.logs import configure_logging

app = typer.Typer(help="SRDI platform / 专精特新企业服务平台", no_args_is_help=True)
dlq = typer.Typer(help="Dead letters / 死信", no_args_is_help=True)
app.add_typer(dlq, name="dlq")

ServiceArg = Annotated[str, typer.Argument(help="registry | eligibility | finance_match | notifications | gateway")]


def _logging() -> None:
    from services.platform import settings_for

    settings = settings_for("gateway")
    configure_logging(settings.log_level, settings.log_json)


@app.command()
def run(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Embedded mode: every service in one process, SQLite, in-process bus, demo data."""
    from services.embedded import EmbeddedPlatform

    _logging()
    platform = EmbeddedPlatform()
    original_start = platform.start

    async def start_and_greet() -> None:
        await original_start()
        _greet(host, port, platform.demo_keys)

    platform.start = start_and_greet  # type: ignore[method-assign]
    uvicorn.run(platform.app, host=host, port=port, log_config=None, access_log=False, server_header=False)


def _greet(host: str, port: int, keys: list[dict[str, str | None]]) -> None:
    base = f"http://{host}:{port}"
    print(f"\nSRDI platform (embedded) on {base}\n  API docs / 接口文档: {base}/docs\n  health: {base}/healthz")
    print(f"  demo API keys (also in {REPO_ROOT / 'var' / 'demo-keys.json'}):")
    for key in keys:
        print(f"    {key['role']:<20} {key['tenant'] or '':<20} {key['key']}")
    print(f"  dashboard / 运营看板: {base}/dashboard — log in with:")
    for key in keys:
        if key.get("username"):
            print(f"    {key['username']:<40} {key.get('password')}")
    print("  use: curl -H 'Authorization: Bearer <key>' " + base + "/api/v1/registry/enterprises\n", flush=True)


@app.command()
def serve(service: ServiceArg, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Distributed mode: one service (API + its event consumers) in this process."""
    from services.platform import create_distributed_app

    _logging()
    app = create_distributed_app(service)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, server_header=False)


@app.command()
def relay(
    service: ServiceArg,
    host: str = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="serve /healthz, /readyz and /metrics on this port")] = None,
) -> None:
    """Publish the service's outbox to the bus until stopped (with ``--port``: and answer probes)."""
    from services.platform import create_relay_app_for, relay_only

    _logging()
    if port is not None:
        uvicorn.run(create_relay_app_for(service), host=host, port=port, log_config=None, access_log=False,
                    server_header=False)  # fmt: skip
        return

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with relay_only(service):
            print(f"relay {service}: running", flush=True)
            await stop.wait()

    asyncio.run(main())


@app.command()
def migrate(services: Annotated[list[str] | None, typer.Argument()] = None) -> None:
    """Create each service's database if needed and bring its schema to the latest migration."""
    from services.platform import ALL_SERVICES, definition_of, make_bus, settings_for
    from shared.service import ServiceRuntime

    async def main() -> None:
        for name in services or ALL_SERVICES:
            settings = settings_for(name)
            runtime = ServiceRuntime(definition_of(name), settings, make_bus(settings))
            await runtime.migrate()
            await runtime.engine.dispose()
            print(f"migrated {name}: {runtime.database_url.split('@')[-1]}")

    asyncio.run(main())


@app.command("make-migration")
def make_migration(service: ServiceArg, message: Annotated[str, typer.Option("-m")]) -> None:
    """Developers: autogenerate a migration from the service's tables."""
    from services.platform import definition_of, settings_for
    from shared import db, migrations

    async def main() -> None:
        definition = definition_of(service)
        settings = settings_for(service)
        assert definition.migrations_dir is not None, "throw-away services have no migrations"
        engine = db.create_engine(db.service_database_url(settings.database_url, f"{service}_scratch"))
        await migrations.upgrade(engine, definition.migrations_dir, definition.metadata, service)
        await migrations.make_revision(engine, definition.migrations_dir, definition.metadata, message)
        await engine.dispose()

    asyncio.run(main())


@app.command("demo-data")
def demo_data(count: int = 5000, seed: int = 20250606) -> None:
    """Load a synthetic Yunnan population into the registry (through its outbox)."""
    from services.platform import definition_of, make_bus, settings_for
    from services.registry.usecases.demo_loader import load_demo_population
    from shared.service import ServiceRuntime

    async def main() -> None:
        settings = settings_for("registry")
        runtime = ServiceRuntime(definition_of("registry"), settings, make_bus(settings))
        await runtime.migrate()
        loaded = await load_demo_population(runtime, count, seed)
        await runtime.engine.dispose()
        print(f"loaded {loaded} enterprises")

    asyncio.run(main())


@dlq.command("list")
def dlq_list(service: ServiceArg) -> None:
    """List the service's unreplayed dead letters."""
    from services.platform import definition_of, make_bus, settings_for
    from shared.service import ServiceRuntime

    async def main() -> None:
        settings = settings_for(service)
        runtime = ServiceRuntime(definition_of(service), settings, make_bus(settings))
        for letter in await runtime.consumer.list_dead_letters():
            print(json.dumps({k: str(v) for k, v in letter.items() if k != "envelope"}, ensure_ascii=False))
        await runtime.engine.dispose()

    asyncio.run(main())


@dlq.command("replay")
def dlq_replay(service: ServiceArg, ids: Annotated[list[int] | None, typer.Option("--id")] = None) -> None:
    """Apply the service's dead letters again (each at most once, through the inbox)."""
    from services.platform import definition_of, make_bus, settings_for
    from shared.service import ServiceRuntime

    async def main() -> None:
        settings = settings_for(service)
        bus = make_bus(settings)
        await bus.start()
        runtime = ServiceRuntime(definition_of(service), settings, bus)
        print(json.dumps(await runtime.consumer.replay_dead_letters(ids), ensure_ascii=False))
        await runtime.engine.dispose()
        await bus.stop()

    asyncio.run(main())


@app.command("rebuild-projection")
def rebuild_projection(
    service: Annotated[str, typer.Argument(help="eligibility | finance_match | notifications")],
) -> None:
    """Rebuild a service's projection from the event history on Kafka (earliest offset on) / 从事件历史重建投影."""
    from services.platform import definition_of, make_bus, settings_for
    from shared.service import ServiceRuntime

    definition = definition_of(service)
    rebuild = definition.rebuild_projection
    if rebuild is None:
        raise typer.BadParameter(f"{service} keeps no projection to rebuild / 该服务没有可重建的投影")

    async def main() -> None:
        settings = settings_for(service)
        runtime = ServiceRuntime(definition, settings, make_bus(settings))
        try:
            async with runtime.uow() as uow:
                report = await rebuild(settings, uow)
        finally:
            await runtime.engine.dispose()
        print(json.dumps({"service": service, "events": report.events, "applied": report.applied,
                          "skipped": report.skipped, "rows": report.rows}))  # fmt: skip

    asyncio.run(main())


@app.command("backup")
def backup_database(service: ServiceArg, file: Annotated[str, typer.Argument(help="dump file to write")]) -> None:
    """pg_dump of the service's database (custom format) / 备份服务数据库."""
    from pathlib import Path

    from services.platform import settings_for
    from shared.backup import backup
    from shared.db import service_database_url

    backup(service_database_url(settings_for(service).database_url, service), Path(file))
    print(f"backed up {service} to {file}")


@app.command("restore")
def restore_database(service: ServiceArg, file: Annotated[str, typer.Argument(help="dump file to read")]) -> None:
    """pg_restore into the service's database, replacing what is there (stop the service first) / 恢复."""
    from pathlib import Path

    from services.platform import settings_for
    from shared.backup import restore
    from shared.db import ensure_database_exists, service_database_url

    url = service_database_url(settings_for(service).database_url, service)
    asyncio.run(ensure_database_exists(url))
    restore(Path(file), url)
    print(f"restored {service} from {file}")


@app.command("create-api-key")
def create_api_key(
    role: Annotated[
        str,
        typer.Option(help="admin | provincial_operator | prefecture_operator | officer | enterprise | bank | platform"),
    ],
    name: Annotated[str, typer.Option(help="who holds the key")],
    tenant: Annotated[str | None, typer.Option(help="prefecture code, credit code, bank id … by role")] = None,
) -> None:
    """Issue an API key straight into the gateway's database (the first admin key, for example)."""
    from services.gateway.persistence.api_keys import create_key
    from services.platform import definition_of, make_bus, settings_for
    from shared.identity import Role
    from shared.service import ServiceRuntime

    async def main() -> None:
        settings = settings_for("gateway")
        runtime = ServiceRuntime(definition_of("gateway"), settings, make_bus(settings))
        await runtime.migrate()
        async with runtime.uow() as uow:
            _, new_key = await create_key(uow, Role(role), tenant, name)
        await runtime.engine.dispose()
        print(new_key.plaintext)

    asyncio.run(main())


@app.command()
def asyncapi() -> None:
    """Write docs/asyncapi.yaml from the event catalogue."""
    from shared.events.asyncapi import write_asyncapi

    print(write_asyncapi())
