// Reading the servers' side: /proc fields, CPU per process over samples, HAProxy's show stat and its summary over a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuTicks, haproxySummary, parseShowStat, processStats, rssKb } from '../../provision/load/servers.ts';

test('utime + stime from /proc/PID/stat, even with a command name holding ") "', () => {
  const stat = '42 (a) b) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 1000 200';
  assert.equal(cpuTicks(stat), 300);
});

test('VmRSS in kB; none for a kernel thread', () => {
  assert.equal(rssKb('Name:\tbeam.smp\nVmRSS:\t   86012 kB\nThreads: 9\n'), 86012);
  assert.equal(rssKb('Name:\tkthreadd\n'), 0);
});

test('CPU % per round and overall, peak RSS, and a process that vanished is marked exited', () => {
  const s = (pid: number, ticks: number, rss: number) => ({ host: 'h', pid, name: `p${pid}`, ticks, rssKb: rss });
  const stats = processStats([[s(1, 0, 1024), s(2, 0, 2048)], [s(1, 50, 4096), s(2, 10, 2048)], [s(1, 150, 2048)]], [0, 1000, 2000]);
  const [one, two] = stats;
  assert.deepEqual(one!.cpuPct, [0, 50, 100]);
  assert.equal(one!.cpuMeanPct, 75);
  assert.equal(one!.cpuPeakPct, 100);
  assert.equal(one!.rssPeakMb, 4);
  assert.equal(one!.exited, false);
  assert.deepEqual(two!.cpuPct, [0, 10, 0]);
  assert.equal(two!.exited, true);
});

test('show stat: the servers of a backend, by column name', () => {
  const csv = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown\n' +
    'xmpp_client,FRONTEND,,,10,20,8000,30,,,,,,,,,,OPEN,,,,,\n' +
    'ejabberd,ejabberd1,0,0,6,9,,12,,,,,,,,,,UP,1,1,0,0,0\n' +
    'ejabberd,ejabberd2,0,0,4,9,,12,,,,,,,,,,DOWN,1,1,0,3,1\n' +
    'ejabberd,BACKEND,0,0,10,20,,24,,,,,,,,,,UP,2,2,0,,1\n';
  assert.deepEqual(parseShowStat(csv), [
    { server: 'ejabberd/ejabberd1', status: 'UP', sessions: 6, downs: 0 },
    { server: 'ejabberd/ejabberd2', status: 'DOWN', sessions: 4, downs: 1 },
  ]);
});

test('HAProxy over a run: the last round, the checks that took a server down meanwhile, sessions per second', () => {
  const up = (server: string, sessions: number, downs = 0) => ({ server, status: 'UP', sessions, downs });
  const summary = haproxySummary([
    [up('ejabberd/ejabberd1', 3)],
    [up('ejabberd/ejabberd1', 5), up('ejabberd/ejabberd2', 1, 2)],
    [up('ejabberd/ejabberd1', 2), { ...up('ejabberd/ejabberd2', 0, 3), status: 'DOWN' }],
  ]);
  assert.deepEqual(summary.servers.map((b) => `${b.server} ${b.status}`), ['ejabberd/ejabberd1 UP', 'ejabberd/ejabberd2 DOWN']);
  assert.equal(summary.markedDown, 3, 'the transitions since the first round');
  assert.deepEqual(summary.sessionsPerServer, { 'ejabberd/ejabberd1': [3, 5, 2], 'ejabberd/ejabberd2': [0, 1, 0] });
});

test('HAProxy over a run that never sampled it: nothing', () => {
  assert.deepEqual(haproxySummary([]), { servers: [], markedDown: 0, sessionsPerServer: {} });
});
