// rsxcc's one table from failure to exit status, and how a failure reads on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode, exitCodeOf, MissingCommandError, NoReplyError, oneLine, UsageError } from '../../cli/errors.ts';
import {
  AuthError,
  ConfigError,
  DataError,
  NotSupportedError,
  RecipientError,
  TimeoutError,
  UnavailableError,
  UnreachableError,
  UntrustedCertificateError,
} from '../../xmpp/errors.ts';

test('every typed failure has its sysexits status; anything else is temporary (75)', () => {
  const cases: Array<[Error, number]> = [
    [new UsageError('x'), 64],
    [new ConfigError('x'), 64],
    [new DataError('x'), 65],
    [new UnavailableError('x'), 69],
    [new UnreachableError('x'), 69],
    [new NotSupportedError('x'), 69],
    [new UntrustedCertificateError('h', 'CERT_HAS_EXPIRED'), 69],
    [new RecipientError('bob@example.org', 'service-unavailable'), 69],
    [new TimeoutError('x'), 75],
    [new AuthError('x'), 77],
    [new NoReplyError('x'), 75],
    [new MissingCommandError('x'), 69],
    [new Error('connection lost'), 75],
  ];
  for (const [error, status] of cases) assert.equal(exitCodeOf(error), status, error.name);
  assert.deepEqual(Object.values(ExitCode).sort(), [64, 65, 69, 75, 77]);
});

test('an untrusted certificate says which option fixes it', () => {
  assert.equal(
    oneLine(new UntrustedCertificateError('h:5222', 'DEPTH_ZERO_SELF_SIGNED_CERT')),
    'TLS: h:5222 presented a certificate we do not trust (DEPTH_ZERO_SELF_SIGNED_CERT): pass its CA with -a CAFILE',
  );
  assert.equal(oneLine(new UnavailableError('h refused STARTTLS')), 'h refused STARTTLS');
});

test('stderr gets one line: line breaks folded, an empty message replaced by the error name', () => {
  assert.equal(oneLine(new Error('h closed the stream: x (first\r\n  second)\n')), 'h closed the stream: x (first second)');
  assert.equal(oneLine(new TimeoutError('')), 'TimeoutError');
  assert.equal(oneLine('thrown text'), 'thrown text');
});
