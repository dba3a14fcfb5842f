// The only uses of non-public surfaces of dependencies, each because no public one exists.
import type { Client } from '@xmpp/client-core';
import type { Element } from '@xmpp/xml';
import net from 'node:net';
import type { SecureContext } from 'node:tls';
import { ipVersion } from './ip.ts';

/**
 * Puts a new socket under the running stream (after STARTTLS). xmpp.js 0.14 has no public call for
 * it; its own @xmpp/starttls does the same, but with no way to pass our TLS options.
 */
export function attachSocket(entity: Client, socket: unknown): void {
  entity._attachSocket(socket);
}

/**
 * Gives each element the stream receives to `take` first; what it takes (true) is not emitted as
 * 'element' and 'stanza', so the middleware never sees it. The middleware acts on IQs and the
 * login's nonzas only, yet for every element it builds a context (two JIDs parsed) and runs every
 * layer: for a message that was a quarter of the drain's time. xmpp.js 0.14 has no public hook
 * before its listeners; the parser binds `_onElement` when the first stream opens, so this must be
 * called before connecting.
 */
export function takeElements(entity: Client, take: (element: Element) => boolean): void {
  const emit = entity._onElement;
  entity._onElement = function (this: Client, element: Element) {
    if (!take(element)) emit.call(this, element);
  };
}

/**
 * Makes the entity parse its streams with `Parser` (parser.ts). `Parser` is the transport's
 * override point, but xmpp.js 0.14 sets it from the transport on each connect() and offers no
 * option: so this comes right after connect() and before the stream opens.
 */
export function useParser(entity: Client, Parser: unknown): void {
  (entity as unknown as { Parser: unknown }).Parser = Parser;
}

/**
 * A copy of the default CA store with `pem` added, as Node adds NODE_EXTRA_CA_CERTS. Node 20 has no
 * public API for it: the `ca` option replaces the default store instead of adding to it.
 */
export async function defaultStoreWith(pem: string): Promise<SecureContext> {
  const { createSecureContext } = await import('node:tls');
  const secureContext = createSecureContext();
  (secureContext.context as { addCACert(pem: string): void }).addCACert(pem);
  return secureContext;
}

/**
 * Makes Node's TLS ask ipVersion (ip.ts) whether the server's name is an address: tls.connect()
 * and tls.checkServerIdentity() read `net.isIP` from the module object each time they run, and
 * Node offers no option for either. The answers are net.isIP's own.
 */
export function answerIsIpFast(): void {
  if (net.isIP !== ipVersion) (net as { isIP: (input: string) => number }).isIP = ipVersion;
}
