// `npm run bench:drain -- --continuous`: rsxcc -c as `npm run bench` measures it, against the
// loopback server: RSS once idle, then the peak while messages arrive at a rate.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ACCOUNT } from '../test/unit/fake-archive.ts';
import { fakeServer } from '../test/unit/fake-xmpp-server.ts';
import { countLines } from './children.ts';
import { fmt, nodeFloorKb, shebangCommand, type Config, type Files, type RsxccTool } from './drain-setup.ts';
import { median, rotate } from './stats.ts';

const vmRssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

interface Listened {
  idleKb: number;
  peakKb: number;
  sent: number;
  shown: number;
}

/** rsxcc -c as `npm run bench` measures it: RSS once idle, then the peak while messages arrive at a rate, and every one shown. */
async function runContinuous(cfg: Config, files: Files, { bundle, output }: RsxccTool, label: string): Promise<Listened> {
  const { idleS, loadS, rate } = cfg.continuous!;
  let online = false;
  const server = await fakeServer([], { onElement: (element) => void (element.name === 'presence' && (online = true)) });
  const args = ['-j', ACCOUNT, '-P', files.password, '-a', files.ca, '-x', `127.0.0.1:${server.port}`, '-c', '-o', output];
  const [file, ...rest] = [...shebangCommand(bundle, cfg.node), ...args];
  // Without /usr/bin/time: env -S execs node, so the child's pid is rsxcc's.
  const child = spawn(file!, rest, { env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', cfg.stderr ? 'inherit' : 'ignore'] });
  const lines = countLines(child, `${label}-`);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    for (let waited = 0; !online && waited < 30_000; waited += 50) await sleep(50);
    if (!online) throw new Error('rsxcc -c never came online');
    await sleep(idleS * 1000);
    const idleKb = vmRssKb(child.pid!);
    let peakKb = idleKb;
    const connection = server.connections.at(-1)!;
    const t0 = performance.now();
    let sent = 0;
    for (const total = rate * loadS; sent < total; await sleep(20)) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      for (; sent < due; sent++) connection.write(`<message from='bob@example.org/live' to='${ACCOUNT}' type='chat' id='${label}-${sent}'><body>${label}-${sent} live</body></message>`);
      peakKb = Math.max(peakKb, vmRssKb(child.pid!));
    }
    for (const deadline = performance.now() + 30_000; lines.count() < sent && performance.now() < deadline; await sleep(20)) peakKb = Math.max(peakKb, vmRssKb(child.pid!));
    return { idleKb, peakKb, sent, shown: lines.count() };
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    server.close();
  }
}

export async function continuousTable(cfg: Config, files: Files, log: (text: string) => void): Promise<string> {
  const { idleS, loadS, rate } = cfg.continuous!;
  const tools = cfg.bundles.map((bundle, i) => ({ name: i === 0 ? 'rsxcc' : basename(bundle), bundle }));
  const results = new Map(tools.map((tool) => [tool.name, [] as Listened[]]));
  for (let run = 0; run < cfg.runs; run++) {
    for (const tool of rotate(run, tools)) {
      const result = await runContinuous(cfg, files, { bundle: tool.bundle, output: cfg.outputs[0]! }, `c${run}`);
      log(`${tool.name} -c run ${run}: idle ${fmt(result.idleKb / 1024, 1)} MB, peak ${fmt(result.peakKb / 1024, 1)} MB, ${result.shown} of ${result.sent}`);
      results.get(tool.name)!.push(result);
    }
  }
  const floorKb = nodeFloorKb(Math.max(3, cfg.runs));
  const mb = (kb: number) => fmt(kb / 1024, 1);
  return [
    `| tool | RSS idle after ${idleS} s (over node -e 0) | peak RSS receiving ${rate}/s for ${loadS} s (over idle) | shown |`,
    '|---|---|---|---|',
    ...[...results].map(([name, runs]) => {
      const idle = median(runs.map((r) => r.idleKb));
      const peakKb = median(runs.map((r) => r.peakKb));
      return `| ${name} | ${mb(idle)} MB (+${mb(idle - floorKb)}) | ${mb(peakKb)} MB (+${mb(peakKb - idle)}) | ${runs.map((r) => `${r.shown}/${r.sent}`).join(', ')} |`;
    }),
    '',
    `node -e 0: ${mb(floorKb)} MB peak RSS (median)`,
  ].join('\n');
}
