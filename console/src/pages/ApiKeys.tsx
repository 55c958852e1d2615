import { useState } from 'preact/hooks';
import type { Scope, Token, TokenWithSecret } from '../api';
import { useSession } from '../session';
import { Badge, ConfirmButton, CopyButton, ErrorMessage, Pager, Show, useAction, useLoad, when } from '../ui';

const EXPIRY: [string, string][] = [['', 'Never'], ['30', 'In 30 days'], ['90', 'In 90 days'], ['365', 'In a year']];

/** A new secret, shown once, with a copy button. */
export function SecretOnce({ title, secret, onDone }: { title: string; secret: string; onDone(): void }) {
  return (
    <section class="card secret" aria-labelledby="secret-h" data-testid="secret-once">
      <h2 id="secret-h">{title}</h2>
      <p><strong>Copy it now and store it safely:</strong> it is shown only this once.</p>
      <p><code class="wrap" data-testid="secret-value">{secret}</code></p>
      <p><CopyButton text={secret} label="Copy to clipboard" /> <button type="button" class="secondary" onClick={onDone}>I have stored it</button></p>
    </section>
  );
}

function GenerateKey({ onCreated }: { onCreated(token: TokenWithSecret): void }) {
  const session = useSession();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Record<Scope, boolean>>({ read: true, write: true });
  const [expiry, setExpiry] = useState('');
  const action = useAction(async () => {
    const chosen = (Object.keys(scopes) as Scope[]).filter((s) => scopes[s]);
    const expiresAt = expiry ? new Date(Date.now() + Number(expiry) * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z') : undefined;
    const token = await session.client.tokens.create({
      name: name.trim(), scopes: chosen, organizationId: session.orgId, ...(expiresAt ? { expiresAt } : {}),
    });
    setName('');
    onCreated(token);
  });
  return (
    <form class="card form" onSubmit={(e) => { e.preventDefault(); action.start(); }} aria-labelledby="gen-h">
      <h2 id="gen-h">Generate a new key</h2>
      <div class="row">
        <label>Name<input name="name" required maxLength={100} value={name} placeholder="CI pipeline" onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
        <label>Expires
          <select name="expiry" value={expiry} onChange={(e) => setExpiry((e.target as HTMLSelectElement).value)}>
            {EXPIRY.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
          </select>
        </label>
      </div>
      <fieldset>
        <legend>Scopes</legend>
        <label class="check"><input type="checkbox" name="scope-read" checked={scopes.read} onChange={(e) => setScopes({ ...scopes, read: (e.target as HTMLInputElement).checked })} /> read (GET requests)</label>
        <label class="check"><input type="checkbox" name="scope-write" checked={scopes.write} onChange={(e) => setScopes({ ...scopes, write: (e.target as HTMLInputElement).checked })} /> write (changes)</label>
      </fieldset>
      <p class="small muted">The key acts as you, in every organization you belong to; its requests count against the current organization's plan.</p>
      <ErrorMessage error={action.error} />
      <button type="submit" disabled={action.busy}>{action.busy ? 'Generating…' : 'Generate New Key'}</button>
    </form>
  );
}

function KeyRow({ token, current, canWrite, onSecret, onChanged }: { token: Token; current: boolean; canWrite: boolean; onSecret(t: TokenWithSecret): void; onChanged(): void }) {
  const { client } = useSession();
  const rotate = useAction(async () => { onSecret(await client.tokens.rotate(token.id)); onChanged(); });
  const revoke = useAction(async () => { await client.tokens.revoke(token.id); onChanged(); });
  const active = token.status === 'active';
  return (
    <tr data-token={token.name}>
      <th scope="row">{token.name}{current && <div class="small muted">this session's key</div>}</th>
      <td data-label="Key"><code>{token.hint}</code></td>
      <td data-label="Scopes">{token.scopes.join(', ')}</td>
      <td data-label="Status"><Badge kind={active ? 'ok' : 'error'}>{token.status}</Badge></td>
      <td data-label="Created">{when(token.createdAt)}</td>
      <td data-label="Last used">{when(token.lastUsedAt)}</td>
      <td data-label="Expires">{token.expiresAt ? when(token.expiresAt) : 'never'}</td>
      {canWrite && (
        <td class="actions">
          {active && !current && <button type="button" class="secondary" disabled={rotate.busy} onClick={() => rotate.start()}>Rotate</button>}
          {active && <ConfirmButton label="Revoke" confirm={current ? 'Revoke and sign out' : 'Yes, revoke'} onConfirm={() => revoke.start()} disabled={revoke.busy} />}
          <ErrorMessage error={rotate.error ?? revoke.error} />
        </td>
      )}
    </tr>
  );
}

export function ApiKeys() {
  const session = useSession();
  const [page, setPage] = useState(1);
  const [secret, setSecret] = useState<TokenWithSecret | null>(null);
  const tokens = useLoad(() => session.client.tokens.list({ page, limit: 50 }), [page]);
  return (
    <>
      <h1 tabIndex={-1}>API Keys</h1>
      {secret && <SecretOnce title={`Your new key "${secret.name}"`} secret={secret.token} onDone={() => setSecret(null)} />}
      {session.canWrite && <GenerateKey onCreated={(t) => { setSecret(t); tokens.reload(); }} />}
      <section class="card" aria-labelledby="keys-h">
        <h2 id="keys-h">Your keys</h2>
        <Show state={tokens} what="Loading keys">
          {(p) => (
            <>
              <div class="table-wrap"><table class="stack" data-testid="keys-table">
                <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Scopes</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th>{session.canWrite && <th scope="col">Actions</th>}</tr></thead>
                <tbody>{p.data.map((t) => (
                  <KeyRow key={t.id} token={t} current={t.id === session.me.token.id} canWrite={session.canWrite}
                    onSecret={setSecret} onChanged={() => { if (t.id === session.me.token.id) session.signOut(); else tokens.reload(); }} />
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
