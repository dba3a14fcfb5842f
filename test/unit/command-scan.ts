// Finds the external commands the project's code runs, and where: the first word of every simple
// command in its shell scripts (parsed by mvdan/sh, not grepped), and the literal program of every
// process call in its TypeScript. What a place runs is attributed to the step that runs it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sh from 'mvdan-sh';
import type { Step } from '../../provision/host-commands.ts';

export interface Use {
  command: string;
  step: Step;
  where: string;
}

/** Builtins, keywords and this project's shell functions are not external commands. */
const SHELL_WORDS = new Set([
  '.', ':', '[', '[[', 'break', 'cd', 'continue', 'declare', 'echo', 'eval', 'exec', 'exit', 'export',
  'false', 'local', 'printf', 'pwd', 'read', 'return', 'set', 'shift', 'source', 'test', 'trap', 'true',
  'type', 'ulimit', 'umask', 'unset', 'wait', 'command', 'kill', 'let', 'readonly', 'mapfile', 'readarray', 'getopts',
  'hash', 'pushd', 'popd', 'alias', 'shopt',
]);

/** Commands whose argument is the command that runs (`timeout 60 vagrant ...` runs vagrant): the
 *  index of that argument, -1 for none. */
const WRAPPERS: Record<string, (args: string[]) => number> = {
  timeout: (a) => {
    const duration = a.findIndex((w) => !w.startsWith('-'));
    return duration < 0 ? -1 : duration + 1;
  },
  setsid: (a) => a.findIndex((w) => !w.startsWith('-')),
};

function literal(word: { Lit(): string } | undefined): string | undefined {
  const text = word?.Lit();
  return text === '' ? undefined : text;
}

/** Every external command a shell script runs, with the functions it (or what it sources) defines
 *  left out. */
export function shellCommands(source: string, name: string, functions: Set<string> = new Set()): string[] {
  const { syntax } = sh;
  const file = syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(source, name);
  const defined = new Set(functions);
  const calls: string[][] = [];
  syntax.Walk(file, (node) => {
    if (!node) return true;
    const type = syntax.NodeType(node);
    if (type === 'FuncDecl') defined.add(node.Name.Value);
    if (type === 'CallExpr' && node.Args.length > 0) calls.push(node.Args.map((w) => literal(w) ?? ''));
    return true;
  });
  const found = new Set<string>();
  for (const words of calls) {
    let [command, ...args] = words;
    while (command && WRAPPERS[command]) {
      found.add(command);
      const at = WRAPPERS[command]!(args);
      [command, ...args] = at >= 0 ? args.slice(at) : [];
    }
    if (!command || command.includes('/') || SHELL_WORDS.has(command) || defined.has(command)) continue;
    found.add(command);
  }
  return [...found].sort();
}

/** Shell functions a script defines (common.sh's, for the scripts that source it). */
export function shellFunctions(source: string, name: string): Set<string> {
  const { syntax } = sh;
  const names = new Set<string>();
  syntax.Walk(syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(source, name), (node) => {
    if (node && syntax.NodeType(node) === 'FuncDecl') names.add(node.Name.Value);
    return true;
  });
  return names;
}

// Each process call this project's TypeScript makes, by its shape: execa('x'), spawn('x'),
// execFileSync('x'), box's run('x', [...]), the lab's run(['x', ...]), its ip(...) helpers.
const PROGRAM = String.raw`'([a-z][\w.+-]*)'`;
const TS_CALLS = [
  new RegExp(String.raw`\b(?:execa|spawn|execFileSync|run|check|start)\(\s*${PROGRAM},\s*\[`, 'g'),
  new RegExp(String.raw`\brun\(\s*\[\s*${PROGRAM}`, 'g'),
  // A program named by its absolute path: '/usr/sbin/libvirtd'.
  /'\/(?:usr\/)?s?bin\/([\w.+-]+)'/g,
];
const TS_IP = /\bip(?:Quiet)?\(\s*'/;
// Commands that run on a lab host: hostArgv(h, ['x', ...]) and `chatlab exec HOST -- x`.
const TS_ON_HOST = [
  new RegExp(String.raw`\bhostArgv\(\s*[\w.]+,\s*\[\s*${PROGRAM}`, 'g'),
  new RegExp(String.raw`'exec',\s*[\w.']+,\s*'--',\s*${PROGRAM}`, 'g'),
  new RegExp(String.raw`\.exec\(\s*[\w.']+,\s*\[\s*${PROGRAM}`, 'g'),
];

export interface TsUses {
  local: string[];
  onHost: string[];
}

export function tsCommands(source: string): TsUses {
  const all = (patterns: RegExp[]) => [...new Set(patterns.flatMap((p) => [...source.matchAll(p)].map((m) => m[1]!)))];
  const onHost = all(TS_ON_HOST);
  const local = all(TS_CALLS);
  if (TS_IP.test(source)) local.push('ip');
  return { local: [...new Set(local)].sort(), onHost: onHost.sort() };
}

export function read(root: string, file: string): string {
  return readFileSync(path.join(root, file), 'utf8');
}
