// The lab's stream-management ring (mod_chatlab_smacks_queue) must behave as the ring it replaces,
// util.queue with wrapping, as util.smqueue drives it: the same stanzas resent, acknowledged and
// dropped, the same answer to "resumable?", at the lab's bound and past it. Run in Prosody's own
// Lua (lua5.4 with /usr/lib/prosody, which the lab installs) against Prosody's own util.queue: a
// harness loads the generated module, lets its filter swap the ring into one of two smqueues, and
// replays one sequence on both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { lab as spec } from '../../provision/lab.ts';
import { defineLab } from '../../provision/validate.ts';
import { generateAll } from '../../provision/generate/index.ts';

// The bound is the lab's own (test/unit/lab-generate.test.ts: a whole offline flush and as much again).
const files = generateAll(defineLab(spec));
const moduleText = files.find((f) => f.path === 'prosody/mod_chatlab_smacks_queue.lua')!.content;
const bound = Number(/^\s*smacks_max_queue_size = (\d+)$/m.exec(files.find((f) => f.path === 'prosody/prosody.cfg.lua')!.content)![1]);

// Prints each queue's state after every step, and what each acknowledgement returned: "p N"
// pushes N stanzas, "a K" acknowledges K more than the last h (at most all).
const HARNESS = String.raw`
package.path = "/usr/lib/prosody/?.lua;" .. package.path
local smqueue = require "util.smqueue"
local moduleText, bound, ops = arg[1], tonumber(arg[2]), arg[3]
local hook
local env = setmetatable({
  module = { get_option_number = function(_, name, default) return name == "smacks_max_queue_size" and bound or default end },
  require = function(name)
    if name == "util.filters" then return { add_filter = function(_, _, f) hook = f end, add_filter_hook = function(f) f({}) end } end
    return require(name)
  end,
}, { __index = _G })
assert(load(moduleText, "mod_chatlab_smacks_queue", "t", env))()
local theirs, ours = smqueue.new(bound), smqueue.new(bound)
hook(nil, { outgoing_stanza_queue = ours })
assert(ours._queue.chatlab and not theirs._queue.chatlab, "the filter did not swap the ring in")
local function state(q)
  local t = q:table()
  return ("unacked=%d acked=%d resumable=%s held=%d first=%s last=%s"):format(q:count_unacked(), q:count_acked(), tostring(q:resumable()), #t, tostring(t[1]), tostring(t[#t]))
end
local n = 0
for op, k in ops:gmatch("(%a) ?(%d*)") do
  k = tonumber(k)
  if op == "p" then
    for _ = 1, k do n = n + 1; theirs:push("s" .. n); ours:push("s" .. n) end
  elseif op == "a" then
    local h = math.min(theirs:count_acked() + k, n)
    local a, b = theirs:ack(h), ours:ack(h)
    local function acked(list) return list and ("ack %d: %d %s..%s"):format(h, #list, tostring(list[1]), tostring(list[#list])) or "ack: nil" end
    print(acked(a) .. " | " .. acked(b))
  end
  print(state(theirs) .. " | " .. state(ours))
end
`;

/** Each step's line from util.queue's ring and from the lab's, with the module configured at `size`. */
async function replay(ops: string, size = bound): Promise<Array<[string, string]>> {
  const { stdout } = await execa('lua5.4', ['-e', HARNESS, '-', moduleText, String(size), ops], { input: '' });
  return stdout.split('\n').map((line) => line.split(' | ') as [string, string]);
}

test(`given ${bound + 5} stanzas unacknowledged, then both rings drop the 5 oldest, refuse resumption, and go on alike`, { timeout: 60_000 }, async () => {
  const lines = await replay(`p ${bound} p 5 a 3 a ${bound} p 100 a 50 a 10000`);
  assert.equal(lines.length, 11);
  for (const [theirs, ours] of lines) assert.equal(ours, theirs);
  // The premise: the ring wrapped (the oldest held is s6) and util.smqueue noticed it.
  assert.equal(lines[1]![0], `unacked=${bound + 5} acked=0 resumable=false held=${bound} first=s6 last=s${bound + 5}`);
});

test('given a random mix of sends and acknowledgements on a small ring, then every step is the same on both', { timeout: 60_000 }, async () => {
  // A small bound through the same generated code: wraps happen often, at every position.
  let seed = 16;
  const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const ops = Array.from({ length: 400 }, () => (next(3) === 0 ? `a ${next(9)}` : `p ${1 + next(6)}`)).join(' ');
  const lines = await replay(ops, 7);
  assert.ok(lines.length >= 400);
  assert.ok(lines.some(([theirs]) => /resumable=false/.test(theirs)), 'the sequence never wrapped the ring');
  for (const [theirs, ours] of lines) assert.equal(ours, theirs);
});
