"""The `mailsentinel` command: the same services as the API, without HTTP in between."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

from sentinel.errors import SentinelError
from sentinel.settings import VARIABLES, Settings, Variable, variables_for

log = logging.getLogger("sentinel.cli")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    return Settings.from_env(**overrides)


def cmd_migrate(args: argparse.Namespace) -> int:
    from sentinel.store.db import Database

    settings = _settings(args)
    Database(settings.database_url).migrate(settings.migrate_timeout)
    print(f"Database schema is up to date ({_safe_url(settings.database_url)}).")
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from sentinel.app import build_services

    settings = _settings(args)
    services = build_services(settings)
    result = services.organizations.bootstrap(args.email, args.org, args.plan)
    if args.json:
        print(json.dumps({"token": result.token, "organizationId": result.organization_id, "userId": result.user_id}))
    else:
        print(f"User:         {result.user_id} ({args.email})")
        print(f"Organization: {result.organization_id} ({args.org}, plan {args.plan})")
        print(f"API token:    {result.token}")
        print("The token is shown once; store it safely. Try:")
        print(f'  curl -H "Authorization: Bearer {result.token}" http://{settings.host}:{settings.port}/api/me')
        print(f"or open the console at http://{settings.host}:{settings.port}/ and paste the token.")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from sentinel.app import build_services

    services = build_services(_settings(args))
    scopes = [s.strip() for s in args.scopes.split(",")] if args.scopes else None
    result = services.organizations.issue_member_token(args.email, args.org, args.name, scopes)
    if args.json:
        print(json.dumps({"token": result.token, "tokenId": result.token_id, "organizationId": result.organization_id,
                          "userId": result.user_id}))
    else:
        print(f"API token for {args.email} in {result.organization_id}: {result.token}")
        print("The token is shown once; hand it over safely.")
    return 0


def _run(app: Any, settings: Settings) -> int:
    """Serve an app with uvicorn, configured as in sentinel/web/server.py."""
    import uvicorn

    from sentinel.web.server import uvicorn_config

    server = uvicorn.Server(uvicorn_config(app, settings))
    _freeze_heap()
    server.run()
    # As uvicorn.run: a server that could not start (e.g. the port is taken) exits with 3.
    return 0 if server.started else 3


def _background_worker(services: Any) -> Any:
    """The in-process worker `serve` and `mock` run (webhook dispatch and deliveries)."""
    from sentinel.worker import BackgroundWorker, Worker

    return BackgroundWorker(Worker(services.jobs, services.clock)).start()


def _freeze_heap() -> None:
    """Move everything built at start-up (the parsed spec, connexion's validators: ~140,000
    objects) out of the cyclic collector's reach: otherwise each full collection walks them
    all, stalling every request on the event loop for ~100 ms or more."""
    import gc

    gc.collect()
    gc.freeze()


def cmd_serve(args: argparse.Namespace) -> int:
    import threading

    from sentinel.app import build_services, create_app, warm_up

    settings = _settings(args)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.workers > 1:
        return _serve_workers(settings, args.workers)
    services = build_services(settings, "serve")
    # The report parsers start now, in the background of start-up, not at the first upload.
    start = getattr(services.reports.ingestor.parsing, "start", None)
    if start is not None:
        threading.Thread(target=start, name="sentinel-parse-start", daemon=True).start()
    app = create_app(settings, "serve", services=services)
    warm_up(services)
    worker = _background_worker(services) if settings.serve_worker else None
    base = f"http://{settings.host}:{settings.port}"
    print(f"MailSentinel serving on {base} (Swagger UI at /api/ui"
          f"{'; delivering webhooks in-process' if worker else ''})")
    print(f"Console: {base}/ (sign in with an API token)", flush=True)
    try:
        return _run(app, settings)
    finally:
        if worker is not None:
            worker.stop()


def cmd_worker(args: argparse.Namespace) -> int:
    """Deliver webhooks (and run every other background job) until stopped, or once with --once."""
    import signal
    import threading

    from sentinel.app import build_services
    from sentinel.worker import Worker

    settings = _settings(args)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    services = build_services(settings, "serve")
    worker = Worker(services.jobs, services.clock)
    try:
        if args.once:
            handled = worker.drain()
            print(f"Handled {handled} item(s).")
            return 0
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        print(f"MailSentinel worker running jobs: {', '.join(job.name for job in services.jobs)}", flush=True)
        worker.run(stop)
        return 0
    finally:
        services.db.dispose()


def cmd_webhooks_verify(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sentinel.events.verify import verify_message

    data = Path(args.file).read_bytes() if args.file and args.file != "-" else sys.stdin.buffer.read()
    verdict = verify_message(args.secret, data, tolerance=args.tolerance)
    print(verdict.text)
    return 0 if verdict.valid else 1


def cmd_webhooks_new_key(args: argparse.Namespace) -> int:
    from cryptography.fernet import Fernet

    print(Fernet.generate_key().decode("ascii"))
    return 0


def _serve_workers(settings: Settings, workers: int) -> int:
    """`workers` processes accepting on one listening socket, each with its own app, threads
    and connections: one Python process is one core (the GIL). Rate limits are counted per
    process unless MAILSENTINEL_REDIS_URL is set; principals stay exact (tokens.PrincipalCache)."""
    import signal

    import uvicorn

    from sentinel.app import build_services, create_app, warm_up
    from sentinel.store.db import Database
    from sentinel.web.server import uvicorn_config

    Database(settings.database_url).migrate(settings.migrate_timeout)  # once, before the workers start
    sock = uvicorn_config(None, settings).bind_socket()
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker: built after the fork, so no thread or connection is shared
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                services = build_services(settings, "serve", migrate=False)
                server = uvicorn.Server(uvicorn_config(create_app(settings, "serve", services=services), settings))
                warm_up(services)
                # Each process may deliver: claims in the database keep a delivery to one of them.
                worker = _background_worker(services) if settings.serve_worker else None
                _freeze_heap()
                try:
                    server.run(sockets=[sock])
                finally:
                    if worker is not None:
                        worker.stop()
                code = 0 if server.started else 3
            finally:
                os._exit(code)
        children.append(pid)
    print(f"MailSentinel serving on http://{settings.host}:{settings.port} with {workers} worker processes",
          flush=True)

    def stop(signum: int, _frame: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failed = 0
    for child in children:
        _, status = os.waitpid(child, 0)
        failed += os.waitstatus_to_exitcode(status) != 0
        stop(signal.SIGTERM, None)  # one worker gone: stop the rest rather than serve at part strength
    sock.close()
    return 1 if failed else 0


MOCK_PORT = 4010


def cmd_mock(args: argparse.Namespace) -> int:
    """The stateful mock: same spec, handlers and services, mock ports (see mocks/)."""

    from sentinel.app import build_services, create_app

    overrides: dict[str, Any] = {"port": args.port or MOCK_PORT}
    if args.host:
        overrides["host"] = args.host
    if args.seed:
        overrides["mock_seed"] = args.seed
    settings = Settings.from_env(**overrides)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    services = build_services(settings, "mock")
    app = create_app(settings, "mock", services=services)
    # Deliveries due on the mock's clock go out at once; retries wait for POST /_mock/clock.
    worker = _background_worker(services)
    base = f"http://{settings.host}:{settings.port}"
    assert services.mock is not None
    print(f"MailSentinel mock on {base} (seed {services.mock.seed.source}; Swagger UI at /api/ui, controls at /_mock)")
    print(f"Console: {base}/ (sign in with a token below)")
    for token in services.mock.tokens:
        print(f"  {token.role:<7} {token.email:<24} {','.join(token.scopes):<11} {token.secret}")
    if services.mock.tokens:
        print(f'Try: curl -H "Authorization: Bearer {services.mock.tokens[0].secret}" {base}/api/domains', flush=True)
    try:
        return _run(app, settings)
    finally:
        worker.stop()


def cmd_scan(args: argparse.Namespace) -> int:
    from sentinel.dns.client import make_dns_client
    from sentinel.dns.https import HttpxFetcher
    from sentinel.dns.render import render_text
    from sentinel.dns.scanner import Scanner

    settings = _settings(args)
    nameservers = list(args.nameserver or settings.nameservers)
    dns = make_dns_client(nameservers or None, settings.dns_timeout, settings.dns_lifetime)
    https = HttpxFetcher(
        dns,
        ca_bundle=settings.https_ca_bundle,
        port=settings.mta_sts_port,
        allow_networks=settings.allowed_target_networks,
    )
    result = Scanner(dns, https).scan_sync(args.domain, args.selector or [])
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(render_text(result))
    severities = {issue["severity"] for issue in result.get("issues", [])}
    if args.fail_on == "error" and "error" in severities:
        return 1
    if args.fail_on == "warning" and severities & {"error", "warning"}:
        return 1
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    """Parse DMARC aggregate report files; no database needed."""
    from pathlib import Path

    from sentinel.reports.commands import parse_command

    return parse_command([Path(p) for p in args.files], args.json, lines=args.jsonl)


def cmd_ingest(args: argparse.Namespace) -> int:
    """Store report files (or every file under directories) for an organization."""
    import threading
    from pathlib import Path

    from sentinel.reports.workers import InThread, ParseProcesses, Parsing

    settings = _settings(args)
    # One parse process (files are stored one at a time), started (its own interpreter and
    # imports) while this process imports the application, and not niced: unlike the server's,
    # there is no event loop to keep responsive, parsing is all the command does.
    parsing: Parsing = ParseProcesses(1, niceness=0) if settings.parse_processes else InThread()
    start = getattr(parsing, "start", lambda: None)
    starting = threading.Thread(target=start, name="sentinel-parse-start", daemon=True)
    starting.start()

    from sentinel.app import build_services
    from sentinel.reports.commands import ingest_command

    try:
        services = build_services(settings, parsing=parsing)
        try:
            return ingest_command(services, args.org, [Path(p) for p in args.paths])
        finally:
            services.db.dispose()
    finally:
        starting.join()
        parsing.close()


def cmd_alerts(args: argparse.Namespace) -> int:
    """Print an organization's alerts (open ones unless --status says otherwise)."""
    from sentinel.alerts.commands import alerts_command
    from sentinel.app import build_services

    services = build_services(_settings(args))
    try:
        return alerts_command(services, args.org, None if args.status == "all" else args.status, args.json)
    finally:
        services.db.dispose()


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def environment_epilog(variables: Sequence[Variable]) -> str:
    """The --help text listing the MAILSENTINEL_* variables a command reads."""
    if not variables:
        return "environment: reads no MAILSENTINEL_* variable."
    lines = ["environment (README.md, Configuration):"]
    for var in variables:
        lines.append(f"  {var.name} (default: {var.default})".replace("`", ""))
        lines.extend(textwrap.wrap(var.meaning.replace("`", ""), 96, initial_indent=" " * 6, subsequent_indent=" " * 6))
    return "\n".join(lines)


class _Subcommands:
    """add_parser with the command's environment variables as its --help epilog."""

    def __init__(self, sub: Any) -> None:
        self.sub = sub

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self.sub.add_parser(
            name,
            epilog=environment_epilog(variables_for(name)),
            formatter_class=argparse.RawDescriptionHelpFormatter,
            **kwargs,
        )
        return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailsentinel",
        description="Email-authentication monitoring.",
        epilog=environment_epilog(VARIABLES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = _Subcommands(parser.add_subparsers(dest="command", required=True))

    serve = sub.add_parser("serve", help="run the API server (migrates the database first)")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1 or MAILSENTINEL_HOST)")
    serve.add_argument("--port", type=int, help="port (default 8080 or MAILSENTINEL_PORT)")
    serve.add_argument("--workers", type=int, default=1,
                       help="processes accepting on the port (default 1; rate limits are shared only through Redis)")
    serve.set_defaults(func=cmd_serve)

    mock = sub.add_parser("mock", help="run the stateful mock server (in memory, seeded, no network)")
    mock.add_argument("--host", help="address to bind (default 127.0.0.1 or MAILSENTINEL_HOST)")
    mock.add_argument("--port", type=int, help=f"port (default {MOCK_PORT})")
    mock.add_argument("--seed", metavar="FILE", help="JSON seed to load instead of mocks/seed.json")
    mock.set_defaults(func=cmd_mock)

    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(func=cmd_migrate)

    boot = sub.add_parser("bootstrap", help="create a user, an organization they own and an API token")
    boot.add_argument("--email", required=True)
    boot.add_argument("--org", required=True, help="organization name")
    boot.add_argument("--plan", default="free", choices=["free", "pro", "enterprise"])
    boot.add_argument("--json", action="store_true", help="print {token, organizationId, userId}")
    boot.set_defaults(func=cmd_bootstrap)

    token = sub.add_parser("token", help="issue a token to an existing member of an organization")
    token.add_argument("--email", required=True)
    token.add_argument("--org", required=True, metavar="ORG_ID", help="the organization the token is bound to")
    token.add_argument("--name", default="issued by an operator")
    token.add_argument("--scopes", help="read,write (default) or read")
    token.add_argument("--json", action="store_true", help="print {token, tokenId, organizationId, userId}")
    token.set_defaults(func=cmd_token)
    scan = sub.add_parser("scan", help="scan a domain's DMARC, SPF, DKIM, MX, MTA-STS, TLS-RPT, BIMI, DNSSEC")
    scan.add_argument("domain")
    scan.add_argument("--nameserver", action="append", metavar="IP[:PORT]", help="resolver to ask (repeatable)")
    scan.add_argument("--selector", action="append", metavar="S", help="DKIM selector to probe (repeatable)")
    scan.add_argument("--json", action="store_true", help="print the API's scan object")
    scan.add_argument(
        "--fail-on",
        choices=["never", "error", "warning"],
        default="never",
        help="exit 1 when issues of this severity exist",
    )
    scan.set_defaults(func=cmd_scan)

    parse = sub.add_parser("parse", help="parse DMARC aggregate report files (XML, gzip, zip, e-mail)")
    parse.add_argument("files", nargs="+", metavar="FILE")
    parse.add_argument("--json", action="store_true", help='print {"reports": [...], "errors": [...]}')
    parse.add_argument("--jsonl", action="store_true",
                       help="JSON Lines as parsed: a record line per record, a report line per report "
                            "(its object without records), an error line per failure")
    parse.set_defaults(func=cmd_parse)

    ingest = sub.add_parser("ingest", help="store report files or directories for an organization")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--org", required=True, metavar="ORG_ID", help="the organization to store them for")
    ingest.set_defaults(func=cmd_ingest)

    worker = sub.add_parser("worker", help="deliver webhooks and run the other background jobs (migrates first)")
    worker.add_argument("--once", action="store_true", help="run every job until none has work, then exit")
    worker.set_defaults(func=cmd_worker)

    hooks = sub.add_parser("webhooks", help="tools for webhook receivers")
    hooks_sub = hooks.add_subparsers(dest="webhooks_command", required=True)
    verify = hooks_sub.add_parser(
        "verify",
        help="check a delivery's Standard Webhooks signature",
        description="Reads one delivery as a receiver saw it: optionally the request line, then the headers "
                    "(webhook-id, webhook-timestamp, webhook-signature), a blank line and the body, exactly as "
                    "`nc -l PORT > delivery.txt` or a request dump records it. Exit 0 when a signature matches, "
                    "1 when none does.",
    )
    verify.add_argument("--secret", required=True, help="the endpoint's secret, whsec_...")
    verify.add_argument("--file", metavar="FILE", help="read the delivery from FILE (default: standard input)")
    verify.add_argument("--tolerance", type=float, default=300.0, metavar="SECONDS",
                        help="how old or new webhook-timestamp may be (default 300, as the libraries; 0: any)")
    verify.set_defaults(func=cmd_webhooks_verify)
    new_key = hooks_sub.add_parser("new-key", help="print a new key for MAILSENTINEL_WEBHOOK_SECRET_KEYS")
    new_key.set_defaults(func=cmd_webhooks_new_key)
    alerts = sub.add_parser("alerts", help="list an organization's alerts, newest first")
    alerts.add_argument("--org", required=True, metavar="ORG_ID", help="the organization whose alerts to list")
    alerts.add_argument(
        "--status", choices=["open", "acknowledged", "resolved", "all"], default="open", help="default: open"
    )
    alerts.add_argument("--json", action="store_true", help='print {"alerts": [...], "pagination": {...}}')
    alerts.set_defaults(func=cmd_alerts)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SentinelError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for detail in exc.details:
            print(f"  {detail.field}: {detail.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
