import { useState } from 'preact/hooks';
import { createClient, type Client, type Me } from '../api';
import { ErrorMessage } from '../ui';

export function SignIn({ onSignedIn, initialError }: { onSignedIn(token: string, client: Client, me: Me): void; initialError: unknown }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(initialError);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const secret = token.trim();
    if (!secret) {
      setError(new Error('Paste an API token first.'));
      return;
    }
    setBusy(true);
    setError(null);
    const client = createClient(secret);
    try {
      const me = await client.me.get();
      onSignedIn(secret, client, me);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="center">
      <form class="card signin" onSubmit={submit} aria-labelledby="signin-h">
        <h1 id="signin-h">Sign in to MailSentinel</h1>
        <p>Paste an API token: <code>make run</code> and <code>mailsentinel bootstrap</code> print one
          (<code>ms_live_…</code>). It is kept in this browser tab only, until you sign out or close the tab.</p>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" spellcheck={false}
          value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} placeholder="ms_live_…" />
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
