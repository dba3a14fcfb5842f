// The lab's own Prosody modules: Lua source, installed beside Prosody's (MODULE_DIR) and enabled
// in prosody.cfg.lua in this order. Each changes one behaviour of Prosody 0.12's mod_smacks.
import { dedent } from './file.ts';

export const MODULE_DIR = '/etc/prosody/chatlab-modules';

export interface ProsodyModule {
  /** As in modules_enabled: the file is mod_<name>.lua. */
  name: string;
  /** The comment beside it in modules_enabled. */
  purpose: string;
  source: string;
}

export const moduleFile = (m: ProsodyModule) => `mod_${m.name}.lua`;

/**
 * mod_smacks puts a dead session's unacknowledged messages back into offline storage only when
 * that session was the user's last: with any other session at that moment (the next `rsxcc -s`
 * already logged in) it bounces each one to its sender (recipient-unavailable). This module,
 * ahead of mod_smacks, gives each one to the user's other available sessions, or to offline
 * storage; only a storage failure still bounces (the sender learns of it).
 */
const unacked: ProsodyModule = {
  name: 'chatlab_unacked',
  purpose: "a dead session's unacknowledged messages: redelivered or stored, never bounced",
  source: dedent`
    local st = require "util.stanza";
    local jid_bare = require "util.jid".bare;

    module:hook("delivery/failure", function(event)
    	local session, stanza = event.session, event.stanza;
    	if not session.username or stanza.name ~= "message" or stanza.attr.xmlns ~= nil then return end
    	local kind = stanza.attr.type or "normal";
    	if kind ~= "chat" and kind ~= "normal" then return end
    	-- Archive results, and messages a MAM client fetches again: left to mod_smacks, as upstream.
    	if stanza:get_child("result", "urn:xmpp:mam:2") then return end
    	if session.mam_requested and stanza:get_child_with_attr("stanza-id", "urn:xmpp:sid:0", "by", jid_bare(session.full_jid)) then return end
    	local user = prosody.hosts[module.host].sessions[session.username];
    	local delivered = false;
    	for _, other in pairs(user and user.sessions or {}) do
    		if other ~= session and other.presence and (other.priority or 0) >= 0 then
    			local copy = st.clone(stanza);
    			copy.attr.to = other.full_jid;
    			other.send(copy);
    			delivered = true;
    		end
    	end
    	if delivered then return true end
    	return module:fire_event("message/offline/handle", { origin = session, username = session.username, stanza = stanza });
    end, 1);
  `,
};

/**
 * mod_smacks allocates each session's queue of unacknowledged stanzas whole, at its bound
 * (smacks_max_queue_size, 16 bytes a slot: 640 kB a session for a bound of 40,000), and the
 * collector walks every slot of every queue on each cycle. This module gives each session, before
 * its first stanza is queued, a ring with the same bound and the same wrapping that holds only
 * what waits for acknowledgement. mod_smacks reaches the ring only through util.smqueue, which
 * uses push, pop, count, items and consume.
 */
const queue: ProsodyModule = {
  name: 'chatlab_smacks_queue',
  purpose: "stream management's queue grows as stanzas wait, to the same bound",
  source: dedent`
    local filters = require "util.filters";
    local bound = module:get_option_number("smacks_max_queue_size", 500);

    local function ring(size)
    	local items, tail, head = {}, 1, 1; -- items[tail .. head-1], oldest first
    	local r = { size = size, chatlab = true };
    	function r.count() return head - tail; end
    	function r.push(_, item)
    		if head - tail >= size then -- full: the oldest is overwritten, as util.queue's wrapping ring does
    			items[tail] = nil;
    			tail = tail + 1;
    		end
    		items[head] = item;
    		head = head + 1;
    		return true;
    	end
    	function r.pop()
    		if head == tail then return nil; end
    		local item = items[tail];
    		items[tail] = nil;
    		tail = tail + 1;
    		if head == tail then tail, head = 1, 1; end -- empty: start again at 1, so the table stays an array
    		return item;
    	end
    	function r.peek() return items[tail]; end
    	function r.items()
    		return function(_, pos)
    			if pos >= head - tail then return nil; end
    			return pos + 1, items[tail + pos];
    		end, r, 0;
    	end
    	function r.consume() return r.pop, r; end
    	return r;
    end

    -- Checked on every outgoing stanza, and cheap: a filter cannot remove itself while the chain
    -- runs (util.filters would skip the next one, mod_smacks's own).
    local function grown(stanza, session)
    	local queue = session.outgoing_stanza_queue;
    	if queue and not queue._queue.chatlab then
    		local new = ring(bound);
    		for _, item in queue._queue:items() do new:push(item); end
    		queue._queue = new;
    	end
    	return stanza;
    end

    -- Every session, client or server: mod_smacks queues in its filter at priority -999, this one
    -- runs just before it.
    local function add(session) filters.add_filter(session, "stanzas/out", grown, -998); end
    filters.add_filter_hook(add);
    function module.unload() filters.remove_filter_hook(add); end
  `,
};

export const CHATLAB_MODULES: ProsodyModule[] = [unacked, queue];
