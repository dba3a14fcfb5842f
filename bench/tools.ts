// The clients as the bench starts them: rsxcc as its users start it (the bundle itself, so that
// its first line applies: build.mjs), the baseline's bundle likewise, and go-sendxmpp with its
// config file.
import { createInterface } from 'node:readline';
import { finish, start } from './children.ts';
import type { Account, Common } from './job.ts';
import type { Tool } from './results.ts';

/** The builds of rsxcc a run measures. */
export type Rsxcc = Exclude<Tool, 'go-sendxmpp'>;

/** The current rsxcc, and the baseline when the bench was given one. */
export const rsxccBuilds = (job: Common): Rsxcc[] => (job.baseline ? ['rsxcc', 'rsxcc-baseline'] : ['rsxcc']);

function bundle(job: Common, build: Rsxcc): string {
  if (build === 'rsxcc') return job.rsxcc;
  if (!job.baseline) throw new Error('this job has no baseline bundle');
  return job.baseline;
}

const server = (job: Common) => `${job.address.host}:${job.address.port}`;

export const rsxccArgs = (job: Common, build: Rsxcc, account: Account, ...mode: string[]) => [
  bundle(job, build), '-j', account.jid, '-P', account.passwordFile, '-a', job.caFile, '-x', server(job), ...mode,
];

export const startRsxcc = (job: Common, build: Rsxcc, account: Account, ...mode: string[]) => {
  const [command, ...args] = rsxccArgs(job, build, account, ...mode);
  return start(command!, args, job);
};

export const peerArgs = (job: Common, account: Account, ...mode: string[]) => ['-f', account.peerConfig, '-j', server(job), ...mode];

/** Empties an account's offline storage with rsxcc itself (untimed); returns the lines shown. */
export async function readUnread(job: Common, account: Account): Promise<string[]> {
  const child = startRsxcc(job, 'rsxcc', account, '-s', '-o', 'json', '-T', '60');
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  await finish(child, 120_000, 'rsxcc -s (emptying the queue)');
  return lines;
}
