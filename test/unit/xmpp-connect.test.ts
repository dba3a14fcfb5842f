// Where a session connects, against a fake resolver: SRV order, the RFC 6120 fallbacks, failover
// only past addresses that cannot be reached, and every wait bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bounded } from '../../xmpp/bounded.ts';
import { firstReachable, serverAddresses, serviceAddresses, type Dns, type Endpoint, type SrvRecord } from '../../xmpp/connect.ts';
import { AuthError, TimeoutError, UnavailableError, UnreachableError } from '../../xmpp/errors.ts';

const never = <T>() => new Promise<T>(() => {});

function fakeDns(srv: SrvRecord[] | Error, hosts: Record<string, string[]> = {}): Dns & { srvAsked: string[] } {
  const srvAsked: string[] = [];
  return {
    srvAsked,
    async resolveSrv(name) {
      srvAsked.push(name);
      if (srv instanceof Error) throw srv;
      return srv;
    },
    async lookup(host) {
      const ips = hosts[host];
      if (!ips) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return ips;
    },
  };
}

test('bounded() passes results through and turns a late one into a TimeoutError', async () => {
  assert.equal(await bounded(Promise.resolve(7), 50, 'x'), 7);
  await assert.rejects(bounded(never(), 20, 'waiting for Godot'), /^TimeoutError: timed out after 0.02 s waiting for Godot$/);
});

test('SRV records by priority, then by weight (heaviest first); their targets without the root dot', async () => {
  const dns = fakeDns([
    { name: 'c.example.org.', port: 5222, priority: 20, weight: 0 },
    { name: 'a.example.org.', port: 5223, priority: 10, weight: 5 },
    { name: 'b.example.org', port: 5224, priority: 10, weight: 50 },
  ]);
  assert.deepEqual(await serviceAddresses('example.org', 1000, dns), [
    { host: 'b.example.org', port: 5224 },
    { host: 'a.example.org', port: 5223 },
    { host: 'c.example.org', port: 5222 },
  ]);
  assert.deepEqual(dns.srvAsked, ['_xmpp-client._tcp.example.org']);
});

test('no SRV record means the domain itself on 5222; a "." target means no service at all', async () => {
  assert.deepEqual(await serviceAddresses('example.org', 1000, fakeDns(new Error('ENODATA'))), [{ host: 'example.org', port: 5222 }]);
  await assert.rejects(serviceAddresses('example.org', 1000, fakeDns([{ name: '.', port: 0, priority: 0, weight: 0 }])), (error: Error) => {
    assert.ok(error instanceof UnavailableError);
    assert.equal(error.message, 'example.org says it offers no XMPP client service (SRV target ".")');
    return true;
  });
});

test('an explicit server is used as given, with no DNS at all; a hanging SRV lookup is bounded', async () => {
  const dns = fakeDns([]);
  assert.deepEqual(await serverAddresses('example.org', { host: 'h', port: 1 }, 1000, dns), [{ host: 'h', port: 1 }]);
  assert.deepEqual(dns.srvAsked, []);
  const hanging: Dns = { resolveSrv: never, lookup: never };
  await assert.rejects(serverAddresses('example.org', undefined, 30, hanging), /^TimeoutError: timed out after 0.03 s looking up SRV for example.org$/);
});

test('failover: each address of each target in order, past unreachable ones, to the first that logs in', async () => {
  const dns = fakeDns([], { 'a.example.org': ['10.0.0.1', '10.0.0.2'], 'b.example.org': ['10.0.0.3'] });
  const tried: string[] = [];
  const progress: string[] = [];
  const targets = [{ host: 'a.example.org', port: 5222 }, { host: 'b.example.org', port: 5223 }];
  const result = await firstReachable(
    targets,
    async (endpoint: Endpoint) => {
      tried.push(endpoint.where);
      if (endpoint.ip === '10.0.0.1') throw new UnreachableError(`cannot connect to ${endpoint.where}: connection refused`);
      // An untyped error from the socket is classified first: a refused connection moves on too.
      if (endpoint.ip === '10.0.0.2') throw Object.assign(new Error('connect EHOSTUNREACH'), { code: 'EHOSTUNREACH' });
      return endpoint.ip;
    },
    { domain: 'example.org', timeoutMs: 1000, progress: (text) => progress.push(text), dns },
  );
  assert.equal(result, '10.0.0.3');
  assert.deepEqual(tried, ['a.example.org (10.0.0.1:5222)', 'a.example.org (10.0.0.2:5222)', 'b.example.org (10.0.0.3:5223)']);
  assert.deepEqual(progress, [
    'cannot connect to a.example.org (10.0.0.1:5222): connection refused',
    'cannot connect to a.example.org (10.0.0.2:5222): host unreachable',
  ]);
});

test('failover stops at any failure other than an unreachable server: a refused login is the answer', async () => {
  const dns = fakeDns([], { '10.0.0.1': ['10.0.0.1'], '10.0.0.2': ['10.0.0.2'] });
  const tried: string[] = [];
  const attempt = async (endpoint: Endpoint) => {
    tried.push(endpoint.where);
    throw new AuthError('authentication failed');
  };
  const targets = [{ host: '10.0.0.1', port: 5222 }, { host: '10.0.0.2', port: 5222 }];
  await assert.rejects(firstReachable(targets, attempt, { domain: 'example.org', timeoutMs: 1000, progress: () => {}, dns }), AuthError);
  assert.deepEqual(tried, ['10.0.0.1:5222'], 'an address that is its own name is named once');
});

test('nothing reachable: the last unreachable address is the error; an unresolvable name ends the search', async () => {
  const dns = fakeDns([], { a: ['10.0.0.1'], b: ['10.0.0.2'] });
  const unreachable = async (endpoint: Endpoint) => {
    throw new UnreachableError(`cannot connect to ${endpoint.where}: connection refused`);
  };
  const options = { domain: 'example.org', timeoutMs: 1000, progress: () => {}, dns };
  await assert.rejects(firstReachable([{ host: 'a', port: 1 }, { host: 'b', port: 2 }], unreachable, options), /^UnreachableError: cannot connect to b \(10\.0\.0\.2:2\)/);
  await assert.rejects(firstReachable([{ host: 'gone', port: 1 }, { host: 'b', port: 2 }], unreachable, options), (error: Error) => {
    assert.ok(error instanceof UnavailableError);
    assert.equal(error.message, 'cannot resolve gone: ENOTFOUND');
    return true;
  });
});

test('a name lookup that never answers is bounded by the time-out', async () => {
  const dns: Dns = { resolveSrv: never, lookup: never };
  await assert.rejects(
    firstReachable([{ host: 'slow.example.org', port: 5222 }], async () => 'never', { domain: 'example.org', timeoutMs: 30, progress: () => {}, dns }),
    (error: Error) => error instanceof TimeoutError && error.message === 'timed out after 0.03 s resolving slow.example.org',
  );
});
