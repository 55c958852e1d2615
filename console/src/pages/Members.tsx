import { useEffect, useState } from 'preact/hooks';
import { onRateLimit, rateLimit, type Member, type RateLimit, type Role } from '../api';
import { allows, useSession } from '../session';
import { ConfirmButton, count, ErrorMessage, Section, Show, useAction, useLoad, when } from '../ui';

const ROLES: Role[] = ['owner', 'admin', 'member', 'viewer'];
// Per minute / per day, as in the README (sentinel/ratelimit/plans.py).
const PLANS: [string, number, number | null][] = [['free', 60, 1000], ['pro', 300, 10000], ['enterprise', 1000, null]];

function MemberRow({ member, onChanged }: { member: Member; onChanged(): void }) {
  const session = useSession();
  const admin = allows(session, 'admin');
  const update = useAction(async (role: Role) => { await session.client.members.update(session.orgId, member.userId, { role }); onChanged(); });
  const remove = useAction(async () => { await session.client.members.remove(session.orgId, member.userId); onChanged(); });
  const me = member.userId === session.me.user.id;
  return (
    <tr data-member={member.email}>
      <th scope="row">{member.name ?? member.email}{member.name && <div class="small muted">{member.email}</div>}{me && <div class="small muted">you</div>}</th>
      <td data-label="Role">
        {admin ? (
          <select aria-label={`Role of ${member.email}`} value={member.role} disabled={update.busy}
            onChange={(e) => update.start((e.target as HTMLSelectElement).value as Role)}>
            {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        ) : member.role}
      </td>
      <td data-label="Joined">{when(member.joinedAt)}</td>
      {admin && <td><ConfirmButton label={me ? 'Leave' : 'Remove'} confirm={me ? 'Yes, leave' : `Yes, remove ${member.email}`} onConfirm={() => remove.start()} disabled={remove.busy} /><ErrorMessage error={update.error ?? remove.error} /></td>}
    </tr>
  );
}

function AddMember({ onAdded }: { onAdded(): void }) {
  const session = useSession();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const action = useAction(async () => { await session.client.members.add(session.orgId, { email: email.trim(), role }); setEmail(''); onAdded(); });
  return (
    <form class="form" onSubmit={(e) => { e.preventDefault(); action.start(); }} aria-labelledby="add-member-h">
      <h3 id="add-member-h">Add a member</h3>
      <div class="row">
        <label>E-mail<input type="email" name="email" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} /></label>
        <label>Role<select name="role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>{ROLES.map((r) => <option key={r} value={r}>{r}</option>)}</select></label>
      </div>
      <p class="small muted">New members get their first API key from an operator (<code>mailsentinel token --email … --org …</code>).</p>
      <ErrorMessage error={action.error} />
      <button type="submit" disabled={action.busy}>Add member</button>
    </form>
  );
}

function Usage() {
  const [window, setWindow] = useState<RateLimit | null>(rateLimit());
  useEffect(() => onRateLimit(setWindow), []);
  if (!window) return <p>No requests counted yet.</p>;
  const used = window.limit - window.remaining;
  return (
    <div data-testid="rate-usage">
      <p>{count(used)} of {count(window.limit)} requests used in the window nearest its limit; {count(window.remaining)} left,
        {' '}next freed at {when(new Date(window.reset * 1000).toISOString())}.</p>
      <meter min={0} max={window.limit} value={used} low={window.limit * 0.7} high={window.limit * 0.9} optimum={0} aria-label="Rate-limit usage" />
    </div>
  );
}

function Plan() {
  const session = useSession();
  const org = useLoad(() => session.client.organizations.get(session.orgId), [session.orgId]);
  const change = useAction(async (plan: string) => { org.set(await session.client.organizations.update(session.orgId, { plan })); });
  return (
    <Section title="Plan and rate limits" id="plan">
      <Show state={org} what="Loading the organization">
        {(o) => (
          <>
            <p>{o.name} is on the <strong data-testid="plan">{o.plan}</strong> plan: {o.memberCount} members, {o.domainCount} domains.</p>
            <div class="table-wrap"><table>
              <thead><tr><th scope="col">Plan</th><th scope="col">Per minute</th><th scope="col">Per day</th></tr></thead>
              <tbody>{PLANS.map(([name, minute, day]) => <tr key={name} class={name === o.plan ? 'current' : ''}><th scope="row">{name}{name === o.plan ? ' (current)' : ''}</th><td>{count(minute)}</td><td>{day === null ? 'no cap' : count(day)}</td></tr>)}</tbody>
            </table></div>
            {allows(session, 'owner') && (
              <label>Change plan
                <select value={o.plan} disabled={change.busy} onChange={(e) => change.start((e.target as HTMLSelectElement).value)}>
                  {PLANS.map(([name]) => <option key={name} value={name}>{name}</option>)}
                </select>
              </label>
            )}
            <ErrorMessage error={change.error} />
          </>
        )}
      </Show>
      <h3>Current usage</h3>
      <Usage />
    </Section>
  );
}

export function Members() {
  const session = useSession();
  const members = useLoad(() => session.client.members.list(session.orgId, { limit: 100 }), [session.orgId]);
  return (
    <>
      <h1 tabIndex={-1}>Members &amp; plan</h1>
      <Section title="Members" id="members">
        <Show state={members} what="Loading members">
          {(p) => (
            <div class="table-wrap"><table class="stack" data-testid="members-table">
              <thead><tr><th scope="col">Member</th><th scope="col">Role</th><th scope="col">Joined</th>{allows(session, 'admin') && <th scope="col">Actions</th>}</tr></thead>
              <tbody>{p.data.map((m) => <MemberRow key={m.userId} member={m} onChanged={() => members.reload()} />)}</tbody>
            </table></div>
          )}
        </Show>
        {allows(session, 'admin') && <AddMember onAdded={() => members.reload()} />}
        <p class="small muted">Viewers read; members also scan, verify and upload reports; admins manage domains, webhooks and members; owners change the plan.</p>
      </Section>
      <Plan />
    </>
  );
}
