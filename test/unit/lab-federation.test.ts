// Specification of the lab's federation and group chat as generated from the model: s2s encrypted
// and authenticated by certificates on both servers, reachable by DNS, and the model's rooms made
// by provisioning on their own server, with no room creation left to clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lab as spec } from '../../provision/lab.ts';
import { defineLab, validateSpec } from '../../provision/validate.ts';
import { generateAll } from '../../provision/generate/index.ts';
import { prosodyRoomLua } from '../../provision/generate/rooms.ts';
import type { LabSpec } from '../../provision/model.ts';

const filesOf = (over: Partial<LabSpec> = {}) => {
  const files = generateAll(defineLab({ ...structuredClone(spec), ...over }));
  return (p: string) => files.find((f) => f.path === p)?.content ?? assert.fail(`${p} is generated`);
};

test('given the default model, both servers require TLS on s2s and let a peer in only on a certificate the lab CA signed (no dialback)', () => {
  const file = filesOf();
  const prosody = file('prosody/prosody.cfg.lua');
  assert.match(prosody, /^s2s_require_encryption = true$/m);
  assert.match(prosody, /^s2s_secure_auth = true$/m);
  assert.doesNotMatch(prosody, /"dialback"/);
  assert.doesNotMatch(prosody, /modules_disabled = \{[^}]*"s2s"/, 's2s is not disabled');
  // Every host verifies peers against the lab CA, the MUC component included.
  assert.equal([...prosody.matchAll(/cafile = "\/etc\/prosody\/certs\/lab-ca\.crt"/g)].length, 2);
  const yml = file('ejabberd/ejabberd.yml');
  assert.match(yml, /^ca_file: \/etc\/ejabberd\/certs\/lab-ca\.crt$/m);
  assert.match(yml, /^s2s_access: s2s$/m);
  assert.doesNotMatch(yml, /^\s+mod_s2s_dialback:/m, "the comment may name it; the module is not loaded");
  assert.match(file('prosody/provision.sh'), /install_file "\$SECRETS\/ca\.crt" \/etc\/prosody\/certs\/lab-ca\.crt /);
  assert.match(file('ejabberd/provision.sh'), /install_file "\$SECRETS\/ca\.crt" \/etc\/ejabberd\/certs\/lab-ca\.crt /);
});

test('given federation.dialback, both servers load dialback as the fallback, still over required TLS', () => {
  const file = filesOf({ federation: { dialback: true } });
  assert.match(file('prosody/prosody.cfg.lua'), /"dialback";/);
  assert.match(file('prosody/prosody.cfg.lua'), /^s2s_require_encryption = true$/m);
  assert.match(file('ejabberd/ejabberd.yml'), /^\s+mod_s2s_dialback: \{\}$/m);
  assert.match(file('ejabberd/ejabberd.yml'), /^s2s_use_starttls: required$/m);
});

test('each domain has a MUC service at conference.<domain> on which only provisioning makes rooms', () => {
  const file = filesOf();
  assert.match(file('prosody/prosody.cfg.lua'), new RegExp(`^Component "conference\\.${spec.domains.prosody.replaceAll('.', '\\.')}" "muc"\\n[\\s\\S]*?restrict_room_creation = true`, 'm'));
  assert.match(file('ejabberd/ejabberd.yml'), /^\s+mod_muc:\n\s+host: conference\.@HOST@\n(\s+#.*\n)*\s+access_create: none$/m);
});

test("given the model's rooms, each is made on its own server with its owner and every member, persistent and members-only", () => {
  const lab = defineLab(spec);
  const file = filesOf();
  assert.ok(lab.rooms.some((r) => r.server === 'prosody') && lab.rooms.some((r) => r.server === 'ejabberd'), 'premise: a room on each server');
  for (const room of lab.rooms) {
    assert.ok(room.members.some((m) => !m.endsWith(`@${spec.domains[room.server]}`)), `premise: ${room.jid} has members of the other domain`);
    if (room.server === 'prosody') {
      const lua = prosodyRoomLua(room);
      assert.ok(file('prosody/provision.sh').includes(lua.replaceAll("'", "'\\''")), 'the provisioning script runs it');
      assert.match(lua, /set_persistent\(true\)[\s\S]+set_members_only\(true\)/);
      assert.ok(lua.includes(`[${JSON.stringify(room.owner)}] = "owner"`));
      for (const m of room.members.filter((x) => x !== room.owner)) assert.ok(lua.includes(`[${JSON.stringify(m)}] = "member"`), m);
    } else {
      const line = file('ejabberd/provision.sh').split('\n').find((l) => l.trim().startsWith(`ensure_room ${room.name} ${room.service} `));
      assert.ok(line, `ensure_room for ${room.jid}`);
      assert.ok(line.includes(`'${room.owner} owner'`));
      for (const m of room.members.filter((x) => x !== room.owner)) assert.ok(line.includes(`'${m} member'`), m);
      assert.match(file('ejabberd/ejabberd.yml'), /default_room_options:\n\s+persistent: true\n\s+members_only: true/);
    }
  }
});

test('a room whose owner or member is not an account of the lab, or two rooms of one name on a server, do not validate', () => {
  const room = spec.rooms[0]!;
  const problems = validateSpec({
    ...structuredClone(spec),
    rooms: [{ ...room, owner: 'mallory' }, { ...room, members: [{ user: 'zed', server: 'ejabberd' }] }],
  });
  assert.ok(problems.some((p) => /owner "mallory" is not one of the accounts/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /member zed@ejabberd is not an account/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /two rooms share a name on one server/.test(p)), problems.join('\n'));
});
