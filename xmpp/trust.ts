// Which certificate authorities TLS trusts: a CA file alone; else the default store (the system's,
// as rsxcc is installed: see build.mjs) plus an extra CA file; else the default store alone.
import { readFileSync } from 'node:fs';
import type { SecureContext } from 'node:tls';
import { defaultStoreWith } from './adapter.ts';
import { ConfigError } from './errors.ts';

/** What TLS verifies against: a CA file's text, or a context holding the default store and the extra file. */
export type Trust = { ca: string } | { secureContext: SecureContext } | Record<string, never>;

export interface TrustOptions {
  /** PEM file of the certificate authorities to trust instead of the default store. */
  caFile?: string;
  /** PEM file trusted in addition to the default store when there is no caFile (NODE_EXTRA_CA_CERTS, read late). */
  extraCaFile?: string;
  /** A problem that does not stop the session (an unreadable extra CA file, as Node itself warns). */
  onWarning?: (text: string) => void;
}

/**
 * The extra file is read here, when a connection needs it, and skipped with a warning when it
 * cannot be read, as Node does with NODE_EXTRA_CA_CERTS.
 */
export async function trustAnchors(options: TrustOptions): Promise<Trust> {
  if (options.caFile !== undefined) return { ca: await readCa(options.caFile) };
  if (!options.extraCaFile) return {};
  let pem: string;
  try {
    pem = readText(options.extraCaFile);
  } catch (error) {
    options.onWarning?.(`ignoring extra CA certificates from ${options.extraCaFile}: ${(error as Error).message}`);
    return {};
  }
  return { secureContext: await defaultStoreWith(pem) };
}

// Read at once, as the password and config files are: an asynchronous read would start libuv's
// four threads, for a client that needs none (node:fs/promises, besides, brings readline, fs
// streams and watchers).
const readText = (file: string) => readFileSync(file, 'utf8');

async function readCa(caFile: string): Promise<string> {
  let text: string;
  try {
    text = readText(caFile);
  } catch (error) {
    throw new ConfigError(`cannot read CA file ${caFile}: ${(error as Error).message}`);
  }
  // Checked here: with no usable certificate in it, TLS would fail later and seem to blame the server.
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!blocks.length) throw new ConfigError(`CA file ${caFile} holds no PEM certificate`);
  const { X509Certificate } = await import('node:crypto');
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new ConfigError(`CA file ${caFile} holds a certificate that does not parse`);
    }
  }
  return text;
}
