// What a responder's reply says, exactly as rsxcc(1) documents it: the output as text XML can
// carry, less one trailing newline, then a line for each thing the requester must know.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandOutcome } from '../../cli/responder/command.ts';
import { composeReply, fitted, replyLimit } from '../../cli/responder/reply.ts';

const ran = (output: string | Buffer, more: Partial<CommandOutcome> = {}): CommandOutcome => ({
  output: Buffer.from(output),
  truncated: false,
  exitCode: 0,
  timedOut: false,
  ...more,
});

test('exit 0 in time: the output alone, less one trailing newline; no output is an empty body', () => {
  assert.deepEqual(composeReply(ran('two\nlines\n\n'), 60_000), { body: 'two\nlines\n', notes: [] });
  assert.deepEqual(composeReply(ran(''), 60_000), { body: '', notes: [] });
});

test('a non-zero exit, a signal, a command that did not start: the output, then one line each', () => {
  assert.equal(composeReply(ran('partial\n', { exitCode: 3 }), 60_000).body, 'partial\n[rsxcc: exit status 3]');
  assert.equal(composeReply(ran('', { exitCode: undefined, signal: 'SIGSEGV' }), 60_000).body, '[rsxcc: killed by SIGSEGV]');
  assert.equal(
    composeReply(ran('', { exitCode: undefined, signal: 'SIGKILL', timedOut: true }), 1500).body,
    '[rsxcc: time limit of 1.5 s reached: the command was killed]',
    'the time limit, not the signal it used',
  );
  assert.deepEqual(composeReply(ran('', { exitCode: undefined, notStarted: 'spawn /x ENOENT' }), 1000).notes, ['cannot run the command: spawn /x ENOENT']);
});

test('invalid UTF-8 and characters XML cannot carry become U+FFFD', () => {
  const output = Buffer.concat([Buffer.from('\u001b[1mbold\u0000'), Buffer.from([0xff, 0x41])]);
  assert.equal(composeReply(ran(output), 1000).body, '\ufffd[1mbold\ufffd\ufffdA');
});

test('truncated output: a character cut in two by the limit is dropped, not shown as U+FFFD', () => {
  const output = Buffer.from('é'.repeat(10)).subarray(0, 19);
  const { body } = composeReply(ran(output, { truncated: true }), 1000);
  assert.equal(body, `${'é'.repeat(9)}\n[rsxcc: output truncated: a reply carries at most ${replyLimit} bytes of it]`);
});

test('the bound counts each character as it travels: & is 5 bytes, < and > 4, others their UTF-8', () => {
  assert.deepEqual(fitted('a&b', 6), { text: 'a&', cut: true });
  assert.deepEqual(fitted('<>', 8), { text: '<>', cut: false });
  assert.deepEqual(fitted('😀😀', 7), { text: '😀', cut: true });
  const { body, notes } = composeReply(ran('&'.repeat(replyLimit)), 1000);
  assert.equal(body.split('\n')[0], '&'.repeat(13_107), '13,107 "&" are 65,535 bytes escaped');
  assert.deepEqual(notes, [`output truncated: a reply carries at most ${replyLimit} bytes of it`]);
});
