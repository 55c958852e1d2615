import { useEffect, useState } from 'preact/hooks';
import { summarize, type Domain, type Scan, type ScanSummary, type Verification } from '../api';
import { allows, useSession } from '../session';
import { href } from '../router';
import { Badge, CopyButton, ErrorMessage, Pager, Show, useAction, useLoad, when } from '../ui';

export function VerificationRecord({ domain }: { domain: Domain }) {
  const v = domain.verification;
  return (
    <div class="verification" data-testid="verification-record">
      <p>Publish this DNS record to prove you control <strong>{domain.unicodeDomain}</strong>, then press Verify:</p>
      <dl class="kv">
        <dt>Type</dt><dd><code>{v.recordType}</code></dd>
        <dt>Name</dt><dd><code data-testid="verification-name">{v.recordName}</code> <CopyButton text={v.recordName} label="Copy name" /></dd>
        <dt>Value</dt><dd><code data-testid="verification-value">{v.recordValue}</code> <CopyButton text={v.recordValue} label="Copy value" /></dd>
      </dl>
    </div>
  );
}

export function VerifyButton({ domain, onVerified }: { domain: Domain; onVerified(result: Verification): void }) {
  const { client } = useSession();
  const [result, setResult] = useState<Verification | null>(null);
  const action = useAction(async () => {
    const answer = await client.domains.verify(domain.id);
    setResult(answer);
    onVerified(answer);
  });
  return (
    <span class="inline-action">
      <button type="button" disabled={action.busy} onClick={() => action.start()}>{action.busy ? 'Verifying…' : `Verify ${domain.domain}`}</button>
      {result && <span role="status" class={result.verification.verified ? 'ok' : 'warn'}>{result.verification.message}</span>}
      <ErrorMessage error={action.error} />
    </span>
  );
}

export function ScanButton({ domain, onScanned }: { domain: Domain; onScanned(scan: Scan): void }) {
  const { client } = useSession();
  const action = useAction(async () => onScanned(await client.domains.scan(domain.id)));
  return (
    <span class="inline-action">
      <button type="button" disabled={action.busy} onClick={() => action.start()}>{action.busy ? 'Scanning…' : `Scan ${domain.domain} now`}</button>
      <ErrorMessage error={action.error} />
    </span>
  );
}

function AddDomain({ onAdded }: { onAdded(domain: Domain): void }) {
  const session = useSession();
  const [name, setName] = useState('');
  const [selectors, setSelectors] = useState('');
  const action = useAction(async () => {
    const dkimSelectors = selectors.split(/[\s,]+/).filter(Boolean);
    const domain = await session.client.domains.create(session.orgId, { domain: name.trim(), ...(dkimSelectors.length ? { dkimSelectors } : {}) });
    setName('');
    setSelectors('');
    onAdded(domain);
  });
  return (
    <form class="card form" onSubmit={(e) => { e.preventDefault(); action.start(); }} aria-labelledby="add-domain-h">
      <h2 id="add-domain-h">Add a domain</h2>
      <div class="row">
        <label>Domain name<input name="domain" required value={name} placeholder="example.com" onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
        <label>DKIM selectors (optional)<input name="selectors" value={selectors} placeholder="google, selector1" onInput={(e) => setSelectors((e.target as HTMLInputElement).value)} /></label>
      </div>
      <ErrorMessage error={action.error} />
      <button type="submit" disabled={action.busy}>{action.busy ? 'Adding…' : 'Add domain'}</button>
    </form>
  );
}

export function Domains() {
  const session = useSession();
  const { client, orgId } = session;
  const [page, setPage] = useState(1);
  const [added, setAdded] = useState<Domain | null>(null);
  const domains = useLoad(() => client.domains.list(orgId, { page, limit: 50 }), [orgId, page]);
  // The latest scan of each listed domain (policy and error count), fetched alongside.
  const [scans, setScans] = useState<Record<string, ScanSummary | null>>({});
  useEffect(() => {
    if (domains.data && !performance.getEntriesByName('console:domains').length) performance.mark('console:domains');
    for (const d of domains.data?.data ?? []) {
      client.domains.scans(d.id, { limit: 1 }).then(
        (p) => setScans((s) => ({ ...s, [d.id]: p.data[0] ?? null })),
        () => setScans((s) => ({ ...s, [d.id]: null })),
      );
    }
  }, [domains.data]);
  const canAdd = allows(session, 'admin');
  const canScan = allows(session, 'member');
  return (
    <>
      <h1 tabIndex={-1}>Domains</h1>
      {canAdd && <AddDomain onAdded={(d) => { setAdded(d); domains.reload(); }} />}
      {added && (
        <section class="card" aria-labelledby="added-h" data-testid="added-domain">
          <h2 id="added-h">{added.domain} was added</h2>
          {added.verified ? <p>It is already verified.</p> : <VerificationRecord domain={added} />}
          {!added.verified && canScan && <VerifyButton domain={added} onVerified={(r) => { setAdded(r.domain); domains.reload(); }} />}
          <p><a href={href('domains', added.id)}>Open {added.domain}</a></p>
        </section>
      )}
      <section class="card" aria-labelledby="domains-h">
        <h2 id="domains-h">Monitored domains</h2>
        <Show state={domains} what="Loading domains">
          {(p) => p.data.length === 0 ? <p>No domains yet{canAdd ? ': add one above.' : '.'}</p> : (
            <>
              <div class="table-wrap">
                <table class="stack" data-testid="domains-table">
                  <thead><tr><th scope="col">Domain</th><th scope="col">Verified</th><th scope="col">DMARC policy</th><th scope="col">Errors</th><th scope="col">Last scan</th>{canScan && <th scope="col">Actions</th>}</tr></thead>
                  <tbody>
                    {p.data.map((d) => {
                      const scan = scans[d.id];
                      return (
                        <tr key={d.id} data-domain={d.domain}>
                          <th scope="row"><a href={href('domains', d.id)}>{d.unicodeDomain}</a></th>
                          <td data-label="Verified">{d.verified ? <Badge kind="ok">verified</Badge> : <Badge kind="warn">unverified</Badge>}</td>
                          <td data-label="DMARC policy">{scan === undefined ? '…' : scan ? (scan.dmarcPolicy ? <code>p={scan.dmarcPolicy}</code> : <Badge kind="error">no DMARC</Badge>) : '—'}</td>
                          <td data-label="Errors" data-testid="error-count">{scan ? (scan.errorCount ? <Badge kind="error">{scan.errorCount}</Badge> : <Badge kind="ok">0</Badge>) : '—'}</td>
                          <td data-label="Last scan">{scan ? when(scan.scannedAt) : scan === null ? 'never' : '…'}</td>
                          {canScan && (
                            <td class="actions">
                              {!d.verified && <VerifyButton domain={d} onVerified={() => domains.reload()} />}
                              <ScanButton domain={d} onScanned={(s) => setScans((all) => ({ ...all, [d.id]: summarize(s) }))} />
                            </td>
                          )}
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <Pager pagination={p.pagination} onPage={setPage} />
            </>
          )}
        </Show>
      </section>
    </>
  );
}
