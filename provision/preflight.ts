// Before a step starts: every command it runs can be found, or one error names the packages that
// bring the missing ones (not a spawn ENOENT halfway through).
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { EX, LabError } from './errors.ts';
import { missingCommands, type Step } from './host-commands.ts';

// Root's PATH has the sbin directories, but a user's may not: daemons are looked for there too.
const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function findCommand(command: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...envPath.split(':').filter(Boolean), ...SEARCH]) {
    const file = path.join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Throws one LabError (69) naming every missing command and its package. */
export function requireCommands(steps: readonly Step[]): void {
  const missing = missingCommands(steps, (c) => findCommand(c) !== undefined, existsSync('/run/systemd/system'));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((r) => r.package))].sort();
  throw new LabError(
    `${steps.join(', ')}: missing ${missing.map((r) => `${r.command} (Debian package ${r.package})`).join(', ')}: apt-get install ${packages.join(' ')}`,
    EX.unavailable,
  );
}
