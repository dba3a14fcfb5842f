// The running lab for integration tests: brought up (or checked, when it already runs) through the
// real `chatlab` entry point, and described by its own `chatlab status -o json`.
import path from 'node:path';
import { projectRoot } from '../../provision/paths.ts';
import type { LabStatus } from '../../provision/lab/status.ts';
import { resolveInstance } from '../../provision/instance.ts';
import type { Lab } from '../../provision/model.ts';
import { runProcess, type Run } from './process.ts';

export const chatlabBin = path.join(projectRoot, 'dist', 'chatlab.js');

/**
 * Which lab the tests use: the default one, or a named lab (CHATLAB_TEST_LAB=NAME, created with
 * `chatlab --lab NAME up --subnet CIDR`) so that a developer can run tests that kill and cut hosts
 * without disturbing the default lab others are using.
 */
export const testLab = process.env.CHATLAB_TEST_LAB;

/** `chatlab ARGS` as argv for `node`, on the test lab unless ARGS name a lab themselves. */
export function chatlabArgv(...args: string[]): string[] {
  const lab = testLab && args[0] !== '--lab' ? ['--lab', testLab] : [];
  return [chatlabBin, ...lab, ...args];
}

/** The test lab's model (a named lab: the default one with its overrides), known before the lab is up: for test titles. */
export async function testLabModel(): Promise<Lab> {
  return (await resolveInstance(testLab, {})).lab;
}

export async function chatlab(...args: string[]): Promise<Run> {
  return runProcess(['node', ...chatlabArgv(...args)], { timeoutMs: 600_000 });
}

export async function labStatus(): Promise<LabStatus> {
  const r = await chatlab('status', '-o', 'json');
  return JSON.parse(r.stdout) as LabStatus;
}

/** Brings the lab up if needed; fails the calling test with chatlab's own words if it cannot. */
export async function ensureLab(): Promise<LabStatus> {
  const r = await chatlab('up');
  if (r.exitCode !== 0) throw new Error(`chatlab up failed (exit ${r.exitCode}):\n${r.stderr}`);
  return labStatus();
}

export const hostPids = (status: LabStatus, host: string) =>
  status.hosts.find((h) => h.name === host)!.processes.map((p) => p.pid).sort((a, b) => a - b);
