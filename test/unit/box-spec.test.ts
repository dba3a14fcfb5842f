import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GUEST_SCRIPT } from '../../provision/box/image.ts';
import { LAB_PACKAGES, boxInputs, cacheDecision, inputsHash } from '../../provision/box/spec.ts';

test('the hash is stable and ignores package order', () => {
  const a = boxInputs('#!/bin/sh\necho one\n');
  const b = { ...a, labPackages: [...a.labPackages].reverse() };
  assert.equal(inputsHash(a), inputsHash(boxInputs('#!/bin/sh\necho one\n')));
  assert.equal(inputsHash(a), inputsHash(b));
  assert.match(inputsHash(a), /^[0-9a-f]{16}$/);
});

test('the hash changes with the script, the packages and the builder version', () => {
  const a = boxInputs('#!/bin/sh\necho one\n');
  const h = inputsHash(a);
  assert.notEqual(inputsHash(boxInputs('#!/bin/sh\necho two\n')), h);
  assert.notEqual(inputsHash({ ...a, labPackages: [...a.labPackages, 'coturn'] }), h);
  assert.notEqual(inputsHash({ ...a, builderVersion: a.builderVersion + 1 }), h);
  assert.notEqual(inputsHash({ ...a, kernelCmdline: `${a.kernelCmdline} quiet` }), h);
});

test('the lab packages are all baked in', () => {
  for (const p of ['prosody', 'lua-dbi-mysql', 'mariadb-server', 'ejabberd', 'haproxy', 'bind9', 'bind9-utils', 'openssl']) {
    assert.ok((LAB_PACKAGES as readonly string[]).includes(p), p);
  }
});

test('the box installs no Recommends, as the provisioning scripts do: lua-unbound would break s2s', () => {
  const installs = readFileSync(GUEST_SCRIPT, 'utf8').split('\n').filter((line) => /^\s*apt-get install/.test(line));
  assert.equal(installs.length, 2, 'the system and the lab package lists');
  for (const line of installs) assert.match(line, /--no-install-recommends/, line);
  assert.ok(!(LAB_PACKAGES as readonly string[]).includes('lua-unbound'));
});

test('cache decision: reuse only a finished box built from the same inputs', () => {
  assert.deepEqual(cacheDecision('abc', { recordedHash: 'abc', boxFileExists: true }, false), { action: 'reuse' });
  assert.equal(cacheDecision('abc', { recordedHash: 'abc', boxFileExists: true }, true).action, 'build');
  assert.equal(cacheDecision('abc', { recordedHash: 'abc', boxFileExists: false }, false).action, 'build');
  assert.equal(cacheDecision('abc', { recordedHash: undefined, boxFileExists: true }, false).action, 'build');
  const changed = cacheDecision('abc', { recordedHash: 'old', boxFileExists: true }, false);
  assert.equal(changed.action, 'build');
  assert.match(changed.action === 'build' ? changed.reason : '', /old -> abc/);
});
