// Fixture for rsxcc's lab tests: finds the running lab through `chatlab status -o json`, and runs
// the built rsxcc against it. When no lab is up, `skip` says why and every test skips (except in CI).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultPromise } from 'execa';
import { chatlab as chatlabCommand } from './fixture.ts';
import { runProcess, startProcess, type ProcessOptions, type Run } from './process.ts';
import type { ReceivedMessage } from '../../cli/output.ts';

// The shared fixture's chatlab (it honours CHATLAB_TEST_LAB), called with an argument list.
const chatlab = (args: string[]) => chatlabCommand(...args);

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const rsxcc = path.join(root, 'dist/rsxcc.js');

export interface LabServer {
  /** "prosody" or "ejabberd": the test name says which server a result is about. */
  name: string;
  domain: string;
  /** host:port as -x takes it: Prosody directly, ejabberd through HAProxy. */
  connect: string;
  caFile: string;
  passwordFile: (user: string) => string;
  jid: (user: string) => string;
  /** The lab host that answers on `connect` (prosody, or haproxy for ejabberd): kill it and the server is gone. */
  host: string;
  /** That host's name in the lab zone: the target of the domain's SRV record. */
  fqdn: string;
}

interface Status {
  up: boolean;
  caFile: string;
  domains: Array<{ domain: string; server: string; connect: string }>;
  accounts: Array<{ jid: string; passwordFile: string }>;
  hosts: Array<{ name: string; fqdn: string }>;
}

async function findLab(): Promise<{ servers: LabServer[] } | { skip: string }> {
  const result = await chatlab(['status', '-o', 'json']);
  let status: Status;
  try {
    status = JSON.parse(result.stdout) as Status;
  } catch {
    return { skip: `lab not running: chatlab status failed (${String(result.stderr).split('\n')[0] || result.exitCode})` };
  }
  if (!status.up) return { skip: 'lab not running: `chatlab up` first' };
  const passwords = new Map(status.accounts.map((account) => [account.jid, account.passwordFile]));
  const servers = status.domains.map((entry): LabServer => {
    const name = entry.domain.split('.')[0]!;
    return {
      name,
      domain: entry.domain,
      connect: entry.connect,
      caFile: status.caFile,
      jid: (user) => `${user}@${entry.domain}`,
      passwordFile: (user) => passwords.get(`${user}@${entry.domain}`) ?? '/nonexistent',
      host: entry.server,
      fqdn: status.hosts.find((h) => h.name === entry.server)!.fqdn,
    };
  });
  return { servers };
}

if (!existsSync(rsxcc)) {
  const build = await runProcess(['node', 'build.mjs'], { cwd: root, timeoutMs: 300_000 });
  if (build.exitCode !== 0) throw new Error(`node build.mjs failed (${build.exitCode}): ${build.stderr}`);
}
export const lab = await findLab();
// Skipping is for a developer without a lab; in CI a missing lab must fail, not pass as skipped.
if ('skip' in lab && process.env.CI) throw new Error(`rsxcc lab tests under CI: ${lab.skip}`);
export const skip = 'skip' in lab ? lab.skip : false;
export const servers: LabServer[] = 'servers' in lab ? lab.servers : [];

/** A Run whose exit status is always a number: -1 when a signal ended the process. */
export type RunResult = Omit<Run, 'exitCode'> & { exitCode: number };

const withStatus = (run: Run): RunResult => ({ ...run, exitCode: run.exitCode ?? -1 });

/** The common arguments: log in as `user` on `server`, trusting the lab CA, password from its file. */
export function account(server: LabServer, user: string): string[] {
  return ['-j', server.jid(user), '-P', server.passwordFile(user), '-x', server.connect, '-a', server.caFile];
}

/** rsxcc on this machine: `input` on stdin (empty unless given), bounded. */
const rsxccProcess = (args: string[], input = '', timeoutMs = 60_000): [string[], ProcessOptions] => [['node', rsxcc, ...args], { input, timeoutMs }];

/** rsxcc started, for a test that needs the child itself (its streams, pid, kill). */
export function start(args: string[], options: { input?: string; timeoutMs?: number } = {}): ResultPromise {
  return startProcess(...rsxccProcess(args, options.input, options.timeoutMs));
}

export async function run(args: string[], options: { input?: string } = {}): Promise<RunResult> {
  return withStatus(await runProcess(...rsxccProcess(args, options.input)));
}

export async function send(server: LabServer, from: string, to: string, body: string): Promise<void> {
  const result = await run([...account(server, from), '-t', server.jid(to), '-m', body]);
  if (result.exitCode !== 0) throw new Error(`sending as ${from} failed (${result.exitCode}): ${result.stderr}`);
}

/** One JSON line of `rsxcc -o json`: exactly what cli/output.ts writes. */
export type Line = ReceivedMessage;

export const lines = (stdout: string): Line[] =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);

/** Empties `user`'s offline storage, so a test sees only its own messages. */
export async function drain(server: LabServer, user: string): Promise<Line[]> {
  const result = await run([...account(server, user), '-s', '-o', 'json']);
  if (result.exitCode !== 0) throw new Error(`draining ${user} failed (${result.exitCode}): ${result.stderr}`);
  return lines(result.stdout);
}

/** rsxcc run on the lab's client host, whose resolver is the lab's DNS (SRV records included). */
export async function runOnClient(args: string[]): Promise<RunResult> {
  return withStatus(await chatlab(['exec', 'client', '--', 'node', rsxcc, ...args]));
}

export async function labCommand(...args: string[]): Promise<void> {
  const result = await chatlab(args);
  if (result.exitCode !== 0) throw new Error(`chatlab ${args.join(' ')} failed: ${result.stderr}`);
}

/** A fresh tag per test run, so leftovers of an interrupted earlier run are never mistaken for ours. */
export const tag = (what: string) => `${what}-${process.pid}-${Date.now().toString(36)}`;

/** A running rsxcc (-c, -R) whose output can be awaited line by line. */
export function listener(args: string[], timeoutMs = 60_000) {
  const child = start(args, { timeoutMs });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((resolve) => resolve());
  child.stdout?.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), wake()));
  child.stderr?.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), wake()));
  const until = async (what: string, ok: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}; stdout: ${stdout}; stderr: ${stderr}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    /** The JSON lines printed so far (complete lines only). */
    messages: () => lines(stdout.slice(0, stdout.lastIndexOf('\n') + 1)),
    bodies: () => lines(stdout.slice(0, stdout.lastIndexOf('\n') + 1)).map((m) => m.body),
    untilBody: (body: string, ms = 10_000) => until(`"${body}" on stdout`, () => stdout.includes(JSON.stringify(body)), ms),
    untilStderr: (pattern: RegExp, ms: number) => until(`${pattern} on stderr`, () => pattern.test(stderr), ms),
  };
}
