// libvirtd adds its own iptables chains (LIBVIRT_INP, LIBVIRT_FWO, ...) and leaves them behind,
// empty, when it exits. Pure: iptables-save text in, the commands that remove only the chains
// that were not there before out.

export type ChainSet = Map<string, Set<string>>;

/** Chains per table whose name starts with `prefix`, from `iptables-save` output. */
export function chainsIn(save: string, prefix = 'LIBVIRT_'): ChainSet {
  const out: ChainSet = new Map();
  let table: string | undefined;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      continue;
    }
    const m = /^:(\S+)\s/.exec(line);
    if (table && m && m[1]!.startsWith(prefix)) {
      if (!out.has(table)) out.set(table, new Set());
      out.get(table)!.add(m[1]!);
    }
  }
  return out;
}

/** Rules in built-in chains that jump to one of `chains` of `table`, as `-D` argument lists. */
function jumpsTo(save: string, table: string, chains: Set<string>): string[][] {
  const out: string[][] = [];
  let current: string | undefined;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) current = line.slice(1).trim();
    if (current !== table || !line.startsWith('-A ')) continue;
    const words = line.split(/\s+/);
    const target = words[words.indexOf('-j') + 1];
    // Rules inside the chains themselves go with the flush.
    if (chains.has(words[1]!)) continue;
    if (words.includes('-j') && target && chains.has(target)) out.push(['-D', ...words.slice(1)]);
  }
  return out;
}

/** iptables argument lists that undo libvirt's chains added since `before` was taken: first the
 *  jumps into them, then flush every one (they may jump to each other), then delete them. */
export function chainCleanup(before: string, now: string): string[][] {
  const had = chainsIn(before);
  const commands: string[][] = [];
  for (const [table, chains] of chainsIn(now)) {
    const added = new Set([...chains].filter((c) => !had.get(table)?.has(c)));
    if (added.size === 0) continue;
    for (const del of jumpsTo(now, table, added)) commands.push(['-t', table, ...del]);
    for (const c of [...added].sort()) commands.push(['-t', table, '-F', c]);
    for (const c of [...added].sort()) commands.push(['-t', table, '-X', c]);
  }
  return commands;
}
