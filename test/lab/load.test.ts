// `chatlab load` end to end, on the lab the fixture gives: bulk accounts, TLS logins through
// HAProxy and directly to Prosody, chat between online users, the report on stdout and on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chatlab, ensureLab } from './fixture.ts';
import type { LoadReport } from '../../provision/load/run.ts';

for (const server of ['ejabberd', 'prosody'] as const) {
  test(`50 users on ${server} for 15 s: every login and every message, no error`, { timeout: 180_000 }, async () => {
    await ensureLab();
    const out = await mkdtemp(path.join(tmpdir(), 'chatlab-load-'));
    try {
      const r = await chatlab('load', '--server', server, '--users', '50', '--rate', '10', '--duration', '15', '--message-interval', '2', '--out', out);
      assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /concurrent sessions \(peak\)\s+50\n/);
      const files = await readdir(out);
      assert.deepEqual(files.map((f) => path.extname(f)).sort(), ['.json', '.svg']);
      const report = JSON.parse(await readFile(path.join(out, files.find((f) => f.endsWith('.json'))!), 'utf8')) as LoadReport;
      const s = report.summary;
      assert.equal(s.logins, 50);
      assert.equal(s.errorTotal, 0, report.errorSamples.join('\n'));
      assert.equal(s.drops, 0);
      assert.ok(s.sent > 100, `only ${s.sent} messages sent`);
      assert.equal(s.received, s.sent);
      assert.ok(report.processes.some((p) => p.name === (server === 'ejabberd' ? 'beam.smp' : 'lua5.4') && !p.exited));
      if (server === 'ejabberd') assert.equal(report.haproxy?.markedDown, 0);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
}
