// chatlab's commands, once: what each takes (parsed by args.ts), and what chatlab -h, chatlab
// COMMAND -h (help.ts) and chatlab(1) (manual.ts) say about it. Data only: the handlers are in
// chatlab.ts, keyed by these names.
import type { Opt, Syntax } from './args.ts';
import { MACHINE_STEPS } from './host-commands.ts';
import { LOAD_SYNTAX } from './load/options.ts';
import { BOX_NAME, DEFAULT_CACHE_DIR, DEFAULT_STATE_DIR } from './box/spec.ts';

export type CommandName =
  | 'generate' | 'secrets' | 'packages'
  | 'up' | 'down' | 'status' | 'recover' | 'exec' | 'kill' | 'start' | 'cut' | 'heal' | 'load'
  | 'box build' | 'box add' | 'box hash' | 'box host up' | 'box host down';

export interface Command extends Syntax {
  name: CommandName;
  /** Works on the lab --lab NAME names (the default lab without it). */
  lab: boolean;
  /** Refused (77) unless run as root, once its arguments are known to be right. */
  root: boolean;
  /** -h: one line. */
  summary: string;
  /** chatlab(1): what follows the summary, plain sentences. */
  details?: string;
}

/** The options before the command. */
export const GLOBAL_OPTIONS: readonly Opt[] = [
  { long: 'lab', arg: 'NAME', check: (name) => (name ? undefined : 'takes a lab name'), help: 'the named lab the command works on (made by up --subnet); without it, the default lab' },
];

const whole = (value: string) => (/^\d+$/.test(value) ? undefined : `takes a whole number, not ${value}`);
const host = (summary: string, details?: string): Omit<Command, 'name'> => ({ options: [], operands: 'HOST', arity: [1, 1], lab: true, root: true, summary, details });
const cacheDir: Opt = { long: 'cache-dir', arg: 'DIR', help: `where boxes are cached (default ${DEFAULT_CACHE_DIR}, or CHATLAB_BOX_CACHE)` };
const force: Opt = { long: 'force', help: 'build even when the cached box was built from the same inputs' };
const stateDir: Opt = { long: 'state-dir', arg: 'DIR', help: `where box host up records what it started (default ${DEFAULT_STATE_DIR}, or CHATLAB_BOX_STATE)` };

export const COMMANDS: readonly Command[] = [
  {
    name: 'generate', operands: '', arity: [0, 0], lab: false, root: false,
    options: [{ long: 'check', help: 'write nothing: name each stale, missing or no longer generated file, and exit 1 if there is one' }],
    summary: "write the default lab's generated files (configs, scripts, Vagrantfile) from provision/lab.ts",
    details: 'Writes only the files that differ, and removes those the model no longer generates.',
  },
  {
    name: 'secrets', operands: '', arity: [0, 0], lab: false, root: false, options: [],
    summary: "make the default lab's missing secrets: Erlang cookie, passwords, lab CA and certificates (mode 600)",
    details: 'Nothing that exists is replaced; up makes them too.',
  },
  {
    name: 'packages', operands: 'STEP', arity: [1, 1], lab: false, root: false,
    options: [{ long: 'check', help: 'print nothing: exit 69 and name each command of STEP that is missing, with its package' }],
    summary: `print the Debian packages a step installs (STEP: ${MACHINE_STEPS.join(', ')})`,
  },
  {
    name: 'up', operands: '', arity: [0, 0], lab: true, root: true,
    options: [
      { long: 'nodes', arg: 'N', check: whole, help: 'how many ejabberd nodes, 1 to 9 (a named lab only; kept for its later commands)' },
      { long: 'subnet', arg: 'CIDR', help: 'the lab network (a named lab only; creating one needs it)' },
      { long: 'storage', arg: 'STORAGE', choices: ['sql', 'mnesia'], help: 'where ejabberd stores its data: MariaDB on the db host, or Mnesia alone (a named lab only)' },
    ],
    summary: 'install what is missing, make network, secrets and hosts, provision each host, wait for real logins and federation both ways',
    details: 'On a running lab it checks and changes nothing. It refuses stale generated assets (65) and a subnet this machine already routes elsewhere (69).',
  },
  {
    name: 'down', operands: '', arity: [0, 0], lab: true, root: true,
    options: [{ long: 'wipe', help: "remove the hosts' data too (the secrets stay)" }],
    summary: "stop the lab's processes by PID; remove its namespaces, routes and /etc/netns files",
  },
  {
    name: 'status', operands: '', arity: [0, 0], lab: true, root: true,
    options: [{ short: 'o', arg: 'FORMAT', choices: ['text', 'json'], help: 'text (the default) or one line of JSON' }],
    summary: "hosts, processes, cables, each node's view of the cluster, HAProxy's backends, s2s streams as each server sees them, rooms; exit 3 if down",
  },
  { name: 'recover', operands: '', arity: [0, 0], lab: true, root: true, options: [], summary: 'after a partition: restart each ejabberd node that does not see the seed node' },
  {
    name: 'exec', operands: 'HOST -- CMD [ARG...]', arity: [3, Infinity], lab: true, root: true, options: [],
    summary: "run CMD as a process of HOST (its network, its files) on this terminal; exit with CMD's status",
  },
  {
    name: 'kill', operands: 'HOST [SERVICE]', arity: [1, 2], lab: true, root: true, options: [],
    summary: "power-off: SIGKILL every process of HOST; or of one service (kill prosody mariadb)",
  },
  { name: 'start', ...host('boot HOST again: what is not running starts; an ejabberd node rejoins by itself') },
  { name: 'cut', ...host("pull HOST's cable at the lab's switch") },
  { name: 'heal', ...host("plug HOST's cable back in") },
  {
    name: 'load', ...LOAD_SYNTAX, lab: true, root: true,
    summary: 'a bounded load run: accounts load1..N arrive, chat and leave; a table, JSON and SVG reports',
    details: 'Exit 1 when the run had errors, or dropped sessions without --kill.',
  },
  {
    name: 'box build', operands: '', arity: [0, 0], lab: false, root: true, options: [force, cacheDir],
    summary: 'build the libvirt box from Debian packages (debootstrap), or reuse the cached one; print its path',
    details: 'chatlab box alone is chatlab box build.',
  },
  {
    name: 'box add', operands: '', arity: [0, 0], lab: false, root: true, options: [force, cacheDir],
    summary: `the same, then add it to Vagrant as ${BOX_NAME} (unless Vagrant has that very build)`,
  },
  { name: 'box hash', operands: '', arity: [0, 0], lab: false, root: false, options: [], summary: "print the hash of the box's inputs (its cache key)" },
  {
    name: 'box host up', operands: '', arity: [0, 0], lab: false, root: true, options: [stateDir],
    summary: "run libvirtd and virtlogd (plain processes where systemd is not PID 1), and the lab's isolated networks",
  },
  {
    name: 'box host down', operands: '', arity: [0, 0], lab: false, root: true, options: [stateDir],
    summary: 'remove what box host up and Vagrant added: domains, volumes, pools, networks, daemons, firewall chains',
  },
];

/** A word that names a group of commands, and the command it means alone. */
const GROUP_DEFAULT: Record<string, CommandName | undefined> = { box: 'box build' };

/** The command the leading operands name, and what is left for it; undefined when there is none.
 *  `group` is set when a group's word alone named it (`box` for `box build`). */
export function findCommand(words: readonly string[]): { command: Command; rest: string[]; group?: string } | undefined {
  const byLength = [...COMMANDS].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const command of byLength) {
    const parts = command.name.split(' ');
    if (parts.every((part, i) => words[i] === part)) return { command, rest: words.slice(parts.length) };
  }
  const fallback = words[0] === undefined ? undefined : GROUP_DEFAULT[words[0]];
  const word = words[1];
  // chatlab box --force is box build --force; chatlab box frobnicate is no command at all.
  if (fallback && (word === undefined || word.startsWith('-'))) return { command: COMMANDS.find((c) => c.name === fallback)!, rest: words.slice(1), group: words[0] };
  return undefined;
}
