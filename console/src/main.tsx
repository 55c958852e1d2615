import { render } from 'preact';
import type { ComponentChildren } from 'preact';
import { useEffect, useErrorBoundary, useMemo, useRef, useState } from 'preact/hooks';
import { createClient, type Client, type Me } from './api';
import { forget, savedOrg, savedToken, saveOrg, saveToken, SessionContext, type Session } from './session';
import { href, useRoute } from './router';
import { ErrorMessage, Loading } from './ui';
import { SignIn } from './pages/SignIn';
import { Domains } from './pages/Domains';
import { DomainPage } from './pages/Domain';
import { Reports, ReportPage } from './pages/Reports';
import { Alerts } from './pages/Alerts';
import { ApiKeys } from './pages/ApiKeys';
import { Webhooks } from './pages/Webhooks';
import { Members } from './pages/Members';
import './styles.css';

function App() {
  const [signedIn, setSignedIn] = useState<{ client: Client; me: Me } | null>(null);
  const [restoring, setRestoring] = useState(Boolean(savedToken()));
  const [restoreError, setRestoreError] = useState<unknown>(null);
  const [orgId, setOrgId] = useState<string | null>(savedOrg());

  // Time to first render, read by the browser tests (performance.getEntriesByName).
  useEffect(() => { performance.mark('console:first-render'); }, []);
  useEffect(() => {
    const token = savedToken();
    if (!token) return;
    const client = createClient(token);
    client.me.get().then(
      (me) => { setSignedIn({ client, me }); setRestoring(false); },
      (error) => { forget(); setRestoreError(error); setRestoring(false); },
    );
  }, []);

  const session = useMemo<Session | null>(() => {
    if (!signedIn) return null;
    const { me } = signedIn;
    const membership = me.memberships.find((m) => m.organization.id === orgId)
      ?? me.memberships.find((m) => m.organization.id === me.token.organizationId)
      ?? me.memberships[0];
    if (!membership) return null;
    return {
      client: signedIn.client,
      me,
      orgId: membership.organization.id,
      role: membership.role,
      canWrite: me.token.scopes.includes('write'),
      setOrg: (id: string) => { saveOrg(id); setOrgId(id); },
      signOut: () => { forget(); setSignedIn(null); window.location.hash = ''; },
    };
  }, [signedIn, orgId]);

  if (restoring) return <main class="center"><Loading what="Signing in" /></main>;
  if (!signedIn) {
    return (
      <SignIn
        initialError={restoreError}
        onSignedIn={(token, client, me) => { saveToken(token); setSignedIn({ client, me }); }}
      />
    );
  }
  if (!session) {
    return <main class="center"><ErrorMessage error={new Error('This token belongs to no organization.')} /></main>;
  }
  return (
    <SessionContext.Provider value={session}>
      <Shell session={session} />
    </SessionContext.Provider>
  );
}

const NAV: [string, string, string][] = [
  ['domains', 'Domains', '#/domains'],
  ['reports', 'Reports', '#/reports'],
  ['alerts', 'Alerts', '#/alerts'],
  ['settings', 'Settings', '#/settings/keys'],
];

function Shell({ session }: { session: Session }) {
  const route = useRoute();
  const section = route[0] ?? 'domains';
  const page = pageFor(route);
  // Move focus to the new page's heading, so keyboard and screen-reader users follow along
  // (not on the first page: there the skip link comes first).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) { first.current = false; return; }
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [route.join('/')]);
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="#/domains">MailSentinel</a>
        <label class="org">
          <span class="visually-hidden">Organization</span>
          <select
            aria-label="Organization"
            value={session.orgId}
            onChange={(e) => { session.setOrg((e.target as HTMLSelectElement).value); window.location.hash = '#/domains'; }}
          >
            {session.me.memberships.map((m) => (
              <option key={m.organization.id} value={m.organization.id}>{m.organization.name} ({m.role})</option>
            ))}
          </select>
        </label>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([key, label, link]) => (
              <li key={key}><a href={link} aria-current={section === key ? 'page' : undefined}>{label}</a></li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="small muted" data-testid="who">{session.me.user.email} · {session.role}{session.canWrite ? '' : ' · read-only token'}</span>
          <button type="button" class="secondary" onClick={session.signOut}>Sign out</button>
        </div>
      </header>
      {section === 'settings' && (
        <nav class="subnav" aria-label="Settings">
          <ul>
            <li><a href={href('settings', 'keys')} aria-current={route[1] === 'keys' ? 'page' : undefined}>API Keys</a></li>
            <li><a href={href('settings', 'webhooks')} aria-current={route[1] === 'webhooks' ? 'page' : undefined}>Webhooks</a></li>
            <li><a href={href('settings', 'members')} aria-current={route[1] === 'members' ? 'page' : undefined}>Members &amp; plan</a></li>
          </ul>
        </nav>
      )}
      <main id="main"><Boundary key={route.join('/')}>{page}</Boundary></main>
    </>
  );
}

/** A screen that fails while rendering says so in words instead of leaving the page blank. */
function Boundary({ children }: { children: ComponentChildren }) {
  const [error, reset] = useErrorBoundary();
  if (error) {
    return (
      <section class="card">
        <h1 tabIndex={-1}>This screen could not be shown</h1>
        <ErrorMessage error={error} />
        <button type="button" onClick={reset}>Try again</button>
      </section>
    );
  }
  return <>{children}</>;
}

function pageFor(route: string[]) {
  const [section, id, sub] = route;
  switch (section) {
    case undefined:
    case 'domains':
      return id ? <DomainPage key={id} domainId={id} /> : <Domains />;
    case 'reports':
      return id ? <ReportPage key={id} reportId={id} /> : <Reports />;
    case 'alerts':
      return <Alerts />;
    case 'settings':
      if (id === 'webhooks') return <Webhooks />;
      if (id === 'members') return <Members />;
      return <ApiKeys />;
    default:
      return <section class="card"><h1 tabIndex={-1}>Not found</h1><p>No such page: {[section, id, sub].filter(Boolean).join('/')}.</p><p><a href="#/domains">Go to the domains</a></p></section>;
  }
}

const root = document.getElementById('app')!;
root.textContent = '';
render(<App />, root);
