// Each namespace host's own files: its directories under .chatlab/hosts/NAME (bind-mounted over
// the system paths when a command enters the host) and its /etc/netns/NETNS/{hosts,resolv.conf}.
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NetnsHost, NetnsPlan } from './plan.ts';
import { run } from '../run.ts';

const exists = (p: string) => access(p).then(() => true, () => false);

export const netnsEtc = (h: NetnsHost) => path.join('/etc/netns', h.netns);

/** The generated name-service files, read from the asset tree (lab/hosts, lab/resolv.conf). */
export interface NameFiles {
  hosts: string;
  resolvConf: string;
}

export async function readNameFiles(assetsRoot: string): Promise<NameFiles> {
  const [hosts, resolvConf] = await Promise.all(['hosts', 'resolv.conf'].map((f) => readFile(path.join(assetsRoot, 'lab', f), 'utf8')));
  return { hosts: hosts!, resolvConf: resolvConf! };
}

export async function prepareHostFs(h: NetnsHost, names: NameFiles): Promise<void> {
  for (const bind of h.binds) {
    // The mount point must exist on the shared root filesystem; it stays empty there.
    await mkdir(bind.target, { recursive: true });
    if (await exists(bind.source)) continue;
    if (bind.seed && (await exists(bind.target))) {
      await mkdir(path.dirname(bind.source), { recursive: true });
      // cp -a: the packaged owners and modes (root:ejabberd 750 and the like) must survive.
      await run(['cp', '-a', bind.target, bind.source], { timeoutMs: 10 * 60_000 });
    } else {
      await mkdir(bind.source, { recursive: true });
    }
  }
  // ip netns exec bind-mounts these over /etc/hosts and /etc/resolv.conf. The provisioning
  // script adds the lab block to hosts (as in a VM); the client host gets it from here.
  const etc = netnsEtc(h);
  await mkdir(etc, { recursive: true });
  const hosts = `127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n${h.host.role === 'client' ? names.hosts : ''}`;
  if (!(await exists(path.join(etc, 'hosts')))) await writeFile(path.join(etc, 'hosts'), hosts);
  await writeFile(path.join(etc, 'resolv.conf'), names.resolvConf);
}

export async function removeNetnsEtc(plan: NetnsPlan): Promise<void> {
  for (const h of plan.hosts) await rm(netnsEtc(h), { recursive: true, force: true });
}

export async function wipeHostState(plan: NetnsPlan): Promise<void> {
  await rm(path.join(plan.stateDir, 'hosts'), { recursive: true, force: true });
}
