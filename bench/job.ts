// What bench/main.ts asks of bench/worker.ts (one phase, as JSON), and what every part of the
// worker shares: its log and the marker of this run's messages.
import type { Server } from './results.ts';

export interface Account {
  jid: string;
  passwordFile: string;
  /** go-sendxmpp's config file (username + password), mode 600: no password on a command line. */
  peerConfig: string;
}

export interface Common {
  server: Server;
  nodes: number;
  /** host:port to connect to: HAProxy for ejabberd, Prosody itself. */
  address: { host: string; port: number };
  caFile: string;
  rsxcc: string;
  /** rsxcc as it was before (BENCH_BASELINE), measured beside the current one when given. */
  baseline?: string;
  accounts: Record<'sender' | 'sink' | 'drain' | 'listen' | 'peerListen' | 'baselineListen' | 'respond', Account>;
}

/** What a send phase sends to: a user of the same server, a user across federation, or a room. */
export type SendTarget = { kind: 'local' | 'remote'; jid: string } | { kind: 'room'; jid: string; nick: string };

export type Job =
  | (Common & { phase: 'send'; runs: number; target: SendTarget })
  | (Common & { phase: 'drain'; waiting: number[]; emptyRuns: number; drainRuns: number; withPeer: boolean })
  | (Common & { phase: 'listen'; idleS: number; loadS: number; rate: number })
  | (Common & { phase: 'respond'; idleS: number; requests: number; limitS: number });

export const log = (text: string) => process.stderr.write(`bench[client]: ${text}\n`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** In every message body of this worker run, so that leftovers of an interrupted run never count. */
export const tag = `b${Date.now().toString(36)}`;
