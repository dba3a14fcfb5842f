// `npm run bench:drain`: rsxcc -s draining a backlog without the lab, repeatable on any machine.
// A loopback server (test/unit/fake-xmpp-server.ts with a flood) sends N stored messages on
// presence the way ejabberd (one TLS record a stanza, <delay/>, <archived/>, <stanza-id/>) or
// Prosody (16 kB writes, <delay/>) does, paced by the client's reading, asking for <a/> with <r/>,
// and answers the ping behind them. The built bundle runs against it as installed (its own first
// line), stdout to a pipe that is read and checked (every message once, in order) or to /dev/null.
// Per run: wall (start to exit), login (start to presence), µs a message after login (presence to
// the <a/> covering all N), CPU (user+sys), peak RSS (/usr/bin/time), and `node -e 0`'s RSS as the
// floor. go-sendxmpp -l, where installed, the same way: to its last line, as `npm run bench` does.
//
//   npm run bench:drain -- [--n 1000,10000] [--server ejabberd,prosody] [--output json,text]
//     [--runs 5] [--stdout pipe|null] [--bundle dist/rsxcc.js,OTHER.js] [--node='--v8-flag ...']
//     [--cpu-prof DIR] [--heap-snapshot DIR] [--no-peer] [--stderr] [--json FILE] [--serve]
//     [--continuous IDLE,LOAD,RATE]
//
// --node='...' adds flags after the bundle's own; --stderr passes rsxcc's stderr through;
// --cpu-prof writes one .cpuprofile a run, --heap-snapshot one .heapsnapshot a run, taken when half
// the backlog is acknowledged (both without /usr/bin/time). rsxcc's bundle is CommonJS and runs
// from anywhere; an older, ESM one must lie beside a package.json of "type": "module", as dist/
// does: elsewhere Node first tries it as CommonJS, which costs ~4 MB and some milliseconds
// (bench/baseline.sh builds one in a worktree).
// --continuous IDLE,LOAD,RATE measures rsxcc -c instead, as `npm run bench` does: RSS after IDLE
// seconds idle (default 60), then the peak while RATE messages a second (500) arrive for LOAD (20).
// --serve only runs the server (first --server and --n) and prints an rsxcc command line for it,
// until SIGINT: for runs by hand (--trace-gc writes to stdout).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { ACCOUNT } from '../test/unit/fake-archive.ts';
import { body, flood, type Flavour } from '../test/unit/fake-flood.ts';
import { fakeServer, PASSWORD, type FakeConnection, type FakeServer } from '../test/unit/fake-xmpp-server.ts';
import { cert } from '../test/unit/fixtures/tls.ts';
import type { Element } from '@xmpp/xml';
import { countLines, peak } from './children.ts';
import { continuousTable } from './drain-continuous.ts';
import { config, fmt, nodeFloorKb, shebangCommand, type Config, type Files, type RsxccTool } from './drain-setup.ts';
import { median, rotate } from './stats.ts';


/** One run's figures; NaN where a tool gives no such figure. */
interface Run {
  wallMs: number;
  loginMs: number;
  usPerMessage: number;
  cpuMs: number;
  rssKb: number;
  /** What was wrong with the lines shown, '' when nothing (or not checked: --stdout null). */
  wrong?: string;
}

/** When the client got to presence and to the <a/> covering the whole backlog, in performance.now() time. */
interface Clock {
  presenceAt: number;
  ackedAt: number;
  halfway: () => void;
}

/** The server of one flavour and count, floods on every presence; `clock` is the current run's. */
async function floodServer(flavour: Flavour, marker: string, n: number): Promise<{ server: FakeServer; clock: () => Clock; reset: (halfway?: () => void) => void }> {
  let clock: Clock = { presenceAt: Number.NaN, ackedAt: Number.NaN, halfway: () => {} };
  let half = false;
  const onElement = (element: Element, _connection: FakeConnection) => {
    if (element.name === 'presence') clock.presenceAt = performance.now();
    if (element.name === 'a') {
      const h = Number(element.attrs.h);
      if (!half && h >= n / 2) {
        half = true;
        clock.halfway();
      }
      if (h >= n && Number.isNaN(clock.ackedAt)) clock.ackedAt = performance.now();
    }
  };
  const server = await fakeServer([], { flood: flood(flavour, marker, n), onElement, plain: true });
  return {
    server,
    clock: () => clock,
    reset: (halfway = () => {}) => {
      clock = { presenceAt: Number.NaN, ackedAt: Number.NaN, halfway };
      half = false;
    },
  };
}


/** Checks the lines shown: each of the N bodies once, in order; returns how many. */
function checker(marker: string, n: number, output: 'json' | 'text') {
  let next = 0;
  let wrong = 0;
  let first = '';
  return {
    line: (line: string) => {
      const text = output === 'json' ? (JSON.parse(line) as { body: string }).body : line;
      const expected = body(marker, next);
      if (!(output === 'json' ? text === expected : text.endsWith(`: ${expected}`))) {
        wrong += 1;
        first ||= `line ${next + 1}: ${JSON.stringify(text)}, expected ${JSON.stringify(expected)}`;
      }
      next += 1;
    },
    /** '' when all N were shown once, in order, intact. */
    verdict: () => (wrong ? `${wrong} of ${next} lines not the expected message, first at ${first}` : next === n ? '' : `${next} of ${n} lines shown`),
  };
}

async function exited(child: ChildProcess, limitMs: number, what: string): Promise<string> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${what} exited ${code ?? 'on a signal'}: ${stderr.trim().slice(-800)}`);
  return stderr;
}


async function runRsxcc(cfg: Config, files: Files, target: Awaited<ReturnType<typeof floodServer>>, n: number, marker: string, { bundle, output }: RsxccTool, label: string): Promise<Run> {
  const profiling = Boolean(cfg.cpuProf || cfg.heapSnapshot);
  const extra = [...cfg.node];
  if (cfg.cpuProf) extra.push('--cpu-prof', `--cpu-prof-dir=${cfg.cpuProf}`, `--cpu-prof-name=${label}.cpuprofile`);
  if (cfg.heapSnapshot) extra.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${cfg.heapSnapshot}`);
  const command = shebangCommand(bundle, extra);
  const args = [...command, '-j', ACCOUNT, '-P', files.password, '-a', files.ca, '-x', `127.0.0.1:${target.server.port}`, '-s', '-o', output, '-T', '60'];
  const timeFile = join(files.dir, 'time');
  const [file, ...rest] = profiling ? args : ['/usr/bin/time', '-f', '%M %U %S', '-o', timeFile, ...args];
  const check = checker(marker, n, output);
  const stdout = cfg.stdout === 'pipe' ? 'pipe' : openSync('/dev/null', 'w');
  const t0 = performance.now();
  const child = spawn(file!, rest, { env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', stdout, cfg.stderr ? 'inherit' : 'pipe'] });
  target.reset(() => {
    if (cfg.heapSnapshot) child.kill('SIGUSR2');
  });
  if (child.stdout) createInterface({ input: child.stdout }).on('line', check.line);
  await exited(child, 300_000, `rsxcc -s with ${n} waiting`);
  const wallMs = performance.now() - t0;
  const clock = target.clock();
  const acked = target.server.connections.at(-1)?.acked ?? 0;
  if (acked < n) throw new Error(`rsxcc acknowledged ${acked} of ${n}`);
  const wrong = cfg.stdout === 'pipe' ? check.verdict() : '';
  if (wrong) process.stderr.write(`drain-profile: ${label}: WRONG OUTPUT: ${wrong.slice(0, 600)}\n`);
  const [rssKb, user, sys] = profiling ? [Number.NaN, Number.NaN, Number.NaN] : readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wallMs, loginMs: clock.presenceAt - t0, usPerMessage: ((clock.ackedAt - clock.presenceAt) * 1000) / n, cpuMs: (user! + sys!) * 1000, rssKb: rssKb!, wrong };
}

/** go-sendxmpp -l never exits: start to its last expected line; peak RSS from /proc while it runs. */
async function runPeer(files: Files, target: Awaited<ReturnType<typeof floodServer>>, n: number, marker: string): Promise<Run> {
  target.reset();
  const t0 = performance.now();
  const child = spawn('go-sendxmpp', ['-f', files.peerConfig, '-j', `127.0.0.1:${target.server.port}`, '-l'], {
    env: { ...process.env, SSL_CERT_FILE: files.ca },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = countLines(child, marker);
  let rssKb = Number.NaN;
  const deadline = t0 + 120_000;
  while (lines.count() < n && performance.now() < deadline && child.exitCode === null) {
    if (lines.count() > 0 && performance.now() - lines.last() > 10_000) break;
    rssKb = peak(child, rssKb, 'VmHWM');
    await new Promise((r) => setTimeout(r, 20));
  }
  rssKb = peak(child, rssKb, 'VmHWM');
  child.kill('SIGKILL');
  if (lines.count() < n) throw new Error(`go-sendxmpp -l showed ${lines.count()} of ${n}: ${stderr.trim().slice(-500)}`);
  const presenceAt = target.clock().presenceAt;
  return { wallMs: lines.last() - t0, loginMs: presenceAt - t0, usPerMessage: ((lines.last() - presenceAt) * 1000) / n, cpuMs: Number.NaN, rssKb };
}



interface Row {
  server: Flavour;
  n: number;
  tool: string;
  runs: Run[];
}

const pick = (runs: Run[], key: Exclude<keyof Run, 'wrong'>) => median(runs.map((run) => run[key]));

function table(rows: Row[], floorKb: number): string {
  const lines = [
    '| server | waiting | tool | wall ms | login ms | µs/message after login | CPU ms | peak RSS MB (max) | over node -e 0 | output |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { server, n, tool, runs } of rows) {
    const rss = pick(runs, 'rssKb');
    const maxRss = Math.max(...runs.map((r) => r.rssKb));
    lines.push(
      `| ${server} | ${n.toLocaleString('en-US')} | ${tool} | ${fmt(pick(runs, 'wallMs'))} | ${fmt(pick(runs, 'loginMs'))} | ${fmt(pick(runs, 'usPerMessage'), 1)} | ${fmt(pick(runs, 'cpuMs'))} | ${fmt(rss / 1024, 1)} (${fmt(maxRss / 1024, 1)}) | ${fmt((rss - floorKb) / 1024, 1)} | ${runs.some((r) => r.wrong) ? `WRONG in ${runs.filter((r) => r.wrong).length} of ${runs.length} runs` : tool === 'go-sendxmpp' ? 'counted' : 'checked'} |`,
    );
  }
  const peers = new Map(rows.filter((r) => r.tool === 'go-sendxmpp').map((r) => [`${r.server} ${r.n}`, pick(r.runs, 'wallMs')]));
  const ratios = rows
    .filter((r) => r.tool !== 'go-sendxmpp' && peers.has(`${r.server} ${r.n}`))
    .map((r) => `${r.server} ${r.n} ${r.tool}: ${(pick(r.runs, 'wallMs') / peers.get(`${r.server} ${r.n}`)!).toFixed(2)}x`);
  return [...lines, '', `node -e 0: ${fmt(floorKb / 1024, 1)} MB peak RSS (median)`, ...(ratios.length ? [`wall time / go-sendxmpp's: ${ratios.join('; ')}`] : [])].join('\n');
}

async function main(): Promise<void> {
  const cfg = config(process.argv.slice(2));
  for (const dir of [cfg.cpuProf, cfg.heapSnapshot]) if (dir) mkdirSync(dir, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'drain-profile-'));
  const files: Files = { dir, ca: join(dir, 'ca.pem'), password: join(dir, 'password'), peerConfig: join(dir, 'sendxmpprc') };
  writeFileSync(files.ca, cert);
  writeFileSync(files.password, `${PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(files.peerConfig, `username: ${ACCOUNT}\npassword: ${PASSWORD}\n`, { mode: 0o600 });
  const rows: Row[] = [];
  const log = (text: string) => process.stderr.write(`drain-profile: ${text}\n`);
  if (cfg.serve) {
    const target = await floodServer(cfg.servers[0]!, `dp${cfg.n[0]}`, cfg.n[0]!);
    log(`${cfg.servers[0]} flooding ${cfg.n[0]} on each presence; until killed (files in ${dir}):`);
    process.stdout.write(`${[cfg.bundles[0]!, '-j', ACCOUNT, '-P', files.password, '-a', files.ca, '-x', `127.0.0.1:${target.server.port}`, '-s', '-o', 'json'].join(' ')}\n`);
    await once(process, 'SIGINT');
    target.server.close();
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  try {
    if (cfg.continuous) {
      process.stdout.write(`${await continuousTable(cfg, files, log)}\n`);
      return;
    }
    for (const server of cfg.servers) {
      for (const n of cfg.n) {
        const marker = `dp${n}`;
        const target = await floodServer(server, marker, n);
        const rsxccs = new Map<string, RsxccTool>();
        cfg.bundles.forEach((bundle, i) => {
          for (const output of cfg.outputs) rsxccs.set(`${i === 0 ? 'rsxcc' : basename(bundle)} -o ${output}`, { bundle, output });
        });
        const tools = [...rsxccs.keys(), ...(cfg.peer ? ['go-sendxmpp'] : [])];
        const byTool = new Map(tools.map((tool) => [tool, [] as Run[]]));
        try {
          for (let run = 0; run < cfg.runs; run++) {
            for (const tool of rotate(run, tools)) {
              const label = `${server}-${n}-${tool.replace(/\W+/g, '')}-${run}`;
              const rsxcc = rsxccs.get(tool);
              const result = rsxcc ? await runRsxcc(cfg, files, target, n, marker, rsxcc, label) : await runPeer(files, target, n, marker);
              byTool.get(tool)!.push(result);
              log(`${label}: ${fmt(result.wallMs)} ms, ${fmt(result.usPerMessage, 1)} µs/message, ${fmt(result.rssKb / 1024, 1)} MB`);
            }
          }
        } finally {
          target.server.close();
        }
        for (const [tool, runs] of byTool) rows.push({ server, n, tool, runs });
      }
    }
    const floorKb = nodeFloorKb(Math.max(3, cfg.runs));
    process.stdout.write(`${table(rows, floorKb)}\n`);
    if (cfg.json) writeFileSync(cfg.json, `${JSON.stringify({ date: new Date().toISOString(), config: { ...cfg, node: cfg.node.join(' ') }, floorKb, rows }, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
