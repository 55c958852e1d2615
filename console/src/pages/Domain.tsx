import { useEffect, useState } from 'preact/hooks';
import type { Domain, Issue, Scan, SeenRecord, SpfNode } from '../api';
import { PassRateChart } from '../chart';
import { allows, useSession } from '../session';
import { go, href } from '../router';
import { Badge, ConfirmButton, count, ErrorMessage, Loading, NotAvailable, percent, Section, Show, useAction, useLoad, when } from '../ui';
import { ScanButton, VerificationRecord, VerifyButton } from './Domains';
import { NotAvailableError } from '../api';

const SEVERITIES: Issue['severity'][] = ['error', 'warning', 'info'];

function Issues({ issues }: { issues: Issue[] }) {
  if (issues.length === 0) return <p class="ok">No issues found.</p>;
  return (
    <div data-testid="issues">
      {SEVERITIES.map((severity) => {
        const some = issues.filter((i) => i.severity === severity);
        if (some.length === 0) return null;
        return (
          <div key={severity} class={`issues issues-${severity}`}>
            <h3>{severity === 'error' ? 'Errors' : severity === 'warning' ? 'Warnings' : 'Notes'} <Badge kind={severity}>{some.length}</Badge></h3>
            <ul>{some.map((i, n) => <li key={`${i.code}-${n}`} data-severity={severity}><code>{i.code}</code> {i.message}</li>)}</ul>
          </div>
        );
      })}
    </div>
  );
}

function SpfTree({ node }: { node: SpfNode }) {
  return (
    <li>
      <span class="spf-node">
        <code>{node.via === 'root' ? node.domain : `${node.via}:${node.domain}`}</code>{' '}
        <span class="small muted">{node.dnsLookups} lookup{node.dnsLookups === 1 ? '' : 's'}{node.voidLookups ? `, ${node.voidLookups} void` : ''}</span>
        {node.status !== 'ok' && <> <Badge kind="error">{node.status}</Badge></>}
      </span>
      {node.record && <div class="record"><code>{node.record}</code></div>}
      {node.error && <div class="error-text">{node.error}</div>}
      {node.children.length > 0 && <ul>{(node.children as unknown as SpfNode[]).map((c, i) => <SpfTree key={`${c.domain}-${i}`} node={c} />)}</ul>}
    </li>
  );
}

function Messages({ part }: { part: { errors?: string[]; warnings?: string[] } }) {
  return (
    <>
      {(part.errors ?? []).map((m, i) => <p key={`e${i}`} class="error-text">Error: {m}</p>)}
      {(part.warnings ?? []).map((m, i) => <p key={`w${i}`} class="warn">Warning: {m}</p>)}
    </>
  );
}

function Found({ found }: { found: unknown }) {
  return found ? <Badge kind="ok">found</Badge> : <Badge kind="warn">not found</Badge>;
}

function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined || value === '') return <span class="muted">—</span>;
  if (Array.isArray(value)) return value.length ? <>{value.map((v, i) => <div key={i}><Value value={v} /></div>)}</> : <span class="muted">none</span>;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if ('uri' in obj) return <code>{String(obj.uri)}</code>;
    if ('host' in obj) return <code>{String(obj.preference ?? '')} {String(obj.host)}</code>;
    return <code>{JSON.stringify(value)}</code>;
  }
  return <code>{String(value)}</code>;
}

function Part({ title, part, fields }: { title: string; part: Record<string, unknown> | undefined; fields: [string, string][] }) {
  if (!part) return null;
  return (
    <div class="part" data-part={title}>
      <h3>{title} <Found found={part.found ?? part.signed} />{part.status && part.status !== 'ok' && part.status !== 'not_found' ? <> <Badge kind="error">{String(part.status)}</Badge></> : null}</h3>
      {part.error ? <p class="error-text">{String(part.error)}</p> : null}
      <dl class="kv">{fields.map(([key, label]) => <><dt key={`t${key}`}>{label}</dt><dd key={`d${key}`}><Value value={part[key]} /></dd></>)}</dl>
      <Messages part={part as { errors?: string[]; warnings?: string[] }} />
    </div>
  );
}

export function ScanView({ scan }: { scan: Scan }) {
  const spf = scan.spf;
  return (
    <div data-testid="scan">
      <p class="small muted">Scanned {when(scan.scannedAt)} in {scan.durationMs} ms.</p>
      <Issues issues={scan.issues} />
      <div class="parts">
        <Part title="DMARC" part={scan.dmarc} fields={[['record', 'Record'], ['recordName', 'Found at'], ['policy', 'Policy (p)'], ['subdomainPolicy', 'Subdomains (sp)'], ['effectivePolicy', 'Applied policy'], ['pct', 'pct'], ['adkim', 'DKIM alignment'], ['aspf', 'SPF alignment'], ['rua', 'Aggregate reports to'], ['ruf', 'Failure reports to']]} />
        <div class="part" data-part="SPF">
          <h3>SPF <Found found={spf.found} /></h3>
          <dl class="kv">
            <dt>Record</dt><dd><Value value={spf.record} /></dd>
            <dt>DNS lookups</dt><dd data-testid="spf-lookups"><span class={spf.dnsLookups > spf.dnsLookupLimit ? 'error-text' : ''}>{spf.dnsLookups} of {spf.dnsLookupLimit}</span></dd>
            <dt>Void lookups</dt><dd>{spf.voidLookups}</dd>
          </dl>
          {spf.includeTree && (
            <details open={spf.includeTree.children.length > 0 && spf.includeTree.children.length < 12}>
              <summary>Include tree</summary>
              <ul class="spf-tree"><SpfTree node={spf.includeTree as unknown as SpfNode} /></ul>
            </details>
          )}
          <Messages part={spf} />
        </div>
        <div class="part" data-part="DKIM">
          <h3>DKIM <Found found={scan.dkim.found} /></h3>
          {scan.dkim.selectors.length === 0 ? <p>No DKIM key found under the selectors checked.</p> : (
            <div class="table-wrap"><table>
              <thead><tr><th scope="col">Selector</th><th scope="col">Key</th><th scope="col">Notes</th></tr></thead>
              <tbody>{scan.dkim.selectors.map((s) => (
                <tr key={s.selector}><th scope="row"><code>{s.selector}</code></th>
                  <td>{s.found ? `${s.keyType ?? '?'} ${s.keyBits ?? ''}${s.keyBits ? '-bit' : ''}${s.revoked ? ' (revoked)' : ''}` : 'not found'}</td>
                  <td>{[...s.errors, ...s.warnings].join(' ') || '—'}</td></tr>
              ))}</tbody>
            </table></div>
          )}
          <Messages part={scan.dkim} />
        </div>
        <Part title="MX" part={scan.mx as Record<string, unknown>} fields={[['hosts', 'Hosts'], ['nullMx', 'Null MX']]} />
        <Part title="MTA-STS" part={scan.mtaSts as Record<string, unknown>} fields={[['record', 'Record'], ['policyUrl', 'Policy'], ['uncoveredMx', 'MX not covered']]} />
        <Part title="TLS-RPT" part={scan.tlsRpt as Record<string, unknown>} fields={[['record', 'Record'], ['rua', 'Reports to']]} />
        <Part title="BIMI" part={scan.bimi as Record<string, unknown>} fields={[['record', 'Record'], ['logo', 'Logo'], ['authority', 'Authority']]} />
        <Part title="DNSSEC" part={scan.dnssec as Record<string, unknown>} fields={[['zone', 'Zone'], ['dnskeyCount', 'DNSKEYs'], ['authenticated', 'Authenticated']]} />
      </div>
    </div>
  );
}

function History({ domain }: { domain: Domain }) {
  const groups: [string, SeenRecord[] | undefined][] = [['DMARC', domain.dmarcRecords], ['SPF', domain.spfRecords], ['DKIM', domain.dkimRecords]];
  const all = groups.flatMap(([kind, records]) => (records ?? []).map((r) => ({ kind, ...r })));
  if (all.length === 0) return <p>No records seen yet: run a scan.</p>;
  return (
    <div class="table-wrap"><table data-testid="record-history">
      <thead><tr><th scope="col">Kind</th><th scope="col">Record</th><th scope="col">First seen</th><th scope="col">Last seen</th><th scope="col">Current</th></tr></thead>
      <tbody>{all.map((r, i) => (
        <tr key={i}><th scope="row">{r.kind}{r.selector ? ` (${r.selector})` : ''}</th><td><code class="wrap">{r.record}</code></td><td>{when(r.firstSeen)}</td><td>{when(r.lastSeen)}</td><td>{r.current ? 'yes' : 'no'}</td></tr>
      ))}</tbody>
    </table></div>
  );
}

function Changes({ domainId }: { domainId: string }) {
  const { client } = useSession();
  const changes = useLoad(() => client.domains.changes(domainId, { limit: 20 }), [domainId]);
  if (changes.error instanceof NotAvailableError) return <NotAvailable what="Record changes with diffs are not available on this server." />;
  return (
    <Show state={changes} what="Loading changes">
      {(p) => p.data.length === 0 ? <p>No record changes between scans yet.</p> : (
        <div class="table-wrap"><table class="stack" data-testid="record-changes">
          <thead><tr><th scope="col">When</th><th scope="col">Record</th><th scope="col">Change</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
          <tbody>{p.data.map((c) => (
            <tr key={c.id}><th scope="row">{when(c.changedAt)}</th><td data-label="Record">{c.record}{c.selector ? ` (${c.selector})` : ''}</td>
              <td data-label="Change"><Badge kind={c.change === 'vanished' ? 'error' : c.change === 'appeared' ? 'ok' : 'warn'}>{c.change}</Badge></td>
              <td data-label="Before"><code class="wrap">{c.before ?? '—'}</code></td><td data-label="After"><code class="wrap">{c.after ?? '—'}</code></td></tr>
          ))}</tbody>
        </table></div>
      )}
    </Show>
  );
}

function Traffic({ domainId, version }: { domainId: string; version: number }) {
  const { client } = useSession();
  const stats = useLoad(() => client.domains.stats(domainId), [domainId, version]);
  const sources = useLoad(() => client.domains.sources(domainId, { sort: 'volume', limit: 10 }), [domainId, version]);
  return (
    <>
      <Section title="DMARC pass rate" id="passrate">
        <Show state={stats} what="Loading statistics">
          {(s) => (
            <>
              {s.summary.messages > 0 && (
                <p data-testid="stats-summary">{count(s.summary.messages)} messages in {count(s.summary.reports)} reports: {percent(s.summary.dmarcPassRate)} passed DMARC
                  (DKIM aligned {percent(s.summary.dkimAlignedRate)}, SPF aligned {percent(s.summary.spfAlignedRate)}).</p>
              )}
              <PassRateChart series={s.timeSeries} />
            </>
          )}
        </Show>
      </Section>
      <Section title="Top sources" id="sources">
        <Show state={sources} what="Loading sources">
          {(p) => p.data.length === 0 ? <p>No sending sources seen in reports yet.</p> : (
            <div class="table-wrap"><table data-testid="sources">
              <thead><tr><th scope="col">Source IP</th><th scope="col">Messages</th><th scope="col">Pass</th><th scope="col">Fail</th><th scope="col">Pass rate</th><th scope="col">DKIM domains</th></tr></thead>
              <tbody>{p.data.map((s) => (
                <tr key={s.sourceIp}><th scope="row"><code>{s.sourceIp}</code></th><td>{count(s.messages)}</td><td>{count(s.dmarcPass)}</td>
                  <td>{s.dmarcFail ? <Badge kind="error">{count(s.dmarcFail)}</Badge> : '0'}</td><td>{percent(s.dmarcPassRate)}</td><td>{s.dkimDomains.join(', ') || '—'}</td></tr>
              ))}</tbody>
            </table></div>
          )}
        </Show>
      </Section>
      <Section title="Reporters" id="reporters">
        <Show state={stats} what="Loading reporters">
          {(s) => s.reporters.length === 0 ? <p>No reports received yet.</p> : (
            <div class="table-wrap"><table data-testid="reporters">
              <thead><tr><th scope="col">Reporter</th><th scope="col">Reports</th><th scope="col">Messages</th><th scope="col">Pass rate</th></tr></thead>
              <tbody>{s.reporters.map((r) => <tr key={r.reporter}><th scope="row">{r.reporter}</th><td>{count(r.reports)}</td><td>{count(r.messages)}</td><td>{percent(r.dmarcPassRate)}</td></tr>)}</tbody>
            </table></div>
          )}
        </Show>
      </Section>
    </>
  );
}

export function DomainPage({ domainId }: { domainId: string }) {
  const session = useSession();
  const { client } = session;
  const domain = useLoad(() => client.domains.get(domainId), [domainId]);
  const latest = useLoad(async () => {
    const first = (await client.domains.scans(domainId, { limit: 1 })).data[0];
    return first ? client.scans.get(first.id) : null;
  }, [domainId]);
  const [scan, setScan] = useState<Scan | null>(null);
  useEffect(() => { if (latest.data !== undefined) setScan(latest.data); }, [latest.data]);
  const remove = useAction(async () => { await client.domains.delete(domainId); go('domains'); });
  if (domain.error) return <><h1 tabIndex={-1}>Domain</h1><ErrorMessage error={domain.error} /><p><a href={href('domains')}>Back to the domains</a></p></>;
  if (!domain.data) return <Loading what="Loading the domain" />;
  const d = domain.data;
  return (
    <>
      <p class="crumbs"><a href={href('domains')}>Domains</a> /</p>
      <h1 tabIndex={-1}>{d.unicodeDomain} {d.verified ? <Badge kind="ok">verified</Badge> : <Badge kind="warn">unverified</Badge>}</h1>
      {d.description && <p class="muted">{d.description}</p>}
      {!d.verified && (
        <Section title="Verification" id="verify">
          <VerificationRecord domain={d} />
          {allows(session, 'member') && <VerifyButton domain={d} onVerified={(r) => domain.set({ ...d, ...r.domain })} />}
        </Section>
      )}
      <Section title="Latest scan" id="scan">
        {allows(session, 'member') && <ScanButton domain={d} onScanned={(s) => { setScan(s); domain.reload(); }} />}
        {latest.error ? <ErrorMessage error={latest.error} /> : latest.data === undefined ? <Loading what="Loading the latest scan" /> : scan ? <ScanView scan={scan} /> : <p>Not scanned yet.</p>}
      </Section>
      <Traffic domainId={domainId} version={0} />
      <Section title="Record history" id="history"><History domain={d} /></Section>
      <Section title="Record changes" id="changes"><Changes domainId={domainId} /></Section>
      {allows(session, 'admin') && (
        <Section title="Danger zone" id="danger">
          <p>Deleting the domain removes its scans, reports and statistics.</p>
          <ConfirmButton label={`Delete ${d.domain}`} confirm={`Yes, delete ${d.domain}`} onConfirm={() => remove.start()} disabled={remove.busy} />
          <ErrorMessage error={remove.error} />
        </Section>
      )}
    </>
  );
}
