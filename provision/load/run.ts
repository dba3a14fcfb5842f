// `chatlab load` and runLoad(), which `npm run bench` may call: accounts, worker processes, a
// sampler of the servers, an optional node kill, and the report. Bounded: the workers end by
// themselves at the deadline, and are killed (by their own pid) if they have not shortly after.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem, release } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveInstance } from '../instance.ts';
import { kill, labContext, start, type LabContext } from '../lab/runner.ts';
import { listNetns } from '../lab/network.ts';
import { serviceHost } from '../model.ts';
import { HAPROXY_ADMIN_SOCKET } from '../roles.ts';
import { outsidePath } from '../lab/plan.ts';
import { caFile, projectRoot } from '../paths.ts';
import { EX, LabError, type ExitStatus } from '../errors.ts';
import { ensureLoadAccounts, loadUser } from './accounts.ts';
import { mergeTicks, summarize, type Tick } from './metrics.ts';
import type { LoadOptions } from './options.ts';
import { chartSvg } from './chart.ts';
import { formatTable, seriesPoints, type LoadReport } from './report.ts';
import { haproxyBackends, processStats, sampleProcesses, type BackendServer, type ProcSample } from './servers.ts';
import type { Job, WorkerMessage } from './worker.ts';

export type { LoadOptions } from './options.ts';
export type { LoadReport } from './report.ts';

// From the bundle (dist/chatlab.js, also as installed), the worker's bundle beside it; from the
// sources, the worker's source through tsx, as the bench runs it.
const bundled = path.basename(fileURLToPath(import.meta.url)) === 'chatlab.js';
const WORKER = bundled ? path.join(projectRoot, 'dist', 'chatlab-load-worker.js') : path.join(projectRoot, 'provision', 'load', 'worker.ts');

/** The default place for a lab's reports: its git-ignored state directory. */
export const defaultOutDir = (ctx: LabContext) => path.join(ctx.state, 'load');

async function startWorkers(count: number): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: count }, () => {
      const child = fork(WORKER, [], { cwd: projectRoot, execArgv: bundled ? [] : ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      return new Promise<ChildProcess>((resolve, reject) => {
        child.once('message', () => resolve(child));
        child.once('exit', (code) => reject(new LabError(`load worker exited (${code}) before it was ready`)));
      });
    }),
  );
}

/** Where users of the server connect: Prosody itself, or HAProxy in front of ejabberd. */
function target(ctx: LabContext, server: LoadOptions['server']) {
  const domain = ctx.lab.spec.domains[server];
  return { domain, server: { host: serviceHost(ctx.lab, domain).address, port: ctx.lab.spec.ports.c2s } };
}

function jobs(ctx: LabContext, options: LoadOptions, password: string, startAt: number): Job[] {
  return Array.from({ length: options.workers }, (_, w) => ({
    worker: w,
    // Round-robin, so every worker sees arrivals spread over the whole ramp.
    users: Array.from({ length: options.users }, (_, i) => i)
      .filter((i) => i % options.workers === w)
      .map((i) => ({ name: loadUser(i + 1), arriveMs: (i / options.rate) * 1000 })),
    ...target(ctx, options.server),
    caFile: caFile(ctx.state),
    password,
    startAt,
    durationMs: options.durationS * 1000,
    stayMs: options.stayS * 1000,
    messageIntervalMs: options.messageIntervalS * 1000,
    timeoutMs: options.timeoutS * 1000,
  }));
}

const withoutOutDir = ({ outDir: _, ...rest }: LoadOptions) => rest;

export async function runLoad(options: LoadOptions, log: (line: string) => void = () => {}, ctx?: LabContext): Promise<LoadReport> {
  if (!ctx) {
    const instance = await resolveInstance(options.lab, {});
    ctx = labContext(instance.lab, instance.assetsRoot, instance.state, log);
  }
  const { lab, plan } = ctx;
  const existing = await listNetns();
  if (!plan.hosts.every((h) => existing.has(h.netns))) throw new LabError('the lab is not up: run `chatlab up`', EX.unavailable);
  if (options.kill && !plan.hosts.some((h) => h.host.name === options.kill!.host)) throw new LabError(`no host ${options.kill.host} to kill`, EX.usage);

  const accountsStart = Date.now();
  const { password, created } = await ensureLoadAccounts(ctx, options.server, options.users);
  const accounts = { created, seconds: (Date.now() - accountsStart) / 1000 };
  log(`${options.users} accounts ready (${created} created in ${accounts.seconds.toFixed(1)} s)`);

  const servers = plan.hosts.filter((h) => h.host.role !== 'client').map((h) => ({ name: h.host.name, netns: h.netns }));
  const haproxySocket = outsidePath(plan.hosts.find((h) => h.host.role === 'haproxy')!, HAPROXY_ADMIN_SOCKET);
  const viaHaproxy = options.server === 'ejabberd';

  const workers = await startWorkers(options.workers);
  const startAt = Date.now() + 500;
  const ticks: Tick[][] = workers.map(() => []);
  const samples: string[] = [];
  const finished = workers.map((child, w) =>
    new Promise<void>((resolve) => {
      child.on('message', (m: WorkerMessage) => {
        if (m.type === 'tick') ticks[w]!.push(m.tick);
        if (m.type === 'done') samples.push(...m.samples);
      });
      child.on('exit', (code) => {
        if (code !== 0) samples.push(`worker ${w} exited with ${code}`);
        resolve();
      });
    }),
  );
  jobs(ctx, options, password, startAt).forEach((job, w) => workers[w]!.send({ type: 'job', job }));
  log(`${options.workers} worker(s): ${options.users} users at ${options.rate}/s for ${options.durationS} s`);

  const limit = setTimeout(() => {
    for (const child of workers) if (child.exitCode === null) child.kill('SIGKILL');
  }, options.durationS * 1000 + options.timeoutS * 3000 + 20_000);

  const rounds: ProcSample[][] = [];
  const times: number[] = [];
  const backends: BackendServer[][] = [];
  let sampling = true;
  const sampler = (async () => {
    for (let second = 0; sampling; second++) {
      await new Promise((r) => setTimeout(r, Math.max(0, startAt + second * 1000 - Date.now())));
      times.push(Date.now());
      rounds.push(await sampleProcesses(servers));
      if (viaHaproxy) backends.push(await haproxyBackends(haproxySocket));
    }
  })();

  let killed: Promise<void> | undefined;
  const killTimer = options.kill && setTimeout(() => {
    log(`killing ${options.kill!.host} at ${options.kill!.atS} s`);
    killed = kill(ctx!, options.kill!.host);
  }, startAt + options.kill.atS * 1000 - Date.now());

  try {
    await Promise.all(finished);
  } finally {
    clearTimeout(limit);
    if (killTimer) clearTimeout(killTimer);
    sampling = false;
    await sampler;
  }
  if (killed) {
    await killed;
    log(`starting ${options.kill!.host} again`);
    await start(ctx, options.kill!.host);
  }

  const series = mergeTicks(ticks);
  const sessionsPerServer: Record<string, number[]> = {};
  backends.forEach((round, i) => round.forEach((b) => ((sessionsPerServer[b.server] ??= Array(i).fill(0))[i] = b.sessions)));
  const downs = (round: BackendServer[] | undefined) => (round ?? []).reduce((n, b) => n + b.downs, 0);
  return {
    date: new Date(startAt).toISOString(),
    machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}`,
    lab: lab.spec.name,
    ejabberdNodes: lab.spec.ejabberdNodes,
    target: `${target(ctx, options.server).server.host}:${lab.spec.ports.c2s}`,
    options: withoutOutDir(options),
    accounts,
    summary: summarize(series),
    series: seriesPoints(series),
    processes: processStats(rounds, times),
    haproxy: viaHaproxy
      ? { servers: backends[backends.length - 1] ?? [], markedDown: downs(backends[backends.length - 1]) - downs(backends[0]), sessionsPerServer }
      : undefined,
    errorSamples: samples,
  };
}

/** Writes report.json and report.svg (and a copy named after the run) into `dir`. */
export async function writeReport(report: LoadReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stem = `${report.options.server}-${report.ejabberdNodes}n-${report.options.users}u-${report.date.replace(/[:.]/g, '-')}`;
  const files: Array<[string, string]> = [
    [`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`],
    [`${stem}.svg`, chartSvg(report)],
  ];
  const written = files.map(([name]) => path.join(dir, name));
  await Promise.all(files.map(([name, text]) => writeFile(path.join(dir, name), text)));
  return written;
}

/** `chatlab [--lab NAME] load ...`: EX.ok when the run had no errors, EX.found when it had some. */
export async function loadCommand(options: LoadOptions, ctx: LabContext): Promise<ExitStatus> {
  const report = await runLoad(options, ctx.log, ctx);
  process.stdout.write(`${formatTable(report)}\n`);
  const files = await writeReport(report, options.outDir ?? defaultOutDir(ctx));
  ctx.log(`wrote ${files.join(', ')}`);
  // Drops are the point of a run with --kill; in any other run they are failures too.
  return report.summary.errorTotal === 0 && (options.kill !== undefined || report.summary.drops === 0) ? EX.ok : EX.found;
}
