// Where the password comes from, most explicit first: the command line, the environment, the
// config file, then a person at the terminal.
import { UsageError } from '../errors.ts';
import type { ConfigSection } from './config-file.ts';
import type { OptionSources } from './sources.ts';
import type { CommandLine } from './table.ts';

export interface Password {
  password: string;
  /** Where it came from: shown by -v, never the password itself. */
  source: string;
}

export function readPasswordFile(file: string, sources: OptionSources): string {
  let text: string;
  try {
    text = sources.readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read password file ${file}: ${(error as Error).message}`);
  }
  const password = text.split(/\r?\n/, 1)[0] ?? '';
  if (password === '') throw new UsageError(`password file ${file} is empty`);
  return password;
}

/** A config section's password-file, else its password. */
export function configPassword(section: ConfigSection, sources: OptionSources): Password | undefined {
  const file = section['password-file'];
  if (file !== undefined) return { password: readPasswordFile(file, sources), source: `config password-file ${file}` };
  return section.password ? { password: section.password, source: 'config password' } : undefined;
}

export async function findPassword(line: CommandLine, account: ConfigSection, jid: string, sources: OptionSources): Promise<Password> {
  if (line.password !== undefined) return { password: line.password, source: '-p' };
  if (line.passwordFile !== undefined) return { password: readPasswordFile(line.passwordFile, sources), source: `-P ${line.passwordFile}` };
  const fromEnv = sources.env.XMPP_PASSWORD;
  if (fromEnv) return { password: fromEnv, source: 'XMPP_PASSWORD' };
  const configured = configPassword(account, sources);
  if (configured) return configured;
  const prompted = await sources.promptPassword?.(`Password for ${jid}: `);
  if (prompted) return { password: prompted, source: 'prompt' };
  throw new UsageError(`no password for ${jid}: use XMPP_PASSWORD, -P FILE, the config file or a terminal`);
}
