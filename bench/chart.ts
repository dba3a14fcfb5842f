// The SVG chart: send latency and drain throughput, rsxcc beside go-sendxmpp. Written by hand
// (a few rectangles and labels) rather than pulling a charting dependency into the project.
import { median, perSecond } from './stats.ts';
import { peer, type BenchResults, type DrainResult, type Tool } from './results.ts';

export interface Group {
  label: string;
  /** One value per series; NaN leaves the bar out. */
  values: number[];
}

export interface Panel {
  title: string;
  unit: string;
  groups: Group[];
}

const series: Tool[] = ['rsxcc', peer];
const colours = ['#1f77b4', '#ff7f0e'];

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A scale maximum of 1, 2 or 5 times a power of ten, so the axis reads in round numbers. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= value)!;
}

function panelSvg(panel: Panel, x: number, y: number, width: number, height: number): string {
  const left = 60;
  const bottom = 60;
  const top = 30;
  const plotWidth = width - left - 10;
  const plotHeight = height - top - bottom;
  const finite = panel.groups.flatMap((g) => g.values).filter(Number.isFinite);
  const max = niceMax(Math.max(0, ...finite));
  const parts = [
    `<text x="${x + width / 2}" y="${y + 18}" text-anchor="middle" font-weight="bold">${escapeXml(panel.title)}</text>`,
    `<line x1="${x + left}" y1="${y + top + plotHeight}" x2="${x + left + plotWidth}" y2="${y + top + plotHeight}" stroke="#333"/>`,
  ];
  for (let tick = 0; tick <= 4; tick++) {
    const ty = y + top + plotHeight - (tick / 4) * plotHeight;
    parts.push(
      `<line x1="${x + left}" y1="${ty}" x2="${x + left + plotWidth}" y2="${ty}" stroke="#ddd"/>`,
      `<text x="${x + left - 4}" y="${ty + 4}" text-anchor="end" font-size="10">${Number(((max * tick) / 4).toPrecision(3))}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(${x + 14},${y + top + plotHeight / 2}) rotate(-90)" text-anchor="middle" font-size="11">${escapeXml(panel.unit)}</text>`,
  );
  const slot = plotWidth / Math.max(1, panel.groups.length);
  const barWidth = Math.min(28, (slot * 0.8) / series.length);
  panel.groups.forEach((group, index) => {
    const groupX = x + left + index * slot + (slot - barWidth * series.length) / 2;
    group.values.forEach((value, s) => {
      if (!Number.isFinite(value)) return;
      const barHeight = (value / max) * plotHeight;
      const bx = groupX + s * barWidth;
      const by = y + top + plotHeight - barHeight;
      parts.push(
        `<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="${colours[s]}"><title>${escapeXml(`${series[s]} ${group.label}: ${Number(value.toPrecision(4))} ${panel.unit}`)}</title></rect>`,
      );
    });
    const lx = x + left + index * slot + slot / 2;
    const ly = y + top + plotHeight + 14;
    parts.push(`<text x="${lx.toFixed(1)}" y="${ly}" text-anchor="middle" font-size="10">${escapeXml(group.label)}</text>`);
  });
  return parts.join('\n');
}

export function chartSvg(panels: Panel[]): string {
  const panelWidth = 460;
  const height = 320;
  const width = panelWidth * panels.length;
  const legend = series
    .map((name, s) => `<rect x="${10 + s * 130}" y="${height - 18}" width="12" height="12" fill="${colours[s]}"/><text x="${26 + s * 130}" y="${height - 8}" font-size="12">${name}</text>`)
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...panels.map((panel, i) => panelSvg(panel, i * panelWidth, 0, panelWidth, height - 20)),
    legend,
    '</svg>',
    '',
  ].join('\n');
}

const label = (server: string, nodes: number) => (server === 'ejabberd' ? `ejabberd x${nodes}` : server);

/** The two panels of the issue: send latency (lower is better), drain throughput (higher is better). */
export function benchPanels(results: BenchResults): Panel[] {
  const send: Group[] = results.send.filter((s) => s.target === 'local').map((s) => ({ label: label(s.server, s.nodes), values: series.map((tool) => median(s.ms[tool] ?? [])) }));
  const rate = (d: DrainResult | undefined) => (d ? perSecond(d.shown, median(d.wallMs)) : Number.NaN);
  const drain: Group[] = results.drain
    .filter((d) => d.tool === 'rsxcc' && d.waiting > 0)
    .map((ours) => {
      const theirs = results.drain.find((d) => d.tool === peer && d.server === ours.server && d.nodes === ours.nodes && d.waiting === ours.waiting);
      return { label: `${label(ours.server, ours.nodes)}, ${ours.waiting}`, values: [rate(ours), rate(theirs)] };
    });
  return [
    { title: 'send one message, start to exit (median)', unit: 'ms', groups: send },
    { title: 'drain unread messages (server, waiting)', unit: 'messages/s', groups: drain },
  ];
}
