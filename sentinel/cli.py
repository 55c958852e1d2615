"""The `mailsentinel` command: the same services as the API, without HTTP in between."""

from __future__ import annotations

import argparse
import json
import logging
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
    server.run()
    # As uvicorn.run: a server that could not start (e.g. the port is taken) exits with 3.
    return 0 if server.started else 3


def cmd_serve(args: argparse.Namespace) -> int:
    import threading

    from sentinel.app import build_services, create_app

    settings = _settings(args)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    services = build_services(settings, "serve")
    # The report parsers start now, in the background of start-up, not at the first upload.
    start = getattr(services.reports.ingestor.parsing, "start", None)
    if start is not None:
        threading.Thread(target=start, name="sentinel-parse-start", daemon=True).start()
    app = create_app(settings, "serve", services=services)
    print(f"MailSentinel serving on http://{settings.host}:{settings.port} (Swagger UI at /api/ui)", flush=True)
    return _run(app, settings)


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
    base = f"http://{settings.host}:{settings.port}"
    assert services.mock is not None
    print(f"MailSentinel mock on {base} (seed {services.mock.seed.source}; Swagger UI at /api/ui, controls at /_mock)")
    for token in services.mock.tokens:
        print(f"  {token.role:<7} {token.email:<24} {','.join(token.scopes):<11} {token.secret}")
    if services.mock.tokens:
        print(f'Try: curl -H "Authorization: Bearer {services.mock.tokens[0].secret}" {base}/api/domains', flush=True)
    return _run(app, settings)


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

    return parse_command([Path(p) for p in args.files], args.json)


def cmd_ingest(args: argparse.Namespace) -> int:
    """Store report files (or every file under directories) for an organization."""
    from pathlib import Path

    from sentinel.app import build_services
    from sentinel.reports.commands import ingest_command

    services = build_services(_settings(args))
    try:
        return ingest_command(services, args.org, [Path(p) for p in args.paths])
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
    parse.set_defaults(func=cmd_parse)

    ingest = sub.add_parser("ingest", help="store report files or directories for an organization")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--org", required=True, metavar="ORG_ID", help="the organization to store them for")
    ingest.set_defaults(func=cmd_ingest)
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
