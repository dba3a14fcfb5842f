// The run as a picture: stacked panels sharing the time axis (sessions, rates, latency, CPU per
// host), plain SVG with no dependency, so it opens in any browser.
import type { LoadReport } from './report.ts';

interface Line {
  label: string;
  values: Array<number | undefined>;
}

interface Panel {
  title: string;
  unit: string;
  lines: Line[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const WIDTH = 900;
const PANEL_H = 150;
const LEFT = 60;
const RIGHT = 170;
const TOP = 40;

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((v) => v >= value)!;
}

function panelSvg(panel: Panel, index: number, seconds: number): string {
  const y0 = TOP + index * (PANEL_H + 30);
  const plotW = WIDTH - LEFT - RIGHT;
  const max = niceMax(Math.max(0, ...panel.lines.flatMap((l) => l.values.filter((v): v is number => v !== undefined))));
  const x = (i: number) => LEFT + (seconds > 1 ? (i / (seconds - 1)) * plotW : 0);
  const y = (v: number) => y0 + PANEL_H - (v / max) * PANEL_H;
  const paths = panel.lines.map((line, li) => {
    // A gap where there is no value (no message that second), instead of a line through zero.
    let d = '';
    let pen = false;
    line.values.forEach((v, i) => {
      if (v === undefined) return void (pen = false);
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    const color = COLORS[li % COLORS.length];
    return `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>` +
      `<text x="${WIDTH - RIGHT + 10}" y="${y0 + 14 + li * 16}" fill="${color}" font-size="12">${esc(line.label)}</text>`;
  });
  return [
    `<text x="${LEFT}" y="${y0 - 8}" font-size="13" font-weight="bold">${esc(panel.title)}</text>`,
    `<rect x="${LEFT}" y="${y0}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#ccc"/>`,
    `<text x="${LEFT - 6}" y="${y0 + 10}" font-size="11" text-anchor="end">${max}</text>`,
    `<text x="${LEFT - 6}" y="${y0 + PANEL_H}" font-size="11" text-anchor="end">0</text>`,
    `<text x="${LEFT - 6}" y="${y0 + PANEL_H / 2}" font-size="11" text-anchor="end">${esc(panel.unit)}</text>`,
    ...paths,
  ].join('\n');
}

export function loadPanels(r: LoadReport): Panel[] {
  const s = r.series;
  const cpuByHost = new Map<string, number[]>();
  for (const p of r.processes) {
    const sum = cpuByHost.get(p.host) ?? [];
    p.cpuPct.forEach((v, i) => (sum[i] = (sum[i] ?? 0) + v));
    cpuByHost.set(p.host, sum);
  }
  return [
    {
      title: 'concurrent sessions',
      unit: 'sessions',
      lines: [
        { label: 'all (load generator)', values: s.map((p) => p.sessions) },
        ...Object.entries(r.haproxy?.sessionsPerServer ?? {}).map(([server, values]) => ({ label: server, values })),
      ],
    },
    {
      title: 'rates per second',
      unit: '/s',
      lines: [
        { label: 'messages received', values: s.map((p) => p.received) },
        { label: 'logins', values: s.map((p) => p.logins) },
        { label: 'errors', values: s.map((p) => p.errors) },
      ],
    },
    {
      title: 'latency send -> receive',
      unit: 'ms',
      lines: [
        { label: 'p50', values: s.map((p) => p.latencyP50Ms) },
        { label: 'p99', values: s.map((p) => p.latencyP99Ms) },
      ],
    },
    { title: 'CPU per lab host (100 % = one core)', unit: '%', lines: [...cpuByHost].map(([host, values]) => ({ label: host, values })) },
  ];
}

export function chartSvg(r: LoadReport): string {
  const panels = loadPanels(r);
  const seconds = Math.max(r.series.length, ...panels.flatMap((p) => p.lines.map((l) => l.values.length)));
  const height = TOP + panels.length * (PANEL_H + 30) + 10;
  const o = r.options;
  const title = `chatlab load: ${o.server}, ${o.users} users at ${o.rate}/s, ${r.ejabberdNodes} ejabberd node(s), ${r.date.slice(0, 16)}Z (x: ${seconds} s)`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="14">${esc(title)}</text>`,
    ...panels.map((p, i) => panelSvg(p, i, seconds)),
    '</svg>',
    '',
  ].join('\n');
}
