import { useState } from 'preact/hooks';
import type { ReportSummary } from '../api';
import { allows, useSession } from '../session';
import { go, href } from '../router';
import { Badge, ConfirmButton, count, ErrorMessage, Loading, Pager, percent, Section, Show, useAction, useLoad, when } from '../ui';

function Upload({ onUploaded }: { onUploaded(): void }) {
  const session = useSession();
  const [dragging, setDragging] = useState(false);
  const [results, setResults] = useState<{ name: string; report?: ReportSummary; duplicate?: boolean; error?: unknown }[]>([]);
  const action = useAction(async (files: File[]) => {
    for (const file of files) {
      try {
        const answer = await session.client.reports.upload(session.orgId, file);
        setResults((r) => [{ name: file.name, report: answer.report, duplicate: answer.duplicate }, ...r]);
      } catch (error) {
        setResults((r) => [{ name: file.name, error }, ...r]);
      }
    }
    onUploaded();
  });
  const take = (list: FileList | null | undefined) => { if (list && list.length) action.start(Array.from(list)); };
  return (
    <section class="card" aria-labelledby="upload-h">
      <h2 id="upload-h">Upload reports</h2>
      <div
        class={`dropzone${dragging ? ' dragging' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => { e.preventDefault(); setDragging(false); take(e.dataTransfer?.files); }}
      >
        <p>Drop DMARC aggregate reports here (XML, .gz, .zip or the whole e-mail), or</p>
        <label class="button">Choose files
          <input class="visually-hidden" type="file" multiple name="report" onChange={(e) => { const input = e.target as HTMLInputElement; take(input.files); input.value = ''; }} />
        </label>
        {action.busy && <Loading what="Uploading" />}
      </div>
      <ul class="results" aria-live="polite" data-testid="upload-results">
        {results.map((r, i) => (
          <li key={i} class={r.error ? 'error' : 'ok'}>
            <strong>{r.name}</strong>:{' '}
            {r.error ? <ErrorMessage error={r.error} /> : r.report && (
              <>{r.duplicate ? 'already stored (duplicate). ' : 'stored. '}
                {r.report.orgName} about {r.report.domain}, {when(r.report.dateRange.begin)} – {when(r.report.dateRange.end)}:
                {' '}{count(r.report.recordCount)} records, {count(r.report.messageCount)} messages, {percent(r.report.messageCount ? r.report.dmarcPassCount / r.report.messageCount : null)} passed DMARC
                {r.report.skippedCount ? `, ${r.report.skippedCount} records skipped` : ''}.
                {' '}<a href={href('reports', r.report.id)}>Open the report</a></>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Reports() {
  const session = useSession();
  const [page, setPage] = useState(1);
  const reports = useLoad(() => session.client.reports.list({ organizationId: session.orgId, page, limit: 25 }), [session.orgId, page]);
  return (
    <>
      <h1 tabIndex={-1}>Reports</h1>
      {allows(session, 'member') && <Upload onUploaded={() => reports.reload()} />}
      <section class="card" aria-labelledby="reports-h">
        <h2 id="reports-h">Received reports</h2>
        <Show state={reports} what="Loading reports">
          {(p) => p.data.length === 0 ? <p>No reports yet.</p> : (
            <>
              <div class="table-wrap"><table class="stack" data-testid="reports-table">
                <thead><tr><th scope="col">Reporter</th><th scope="col">Domain</th><th scope="col">Period</th><th scope="col">Messages</th><th scope="col">DMARC pass</th><th scope="col">Received</th></tr></thead>
                <tbody>{p.data.map((r) => (
                  <tr key={r.id}>
                    <th scope="row"><a href={href('reports', r.id)}>{r.orgName || r.email}</a></th>
                    <td data-label="Domain">{r.domain}</td><td data-label="Period">{r.dateRange.begin.slice(0, 10)} – {r.dateRange.end.slice(0, 10)}</td>
                    <td data-label="Messages">{count(r.messageCount)}</td><td data-label="DMARC pass">{percent(r.messageCount ? r.dmarcPassCount / r.messageCount : null)}</td><td data-label="Received">{when(r.receivedAt)}</td>
                  </tr>
                ))}</tbody>
              </table></div>
              <Pager pagination={p.pagination} onPage={setPage} />
            </>
          )}
        </Show>
      </section>
    </>
  );
}

export function ReportPage({ reportId }: { reportId: string }) {
  const session = useSession();
  const [page, setPage] = useState(1);
  const report = useLoad(() => session.client.reports.get(reportId, { page, limit: 50 }), [reportId, page]);
  const remove = useAction(async () => { await session.client.reports.delete(reportId); go('reports'); });
  return (
    <>
      <p class="crumbs"><a href={href('reports')}>Reports</a> /</p>
      <Show state={report} what="Loading the report">
        {({ report: r, pagination }) => (
          <>
            <h1 tabIndex={-1}>Report from {r.orgName || r.email}</h1>
            <Section title="Summary" id="summary">
              <dl class="kv">
                <dt>Domain</dt><dd>{r.domainId ? <a href={href('domains', r.domainId)}>{r.domain}</a> : r.domain}</dd>
                <dt>Reporter</dt><dd>{r.orgName} &lt;{r.email}&gt;</dd>
                <dt>Report id</dt><dd><code>{r.reportId}</code></dd>
                <dt>Period</dt><dd>{when(r.dateRange.begin)} – {when(r.dateRange.end)}</dd>
                <dt>Messages</dt><dd>{count(r.messageCount)} in {count(r.recordCount)} records; {count(r.dmarcPassCount)} passed DMARC</dd>
                <dt>Published policy</dt><dd><code>{Object.entries(r.policyPublished).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${String(v)}`).join('; ')}</code></dd>
                {r.skippedCount > 0 && <><dt>Skipped</dt><dd>{r.skippedCount} records could not be read</dd></>}
              </dl>
            </Section>
            <Section title="Records" id="records">
              <div class="table-wrap"><table data-testid="report-records">
                <thead><tr><th scope="col">Source IP</th><th scope="col">Messages</th><th scope="col">Disposition</th><th scope="col">DKIM</th><th scope="col">SPF</th><th scope="col">DMARC</th><th scope="col">Header from</th></tr></thead>
                <tbody>{r.records.map((rec, i) => (
                  <tr key={i}><th scope="row"><code>{rec.sourceIp}</code></th><td>{count(rec.count)}</td><td>{rec.disposition}</td><td>{rec.dkim}</td><td>{rec.spf}</td>
                    <td>{rec.dmarcPass ? <Badge kind="ok">pass</Badge> : <Badge kind="error">fail</Badge>}</td><td>{rec.headerFrom}</td></tr>
                ))}</tbody>
              </table></div>
              <Pager pagination={pagination} onPage={setPage} />
            </Section>
            {allows(session, 'admin') && (
              <Section title="Delete" id="delete">
                <ConfirmButton label="Delete this report" confirm="Yes, delete the report" onConfirm={() => remove.start()} disabled={remove.busy} />
                <ErrorMessage error={remove.error} />
              </Section>
            )}
          </>
        )}
      </Show>
    </>
  );
}
