// What the rows of the bench's table share: where a figure was measured, the baseline's cells,
// and a figure's comparisons in brackets. Pure.
import { formatKb, formatRatio, ratio } from './stats.ts';
import type { Row, Server, Tool } from './results.ts';

export const peer: Tool = 'go-sendxmpp';
/** rsxcc as it was before (BENCH_BASELINE), measured in the same run: a regression shows as a ratio above 1. */
export const baseline: Tool = 'rsxcc-baseline';

export const where = (server: Server, nodes: number, storage?: 'mnesia') =>
  server === 'ejabberd' ? `ejabberd x${nodes} (HAProxy${storage === 'mnesia' ? ', Mnesia' : ''})` : 'prosody';

/** The baseline's cells of a row: its figure, and the current rsxcc's ratio to it (above 1.00x: more time or memory now). */
export const versus = (figure: string, ours: number, before: number): Pick<Row, 'baseline' | 'vsBaseline'> => ({
  baseline: figure,
  vsBaseline: formatRatio(ratio(ours, before)),
});

/** "+N MB over node -e 0" when the floor was measured. */
export const overFloor = (kb: number, floorKb: number | undefined) => (floorKb ? `+${formatKb(kb - floorKb)} over \`node -e 0\`` : '');
/** A figure with what it is compared with in brackets, where there is any. */
export const withNotes = (figure: string, notes: (string | false | undefined)[]) => {
  const said = notes.filter(Boolean);
  return said.length ? `${figure} (${said.join(', ')})` : figure;
};
