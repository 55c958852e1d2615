import { useState } from 'preact/hooks';
import type { Alert } from '../api';
import { allows, useSession } from '../session';
import { href } from '../router';
import { Badge, ErrorMessage, Pager, Show, useAction, useLoad, when } from '../ui';

const STATUSES = ['open', 'acknowledged', 'resolved', 'all'] as const;

function AlertRow({ alert, onChanged }: { alert: Alert; onChanged(a: Alert): void }) {
  const session = useSession();
  const ack = useAction(async () => onChanged(await session.client.alerts.acknowledge(alert.id)));
  const resolve = useAction(async () => onChanged(await session.client.alerts.resolve(alert.id)));
  const canAct = allows(session, 'member');
  return (
    <tr data-alert={alert.id}>
      <th scope="row">{alert.message}<div class="small muted"><code>{alert.type}</code>{alert.domainId ? <> · <a href={href('domains', alert.domainId)}>{alert.domain ?? 'domain'}</a></> : null}{alert.resolution ? ` · ${alert.resolution}` : ''}</div></th>
      <td data-label="Severity"><Badge kind={alert.severity === 'critical' ? 'error' : alert.severity === 'warning' ? 'warn' : 'info'}>{alert.severity}</Badge></td>
      <td data-label="Status"><Badge kind={alert.status === 'resolved' ? 'ok' : alert.status === 'open' ? 'error' : 'warn'}>{alert.status}</Badge></td>
      <td data-label="Since">{when(alert.triggeredAt)}</td>
      {canAct && (
        <td class="actions">
          {alert.status === 'open' && <button type="button" disabled={ack.busy} onClick={() => ack.start()}>Acknowledge</button>}
          {alert.status !== 'resolved' && <button type="button" class="secondary" disabled={resolve.busy} onClick={() => resolve.start()}>Resolve</button>}
          <ErrorMessage error={ack.error ?? resolve.error} />
        </td>
      )}
    </tr>
  );
}

export function Alerts() {
  const session = useSession();
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('open');
  const [page, setPage] = useState(1);
  const alerts = useLoad(
    () => session.client.alerts.list(session.orgId, { status: status === 'all' ? undefined : status, page, limit: 25 }),
    [session.orgId, status, page],
  );
  return (
    <>
      <h1 tabIndex={-1}>Alerts</h1>
      <section class="card" aria-labelledby="alerts-h">
        <h2 id="alerts-h">Alerts</h2>
        <div class="tabs" role="group" aria-label="Show alerts">
          {STATUSES.map((s) => (
            <button key={s} type="button" class={status === s ? '' : 'secondary'} aria-pressed={status === s} onClick={() => { setStatus(s); setPage(1); }}>{s}</button>
          ))}
        </div>
        <Show state={alerts} what="Loading alerts">
          {(p) => p.data.length === 0 ? <p>No {status === 'all' ? '' : status} alerts.</p> : (
            <>
              <div class="table-wrap"><table class="stack" data-testid="alerts-table">
                <thead><tr><th scope="col">Alert</th><th scope="col">Severity</th><th scope="col">Status</th><th scope="col">Since</th>{allows(session, 'member') && <th scope="col">Actions</th>}</tr></thead>
                <tbody>{p.data.map((a) => <AlertRow key={a.id} alert={a} onChanged={() => alerts.reload()} />)}</tbody>
              </table></div>
              <Pager pagination={p.pagination} onPage={setPage} />
            </>
          )}
        </Show>
      </section>
    </>
  );
}
