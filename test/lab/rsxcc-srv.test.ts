// rsxcc without -x (issue 4): the server comes from SRV _xmpp-client._tcp.DOMAIN, then its A
// record, as served by the lab's DNS to the lab's client host. No host-meta, no guessing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drain, runOnClient, servers, skip, tag } from './rsxcc-lab.ts';

if (skip) test('rsxcc SRV lookup on the lab', { skip }, () => {});

for (const server of servers) {
  test(`without -x, ${server.domain} is found through its SRV record`, async () => {
    await drain(server, 'carol');
    const body = tag('via-srv');
    const result = await runOnClient(['-v', '-j', server.jid('alice'), '-P', server.passwordFile('alice'), '-a', server.caFile, '-t', server.jid('carol'), '-m', body]);
    assert.equal(result.exitCode, 0, result.stderr);
    // -v names the host it connects to: the SRV record's target, not the domain (whose own A record,
    // the fallback, points at the same address and would pass an address check alone).
    assert.match(result.stderr, new RegExp(`connecting to ${server.fqdn.replace(/\./g, '\\.')} \\(${server.connect.replace(/\./g, '\\.')}\\)`));
    assert.doesNotMatch(result.stderr, new RegExp(`connecting to ${server.domain.replace(/\./g, '\\.')} `));
    assert.deepEqual((await drain(server, 'carol')).map((m) => m.body), [body]);
  });
}
