// Where the lab keeps what must never be committed: secrets and per-host runtime state.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The checkout (or installed package) root: generated assets live here. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.CHATLAB_STATE ?? path.join(projectRoot, '.chatlab'));
}

export const secretsDir = (state: string) => path.join(state, 'secrets');
export const caFile = (state: string) => path.join(secretsDir(state), 'ca.crt');
export const passwordFile = (state: string, jid: string) => path.join(secretsDir(state), 'accounts', jid);
