// The bench's own named lab, driven through the `chatlab` CLI exactly as a person would: never the
// default lab, which other people test against at the same time.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Account } from './job.ts';
import type { EjabberdStorage as Storage } from '../provision/model.ts';
import { run } from '../provision/run.ts';

export interface LabStatus {
  caFile: string;
  secretsDir: string;
  domains: { domain: string; server: string; connect: string }[];
  ejabberd: { host: string }[];
  rooms: { jid: string; server: 'prosody' | 'ejabberd' }[];
}

/** The lab's room on a domain, if the model has one there. */
export const roomOf = (status: LabStatus, domain: string) => status.rooms.find((room) => room.jid.endsWith(`@conference.${domain}`));

/** Shell words that make `jid` a member of `room` on its server (as root on the server's host). */
function memberCommand(server: string, room: string, jid: string): string {
  const [name, service] = room.split('@') as [string, string];
  if (server !== 'prosody') return `ejabberdctl set_room_affiliation ${name} ${service} ${jid} member`;
  const lua = `>assert(prosody.hosts["${service}"].modules.muc.get_room_from_jid("${room}"):set_affiliation(true, "${jid}", "member"))`;
  return `prosodyctl shell '${lua}' >/dev/null`;
}

export type Role = 'sender' | 'sink' | 'drain' | 'listen' | 'peerListen' | 'baselineListen' | 'respond';
const roles: Record<Role, string> = { sender: 'bsender', sink: 'bsink', drain: 'bdrain', listen: 'blisten', peerListen: 'bpeerlisten', baselineListen: 'bbaselisten', respond: 'brespond' };

const chatlabJs = resolve('dist/chatlab.js');

/** The last line on stderr that says what went wrong, so that a failed phase's note says why. */
const lastError = (stderr: string) =>
  stderr.split('\n').reverse().find((l) => /\b(Error|error|failed)\b/.test(l))?.trim().slice(0, 300) ?? '';

export class BenchLab {
  constructor(
    readonly name: string,
    readonly subnet: string,
    private readonly log: (text: string) => void,
  ) {}

  private async chatlab(args: string[], limitMs: number, what: string) {
    // stderr passed through as it comes (progress), stdout captured; bounded in time.
    const result = await run([process.execPath, chatlabJs, '--lab', this.name, ...args], { timeoutMs: limitMs, output: 'tee', check: false });
    if (result.exitCode !== 0 || result.timedOut) {
      const said = lastError(result.stderr) || result.stdout.trim().slice(-300);
      throw new Error(`chatlab --lab ${this.name} ${what} exited ${result.timedOut ? '(killed at its time limit)' : result.exitCode}${said ? `: ${said}` : ''}`);
    }
    return result;
  }

  async down(): Promise<void> {
    // A machine that never ran the bench has no such lab yet (status: 64): nothing to take down.
    if ((await run([process.execPath, chatlabJs, '--lab', this.name, 'status'], { timeoutMs: 60_000, check: false })).exitCode === 64) return;
    this.log(`lab ${this.name}: down --wipe`);
    await this.chatlab(['down', '--wipe'], 120_000, 'down --wipe');
  }

  /** `chatlab up` to all logins OK; returns its wall time. */
  async up(nodes: number, storage: Storage = 'sql'): Promise<number> {
    const { ms } = await this.chatlab(['up', '--nodes', String(nodes), '--subnet', this.subnet, '--storage', storage], 300_000, 'up');
    this.log(`lab ${this.name}: up with ${nodes} ejabberd node(s) on ${storage} in ${(ms / 1000).toFixed(1)} s`);
    return ms;
  }

  async status(): Promise<LabStatus> {
    const { stdout } = await this.chatlab(['status', '-o', 'json'], 60_000, 'status');
    return JSON.parse(stdout) as LabStatus;
  }

  /** Runs a command on a lab host; stdout is the last JSON line it printed. */
  async exec(host: string, command: string[], limitMs: number): Promise<string> {
    const { stdout } = await this.chatlab(['exec', host, '--', ...command], limitMs, `exec ${host}`);
    return stdout;
  }

  /**
   * Registers the bench's own accounts on both servers, with fresh passwords kept beside the lab's
   * secrets (git-ignored, mode 600): the bench never logs in as the lab's demo accounts.
   */
  async registerAccounts(status: LabStatus): Promise<Record<string, Record<Role, Account>>> {
    const dir = this.accountsDir(status);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const byDomain: Record<string, Record<Role, Account>> = {};
    for (const { domain, server } of status.domains) {
      const accounts = {} as Record<Role, Account>;
      const commands: string[] = [];
      for (const [role, user] of Object.entries(roles) as [Role, string][]) {
        const jid = `${user}@${domain}`;
        const password = randomBytes(18).toString('base64url');
        const passwordFile = join(dir, jid);
        const peerConfig = `${passwordFile}.sendxmpprc`;
        writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
        writeFileSync(peerConfig, `username: ${jid}\npassword: ${password}\n`, { mode: 0o600 });
        accounts[role] = { jid, passwordFile, peerConfig };
        // A stopped bench leaves its accounts behind: a second run takes them over with a new password.
        commands.push(
          server === 'prosody'
            ? `prosodyctl register ${user} ${domain} ${password}`
            : `ejabberdctl register ${user} ${domain} ${password} || { ejabberdctl unregister ${user} ${domain} && ejabberdctl register ${user} ${domain} ${password}; }`,
        );
      }
      // The rooms are members-only: the bench's sender speaks in its own server's room.
      const room = roomOf(status, domain);
      if (room) commands.push(memberCommand(server, room.jid, accounts.sender.jid));
      // One exec per server: each ejabberdctl call starts an Erlang VM, each exec a chatlab.
      // Prosody's accounts on its host; ejabberd's through any node of the cluster.
      const host = server === 'prosody' ? server : status.ejabberd[0]!.host;
      await this.exec(host, ['sh', '-ec', commands.join('\n')], 120_000);
      byDomain[domain] = accounts;
    }
    this.log(`lab ${this.name}: registered ${Object.keys(roles).length} bench accounts on each server`);
    return byDomain;
  }

  accountsDir(status: LabStatus): string {
    return join(dirname(status.secretsDir), 'bench-accounts');
  }
}
