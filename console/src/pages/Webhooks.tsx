import { useState } from 'preact/hooks';
import { NotAvailableError, type Attempt, type Delivery, type Webhook } from '../api';
import { allows, useSession } from '../session';
import { Badge, ConfirmButton, ErrorMessage, NotAvailable, Pager, Show, useAction, useLoad, when } from '../ui';
import { SecretOnce } from './ApiKeys';

export const EVENTS = ['domain.verified', 'domain.scan.completed', 'report.received', 'alert.triggered', 'alert.resolved'];

function DeliveryResult({ delivery }: { delivery: Delivery }) {
  const last: Attempt | undefined = delivery.attempts?.[delivery.attempts.length - 1];
  return (
    <span data-testid="delivery-result">
      <Badge kind={delivery.status === 'succeeded' ? 'ok' : delivery.status === 'pending' ? 'warn' : 'error'}>{delivery.status}</Badge>{' '}
      {last ? <>HTTP {last.statusCode ?? '—'}{last.latencyMs !== null ? ` in ${last.latencyMs} ms` : ''}{last.error ? `: ${last.error}` : ''}</>
        : delivery.lastStatusCode !== null ? <>HTTP {delivery.lastStatusCode}</> : null}
    </span>
  );
}

function Attempts({ webhookId, deliveryId }: { webhookId: string; deliveryId: string }) {
  const { client } = useSession();
  const detail = useLoad(() => client.deliveries.get(webhookId, deliveryId), [deliveryId]);
  return (
    <Show state={detail} what="Loading attempts">
      {(d) => !d.attempts?.length ? <p>No attempts yet{d.nextAttemptAt ? `; the next at ${when(d.nextAttemptAt)}` : ''}.</p> : (
        <ol class="attempts">{d.attempts.map((a, i) => (
          <li key={i}>{when(a.attemptedAt)}: {a.statusCode !== null ? `HTTP ${a.statusCode}` : 'no answer'}{a.latencyMs !== null ? ` in ${a.latencyMs} ms` : ''}{a.error ? ` (${a.error})` : ''}</li>
        ))}</ol>
      )}
    </Show>
  );
}

function DeliveryLog({ webhook, version }: { webhook: Webhook; version: number }) {
  const session = useSession();
  const [page, setPage] = useState(1);
  const deliveries = useLoad(() => session.client.deliveries.list(webhook.id, { page, limit: 20 }), [webhook.id, page, version]);
  const redeliver = useAction(async (id: string) => { await session.client.deliveries.redeliver(webhook.id, id); deliveries.reload(); });
  return (
    <details open>
      <summary>Delivery log</summary>
      <Show state={deliveries} what="Loading deliveries">
        {(p) => p.data.length === 0 ? <p>No deliveries yet.</p> : (
          <>
            <div class="table-wrap"><table class="stack" data-testid="deliveries">
              <thead><tr><th scope="col">Event</th><th scope="col">Result</th><th scope="col">Attempts</th><th scope="col">Created</th>{allows(session, 'admin') && <th scope="col">Actions</th>}</tr></thead>
              <tbody>{p.data.map((d) => (
                <tr key={d.id}>
                  <th scope="row"><code>{d.event}</code></th>
                  <td data-label="Result"><DeliveryResult delivery={d} /></td>
                  <td data-label="Attempts">{d.attemptCount}<details><summary>Attempts</summary><Attempts webhookId={webhook.id} deliveryId={d.id} /></details></td>
                  <td data-label="Created">{when(d.createdAt)}</td>
                  {allows(session, 'admin') && <td><button type="button" class="secondary" disabled={redeliver.busy} onClick={() => redeliver.start(d.id)}>Redeliver</button></td>}
                </tr>
              ))}</tbody>
            </table></div>
            <Pager pagination={p.pagination} onPage={setPage} />
          </>
        )}
      </Show>
      <ErrorMessage error={redeliver.error} />
    </details>
  );
}

function EventChoice({ chosen, onChange, name }: { chosen: string[]; onChange(events: string[]): void; name: string }) {
  return (
    <fieldset>
      <legend>Events to receive</legend>
      {EVENTS.map((e) => (
        <label key={e} class="check">
          <input type="checkbox" name={`${name}-${e}`} checked={chosen.includes(e)}
            onChange={(ev) => onChange((ev.target as HTMLInputElement).checked ? [...chosen, e] : chosen.filter((c) => c !== e))} /> <code>{e}</code>
        </label>
      ))}
    </fieldset>
  );
}

function WebhookCard({ webhook, onChanged, onSecret }: { webhook: Webhook; onChanged(): void; onSecret(title: string, secret: string): void }) {
  const session = useSession();
  const { client } = session;
  const admin = allows(session, 'admin');
  const [tested, setTested] = useState<Delivery | null>(null);
  const [version, setVersion] = useState(0);
  const [events, setEvents] = useState<string[]>(webhook.events);
  const test = useAction(async () => { setTested(await client.webhooks.test(webhook.id)); setVersion((v) => v + 1); });
  const save = useAction(async (body: Record<string, unknown>) => { await client.webhooks.update(webhook.id, body); onChanged(); });
  const rotate = useAction(async () => {
    const answer = await client.webhooks.rotateSecret(webhook.id);
    onSecret(`New signing secret for ${webhook.url} (the old one keeps signing for 24 hours)`, answer.secret);
    onChanged();
  });
  const remove = useAction(async () => { await client.webhooks.delete(webhook.id); onChanged(); });
  return (
    <section class="card" data-webhook={webhook.url} aria-label={`Webhook ${webhook.url}`}>
      <h3><code class="wrap">{webhook.url}</code> {webhook.enabled ? <Badge kind="ok">enabled</Badge> : <Badge kind="error">disabled</Badge>}</h3>
      {webhook.description && <p>{webhook.description}</p>}
      {webhook.disabledReason && <p class="warn">{webhook.disabledReason}</p>}
      <p class="small muted">Created {when(webhook.createdAt)} · events: {webhook.events.length ? webhook.events.join(', ') : 'all'}
        {webhook.stats ? <> · last success {when(webhook.stats.lastSuccessAt)}{webhook.stats.consecutiveFailures ? ` · ${webhook.stats.consecutiveFailures} failures in a row` : ''}</> : null}</p>
      <div class="actions">
        {admin && <button type="button" disabled={test.busy} onClick={() => test.start()}>{test.busy ? 'Sending…' : 'Send test'}</button>}
        {tested && <DeliveryResult delivery={tested} />}
        <ErrorMessage error={test.error} />
      </div>
      {admin && (
        <details>
          <summary>Edit</summary>
          <EventChoice chosen={events} onChange={setEvents} name={webhook.id} />
          <div class="actions">
            <button type="button" disabled={save.busy} onClick={() => save.start({ events })}>Save events</button>
            <button type="button" class="secondary" disabled={save.busy} onClick={() => save.start({ enabled: !webhook.enabled })}>{webhook.enabled ? 'Disable' : 'Enable'}</button>
            <button type="button" class="secondary" disabled={rotate.busy} onClick={() => rotate.start()}>Rotate secret</button>
            <ConfirmButton label="Delete" confirm="Yes, delete the endpoint" onConfirm={() => remove.start()} disabled={remove.busy} />
          </div>
          <ErrorMessage error={save.error ?? rotate.error ?? remove.error} />
        </details>
      )}
      <DeliveryLog webhook={webhook} version={version} />
    </section>
  );
}

function AddWebhook({ onAdded }: { onAdded(webhook: Webhook, secret: string): void }) {
  const session = useSession();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>(EVENTS.slice(0, 4));
  const action = useAction(async () => {
    const answer = await session.client.webhooks.create(session.orgId, { url: url.trim(), events, ...(description.trim() ? { description: description.trim() } : {}) });
    setUrl('');
    setDescription('');
    onAdded(answer.webhook, answer.secret);
  });
  return (
    <form class="card form" onSubmit={(e) => { e.preventDefault(); action.start(); }} aria-labelledby="add-wh-h">
      <h2 id="add-wh-h">Add an endpoint</h2>
      <div class="row">
        <label>Endpoint URL<input name="url" type="url" required value={url} placeholder="https://hooks.example.com/mailsentinel" onInput={(e) => setUrl((e.target as HTMLInputElement).value)} /></label>
        <label>Description (optional)<input name="description" value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} /></label>
      </div>
      <EventChoice chosen={events} onChange={setEvents} name="new" />
      <ErrorMessage error={action.error} />
      <button type="submit" disabled={action.busy}>{action.busy ? 'Saving…' : 'Save endpoint'}</button>
    </form>
  );
}

export function Webhooks() {
  const session = useSession();
  const webhooks = useLoad(() => session.client.webhooks.list(session.orgId, { limit: 100 }), [session.orgId]);
  const [secret, setSecret] = useState<{ title: string; secret: string } | null>(null);
  if (webhooks.error instanceof NotAvailableError) {
    return <><h1 tabIndex={-1}>Webhooks</h1><NotAvailable what="Webhooks are not available on this server." /></>;
  }
  return (
    <>
      <h1 tabIndex={-1}>Webhooks</h1>
      {secret && <SecretOnce title={secret.title} secret={secret.secret} onDone={() => setSecret(null)} />}
      {allows(session, 'admin') && (
        <AddWebhook onAdded={(w, s) => { setSecret({ title: `Signing secret for ${w.url}`, secret: s }); webhooks.reload(); }} />
      )}
      <Show state={webhooks} what="Loading webhooks">
        {(p) => p.data.length === 0 ? <section class="card"><p>No endpoints yet.</p></section> : (
          <>
            {p.data.map((w) => <WebhookCard key={w.id} webhook={w} onChanged={() => webhooks.reload()} onSecret={(title, s) => setSecret({ title, secret: s })} />)}
            <Pager pagination={p.pagination} onPage={() => undefined} />
          </>
        )}
      </Show>
    </>
  );
}
