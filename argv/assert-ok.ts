// What the bundles give posix-getopt for node:assert, its only use of which is ok() on its own
// invariants: node:assert loads its error classes and terminal colours (which open stderr) at
// every start.
export function ok(value: unknown, message = 'assertion failed'): asserts value {
  if (!value) throw new Error(message);
}
