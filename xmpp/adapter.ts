// The only uses of non-public surfaces of dependencies, each because no public one exists.
import type { Client } from '@xmpp/client-core';
import type { SecureContext } from 'node:tls';

/**
 * Puts a new socket under the running stream (after STARTTLS). xmpp.js 0.14 has no public call for
 * it; its own @xmpp/starttls does the same, but with no way to pass our TLS options.
 */
export function attachSocket(entity: Client, socket: unknown): void {
  entity._attachSocket(socket);
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
