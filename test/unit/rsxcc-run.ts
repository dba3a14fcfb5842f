// rsxcc's modes run as the command runs them, against the fake server: options parsed from a
// command line, the session opened on loopback, the outcome as an exit status.
import assert from 'node:assert/strict';
import { exitCodeOf } from '../../cli/errors.ts';
import { run as send } from '../../cli/modes/send.ts';
import { parseOptions, type Options } from '../../cli/options/resolve.ts';
import { withFakeServer, type FakeServer, type Route } from './fake-xmpp-server.ts';

/** The options of `rsxcc -j alice@example.org ARGS`, parsed as the command line is, with these files (the config file is /home/u/.config/rsxcc/config). */
export async function rsxccOptions(args: string[], extraEnv: Record<string, string> = {}, files: Record<string, string> = {}): Promise<Options> {
  const env = { XMPP_PASSWORD: 'unused', HOME: '/home/u', ...extraEnv };
  const readFile = (path: string) => {
    if (!(path in files)) throw new Error(`ENOENT: no such file, open '${path}'`);
    return files[path]!;
  };
  const command = await parseOptions(['-j', 'alice@example.org', ...args], { env, readFile });
  assert.equal(command.kind, 'run');
  return command.options;
}

interface Outcome {
  status: number;
  error?: Error;
  server: FakeServer;
  progress: string[];
}

/** Runs send mode with `args` against the fake server answering through `route`; 0 or the exit status of its failure. */
export async function sendWith(route: Route, args: string[], check: (outcome: Outcome) => void | Promise<void>, env?: Record<string, string>): Promise<void> {
  const options = await rsxccOptions(args, env);
  await withFakeServer([], route, async (server, login) => {
    const progress: string[] = [];
    const started = Date.now();
    let error: Error | undefined;
    await send((hooks) => login({ ...hooks, timeoutMs: options.timeoutMs }), options, { progress: (text) => progress.push(text) }).catch((e: Error) => (error = e));
    assert.ok(Date.now() - started < options.timeoutMs * 3 + 2000, 'every wait is bounded by -T');
    await check({ status: error ? exitCodeOf(error) : 0, error, server, progress });
  });
}

