// Group chat: each domain's MUC service and the rooms the model declares, made by provisioning on
// the server itself (ejabberdctl on the seed node, Prosody's admin shell), so a Vagrant lab and a
// namespace lab have the same rooms without a client in the loop. Rooms are persistent and
// members-only; nobody else may create rooms, so a mistyped room name is an error, not a new room.
import type { Lab, Room } from '../model.ts';
import { mucService } from '../model.ts';
import { dedent } from './file.ts';

/** One shell word, whatever the text holds. */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
const roomsOf = (lab: Lab, server: Room['server']) => lab.rooms.filter((r) => r.server === server);

/** Lines of ejabberd.yml's \`modules:\` map. */
export function ejabberdMucModules(): string[] {
  return [
    '  mod_muc:',
    '    host: conference.@HOST@',
    '    # Rooms come from the model (provisioning); no client creates one.',
    '    access_create: none',
    '    # Persistent rooms in SQL (default_db) load on first use on whichever node is asked: a',
    "    # room whose node died comes back on another one, without its occupants (they rejoin).",
    '    default_room_options:',
    '      persistent: true',
    '      members_only: true',
    '      mam: true',
    '  # ejabberdctl create_room_with_opts, set_room_affiliation: provisioning makes the rooms.',
    '  mod_muc_admin: {}',
  ];
}

/** Shell: on the seed node, each room made if missing and its affiliations set where they differ. */
export function ejabberdRoomSteps(lab: Lab): string {
  const rooms = roomsOf(lab, 'ejabberd');
  if (!rooms.length) return '';
  const steps = rooms.map((room) => {
    const options = JSON.stringify({ title: room.title });
    const wanted = [`${room.owner} owner`, ...room.members.filter((m) => m !== room.owner).map((m) => `${m} member`)];
    return `  ensure_room ${room.name} ${room.service} ${shellQuote(options)} ${wanted.map(shellQuote).join(' ')}`;
  });
  return dedent`
    # The rooms live in the shared database: the seed makes them once for every node.
    # ensure_room NAME SERVICE OPTIONS_JSON 'JID AFFILIATION'...
    ensure_room() {
      local name=$1 service=$2 options=$3 have item
      shift 3
      if ! have=$(ctl get_room_affiliations "$name" "$service" 2>/dev/null); then
        ctl create_room_with_opts "$name" "$service" "$DOMAIN" "$options" >/dev/null || die "creating room $name@$service failed"
        log "created room $name@$service"
        CHANGES=$((CHANGES + 1))
        have=''
      fi
      for item in "$@"; do
        # get_room_affiliations prints USER<TAB>DOMAIN<TAB>AFFILIATION<TAB>REASON.
        awk -F'\\t' -v want="$item" '$1 "@" $2 " " $3 == want { found = 1 } END { exit !found }' <<<"$have" && continue
        ctl set_room_affiliation "$name" "$service" "\${item% *}" "\${item#* }" >/dev/null || die "setting $item in $name@$service failed"
        CHANGES=$((CHANGES + 1))
      done
    }
    if [ "$NODE" = "$SEED_NODE" ]; then
  ` + `${steps.join('\n')}\nfi`;
}

/** Prosody's MUC component, with its archive. */
export function prosodyMucComponent(lab: Lab, ssl: string): string {
  return dedent`
    Component "${mucService(lab.spec.domains.prosody)}" "muc"
      modules_enabled = { "muc_mam" }
      -- Rooms come from the model (provisioning); no client creates one.
      restrict_room_creation = true
      ${ssl}
  `;
}

const lua = (text: string) => JSON.stringify(text);

/**
 * One line of Lua per room for \`prosodyctl shell\` (">" runs it with Prosody's globals): the room
 * made if missing, made persistent and members-only, its affiliations set; prints whether
 * anything changed, so provisioning can say "nothing changed".
 */
export function prosodyRoomLua(room: Room): string {
  const affiliations = [[room.owner, 'owner'], ...room.members.filter((m) => m !== room.owner).map((m) => [m, 'member'])];
  return [
    `>local muc = prosody.hosts[${lua(room.service)}].modules.muc`,
    `local jid = ${lua(room.jid)}`,
    'local room, changed = muc.get_room_from_jid(jid), false',
    'if not room then room, changed = muc.create_room(jid), true end',
    'if not room:get_persistent() then room:set_persistent(true) changed = true end',
    'if not room:get_members_only() then room:set_members_only(true) changed = true end',
    `if room:get_name() ~= ${lua(room.title)} then room:set_name(${lua(room.title)}) changed = true end`,
    `for j, a in pairs({ ${affiliations.map(([j, a]) => `[${lua(j!)}] = ${lua(a!)}`).join(', ')} }) do`,
    'if room:get_affiliation(j) ~= a then assert(room:set_affiliation(true, j, a)) changed = true end end',
    'room:save(true)',
    'return changed and "changed" or "unchanged"',
  ].join(' ');
}

export function prosodyRoomSteps(lab: Lab): string {
  const rooms = roomsOf(lab, 'prosody');
  if (!rooms.length) return '';
  return dedent`
    # The admin shell talks to the running server over its socket: wait for it, bounded.
    shell() { setpriv --reuid=prosody --regid=prosody --init-groups prosodyctl shell "$1"; }
    deadline=$((SECONDS + 60))
    until shell 'server:version()' >/dev/null 2>&1; do
      [ $SECONDS -lt $deadline ] || die "Prosody's admin shell did not answer within 60 s"
      sleep 0.5
    done
  ` + rooms.map((room) => dedent`
    out=$(shell ${shellQuote(prosodyRoomLua(room))}) || die "provisioning room ${room.jid} failed: $out"
    if grep -q '"changed"\\|: changed' <<<"$out"; then log "provisioned room ${room.jid}"; CHANGES=$((CHANGES + 1)); fi
  `).join('').trimEnd();
}
