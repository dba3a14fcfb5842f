// For the tests of request and reply (-q) and the responder (-R): the fake server with a login to
// it as alice, the real rsxcc command line run against it, and small waits.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { openSession, type Session, type SessionOptions } from '../../xmpp/session.ts';
import * as fake from './fake-xmpp-server.ts';
import { cert } from './fixtures/tls.ts';

export interface Setup {
  server: fake.FakeServer;
  /** A directory of the test's own, removed afterwards. */
  dir: string;
  login: (extra?: Partial<SessionOptions>) => Promise<Session>;
  /** rsxcc's command line logging in as alice on the fake server, then `args`. */
  rsxcc: (args: string[]) => ResultPromise;
}

const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

export async function withFakeServer(offline: string[], options: fake.FakeServerOptions, fn: (setup: Setup) => Promise<void>): Promise<void> {
  const server = await fake.fakeServer(offline, options);
  const dir = await mkdtemp(path.join(tmpdir(), 'rsxcc-exchange-'));
  const caFile = path.join(dir, 'ca.pem');
  await writeFile(caFile, cert);
  const where = { host: '127.0.0.1', port: server.port };
  const account = ['-j', 'alice@example.org', '-a', caFile, '-x', `127.0.0.1:${server.port}`];
  try {
    await fn({
      server,
      dir,
      login: (extra = {}) => openSession({ jid: 'alice@example.org', password: fake.PASSWORD, server: where, caFile, timeoutMs: 2000, ...extra }),
      rsxcc: (args) =>
        execa('node', ['--import', 'tsx', main, ...account, ...args], { reject: false, env: { XMPP_PASSWORD: fake.PASSWORD }, timeout: 20_000 }),
    });
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Waits until `ok()`, checking every 10 ms, for at most `ms`. */
export async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The h of every <a/> the server received, in order. */
export const acks = (server: fake.FakeServer) => server.received.filter((text) => text.startsWith('<a ')).map((text) => Number(/h="(\d+)"/.exec(text)![1]));

/** A message to alice's connection as XML; `attrs` as they would come from the server. */
export function message(attrs: Record<string, string>, body: string | undefined, thread?: string): string {
  const attributes = Object.entries(attrs)
    .map(([key, value]) => ` ${key}='${value}'`)
    .join('');
  return `<message${attributes}>${body === undefined ? '' : `<body>${body}</body>`}${thread ? `<thread>${thread}</thread>` : ''}</message>`;
}
