import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Client, Me, Role } from './api';

// The token lives in this tab's sessionStorage only: never in a URL, never in a cookie.
const TOKEN_KEY = 'mailsentinel.token';
const ORG_KEY = 'mailsentinel.org';

export function savedToken(): string | null { return sessionStorage.getItem(TOKEN_KEY); }
export function saveToken(token: string): void { sessionStorage.setItem(TOKEN_KEY, token); }
export function savedOrg(): string | null { return sessionStorage.getItem(ORG_KEY); }
export function saveOrg(orgId: string): void { sessionStorage.setItem(ORG_KEY, orgId); }
export function forget(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ORG_KEY);
}

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export interface Session {
  client: Client;
  me: Me;
  orgId: string;
  role: Role;
  canWrite: boolean;
  setOrg(orgId: string): void;
  signOut(): void;
}

/** Whether the signed-in token may do what needs `minimum` in the current organization. */
export function allows(session: Session, minimum: Role): boolean {
  return session.canWrite && RANK[session.role] >= RANK[minimum];
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}
