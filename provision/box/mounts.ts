// A build that was cut off leaves /proc, /sys and /dev bound inside its work directory; deleting
// that directory recursively would walk into the machine's own /dev. Pure: mountinfo text in,
// mount points to undo out.

/** Mount points at or below `dir`, deepest first (the order they must be unmounted in). */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  const base = dir.replace(/\/+$/, '');
  const points = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))))
    .filter((p) => p === base || p.startsWith(`${base}/`));
  return [...new Set(points)].sort((a, b) => b.split('/').length - a.split('/').length || b.localeCompare(a));
}
