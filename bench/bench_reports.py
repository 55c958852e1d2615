"""Report parsing benchmark: MailSentinel vs parsedmarc, records/second and peak memory.

Run with ``.venv-bench/bin/python bench/bench_reports.py`` (``make bench-reports``).
Generates reports with 1,000, 10,000 and 100,000 records plus the shared fixture
corpus, and parses each with both parsers in the same run. Every parse runs in a
fresh subprocess that reports its own peak memory (``ru_maxrss`` and VmHWM), so
figures include the interpreter and imports: "the whole process".

parsedmarc runs offline (``offline=True, always_use_local_files=True``): no DNS,
no downloads. Nothing here touches the network.

Then ingestion into SQLite end to end (parse into a staging file, then store in one short transaction; records/second),
and the stats/sources endpoints over 1,000,000 stored records: 100 generated reports of
10,000 records (30 days, 8 reporters, sending IPs drawn from a heavy-tailed distribution)
ingested through the ingestion service, then each query timed through the whole ASGI app
and through the service alone (median of 7). ``--analytics-only [--database-url URL]``
runs just that part, e.g. against PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "reports" / "aggregate"
SIZES = (1_000, 10_000, 100_000)
RATIO_TARGET = 8.0
MEMORY_TARGET_MB = 120.0



def _fresh_services(database_url: str) -> tuple[Any, str, Any]:
    """Services on a migrated database with one organization monitoring example.com."""
    from sentinel.app import build_services
    from sentinel.settings import Settings

    services = build_services(Settings(database_url=database_url, nameservers=("127.0.0.1:9",),
                                       rate_limits=("enterprise=100000000/0",)))
    boot = services.organizations.bootstrap(f"bench{time.time_ns()}@example.com", "Bench", "enterprise")
    principal = services.tokens.authenticate(boot.token)
    services.domains.create(principal, boot.organization_id, "example.com")
    return services, boot.organization_id, boot


def _ingest_file(path: Path, database_url: str) -> tuple[int, float]:
    services, org_id, _ = _fresh_services(database_url)
    started = time.perf_counter()
    stored = services.reports.ingestor.ingest(org_id, path).report["recordCount"]
    seconds = time.perf_counter() - started
    services.db.dispose()
    return int(stored), seconds


# A callable(path, database_url) -> (records stored, seconds spent ingesting).
INGEST_HOOK: Callable[[Path, str], tuple[int, float]] | None = _ingest_file


# -- report generation (streamed to disk, so the driver process stays small) ---------

def write_report(path: Path, records: int, seed: int = 7) -> None:
    """A realistic, seeded provider report: what a large receiver sends a domain with many
    subdomains and senders. IPv4 (~80 %) and IPv6 sources from a few hundred networks;
    header_from over the domain and ~150 of its subdomains (heavy-tailed); one DKIM result
    on every record and a second one (the ESP's) on ~45 %, DKIM and SPF domains drawn from
    ~400 senders; forwarding reasons on ~5 %; envelope_from on most.
    """
    rng = random.Random(seed)
    subdomains = ["example.com"] + [f"{w}{n}.example.com" for n in range(30)
                                    for w in ("mail", "news", "app", "shop", "eu")]
    senders = [f"esp{n}.{rng.choice(('net', 'com', 'io', 'email'))}" for n in range(400)]
    nets4 = [(rng.randrange(1, 224), rng.randrange(256)) for _ in range(300)]
    nets6 = [f"2a0{rng.randrange(10)}:{rng.randrange(0x10000):x}:{rng.randrange(0x10000):x}" for _ in range(120)]
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<feedback>\n  <report_metadata>\n'
            "    <org_name>google.com</org_name>\n"
            "    <email>noreply-dmarc-support@google.com</email>\n"
            "    <extra_contact_info>https://support.google.com/a/answer/2466580"
            "</extra_contact_info>\n"
            f"    <report_id>bench-{records}-{seed}</report_id>\n"
            "    <date_range>\n      <begin>1718236800</begin>\n      <end>1718323199</end>\n"
            "    </date_range>\n  </report_metadata>\n  <policy_published>\n"
            "    <domain>example.com</domain>\n    <adkim>r</adkim>\n    <aspf>r</aspf>\n"
            "    <p>quarantine</p>\n    <sp>none</sp>\n    <pct>100</pct>\n    <np>none</np>\n"
            "  </policy_published>\n"
        )
        for i in range(records):
            if rng.random() < 0.8:
                a, b = rng.choice(nets4)
                ip = f"{a}.{b}.{(i >> 8) & 255}.{i & 255}"
            else:
                # Two low groups: one group of i would pass ffff (an invalid address) past 65,535 records.
                ip = f"{rng.choice(nets6)}::{i >> 16:x}:{i & 0xFFFF:x}"
            header_from = subdomains[min(int(rng.paretovariate(1.2)) - 1, len(subdomains) - 1)]
            esp = senders[min(int(rng.expovariate(1 / 60)), len(senders) - 1)]
            dkim_ok = rng.random() < 0.8
            spf_ok = rng.random() < 0.6
            reason = ("        <reason>\n          <type>forwarded</type>\n"
                      "          <comment>mailing list</comment>\n        </reason>\n"
                      if rng.random() < 0.05 else "")
            second = (f"      <dkim>\n        <domain>{esp}</domain>\n"
                      f"        <result>{'pass' if rng.random() < 0.9 else 'fail'}</result>\n"
                      f"        <selector>k{rng.randrange(4)}</selector>\n"
                      "      </dkim>\n" if rng.random() < 0.45 else "")
            envelope = (f"      <envelope_from>{'bounce.' + header_from if spf_ok else esp}</envelope_from>\n"
                        if rng.random() < 0.85 else "")
            out.write(
                f"  <record>\n    <row>\n      <source_ip>{ip}</source_ip>\n"
                f"      <count>{min(int(rng.paretovariate(0.9)), 50_000)}</count>\n      <policy_evaluated>\n"
                f"        <disposition>{'none' if dkim_ok or spf_ok else 'quarantine'}"
                "</disposition>\n"
                f"        <dkim>{'pass' if dkim_ok else 'fail'}</dkim>\n"
                f"        <spf>{'pass' if spf_ok else 'fail'}</spf>\n{reason}"
                "      </policy_evaluated>\n    </row>\n    <identifiers>\n"
                f"      <header_from>{header_from}</header_from>\n{envelope}    </identifiers>\n"
                "    <auth_results>\n      <dkim>\n"
                f"        <domain>{header_from if dkim_ok else esp}</domain>\n"
                f"        <result>{'pass' if dkim_ok else 'fail'}</result>\n"
                f"        <selector>s{rng.randrange(6)}</selector>\n      </dkim>\n{second}"
                f"      <spf>\n        <domain>{'bounce.' + header_from if spf_ok else esp}"
                "</domain>\n"
                f"        <result>{'pass' if spf_ok else 'softfail'}</result>\n      </spf>\n"
                "    </auth_results>\n  </record>\n"
            )
        out.write("</feedback>\n")


# -- child processes: one parse each, measured from inside ---------------------------

def _peak_mb() -> tuple[float, float]:
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hwm = maxrss
    try:
        status = Path("/proc/self/status").read_text()
        hwm = int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):
        pass
    return maxrss, hwm


def child(parser: str, paths: list[Path], repeat: int) -> dict[str, Any]:
    if parser == "parsedmarc":
        import parsedmarc

        def run(path: Path) -> int:
            parsed = parsedmarc.parse_report_file(path, offline=True,
                                                  always_use_local_files=True)
            return len(parsed["report"]["records"])
    else:
        from sentinel.reports import open_report, parse_report, to_api

        if parser == "mailsentinel-stream":
            def run(path: Path) -> int:
                with open_report(path) as reader:
                    return sum(1 for _ in reader)
        elif parser == "mailsentinel":
            def run(path: Path) -> int:
                return parse_report(path).record_count
        else:
            def run(path: Path) -> int:
                return len(to_api(parse_report(path))["records"])

    # Warm up (imports, the Public Suffix List, caches) so the figures are steady-state.
    run(FIXTURES / "nice-input.xml")
    records = failures = 0
    started = time.perf_counter()
    for _ in range(repeat):
        for path in paths:
            try:
                records += run(path)
            except Exception:  # a parser that cannot read a fixture: count it, go on
                failures += 1
    seconds = time.perf_counter() - started
    maxrss, hwm = _peak_mb()
    return {"records": records, "seconds": seconds, "failures": failures // max(repeat, 1),
            "maxrss_mb": maxrss, "hwm_mb": hwm}


def measure(parser: str, paths: list[Path], repeat: int = 1) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", parser, "--repeat", str(repeat),
               *map(str, paths)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env,
                          timeout=3600)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- ingestion hook -------------------------------------------------------------------

def ingest_benchmark(path: Path, records: int) -> str:
    """Records/second for parse + store into a fresh SQLite file, once INGEST_HOOK exists."""
    if INGEST_HOOK is None:
        return "ingestion into SQLite: not measured yet (storage not built; set INGEST_HOOK)"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        stored, seconds = INGEST_HOOK(path, url)
    return f"ingestion into SQLite: {stored:,} records in {seconds:.2f} s = " \
           f"{stored / seconds:,.0f} records/s ({records:,}-record report, every record a distinct IP)"


# -- stats and sources over a million stored records ---------------------------------

REPORTERS = ("google.com", "Outlook.com", "Yahoo", "Mail.Ru", "comcast.net", "GMX", "Fastmail", "Zoho")


def _ip_pool(rng: random.Random, size: int) -> tuple[list[str], list[float]]:
    """Sending IPs with Zipf-like weights: a few big senders, a long tail of small ones."""
    pool = [f"{rng.choice((209, 40, 52, 104, 185, 198))}.{rng.randrange(256)}.{rng.randrange(256)}."
            f"{rng.randrange(1, 255)}" for _ in range(size)]
    weights = [1.0 / (rank + 1) ** 1.1 for rank in range(size)]
    return pool, weights


def _big_report(rng: random.Random, n: int, index: int, pool: list[str], cum: list[float]) -> bytes:
    day = 1717200000 + (index % 30) * 86400  # 2024-06-01 onwards, 30 days
    reporter = REPORTERS[index % len(REPORTERS)]
    ips = rng.choices(pool, cum_weights=cum, k=n)
    out = [f'<?xml version="1.0"?><feedback><report_metadata><org_name>{reporter}</org_name>'
           f"<email>dmarc@{reporter.lower()}</email><report_id>big-{index}</report_id><date_range>"
           f"<begin>{day}</begin><end>{day + 86399}</end></date_range></report_metadata>"
           "<policy_published><domain>example.com</domain><p>reject</p></policy_published>"]
    for ip in ips:
        dkim_ok = rng.random() < 0.85
        spf_ok = rng.random() < 0.7
        esp = f"esp{rng.randrange(40)}.net"
        out.append(
            f"<record><row><source_ip>{ip}</source_ip><count>{rng.randrange(1, 60)}</count><policy_evaluated>"
            f"<disposition>{'none' if dkim_ok or spf_ok else 'reject'}</disposition><dkim>pass</dkim>"
            f"<spf>pass</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from>"
            f"</identifiers><auth_results><dkim><domain>{'example.com' if dkim_ok else esp}</domain>"
            f"<selector>s{rng.randrange(3)}</selector><result>{'pass' if dkim_ok else 'fail'}</result></dkim>"
            f"<spf><domain>{'example.com' if spf_ok else esp}</domain><result>{'pass' if spf_ok else 'fail'}"
            "</result></spf></auth_results></record>")
    out.append("</feedback>")
    return "".join(out).encode()


def _median_ms(call: Callable[[], Any], runs: int = 7) -> float:
    call()  # warm caches, as a server would be
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)[len(times) // 2]


def analytics_benchmark(database_url: str | None, reports: int = 100, per_report: int = 10_000) -> None:
    """Ingest reports x per_report records, then time stats and sources (through HTTP and the service)."""
    from starlette.testclient import TestClient

    from sentinel.app import create_app
    from sentinel.pagination import PageRequest

    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'analytics.db'}"
        services, org_id, boot = _fresh_services(url)
        principal = services.tokens.authenticate(boot.token)
        domain_id = services.domains.list_for_org(principal, org_id, PageRequest())["domains"][0]["id"]
        rng = random.Random(11)
        pool, weights = _ip_pool(rng, 50_000)
        cum, acc = [], 0.0
        for w in weights:
            acc += w
            cum.append(acc)
        stored = 0
        ingest_seconds = 0.0
        for index in range(reports):
            data = _big_report(rng, per_report, index, pool, cum)
            started = time.perf_counter()
            stored += services.reports.ingestor.ingest(org_id, data).report["recordCount"]
            ingest_seconds += time.perf_counter() - started
        svc = services.reports
        sources_total = svc.sources(principal, domain_id, None, None, "volume", PageRequest())["pagination"]["total"]
        print(f"\nstats/sources over {stored:,} stored records ({_safe(url)}; {sources_total:,} distinct IPs, "
              f"ingested at {stored / ingest_seconds:,.0f} records/s):")
        app = create_app(services.settings, services=services)
        headers = {"Authorization": f"Bearer {boot.token}"}
        d = date(2024, 6, 24)
        queries = [
            ("stats, all 30 days", f"/api/domains/{domain_id}/stats",
             lambda: svc.stats(principal, domain_id, None, None)),
            ("stats, last 7 days", f"/api/domains/{domain_id}/stats?from=2024-06-24&to=2024-06-30",
             lambda: svc.stats(principal, domain_id, d, d + timedelta(days=6))),
            ("sources by volume, page 1", f"/api/domains/{domain_id}/sources",
             lambda: svc.sources(principal, domain_id, None, None, "volume", PageRequest())),
            ("sources by failures, page 1", f"/api/domains/{domain_id}/sources?sort=failures",
             lambda: svc.sources(principal, domain_id, None, None, "failures", PageRequest())),
            ("sources, last 7 days", f"/api/domains/{domain_id}/sources?from=2024-06-24&to=2024-06-30",
             lambda: svc.sources(principal, domain_id, d, d + timedelta(days=6), "volume", PageRequest())),
        ]
        print(f"  {'query':<30}{'HTTP (ASGI) ms':>16}{'service ms':>12}")
        with TestClient(app) as client:
            for label, path, direct in queries:
                def over_http(path: str = path) -> None:
                    response = client.get(path, headers=headers)
                    assert response.status_code == 200, response.text
                print(f"  {label:<30}{_median_ms(over_http):>16.1f}{_median_ms(direct):>12.1f}", flush=True)
        services.db.dispose()


def _safe(url: str) -> str:
    return url.split("://", 1)[0] if "@" in url else url.rsplit("/", 1)[-1]


# -- driver -----------------------------------------------------------------------------

def rate(result: dict[str, Any]) -> float:
    return float(result["records"] / result["seconds"]) if result["seconds"] else 0.0


PARSERS = (
    ("mailsentinel", "parse_report"),
    ("mailsentinel-stream", "open_report"),
    ("mailsentinel-api", "+to_api"),
    ("parsedmarc", "parsedmarc"),
)


def main() -> int:
    print("records/second (ratio to parsedmarc). parse_report: whole Report materialised; "
          "open_report: records streamed;\n+to_api: parse_report plus the API dicts; "
          "parsedmarc: parse_report_file(offline=True, always_use_local_files=True)\n")
    rows: list[tuple[str, dict[str, dict[str, Any]]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        generated = {}
        for size in SIZES:
            path = Path(tmp) / f"generated-{size}.xml"
            write_report(path, size)
            generated[size] = path
        cases: list[tuple[str, list[Path], int]] = [
            (f"{size:,} records ({generated[size].stat().st_size / 1e6:.1f} MB)",
             [generated[size]], 1)
            for size in SIZES
        ]
        corpus = sorted(p for p in FIXTURES.iterdir() if p.stat().st_size > 0)
        cases.append((f"fixture corpus ({len(corpus)} files) x20", corpus, 20))
        print(f"{'case':<32}" + "".join(f"{label:>20}" for _, label in PARSERS))
        for label, paths, repeat in cases:
            results = {name: measure(name, paths, repeat) for name, _ in PARSERS}
            rows.append((label, results))
            base = rate(results["parsedmarc"])
            cells = []
            for name, _ in PARSERS:
                value = rate(results[name])
                cells.append(f"{value:,.0f}" if name == "parsedmarc"
                             else f"{value:,.0f} ({value / base:.1f}x)")
            print(f"{label:<32}" + "".join(f"{c:>20}" for c in cells), flush=True)
            failed = {name: r["failures"] for name, r in results.items() if r["failures"]}
            if failed:
                print(f"{'':<32}files that failed to parse: {failed}")
        print("\nPeak memory of the whole process, MB (ru_maxrss / VmHWM):")
        print(f"{'case':<32}" + "".join(f"{label:>20}" for _, label in PARSERS))
        for label, results in rows:
            print(f"{label:<32}" + "".join(
                f"{results[n]['maxrss_mb']:.0f} / {results[n]['hwm_mb']:.0f}".rjust(20)
                for n, _ in PARSERS))
        big_label, big = rows[len(SIZES) - 1]
        base = rate(big["parsedmarc"])
        ratio = rate(big["mailsentinel"]) / base
        stream_ratio = rate(big["mailsentinel-stream"]) / base
        peak = big["mailsentinel-stream"]["maxrss_mb"]
        print(f"\nTargets ({big_label}): parsing >= {RATIO_TARGET:.0f}x parsedmarc: "
              f"parse_report {ratio:.1f}x, open_report {stream_ratio:.1f}x "
              f"{'OK' if min(ratio, stream_ratio) >= RATIO_TARGET else 'MISSED'}; "
              f"peak memory streaming < {MEMORY_TARGET_MB:.0f} MB: {peak:.0f} MB "
              f"{'OK' if peak < MEMORY_TARGET_MB else 'MISSED'}")
        print(ingest_benchmark(generated[SIZES[-1]], SIZES[-1]))
    analytics_benchmark(None)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=["mailsentinel", "mailsentinel-stream",
                                            "mailsentinel-api", "parsedmarc"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--analytics-only", action="store_true",
                        help="only the stats/sources timing over 1,000,000 stored records")
    parser.add_argument("--database-url", help="database for --analytics-only (default: a temporary SQLite file)")
    args = parser.parse_args()
    if args.analytics_only:
        sys.path.insert(0, str(ROOT))
        analytics_benchmark(args.database_url)
        sys.exit(0)
    if args.child:
        print(json.dumps(child(args.child, args.paths, args.repeat)))
        sys.exit(0)
    sys.exit(main())
