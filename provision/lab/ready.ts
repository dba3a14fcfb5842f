// "Up" means a real client logs in: the same session code rsxcc uses, TLS verified against the
// lab CA, against every service the lab offers (Prosody, HAProxy, each ejabberd node directly);
// and federation works: each domain's server answers a ping from the other domain's user.
import { readFile } from 'node:fs/promises';
import type { Lab } from '../model.ts';
import { caFile, passwordFile } from '../paths.ts';
import { RecipientError } from '../../xmpp/errors.ts';

export interface LoginTarget {
  name: string;
  jid: string;
  host: string;
  port: number;
  /** After the login, ping this (remote) domain: its answer crossed s2s both ways. */
  pingDomain?: string;
}

export function loginTargets(lab: Lab): LoginTarget[] {
  const { spec } = lab;
  const user = spec.accounts[0]!;
  const at = (domain: string) => `${user}@${domain}`;
  return [
    { name: 'prosody', jid: at(spec.domains.prosody), host: lab.prosody.address, port: spec.ports.c2s },
    { name: 'haproxy', jid: at(spec.domains.ejabberd), host: lab.haproxy.address, port: spec.ports.c2s },
    ...lab.ejabberd.map((n) => ({ name: n.host.name, jid: at(spec.domains.ejabberd), host: n.host.address, port: spec.ports.c2s })),
  ];
}

/** One cross-domain ping each way, from the domain's own service. */
export function federationTargets(lab: Lab): LoginTarget[] {
  const { prosody, ejabberd } = lab.spec.domains;
  const [fromProsody, fromEjabberd] = loginTargets(lab);
  return [
    { ...fromProsody!, name: `${prosody} -> ${ejabberd}`, pingDomain: ejabberd },
    { ...fromEjabberd!, name: `${ejabberd} -> ${prosody}`, pingDomain: prosody },
  ];
}

const NS_PING = 'urn:xmpp:ping';

/** One login with a ping round trip; resolves with the time it took or rejects with why not. */
export async function tryLogin(target: LoginTarget, state: string, timeoutMs: number): Promise<number> {
  const { openSession } = await import('../../xmpp/session.ts');
  const started = performance.now();
  const session = await openSession({
    jid: target.jid,
    password: (await readFile(passwordFile(state, target.jid), 'utf8')).trim(),
    server: { host: target.host, port: target.port },
    caFile: caFile(state),
    timeoutMs,
  });
  try {
    if (target.pingDomain) {
      const { default: xml } = await import('@xmpp/xml');
      // A result, or an error the remote server itself produced: the round trip crossed s2s.
      // Our own server's remote-server-not-found/-timeout means federation does not work (yet).
      await session.request(xml('iq', { type: 'get', to: target.pingDomain }, xml('ping', { xmlns: NS_PING }))).catch((error: unknown) => {
        if (!(error instanceof RecipientError) || error.condition.startsWith('remote-server')) throw error;
      });
    } else {
      await session.ping();
    }
  } finally {
    await session.close();
  }
  return performance.now() - started;
}

/** Retries each target until it logs in or the deadline passes; reports the first success of each. */
export async function waitForLogins(
  targets: LoginTarget[],
  state: string,
  deadlineMs: number,
  onReady: (target: LoginTarget, ms: number) => void,
): Promise<Map<string, string>> {
  const failures = new Map<string, string>();
  await Promise.all(
    targets.map(async (target) => {
      const end = Date.now() + deadlineMs;
      for (;;) {
        try {
          onReady(target, await tryLogin(target, state, Math.min(5000, Math.max(1000, end - Date.now()))));
          failures.delete(target.name);
          return;
        } catch (error) {
          failures.set(target.name, (error as Error).message);
          if (Date.now() >= end) return;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }),
  );
  return failures;
}
