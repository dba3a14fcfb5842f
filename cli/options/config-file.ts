// The config file: `key = value` lines under `[defaults]`, `[user@domain]` or `[room@service]`
// headers; `#` and `;` start comments. The default file is optional; one named with -f must exist.
import { bareJid, parseJid } from '../../xmpp/jid.ts';
import { UsageError } from '../errors.ts';
import type { OptionSources } from './sources.ts';

const configKeys = ['account', 'password', 'password-file', 'server', 'cafile', 'output', 'timeout', 'quiet', 'kind', 'history-max', 'nick', 'reply-wait', 'allow', 'concurrency', 'time-limit'] as const;
export type ConfigKey = (typeof configKeys)[number];

/** One section of the config file: `[defaults]` or `[JID]`. */
export type ConfigSection = Partial<Record<ConfigKey, string>>;

/** Sections by name: `defaults`, or the bare JID of an account. */
export function parseConfig(text: string, file: string): Map<string, ConfigSection> {
  const sections = new Map<string, ConfigSection>();
  let current: ConfigSection | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const where = `${file}:${index + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      const name = header[1]!.trim();
      const key = name === 'defaults' ? name : bareJid(parseJid(name, `account in ${where}`));
      current = sections.get(key) ?? {};
      sections.set(key, current);
      return;
    }
    const pair = /^([\w-]+)\s*=\s*(.*)$/.exec(line);
    if (!pair) throw new UsageError(`${where}: expected "key = value" or "[section]"`);
    const key = pair[1]!;
    if (!(configKeys as readonly string[]).includes(key)) throw new UsageError(`${where}: unknown key "${key}"`);
    if (!current) throw new UsageError(`${where}: "${key}" outside a [section]`);
    current[key as ConfigKey] = pair[2]!;
  });
  return sections;
}

function defaultConfigPath(env: OptionSources['env']): string | undefined {
  if (env.XDG_CONFIG_HOME) return `${env.XDG_CONFIG_HOME}/rsxcc/config`;
  return env.HOME ? `${env.HOME}/.config/rsxcc/config` : undefined;
}

/** The file named by -f (`explicit`), else the default one if it exists. */
export function loadConfig(explicit: string | undefined, sources: OptionSources): Map<string, ConfigSection> {
  const file = explicit ?? defaultConfigPath(sources.env);
  if (file === undefined) return new Map();
  let text: string;
  try {
    text = sources.readFile(file);
  } catch (error) {
    if (explicit === undefined) return new Map();
    throw new UsageError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  return parseConfig(text, file);
}
