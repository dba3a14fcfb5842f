// Specification of how a service's processes are recognised: by the process group its pid file
// records, read from /proc/PID/stat, whatever the command's name contains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processGroup } from '../../provision/lab/processes.ts';

test('the process group is the fifth field of a stat line, after a command name with spaces and parentheses', () => {
  assert.equal(processGroup('4242 (mariadbd) S 4200 4200 4200 0 -1 4194560 3000 0 0 0'), 4200);
  assert.equal(processGroup('77 (a (b) c) R 1 31337 31337 0 -1'), 31337);
});
