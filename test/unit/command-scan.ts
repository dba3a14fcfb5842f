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

/** A script's simple commands as argv (non-literal words empty), outside and inside its functions. */
export interface ShellScript {
  top: string[][];
  functions: Map<string, string[][]>;
}

function callsIn(node: unknown): string[][] {
  const calls: string[][] = [];
  sh.syntax.Walk(node, (n) => {
    if (n && sh.syntax.NodeType(n) === 'CallExpr' && n.Args.length > 0) calls.push(n.Args.map((w) => literal(w) ?? ''));
    return true;
  });
  return calls;
}

export function parseShell(source: string, name: string): ShellScript {
  const { syntax } = sh;
  const file = syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(source, name);
  const script: ShellScript = { top: [], functions: new Map() };
  for (const stmt of file.Stmts) {
    if (stmt.Cmd && syntax.NodeType(stmt.Cmd) === 'FuncDecl') continue;
    script.top.push(...callsIn(stmt));
  }
  // Functions wherever they are defined (also inside an if): their names are not commands.
  syntax.Walk(file, (n) => {
    if (n && syntax.NodeType(n) === 'FuncDecl') script.functions.set(n.Name.Value, callsIn(n.Body));
    return true;
  });
  return script;
}

/** The programs a call runs: through wrappers (`timeout 60 vagrant ...` runs vagrant, and timeout). */
function programs(argv: string[]): string[] {
  const found: string[] = [];
  let [command, ...args] = argv;
  while (command && WRAPPERS[command]) {
    found.push(command);
    const at = WRAPPERS[command]!(args);
    [command, ...args] = at >= 0 ? args.slice(at) : [];
  }
  return command ? [...found, command] : found;
}

/**
 * Every external command a script runs: its own calls and, through every function it calls (its
 * own or those of a library it sources), theirs. A library's top level runs wherever it is sourced.
 * A function no call names is not counted: it never runs.
 */
export function shellCommands(script: ShellScript, library?: ShellScript): string[] {
  const functions = new Map([...(library?.functions ?? []), ...script.functions]);
  const found = new Set<string>();
  const expanded = new Set<string>();
  const visit = (calls: string[][]) => {
    for (const call of calls) {
      // A function runs where it is called, and where it is handed to another (`trap f EXIT`,
      // `step NAME 60 f`).
      for (const word of call) {
        const body = functions.get(word);
        if (body && !expanded.has(word)) {
          expanded.add(word);
          visit(body);
        }
      }
      for (const word of programs(call)) {
        if (!functions.has(word) && !word.includes('/') && !SHELL_WORDS.has(word)) found.add(word);
      }
    }
  };
  visit([...script.top, ...(library?.top ?? [])]);
  return [...found].sort();
}

// Each process call this project's TypeScript makes, by its shape: provision/run.ts's
// run(['x', ...]) and its ip(...) helpers; in tests and tools, execa('x'), spawn('x'),
// execFileSync('x') and helpers of that shape.
const PROGRAM = String.raw`'([a-z][\w.+-]*)'`;
const TS_CALLS = [
  new RegExp(String.raw`\b(?:execa|spawn|execFileSync|check|start)\(\s*${PROGRAM},\s*\[`, 'g'),
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
