// What every `npm run bench:drain` run shares: its options, its files, the command line a bundle
// runs with, and Node's own floor.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Flavour } from '../test/unit/fake-flood.ts';
import { median } from './stats.ts';

export interface Config {
  n: number[];
  servers: Flavour[];
  outputs: Array<'json' | 'text'>;
  runs: number;
  stdout: 'pipe' | 'null';
  /** Builds of rsxcc measured side by side, in turn (the first is "rsxcc", others by file name). */
  bundles: string[];
  node: string[];
  cpuProf?: string;
  heapSnapshot?: string;
  peer: boolean;
  /** rsxcc's stderr passed through (with --node=--trace-gc, say), rather than kept for a failure. */
  stderr: boolean;
  /** Only serve the first --server and --n, print an rsxcc command line for it, until killed. */
  serve: boolean;
  /** rsxcc -c instead: RSS after IDLE seconds, then the peak while receiving RATE a second for LOAD seconds. */
  continuous?: { idleS: number; loadS: number; rate: number };
  json?: string;
}

export function config(args: string[]): Config {
  const { values } = parseArgs({
    args,
    options: {
      n: { type: 'string', default: '1000,10000' },
      server: { type: 'string', default: 'ejabberd,prosody' },
      output: { type: 'string', default: 'json' },
      runs: { type: 'string', default: '5' },
      stdout: { type: 'string', default: 'pipe' },
      bundle: { type: 'string', default: 'dist/rsxcc.js' },
      node: { type: 'string', default: '' },
      'cpu-prof': { type: 'string' },
      'heap-snapshot': { type: 'string' },
      'no-peer': { type: 'boolean', default: false },
      stderr: { type: 'boolean', default: false },
      serve: { type: 'boolean', default: false },
      continuous: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const list = (text: string) => text.split(',').filter(Boolean);
  const cfg: Config = {
    n: list(values.n!).map(Number),
    servers: list(values.server!) as Flavour[],
    outputs: list(values.output!) as Config['outputs'],
    runs: Number(values.runs),
    stdout: values.stdout as Config['stdout'],
    bundles: list(values.bundle!).map((file) => resolve(file)),
    node: values.node!.split(/\s+/).filter(Boolean),
    cpuProf: values['cpu-prof'] && resolve(values['cpu-prof']),
    heapSnapshot: values['heap-snapshot'] && resolve(values['heap-snapshot']),
    peer: !values['no-peer'] && spawnSync('go-sendxmpp', ['--help'], { stdio: 'ignore' }).error === undefined,
    stderr: values.stderr!,
    serve: values.serve!,
    json: values.json,
  };
  if (values.continuous) {
    const [idleS = 60, loadS = 20, rate = 500] = list(values.continuous).map(Number);
    cfg.continuous = { idleS, loadS, rate };
  }
  if (cfg.n.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--n ${values.n}: counts of 1 or more`);
  if (cfg.servers.some((s) => s !== 'ejabberd' && s !== 'prosody')) throw new Error(`--server ${values.server}: ejabberd, prosody`);
  if (cfg.outputs.some((o) => o !== 'json' && o !== 'text')) throw new Error(`--output ${values.output}: json, text`);
  if (cfg.stdout !== 'pipe' && cfg.stdout !== 'null') throw new Error(`--stdout ${values.stdout}: pipe or null`);
  return cfg;
}

export interface Files {
  dir: string;
  ca: string;
  password: string;
  peerConfig: string;
}

export interface RsxccTool {
  bundle: string;
  output: 'json' | 'text';
}

/** The bundle run as installed; with extra Node flags, its own first line with them added. */
export function shebangCommand(bundle: string, extra: string[]): string[] {
  if (extra.length === 0) return [bundle];
  const first = readFileSync(bundle, 'utf8').split('\n', 1)[0]!;
  const match = /^#!\/usr\/bin\/env -S (.*)$/.exec(first);
  if (!match) throw new Error(`${bundle}: first line is not "#!/usr/bin/env -S ...": ${first}`);
  return ['/usr/bin/env', '-S', `${match[1]} ${extra.join(' ')}`, bundle];
}

/**
 * `node -e 0`'s peak RSS: the memory any Node CLI starts from here. Without NODE_EXTRA_CA_CERTS,
 * which rsxcc's first line unsets too: parsed up front, a system bundle there costs ~2 MB.
 */
export function nodeFloorKb(runs: number): number {
  const kb: number[] = [];
  const { NODE_EXTRA_CA_CERTS: _parsedAtStart, ...env } = process.env;
  for (let i = 0; i < runs; i++) {
    const result = spawnSync('/usr/bin/time', ['-f', '%M', 'node', '-e', '0'], { encoding: 'utf8', env: { ...env, NODE_OPTIONS: '' } });
    kb.push(Number(result.stderr.trim().split('\n').pop()));
  }
  return median(kb);
}

export const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
