"""The ``paperbot`` command: run, fetch, ingest, paper, search, status, embed, console."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from paperbot import __version__
from paperbot.app import App, open_app
from paperbot.arxiv.api import api_announcement, parse_api_page
from paperbot.arxiv.feeds import is_announcement_feed, parse_feed, xml_root
from paperbot.arxiv.ids import parse_arxiv_id
from paperbot.config import Settings
from paperbot.delivery import Messenger
from paperbot.domain import Announcement, AnnounceType, IngestReport, Paper
from paperbot.errors import PaperbotError
from paperbot.logs import Redactor, configure_logging, settings_secrets
from paperbot.pipeline import cursor_name
from paperbot.query import format_result
from paperbot.query import parse as parse_query
from paperbot.relevance.topic import closest_first
from paperbot.schedule import Scheduler
from paperbot.store.models import Platform

log = logging.getLogger("paperbot")


class ChatAdapter(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


_TYPE_LABEL = {
    AnnounceType.NEW: "new",
    AnnounceType.CROSS: "cross-listed",
    AnnounceType.REPLACE: "replaced",
    AnnounceType.REPLACE_CROSS: "replaced (cross-list)",
}


def _print_report(report: IngestReport) -> None:
    for item in sorted(report.stored, key=lambda a: (a.announce_type.rank * -1, a.paper.arxiv_id)):
        print(f"{_TYPE_LABEL[item.announce_type]:<22} {item.paper.versioned_id:<22} {item.paper.title}")
    print(report.summary())


def describe_paper(paper: Paper, history: Sequence[tuple[int, AnnounceType, object]] = ()) -> str:
    """A stored paper as plain text, every field on its own line."""
    lines = [
        f"{paper.versioned_id}  {paper.title}",
        f"  authors:    {', '.join(paper.authors) or '(none)'}",
        f"  categories: {paper.primary_category}"
        + (
            f" (also {', '.join(c for c in paper.categories if c != paper.primary_category)})"
            if len(paper.categories) > 1
            else ""
        ),
    ]
    if paper.first_announced:
        lines.append(f"  announced:  {paper.first_announced.isoformat()}")
    if paper.submitted:
        lines.append(f"  submitted:  {paper.submitted:%Y-%m-%d %H:%M} UTC (v1)")
    if paper.updated:
        lines.append(f"  updated:    {paper.updated:%Y-%m-%d %H:%M} UTC")
    for label, value in (("comment", paper.comment), ("journal", paper.journal_ref), ("doi", paper.doi)):
        if value:
            lines.append(f"  {label + ':':<11} {value}")
    for link in paper.code_links:
        lines.append(f"  code:       {link}")
    for version, kind, day in history:
        lines.append(f"  v{version}: {_TYPE_LABEL[kind]}" + (f" on {day}" if day else ""))
    lines.append(f"  {paper.abs_url}")
    lines.append("")
    lines.append(paper.abstract)
    return "\n".join(lines)


def read_recorded(path: Path) -> list[Announcement]:
    """Announcements in a recorded feed (RSS or Atom) or a saved query API response."""
    content = path.read_bytes()
    root = xml_root(content)
    if is_announcement_feed(root):
        return list(parse_feed(content).announcements)
    return [api_announcement(p) for p in parse_api_page(content)]


def _feed_location(text: str) -> str:
    """A URL as given; a path becomes a ``file://`` URL."""
    return text if "://" in text else Path(text).absolute().as_uri()


async def cmd_fetch(app: App, args: argparse.Namespace) -> int:
    archives = tuple(a for a in (args.archives or "").replace("+", ",").split(",") if a)
    url = args.feed
    outcome = await app.pipeline.poll(archives, url=url, enrich=not args.no_enrich)
    if outcome.error:
        print(f"fetch failed, nothing was skipped; try again later: {outcome.error}", file=sys.stderr)
        return 1
    if outcome.no_announcement:
        print(f"{cursor_name(outcome.group, url)}: no announcement today (weekend or holiday)")
        return 0
    print(f"announcement of {outcome.announced_on}:")
    _print_report(outcome.report)
    if outcome.backfilled_days:
        print(f"backfilled missed days: {', '.join(d.isoformat() for d in outcome.backfilled_days)}")
    return 0


async def cmd_ingest(app: App, args: argparse.Namespace) -> int:
    total = IngestReport()
    status = 0
    for name in args.files:
        path = Path(name)
        try:
            announcements = await asyncio.to_thread(read_recorded, path)
        except (OSError, PaperbotError) as err:
            print(f"{path}: skipped: {getattr(err, 'strerror', None) or err}", file=sys.stderr)
            status = 1
            continue
        report = await app.store.ingest(announcements, source=f"file:{path.name}")
        print(f"{path}: {len(announcements)} announcements: {report.summary()}")
        total.add(report)
    if len(args.files) > 1:
        print(f"total: {total.summary()}")
    if args.enrich:
        await app.pipeline.enrich()
    return status


async def cmd_paper(app: App, args: argparse.Namespace) -> int:
    wanted = parse_arxiv_id(args.id)
    paper = await app.store.get(wanted.id)
    if paper is None and not args.offline:
        found = await app.source.lookup([wanted.id])
        if not found:
            print(f"no paper {wanted.id} on arXiv", file=sys.stderr)
            return 1
        paper = found[0]
        await app.store.save_looked_up(paper)
    if paper is None:
        print(f"{wanted.id} is not stored (run without --offline to look it up on arXiv)", file=sys.stderr)
        return 1
    print(describe_paper(paper, await app.store.announcements_of(paper.arxiv_id)))
    return 0


async def cmd_search(app: App, args: argparse.Namespace) -> int:
    query = parse_query(args.query)
    papers = await app.store.recent()
    hits = closest_first(await app.services.topics.search(query, papers))
    for paper, match in hits[: args.limit]:
        print(format_result(paper, match))
    shown = f" (first {args.limit} shown)" if len(hits) > args.limit else ""
    print(f"{len(hits)} of {len(papers)} stored papers match {query}{shown}")
    return 0


def _health_server(app: App, scheduler: Scheduler) -> ChatAdapter | None:
    """/healthz and /metrics on PAPERBOT_HTTP_PORT, when it is set."""
    settings = app.settings
    if settings.http_port is None:
        return None
    from datetime import timedelta

    from paperbot.health import HealthChecks, HealthServer, database_ping

    async def scheduler_running() -> bool:
        return scheduler.running

    async def last_poll() -> datetime | None:
        return scheduler.last_poll_ok

    checks = HealthChecks(
        database=database_ping(app.engine),
        scheduler_running=scheduler_running,
        last_poll_success=last_poll,
        max_poll_age=timedelta(seconds=settings.health_max_poll_age),
        clock=app.clock,
    )
    redact = Redactor(settings_secrets(settings))
    return HealthServer(app.metrics, checks, settings.http_host, settings.http_port, redact=redact)


async def _wait_for(event: asyncio.Event) -> object:
    return await event.wait()


NO_PLATFORM = (
    "paperbot run: no chat platform is configured. Set PAPERBOT_TELEGRAM_TOKEN "
    "(and/or PAPERBOT_DISCORD_TOKEN), or start it in a terminal to chat in the console "
    "(or use: paperbot console)."
)


async def cmd_run(app: App, args: argparse.Namespace) -> int:
    """Poll arXiv and serve every configured chat platform until SIGTERM or SIGINT."""
    from paperbot.chat.console import Console

    adapters: list[ChatAdapter] = []
    messengers: dict[str, Messenger] = {}
    if app.settings.telegram_token is not None:
        from paperbot.chat.telegram import TelegramAdapter

        telegram = TelegramAdapter(app.settings, app.commands, app.services.chats)
        adapters.append(telegram)
        messengers[Platform.TELEGRAM.value] = telegram
    if app.settings.discord_token is not None:
        from paperbot.chat.discord import DiscordAdapter

        discord_adapter = DiscordAdapter(app.settings, app.commands, app.services.chats)
        adapters.append(discord_adapter)
        messengers[Platform.DISCORD.value] = discord_adapter
    console: Console | None = None
    if not adapters:
        if not sys.stdin.isatty():
            print(NO_PLATFORM, file=sys.stderr)
            return 2
        console = Console(app.commands)
        messengers[Platform.CONSOLE.value] = console
    scheduler = Scheduler(
        pipeline=app.pipeline,
        dispatcher=app.dispatcher,
        worker=app.delivery_worker(messengers),
        clock=app.clock,
        settings=app.settings,
    )

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info("paperbot %s running; database %s", __version__, app.engine.url.render_as_string(hide_password=True))
    health = _health_server(app, scheduler)
    if health is not None:
        adapters.insert(0, health)
    started: list[ChatAdapter] = []
    tasks: set[asyncio.Task[object]] = {asyncio.create_task(_wait_for(stop), name="stop")}
    try:
        for adapter in adapters:
            await adapter.start()
            started.append(adapter)
        scheduler.start()
        if console is not None:
            tasks.add(asyncio.create_task(console.run(), name="console"))
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        log.info("stopping")
        # Wakes a worker thread waiting out a backoff, so the poll ends now; a batch being
        # stored is one transaction, committed whole or rolled back whole.
        app.transport.close()
        await scheduler.stop()
        for task in tasks:
            task.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        failed_stops = 0
        for adapter in reversed(started):
            # One platform failing to stop must not leave the others running.
            try:
                await adapter.stop()
            except Exception:
                failed_stops += 1
                log.exception("stopping %s failed", type(adapter).__name__)
        if failed_stops:
            log.error("stopped, %d adapter(s) not cleanly", failed_stops)
        else:
            log.info("stopped")
    # A task that died (rather than being stopped) must not pass for a clean exit.
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
    return 0 if not failed_stops else 1


async def cmd_status(app: App, args: argparse.Namespace) -> int:
    from paperbot.status import collect_status, render_status

    status = await collect_status(app)
    print(status.to_json() if args.json else render_status(status))
    return 0


class ProgressLine:
    """``embedded 320/2500 (12.8%)`` on standard error, rewritten in place, every ``step`` papers."""

    def __init__(self, step: int = 32) -> None:
        self._step = step
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        if done != total and done - self._shown < self._step:
            return
        self._shown = done
        share = f" ({100 * done / total:.1f}%)" if total else ""
        end = "\n" if done >= total else ""
        print(f"\rembedded {done}/{total}{share}", end=end, file=sys.stderr, flush=True)


async def cmd_embed(app: App, args: argparse.Namespace) -> int:
    """Embed every stored paper that has no vector under the backend in use."""
    embeddings = app.services.embeddings
    print(f"vectors: {embeddings.describe()}", file=sys.stderr)
    embedded = await embeddings.backfill(ProgressLine())
    print(f"{embedded} papers embedded ({embeddings.model})")
    return 0


async def cmd_console(app: App, args: argparse.Namespace) -> int:
    """A private chat with the bot in the terminal; reads commands from standard input."""
    from paperbot.chat.console import Console

    await Console(app.commands).run()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paperbot", description="Follow arXiv from your chats.")
    parser.add_argument("--version", action="version", version=f"paperbot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="the long-running bot: poll arXiv after every announcement")
    run.set_defaults(handler=cmd_run)

    fetch = commands.add_parser("fetch", help="poll the announcement feeds once now")
    fetch.add_argument("--archives", help="comma-separated archives or categories (default: the setting, or all)")
    fetch.add_argument(
        "--feed",
        metavar="URL_OR_FILE",
        type=_feed_location,
        help="read this feed instead (a mirror or a recorded file)",
    )
    fetch.add_argument("--no-enrich", action="store_true", help="skip the API lookups for comments, DOIs and dates")
    fetch.set_defaults(handler=cmd_fetch)

    ingest = commands.add_parser("ingest", help="store the papers of recorded feeds or API responses")
    ingest.add_argument("files", nargs="+", metavar="FILE")
    ingest.add_argument("--enrich", action="store_true", help="then fetch comments, DOIs and dates from the API")
    ingest.set_defaults(handler=cmd_ingest)

    paper = commands.add_parser("paper", help="show one paper (looked up on arXiv when not stored)")
    paper.add_argument("id", help="2505.14687, 2505.14687v2, hep-th/9901001 or an arxiv.org link")
    paper.add_argument("--offline", action="store_true", help="only look in the database")
    paper.set_defaults(handler=cmd_paper)

    search = commands.add_parser("search", help="run a subscription query over the stored papers")
    search.add_argument("query", help='for example: "sparse autoencoder" cat:cs.LG')
    search.add_argument("--limit", type=int, default=20, help="how many matches to print (default 20)")
    search.set_defaults(handler=cmd_search)

    status = commands.add_parser("status", help="polls, chats, outbox and schedule, for the operator")
    status.add_argument("--json", action="store_true", help="machine-readable output for scripts")
    status.set_defaults(handler=cmd_status)

    embed = commands.add_parser("embed", help="embed the stored papers that have no vector yet")
    embed.set_defaults(handler=cmd_embed)

    console = commands.add_parser("console", help="chat with the bot in the terminal (commands from stdin)")
    console.set_defaults(handler=cmd_console)
    return parser


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    handler: Callable[[App, argparse.Namespace], object] = args.handler
    async with open_app(settings) as app:
        result = await handler(app, args)  # type: ignore[misc]
        return int(result)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as err:
        # Without the input values: a malformed setting may be a token.
        for problem in err.errors(include_input=False, include_url=False):
            name = "PAPERBOT_" + "_".join(str(part) for part in problem["loc"]).upper()
            print(f"paperbot: bad setting {name}: {problem['msg']}", file=sys.stderr)
        return 2
    redact: Redactor = configure_logging(settings)
    try:
        return asyncio.run(_main(args, settings))
    except PaperbotError as err:
        print(redact(f"paperbot: {err}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
