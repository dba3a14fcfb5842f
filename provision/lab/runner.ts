// The namespace lab's operations. The only module (with secrets and the writer) that changes the
// machine; every process goes through run() (provision/run.ts) and every host process through hostArgv().
import path from 'node:path';
import type { Lab } from '../model.ts';
import { generateAll } from '../generate/index.ts';
import { findDrift } from '../write.ts';
import { ensureSecrets } from '../secrets.ts';
import { secretsDir } from '../paths.ts';
import { ROLE_PACKAGES } from '../roles.ts';
import { STEP_INSTALLS, type Step } from '../host-commands.ts';
import { requireCommands } from '../preflight.ts';
import { LabError, EX } from '../errors.ts';
import { findHost, hostArgv, planNetns, type NetnsHost, type NetnsPlan } from './plan.ts';
import { destroyNetwork, ensureNetwork, listNetns, setCable } from './network.ts';
import { prepareHostFs, readNameFiles, removeNetnsEtc, wipeHostState } from './hostfs.ts';
import { killHost, killService, stopHost } from './processes.ts';
import { federationTargets, loginTargets, waitForLogins, type LoginTarget } from './ready.ts';
import { run } from '../run.ts';

export interface LabContext {
  lab: Lab;
  plan: NetnsPlan;
  /** Where the generated assets are read from (the checkout, normally). */
  assetsRoot: string;
  state: string;
  log: (line: string) => void;
}

export function labContext(lab: Lab, assetsRoot: string, state: string, log: (line: string) => void): LabContext {
  return { lab, plan: planNetns(lab, state), assetsRoot, state, log };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function hostOrFail(ctx: LabContext, name: string): NetnsHost {
  const h = findHost(ctx.plan, name);
  if (!h) throw new LabError(`no host named ${name}; hosts: ${ctx.plan.hosts.map((x) => x.host.name).join(', ')}`, EX.usage);
  return h;
}

async function requireFreshAssets(ctx: LabContext): Promise<void> {
  const drift = await findDrift(ctx.assetsRoot, generateAll(ctx.lab));
  if (drift.length) {
    throw new LabError(`generated assets in ${ctx.assetsRoot} are stale (${drift.map((d) => d.path).join(', ')}): run \`chatlab generate\``, EX.data);
  }
}

async function requireLab(ctx: LabContext): Promise<void> {
  const existing = await listNetns();
  if (!ctx.plan.hosts.every((h) => existing.has(h.netns))) throw new LabError('the lab is not up: run `chatlab up`', EX.unavailable);
}

/** Runs the host's role script inside the host; its progress lines go to our stderr as they come. */
async function provisionHost(ctx: LabContext, h: NetnsHost, signal?: AbortSignal): Promise<void> {
  if (h.host.role === 'client') return;
  const script = path.join(ctx.assetsRoot, h.host.role, 'provision.sh');
  const result = await run(hostArgv(h, ['bash', script]), {
    env: { CHATLAB_HOST: h.host.name, CHATLAB_SECRETS: secretsDir(ctx.state) },
    output: 'progress',
    check: false,
    timeoutMs: 15 * 60_000,
    signal,
  });
  if (result.exitCode !== 0 && signal?.aborted) throw new LabError(`provisioning ${h.host.name} stopped: another host failed`, EX.tempFail);
  if (result.exitCode !== 0) {
    const why = result.timedOut ? 'ran out of its 15 minutes' : `exit ${result.exitCode}`;
    throw new LabError(`provisioning ${h.host.name} failed (${why}); its log is above`, EX.tempFail);
  }
}

/**
 * Every host at once, as `vagrant up` would (the joining ejabberd nodes wait for the seed). The
 * first failure stops the others: a node waiting for a database that will not come would wait
 * out its bound (10 minutes) for nothing.
 */
async function provisionAll(ctx: LabContext): Promise<void> {
  const stop = new AbortController();
  let first: Error | undefined;
  await Promise.allSettled(ctx.plan.hosts.map((h) => provisionHost(ctx, h, stop.signal).catch((error: Error) => {
    first ??= error;
    stop.abort();
  })));
  // The first host's own failure, not the "stopped" of those it ended.
  if (first) throw first;
}

async function ensurePackages(ctx: LabContext): Promise<void> {
  const roles = new Set(ctx.lab.hosts.map((h) => h.role));
  const packages = [...STEP_INSTALLS.lab, ...[...roles].flatMap((r) => ROLE_PACKAGES[r])];
  await run(['bash', path.join(ctx.assetsRoot, 'provision', 'shell', 'packages.sh'), ...packages], {
    output: 'progress',
    timeoutMs: 30 * 60_000,
  });
  requireCommands(['lab', ...[...roles].map((r): Step => `role:${r}`)]);
}

async function checkLogins(ctx: LabContext, deadlineMs: number, only?: string): Promise<void> {
  const targets = loginTargets(ctx.lab).filter((t) => only === undefined || t.name === only);
  await checkTargets(ctx, targets, deadlineMs, 'no login', (t) => `login ok: ${t.jid} via ${t.name} (${t.host}:${t.port})`);
}

async function checkTargets(ctx: LabContext, targets: LoginTarget[], deadlineMs: number, failure: string, ok: (t: LoginTarget) => string): Promise<void> {
  const failures = await waitForLogins(targets, ctx.state, deadlineMs, (t, ms) => ctx.log(`${ok(t)} in ${Math.round(ms)} ms`));
  if (failures.size) {
    throw new LabError(`${failure} within ${seconds(deadlineMs)}: ${[...failures].map(([n, why]) => `${n}: ${why}`).join('; ')}`, EX.tempFail);
  }
}

export async function up(ctx: LabContext): Promise<void> {
  const started = performance.now();
  const step = async (name: string, work: () => Promise<unknown>) => {
    const t = performance.now();
    await work();
    ctx.log(`${name}: ${seconds(performance.now() - t)}`);
  };
  await step('assets checked', () => requireFreshAssets(ctx));
  await step('secrets', async () => {
    const made = await ensureSecrets(ctx.lab, ctx.state);
    if (made.length) ctx.log(`made secrets: ${made.join(', ')}`);
  });
  await step('packages', () => ensurePackages(ctx));
  await step('network', () => ensureNetwork(ctx.plan));
  await step('host files', async () => {
    const names = await readNameFiles(ctx.assetsRoot);
    for (const h of ctx.plan.hosts) await prepareHostFs(h, names);
  });
  await step('provisioning', () => provisionAll(ctx));
  await step('logins', () => checkLogins(ctx, 60_000));
  await step('federation', () => checkTargets(ctx, federationTargets(ctx.lab), 60_000, 'no federation', (t) => `federation ok: ${t.name}`));
  ctx.log(`lab up in ${seconds(performance.now() - started)}: ${ctx.plan.hosts.map((h) => `${h.host.name} ${h.host.address}`).join(', ')}`);
}

export async function down(ctx: LabContext, wipe: boolean): Promise<void> {
  const existing = await listNetns();
  // Servers first, so nothing is left writing to a host's files when they are removed.
  const stopped = await Promise.all(ctx.plan.hosts.filter((h) => existing.has(h.netns)).map((h) => stopHost(h)));
  ctx.log(`stopped ${stopped.reduce((a, b) => a + b, 0)} processes`);
  await destroyNetwork(ctx.plan);
  await removeNetnsEtc(ctx.plan);
  if (wipe) {
    await wipeHostState(ctx.plan);
    ctx.log('wiped lab data (secrets kept)');
  }
  ctx.log('lab down: no namespaces, routes or /etc/netns entries left');
}

export async function execIn(ctx: LabContext, hostName: string, command: string[]): Promise<number> {
  const h = hostOrFail(ctx, hostName);
  await requireLab(ctx);
  if (!command.length) throw new LabError('exec needs a command after --', EX.usage);
  // A person's own command: theirs to bound, and its status is the answer.
  const result = await run(hostArgv(h, command), { output: 'interactive', check: false, timeoutMs: Infinity });
  return result.exitCode;
}

/** Power-off of a host, or the crash of one of its services (`chatlab kill prosody mariadb`). */
export async function kill(ctx: LabContext, hostName: string, service?: string): Promise<void> {
  const h = hostOrFail(ctx, hostName);
  await requireLab(ctx);
  if (service === undefined) {
    ctx.log(`${hostName}: killed ${await killHost(h)} processes (SIGKILL)`);
    return;
  }
  const killed = await killService(h, service);
  if (killed === 0) throw new LabError(`${hostName} runs no service ${service}`, EX.unavailable);
  ctx.log(`${hostName}: killed ${service}, ${killed} processes (SIGKILL)`);
}

/** Boots a host again: its role script starts what is not running (a node rejoins by itself). */
export async function start(ctx: LabContext, hostName: string): Promise<void> {
  const h = hostOrFail(ctx, hostName);
  await requireLab(ctx);
  await provisionHost(ctx, h);
  if (h.host.role === 'db') await waitForSqlOnEveryNode(ctx, 60_000);
  else if (h.host.role !== 'client') await checkLogins(ctx, 60_000, hostName);
}

/** The db host is back for ejabberd once every node answers a query that reads it. */
async function waitForSqlOnEveryNode(ctx: LabContext, deadlineMs: number): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  for (const node of ctx.lab.ejabberd) {
    const h = hostOrFail(ctx, node.host.name);
    const query = hostArgv(h, ['ejabberdctl', 'registered_users', ctx.lab.spec.domains.ejabberd]);
    while ((await run(query, { check: false, timeoutMs: 15_000 })).exitCode !== 0) {
      if (performance.now() > deadline) throw new LabError(`${node.host.name} cannot read its database within ${seconds(deadlineMs)}`, EX.tempFail);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    ctx.log(`${node.host.name} reads its database again`);
  }
}

export async function cable(ctx: LabContext, hostName: string, connected: boolean): Promise<void> {
  const h = hostOrFail(ctx, hostName);
  await requireLab(ctx);
  await setCable(ctx.plan, h, connected);
  ctx.log(`${hostName}: cable ${connected ? 'plugged in' : 'pulled'}`);
}

/**
 * The nodes an ejabberd node is running its database with right now. Not `list_cluster`: that
 * lists every node the schema knows, and still shows the other side during a partition.
 */
export async function clusterView(ctx: LabContext, hostName: string): Promise<string[] | undefined> {
  const h = hostOrFail(ctx, hostName);
  const result = await run(hostArgv(h, ['ejabberdctl', 'mnesia', 'running_db_nodes']), { check: false, timeoutMs: 15_000 });
  if (result.exitCode !== 0) return undefined;
  return [...result.stdout.matchAll(/'([^']+)'/g)].map((m) => m[1]!).sort();
}

/**
 * After a partition Mnesia does not merge: each side runs on as its own cluster. Restarting every
 * node that does not see the seed makes it load the tables from the seed again (the seed's side
 * wins; writes made on the other side meanwhile are lost, which README documents).
 */
export async function recover(ctx: LabContext): Promise<string[]> {
  await requireLab(ctx);
  const seed = ctx.lab.ejabberd[0]!;
  const restarted: string[] = [];
  for (const node of ctx.lab.ejabberd.slice(1)) {
    const view = await clusterView(ctx, node.host.name);
    if (view?.includes(seed.erlangNode)) continue;
    ctx.log(`${node.host.name} does not see ${seed.erlangNode} (sees ${view?.join(', ') ?? 'nothing'}): restarting it`);
    const h = hostOrFail(ctx, node.host.name);
    await stopHost(h);
    await provisionHost(ctx, h);
    restarted.push(node.host.name);
  }
  if (restarted.length) await checkLogins(ctx, 60_000);
  return restarted;
}
