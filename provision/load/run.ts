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
import { haproxySummary, processStats, sampleServers, type ServerSamples } from './servers.ts';
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

/** What the workers send back: each one's ticks, and the error samples of all of them. */
interface WorkerReports {
  ticks: Tick[][];
  samples: string[];
}

export async function runLoad(options: LoadOptions, log: (line: string) => void = () => {}, ctx?: LabContext): Promise<LoadReport> {
  ctx ??= await contextOf(options.lab, log);
  await assertRunnable(ctx, options);
  const { password, accounts } = await readyAccounts(ctx, options, log);
  const workers = await startWorkers(options.workers);
  const startAt = Date.now() + 500;
  const reports: WorkerReports = { ticks: workers.map(() => []), samples: [] };
  const finished = Promise.all(workers.map((child, w) => collect(child, w, reports)));
  jobs(ctx, options, password, startAt).forEach((job, w) => workers[w]!.send({ type: 'job', job }));
  log(`${options.workers} worker(s): ${options.users} users at ${options.rate}/s for ${options.durationS} s`);
  const sampler = sampleServers(serverHosts(ctx), options.server === 'ejabberd' ? haproxySocket(ctx) : undefined, startAt);
  const fault = options.kill && scheduleKill(ctx, options.kill, startAt, log);
  let servers: ServerSamples;
  try {
    await withinLimit(workers, finished, options);
  } finally {
    fault?.cancel();
    servers = await sampler.stop();
  }
  await fault?.restore();
  return loadReport(ctx, options, { startAt, accounts, reports, servers });
}

/** The context of lab `name` (undefined: the default lab), for a caller that has none: the bench. */
async function contextOf(name: string | undefined, log: (line: string) => void): Promise<LabContext> {
  const instance = await resolveInstance(name, {});
  return labContext(instance.lab, instance.assetsRoot, instance.state, log);
}

async function assertRunnable(ctx: LabContext, options: LoadOptions): Promise<void> {
  const { hosts } = ctx.plan;
  const existing = await listNetns();
  if (!hosts.every((h) => existing.has(h.netns))) throw new LabError('the lab is not up: run `chatlab up`', EX.unavailable);
  if (options.kill && !hosts.some((h) => h.host.name === options.kill!.host)) throw new LabError(`no host ${options.kill.host} to kill`, EX.usage);
}

async function readyAccounts(ctx: LabContext, options: LoadOptions, log: (line: string) => void) {
  const started = Date.now();
  const { password, created } = await ensureLoadAccounts(ctx, options.server, options.users);
  const accounts = { created, seconds: (Date.now() - started) / 1000 };
  log(`${options.users} accounts ready (${created} created in ${accounts.seconds.toFixed(1)} s)`);
  return { password, accounts };
}

/** Gathers worker `w`'s ticks and samples into `reports`; resolves once it has exited. */
function collect(child: ChildProcess, w: number, reports: WorkerReports): Promise<void> {
  return new Promise((resolve) => {
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'tick') reports.ticks[w]!.push(m.tick);
      if (m.type === 'done') reports.samples.push(...m.samples);
    });
    child.on('exit', (code) => {
      if (code !== 0) reports.samples.push(`worker ${w} exited with ${code}`);
      resolve();
    });
  });
}

/** Waits for every worker to end by itself; one still running well past the deadline is killed. */
async function withinLimit(workers: ChildProcess[], finished: Promise<unknown>, options: LoadOptions): Promise<void> {
  const limit = setTimeout(() => {
    for (const child of workers) if (child.exitCode === null) child.kill('SIGKILL');
  }, options.durationS * 1000 + options.timeoutS * 3000 + 20_000);
  try {
    await finished;
  } finally {
    clearTimeout(limit);
  }
}

/** Every lab host but the client: where the servers run. */
const serverHosts = (ctx: LabContext) => ctx.plan.hosts.filter((h) => h.host.role !== 'client').map((h) => ({ name: h.host.name, netns: h.netns }));
const haproxySocket = (ctx: LabContext) => outsidePath(ctx.plan.hosts.find((h) => h.host.role === 'haproxy')!, HAPROXY_ADMIN_SOCKET);

/** Powers `kill.host` off at second `kill.atS` of the run; `restore()` boots it again once the run is over. */
function scheduleKill(ctx: LabContext, fault: NonNullable<LoadOptions['kill']>, startAt: number, log: (line: string) => void) {
  let killed: Promise<void> | undefined;
  const timer = setTimeout(() => {
    log(`killing ${fault.host} at ${fault.atS} s`);
    killed = kill(ctx, fault.host);
  }, startAt + fault.atS * 1000 - Date.now());
  return {
    cancel: () => clearTimeout(timer),
    restore: async () => {
      if (!killed) return;
      await killed;
      log(`starting ${fault.host} again`);
      await start(ctx, fault.host);
    },
  };
}

function loadReport(
  ctx: LabContext,
  options: LoadOptions,
  run: { startAt: number; accounts: LoadReport['accounts']; reports: WorkerReports; servers: ServerSamples },
): LoadReport {
  const { spec } = ctx.lab;
  const series = mergeTicks(run.reports.ticks);
  return {
    date: new Date(run.startAt).toISOString(),
    machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}`,
    lab: spec.name,
    ejabberdNodes: spec.ejabberdNodes,
    target: `${target(ctx, options.server).server.host}:${spec.ports.c2s}`,
    options: withoutOutDir(options),
    accounts: run.accounts,
    summary: summarize(series),
    series: seriesPoints(series),
    processes: processStats(run.servers.rounds, run.servers.times),
    haproxy: options.server === 'ejabberd' ? haproxySummary(run.servers.backends) : undefined,
    errorSamples: run.reports.samples,
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
