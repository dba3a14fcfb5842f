// `npm run bench`: rsxcc against go-sendxmpp (and against its own earlier build, BENCH_BASELINE),
// and the lab itself, on a named lab of the bench's own (never the default lab: other people test
// against it at the same time). A table on stdout, bench/out/bench.json and bench/out/bench.svg;
// progress on stderr. Knobs: see `config()`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { benchPanels, chartSvg } from './chart.ts';
import { BenchLab, roomOf, type LabStatus, type Role } from './lab.ts';
import { machineLine, markdownTable, tableRows, type BenchResults, type LabResult, type Server } from './results.ts';
import { parseIntList } from './stats.ts';
import type { Account, Job, SendTarget } from './job.ts';
import { formatTable, type LoadReport } from '../provision/load/report.ts';
import { installList } from '../provision/host-commands.ts';

const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

function config(env: NodeJS.ProcessEnv) {
  const quick = env.BENCH_QUICK === '1';
  const int = (name: string, fallback: number) => (env[name] ? parseIntList(env[name]!, name)[0]! : fallback);
  const list = (name: string, fallback: number[]) => (env[name] ? parseIntList(env[name]!, name) : fallback);
  const nodes = list('BENCH_NODES', [1, 2, 3]);
  const baseline = env.BENCH_BASELINE ? resolve(env.BENCH_BASELINE) : undefined;
  if (baseline && !existsSync(baseline)) throw new Error(`BENCH_BASELINE=${env.BENCH_BASELINE}: no such file (bench/baseline.sh REV builds one)`);
  return {
    lab: env.BENCH_LAB ?? 'bench',
    subnet: env.BENCH_SUBNET ?? '192.168.80.0/21',
    /** Pairs of alternating sends, per server and cluster size. */
    runs: int('BENCH_RUNS', quick ? 5 : 15),
    /** Messages waiting for the show-unread figures, on the main lab. */
    // Filling 10,000 takes ~40 s a tool and server (ejabberd stores ever slower as a queue grows).
    unread: list('BENCH_UNREAD', quick ? [0, 200] : [0, 1000, 10000]),
    /** Runs of show-unread with nothing waiting (the start-up-bound case). */
    emptyRuns: int('BENCH_EMPTY_RUNS', quick ? 3 : 5),
    /** Rounds of show-unread with messages waiting, the tools in turn (the queue filled again for each). */
    drainRuns: int('BENCH_DRAIN_RUNS', quick ? 3 : 5),
    /** Messages waiting in the scaling runs (other cluster sizes). */
    scaleWaiting: int('BENCH_SCALE_WAITING', quick ? 200 : 1000),
    idleS: int('BENCH_IDLE_S', quick ? 10 : 60),
    loadS: int('BENCH_LOAD_S', quick ? 5 : 20),
    rate: int('BENCH_RATE', 500),
    /** Requests the responder answers, and the bound on that phase in seconds. */
    requests: int('BENCH_REQUESTS', quick ? 500 : 10000),
    respondLimitS: int('BENCH_RESPOND_LIMIT_S', quick ? 120 : 900),
    nodes,
    /** The cluster size that gets every measurement; the others only send and drain. */
    mainNodes: nodes.includes(2) ? 2 : nodes[0]!,
    labWiped: int('BENCH_LAB_WIPED', quick ? 1 : 3),
    /** The short capacity run (issue 8) on each server of the main lab: users, and seconds. */
    capacityUsers: int('BENCH_CAPACITY_USERS', quick ? 100 : 500),
    capacityS: int('BENCH_CAPACITY_S', quick ? 20 : 45),
    labRunning: int('BENCH_LAB_RUNNING', quick ? 2 : 5),
    /** An earlier build of rsxcc (dist/rsxcc.js of another revision): measured beside the current one in send, unread and continuous. */
    baseline,
  };
}

type Config = ReturnType<typeof config>;

function emptyResults(cfg: Config): BenchResults {
  const knobs = Object.entries(process.env).filter(([name]) => name.startsWith('BENCH_'));
  return {
    date: new Date().toISOString(),
    machine: {
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      node: process.versions.node,
      kernel: release(),
    },
    command: [...knobs.map(([name, value]) => `${name}=${value}`), 'npm run bench'].join(' '),
    config: cfg,
    send: [],
    drain: [],
    listen: [],
    respond: [],
    lab: undefined,
    notes: [],
  };
}

/** Runs one worker job on the lab's client host; returns what it printed as its result. */
async function inClient<T>(lab: BenchLab, job: Job, limitMs: number): Promise<T> {
  const stdout = await lab.exec('client', [process.execPath, '--import', 'tsx', resolve('bench/worker.ts'), JSON.stringify(job)], limitMs);
  const last = stdout.trim().split('\n').pop();
  if (!last) throw new Error(`worker ${job.phase} printed no result`);
  return JSON.parse(last) as T;
}

function serverTarget(status: LabStatus, server: Server) {
  const domain = status.domains.find((d) => d.server === (server === 'ejabberd' ? 'haproxy' : 'prosody'));
  if (!domain) throw new Error(`lab status names no ${server} domain`);
  const [host, port] = domain.connect.split(':');
  return { domain: domain.domain, address: { host: host!, port: Number(port) } };
}

/** A user of the same server; with all figures, also one across federation and the server's room. */
function sendTargets(status: LabStatus, accounts: Record<string, Record<Role, Account>>, domain: string, all: boolean): SendTarget[] {
  const local: SendTarget = { kind: 'local', jid: accounts[domain]!.sink.jid };
  if (!all) return [local];
  const other = status.domains.find((d) => d.domain !== domain)!.domain;
  const room = roomOf(status, domain);
  return [local, { kind: 'remote', jid: accounts[other]!.sink.jid }, ...(room ? [{ kind: 'room' as const, jid: room.jid, nick: 'bench' }] : [])];
}

/** Capacity reports of this run: printed after the main table, JSON and SVG beside bench.json. */
const capacity: LoadReport[] = [];

/** `chatlab up` timed from wiped data (the first of them already done), then on the running lab. */
async function upTimes(lab: BenchLab, cfg: Config, nodes: number, firstMs: number): Promise<LabResult> {
  const upWipedMs = [firstMs];
  for (let i = 1; i < cfg.labWiped; i++) {
    await lab.down();
    upWipedMs.push(await lab.up(nodes));
  }
  const upRunningMs: number[] = [];
  for (let i = 0; i < cfg.labRunning; i++) upRunningMs.push(await lab.up(nodes));
  return { nodes, upWipedMs, upRunningMs };
}

/** A short `chatlab load` run through `server`, its report written beside bench.json. */
async function capacityRun(cfg: Config, server: Server): Promise<LoadReport> {
  const { runLoad, writeReport } = await import('../provision/load/run.ts');
  log(`capacity: ${cfg.capacityUsers} users for ${cfg.capacityS} s via ${server}`);
  const report = await runLoad({
    lab: cfg.lab,
    server,
    users: cfg.capacityUsers,
    rate: Math.max(10, Math.ceil(cfg.capacityUsers / (cfg.capacityS / 2))),
    durationS: cfg.capacityS,
    stayS: 0,
    messageIntervalS: 2,
    workers: 2,
    timeoutS: 20,
  }, log);
  await writeReport(report, resolve('bench/out'));
  return report;
}

async function measureLab(lab: BenchLab, cfg: Config, results: BenchResults, nodes: number, save: () => void) {
  const isMain = nodes === cfg.mainNodes;
  await lab.down();
  const firstUpMs = await lab.up(nodes);
  if (isMain) {
    results.lab = await upTimes(lab, cfg, nodes, firstUpMs);
    save();
  }
  const status = await lab.status();
  const accounts = await lab.registerAccounts(status);
  const servers: Server[] = isMain ? ['ejabberd', 'prosody'] : ['ejabberd'];
  let mnesiaAfter: { common: Omit<Job, 'phase'>; waiting: number; drainRuns: number } | undefined;
  for (const server of servers) {
    const { domain, address } = serverTarget(status, server);
    const common = { server, nodes, address, caFile: status.caFile, rsxcc: resolve('dist/rsxcc.js'), baseline: cfg.baseline, accounts: accounts[domain]! };
    // A phase that fails is noted and the bench goes on: a partial table beats none.
    const attempt = async (what: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        const note = `${what} via ${server} with ${nodes} ejabberd node(s) failed: ${(error as Error).message}`;
        log(note);
        results.notes.push(note);
      }
      save();
    };
    for (const target of sendTargets(status, accounts, domain, isMain)) {
      await attempt(`send (${target.kind})`, async () => {
        log(`send: ${cfg.runs} alternating rounds via ${server} (${nodes} node(s)) to ${target.kind} ${target.jid}`);
        results.send.push(await inClient(lab, { ...common, phase: 'send', runs: cfg.runs, target }, 600_000));
      });
    }
    await attempt('unread', async () => {
      const waiting = isMain ? cfg.unread : [cfg.scaleWaiting];
      log(`unread: ${waiting.join(', ')} waiting via ${server} (${nodes} node(s))`);
      const job: Job = { ...common, phase: 'drain', waiting, emptyRuns: cfg.emptyRuns, drainRuns: cfg.drainRuns, withPeer: true };
      results.drain.push(...(await inClient<BenchResults['drain']>(lab, job, drainLimitMs(cfg.drainRuns))));
    });
    if (isMain && server === 'ejabberd') mnesiaAfter = { common, waiting: Math.max(...cfg.unread), drainRuns: cfg.drainRuns };
    if (isMain) {
      await attempt('capacity', async () => void capacity.push(await capacityRun(cfg, server)));
      await attempt('continuous', async () => {
        log(`continuous: idle ${cfg.idleS} s, then ${cfg.rate} msg/s for ${cfg.loadS} s to each listener, via ${server}`);
        const job: Job = { ...common, phase: 'listen', idleS: cfg.idleS, loadS: cfg.loadS, rate: cfg.rate };
        results.listen.push(...(await inClient<BenchResults['listen']>(lab, job, (cfg.idleS + 2 * cfg.loadS + 300) * 1000)));
      });
      await attempt('responder', async () => {
        log(`responder: idle ${cfg.idleS} s, then ${cfg.requests} requests via ${server}`);
        const job: Job = { ...common, phase: 'respond', idleS: cfg.idleS, requests: cfg.requests, limitS: cfg.respondLimitS };
        results.respond.push(await inClient<BenchResults['respond'][number]>(lab, job, (cfg.idleS + cfg.respondLimitS + 120) * 1000));
      });
    }
  }
  if (mnesiaAfter) await drainOnMnesia(lab, results, nodes, mnesiaAfter, save);
}

/** The bound on one drain phase: filling 10,000 takes ~40 s a tool on ejabberd, slower on a loaded machine. */
const drainLimitMs = (drainRuns: number) => 600_000 + drainRuns * 360_000;

/** The same drain on Mnesia, in the same run: what the database costs (or saves) a reader. */
async function drainOnMnesia(lab: BenchLab, results: BenchResults, nodes: number, drain: { common: Omit<Job, 'phase'>; waiting: number; drainRuns: number }, save: () => void) {
  const { common, waiting, drainRuns } = drain;
  try {
    await lab.down();
    await lab.up(nodes, 'mnesia');
    const onMnesia = await lab.registerAccounts(await lab.status());
    log(`unread: ${waiting} waiting via ejabberd on Mnesia (${nodes} node(s))`);
    const job: Job = { ...common, accounts: onMnesia[common.accounts.drain.jid.split('@')[1]!]!, phase: 'drain', waiting: [waiting], emptyRuns: 0, drainRuns, withPeer: true };
    const rows = await inClient<BenchResults['drain']>(lab, job, drainLimitMs(drainRuns));
    results.drain.push(...rows.map((r) => ({ ...r, storage: 'mnesia' as const })));
  } catch (error) {
    results.notes.push(`unread on Mnesia with ${nodes} ejabberd node(s) failed: ${(error as Error).message}`);
  }
  save();
}

async function main(): Promise<number> {
  const cfg = config(process.env);
  const results = emptyResults(cfg);
  const outDir = resolve('bench/out');
  mkdirSync(outDir, { recursive: true });
  const save = () => writeFileSync(`${outDir}/bench.json`, `${JSON.stringify(results, null, 2)}\n`);
  const lab = new BenchLab(cfg.lab, cfg.subnet, log);
  log(`${results.command}: lab ${cfg.lab} on ${cfg.subnet}, ejabberd nodes ${cfg.nodes.join(', ')} (all figures with ${cfg.mainNodes})${cfg.baseline ? `; baseline ${cfg.baseline}` : ''}`);
  // The peer, and `time` for peak RSS, installed the way the lab installs its own packages.
  execFileSync('bash', ['provision/shell/packages.sh', ...installList('bench')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const order = [cfg.mainNodes, ...cfg.nodes.filter((n) => n !== cfg.mainNodes)];
  const started = performance.now();
  try {
    for (const nodes of order) await measureLab(lab, cfg, results, nodes, save);
  } finally {
    const status = await lab.status().catch(() => undefined);
    if (status) rmSync(lab.accountsDir(status), { recursive: true, force: true });
    await lab.down().catch((error: Error) => log(`taking the lab down failed: ${error.message}`));
    save();
  }
  const table = markdownTable(tableRows(results));
  const notes = results.notes.map((note) => `- ${note}`).join('\n');
  const capacityText = capacity.length
    ? `\nShort capacity run (\`chatlab load\`, part of the bench):\n\n\`\`\`text\n${capacity.map((r) => `capacity (${r.options.server}):\n${formatTable(r)}`).join('\n')}\n\`\`\`\n`
    : '';
  writeFileSync(`${outDir}/bench.svg`, chartSvg(benchPanels(results)));
  writeFileSync(`${outDir}/table.md`, `${machineLine(results)}; \`${results.command}\`\n\n${table}\n${notes ? `\n${notes}\n` : ''}${capacityText}`);
  process.stdout.write(`${machineLine(results)}\n\n${table}\n${notes ? `\nnot measured:\n${notes}\n` : ''}${capacityText}`);
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s: ${outDir}/bench.json, bench.svg, table.md`);
  return results.notes.length ? 1 : 0;
}

process.exitCode = await main();
