// The two clients as the bench starts them: rsxcc as its users start it (the bundle itself, so that
// its first line applies: build.mjs), and go-sendxmpp with its config file.
import { createInterface } from 'node:readline';
import { finish, start } from './children.ts';
import type { Account, Common } from './job.ts';

const server = (job: Common) => `${job.address.host}:${job.address.port}`;

export const rsxccArgs = (job: Common, account: Account, ...mode: string[]) => [
  job.rsxcc, '-j', account.jid, '-P', account.passwordFile, '-a', job.caFile, '-x', server(job), ...mode,
];

export const startRsxcc = (job: Common, account: Account, ...mode: string[]) => {
  const [command, ...args] = rsxccArgs(job, account, ...mode);
  return start(command!, args, job);
};

export const peerArgs = (job: Common, account: Account, ...mode: string[]) => ['-f', account.peerConfig, '-j', server(job), ...mode];

/** Empties an account's offline storage with rsxcc itself (untimed); returns the lines shown. */
export async function readUnread(job: Common, account: Account): Promise<string[]> {
  const child = startRsxcc(job, account, '-s', '-o', 'json', '-T', '60');
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  await finish(child, 120_000, 'rsxcc -s (emptying the queue)');
  return lines;
}
