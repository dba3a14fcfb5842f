// classify(): what the packages underneath throw becomes one of the library's typed failures,
// with a message naming the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError, classify, DataError, UnavailableError, UnreachableError, UntrustedCertificateError, XmppError } from '../../xmpp/errors.ts';

const withProps = (message: string, props: Record<string, string>) => Object.assign(new Error(message), props);

test('a SASL failure is an AuthError naming the server, the condition and its text', () => {
  const error = classify(withProps('not-authorized', { name: 'SASLError', condition: 'not-authorized', text: 'Invalid username or password' }), 'h:5222');
  assert.ok(error instanceof AuthError);
  assert.equal(error.message, 'authentication failed at h:5222: not-authorized (Invalid username or password)');
});

test('a certificate that does not verify is an UntrustedCertificateError carrying OpenSSL reason', () => {
  for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED']) {
    const error = classify(withProps('verify failed', { code }), 'h:5222');
    assert.ok(error instanceof UntrustedCertificateError, code);
    assert.equal(error.code, code);
    assert.equal(error.message, `TLS: h:5222 presented a certificate we do not trust (${code})`);
  }
});

test('stream errors: policy-violation is bad data, host-unknown unavailable, anything else untyped', () => {
  const tooBig = classify(withProps('policy-violation', { name: 'StreamError', condition: 'policy-violation', text: 'Stanza too large' }), 'h');
  assert.ok(tooBig instanceof DataError);
  assert.equal(tooBig.message, 'h closed the stream: policy-violation (Stanza too large)');
  assert.ok(classify(withProps('x', { name: 'StreamError', condition: 'host-unknown' }), 'h') instanceof UnavailableError);
  const other = classify(withProps('system-shutdown', { name: 'StreamError', condition: 'system-shutdown' }), 'h');
  assert.ok(!(other instanceof XmppError));
  assert.equal(other.message, 'h closed the stream: system-shutdown');
});

test('refused and unreachable connections are UnreachableError; a reset connection is untyped', () => {
  assert.deepEqual(
    ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].map((code) => {
      const error = classify(withProps(code, { code }), 'h:1');
      assert.ok(error instanceof UnreachableError, code);
      return error.message;
    }),
    [
      'cannot connect to h:1: connection refused',
      'cannot connect to h:1: host unreachable',
      'cannot connect to h:1: network unreachable',
      'cannot connect to h:1: network unreachable',
    ],
  );
  const reset = classify(withProps('read ECONNRESET', { code: 'ECONNRESET' }), 'h:1');
  assert.ok(!(reset instanceof XmppError));
  assert.equal(reset.message, 'connection to h:1 lost (ECONNRESET)');
});

test('a failure that is already typed passes through unchanged', () => {
  const typed = new AuthError('no');
  assert.equal(classify(typed, 'h'), typed);
  const plain = new Error('something else');
  assert.equal(classify(plain, 'h'), plain);
  assert.equal(classify('a string', 'h').message, 'a string');
});
