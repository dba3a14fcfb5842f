// Federation as each server sees it, for `chatlab status`: its s2s streams, read from the server
// itself (Prosody's admin shell lists them; ejabberd 23.01 only counts them, per node).
import type { NetnsHost } from './plan.ts';
import { hostArgv } from './plan.ts';
import { run } from '../run.ts';

export interface S2sView {
  host: string;
  /** Streams from peers, and to peers; null when the server did not answer. */
  incoming: number | null;
  outgoing: number | null;
  /** Each stream as "local -> remote" or "local <- remote", where the server names them. */
  streams?: string[];
}

const TIMEOUT_MS = 15_000;

/** `s2s:show()`'s table rows: ID | local host | direction | remote host | ... */
export function parseProsodyS2s(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    const cells = line.split('|').map((c) => c.trim());
    return cells.length > 4 && /^s2s(in|out)/.test(cells[0]!) && /^(-->|<--)$/.test(cells[2]!) ? [`${cells[1]} ${cells[2] === '-->' ? '->' : '<-'} ${cells[3]}`] : [];
  });
}

export async function prosodyS2sView(h: NetnsHost): Promise<S2sView> {
  const result = await run(hostArgv(h, ['setpriv', '--reuid=prosody', '--regid=prosody', '--init-groups', 'prosodyctl', 'shell', 's2s:show()']), { check: false, timeoutMs: TIMEOUT_MS });
  if (result.exitCode !== 0) return { host: h.host.name, incoming: null, outgoing: null };
  const streams = parseProsodyS2s(result.stdout);
  const count = (arrow: string) => streams.filter((s) => s.includes(` ${arrow} `)).length;
  return { host: h.host.name, incoming: count('<-'), outgoing: count('->'), streams };
}

export async function ejabberdS2sView(h: NetnsHost): Promise<S2sView> {
  const count = async (command: string) => {
    const result = await run(hostArgv(h, ['ejabberdctl', command]), { check: false, timeoutMs: TIMEOUT_MS });
    return result.exitCode === 0 && /^\d+$/.test(result.stdout.trim()) ? Number(result.stdout.trim()) : null;
  };
  const [incoming, outgoing] = await Promise.all([count('incoming_s2s_number'), count('outgoing_s2s_number')]);
  return { host: h.host.name, incoming, outgoing };
}
