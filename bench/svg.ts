// The bench's chart as a self-contained SVG: join scaling (log N) and the
// doorbell round trip against the C floor. No packages.

export interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface LatencyBar {
  group: string;
  label: string;
  color: string;
  median: number;
  p99: number;
}

export interface ChartInput {
  title: string;
  subtitle: string;
  perJoin: Series[];
  messageRate: Series[];
  latency: LatencyBar[];
  latencyNote: string;
}

const W = 1420;
const H = 470;
const PANEL = { w: 370, h: 300, top: 95 };
const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${+(value / 1e6).toPrecision(3)}M`;
  if (abs >= 1e3) return `${+(value / 1e3).toPrecision(3)}k`;
  return `${+value.toPrecision(3)}`;
}

/** Round linear ticks from 0 to at least `max`. */
function linearTicks(max: number): number[] {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = 0; t < max + step * 0.999; t += step) ticks.push(+t.toPrecision(6));
  return ticks;
}

/** Powers of ten (and 2x, 5x when the range is short) covering [min, max]. */
function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of hi - lo <= 2 ? [1, 2, 5] : [1]) ticks.push(m * 10 ** e);
  }
  return ticks.filter((t) => t >= 10 ** lo && t <= 10 ** hi);
}

interface Axis {
  map(value: number): number;
  ticks: number[];
  labels?: Map<number, string>;
}

function logAxis(min: number, max: number, from: number, to: number, ticks?: number[]): Axis {
  const t = ticks ?? logTicks(min, max);
  const lo = Math.log10(Math.min(min, t[0]!));
  const hi = Math.log10(Math.max(max, t[t.length - 1]!));
  return { ticks: t, map: (v) => from + ((Math.log10(v) - lo) / (hi - lo || 1)) * (to - from) };
}

function linearAxis(max: number, from: number, to: number): Axis {
  const ticks = linearTicks(max);
  const top = ticks[ticks.length - 1]!;
  return { ticks, map: (v) => from + (v / top) * (to - from) };
}

function frame(x0: number, title: string, xLabel: string, yLabel: string, xAxis: Axis, yAxis: Axis): string[] {
  const { w, h, top } = PANEL;
  const out = [
    `<text x="${x0 + w / 2}" y="${top - 14}" text-anchor="middle" font-size="14" font-weight="bold" ${FONT}>${esc(title)}</text>`,
    `<rect x="${x0}" y="${top}" width="${w}" height="${h}" fill="#fafafa" stroke="#999"/>`,
  ];
  for (const t of yAxis.ticks) {
    const y = yAxis.map(t);
    out.push(
      `<line x1="${x0}" y1="${y}" x2="${x0 + w}" y2="${y}" stroke="#e3e3e3"/>`,
      `<text x="${x0 - 6}" y="${y + 4}" text-anchor="end" font-size="11" ${FONT}>${esc(yAxis.labels?.get(t) ?? fmt(t))}</text>`,
    );
  }
  for (const t of xAxis.ticks) {
    const x = xAxis.map(t);
    out.push(
      `<line x1="${x}" y1="${top}" x2="${x}" y2="${top + h}" stroke="#e3e3e3"/>`,
      `<text x="${x}" y="${top + h + 16}" text-anchor="middle" font-size="11" ${FONT}>${esc(xAxis.labels?.get(t) ?? fmt(t))}</text>`,
    );
  }
  out.push(
    `<text x="${x0 + w / 2}" y="${top + h + (xAxis.ticks.length ? 36 : 50)}" text-anchor="middle" font-size="12" ${FONT}>${esc(xLabel)}</text>`,
    `<text transform="translate(${x0 - 48} ${top + h / 2}) rotate(-90)" text-anchor="middle" font-size="12" ${FONT}>${esc(yLabel)}</text>`,
  );
  return out;
}

function legend(x0: number, y: number, series: Array<{ label: string; color: string; dashed?: boolean }>): string[] {
  return series.flatMap((s, i) => {
    const x = x0 + 10;
    const yy = y + 16 * i;
    return [
      `<line x1="${x}" y1="${yy}" x2="${x + 22}" y2="${yy}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      `<text x="${x + 28}" y="${yy + 4}" font-size="11" ${FONT}>${esc(s.label)}</text>`,
    ];
  });
}

function lineChart(x0: number, title: string, yLabel: string, series: Series[], logY: boolean): string[] {
  const { w, h, top } = PANEL;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v > 0);
  if (xs.length === 0 || ys.length === 0)
    return frame(x0, title, 'peers N (log)', yLabel, logAxis(10, 1000, x0, x0 + w), linearAxis(1, top + h, top));
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  const xAxis = logAxis(Math.min(...xs) / 1.3, Math.max(...xs) * 1.3, x0, x0 + w, xTicks);
  xAxis.labels = new Map(xTicks.map((t) => [t, String(t)]));
  const yAxis = logY
    ? logAxis(Math.min(...ys) / 1.5, Math.max(...ys) * 1.5, top + h, top)
    : linearAxis(Math.max(...ys) * 1.1, top + h, top);
  const out = frame(x0, title, 'peers N (log scale)', yLabel, xAxis, yAxis);
  for (const s of series) {
    const pts = s.points.filter((p) => p[1] > 0 || !logY).map(([x, y]) => [xAxis.map(x), yAxis.map(y)] as const);
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`,
    );
    for (const [x, y] of pts) out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${s.color}"/>`);
  }
  out.push(...legend(x0, top + 14, series));
  return out;
}

function barChart(x0: number, title: string, bars: LatencyBar[], note: string): string[] {
  const { w, h, top } = PANEL;
  const max = Math.max(1, ...bars.map((b) => b.p99));
  const yAxis = linearAxis(max * 1.05, top + h, top);
  const groups = [...new Set(bars.map((b) => b.group))];
  const groupWidth = w / Math.max(1, groups.length);
  const xAxis: Axis = { ticks: [], map: (v) => v };
  const out = frame(x0, title, note, 'microseconds (bar: median, tick: p99)', xAxis, yAxis);
  groups.forEach((group, g) => {
    const members = bars.filter((b) => b.group === group);
    const barWidth = Math.min(60, (groupWidth - 40) / members.length);
    const gx = x0 + g * groupWidth + (groupWidth - barWidth * members.length) / 2;
    out.push(
      `<text x="${x0 + g * groupWidth + groupWidth / 2}" y="${top + h + 31}" text-anchor="middle" font-size="12" font-weight="bold" ${FONT}>${esc(group)}</text>`,
    );
    members.forEach((b, i) => {
      const x = gx + i * barWidth;
      const y = yAxis.map(b.median);
      const p = yAxis.map(b.p99);
      out.push(
        `<rect x="${(x + 3).toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 6).toFixed(1)}" height="${(top + h - y).toFixed(1)}" fill="${b.color}"/>`,
        `<line x1="${(x + barWidth / 2).toFixed(1)}" y1="${y.toFixed(1)}" x2="${(x + barWidth / 2).toFixed(1)}" y2="${p.toFixed(1)}" stroke="#333"/>`,
        `<line x1="${(x + 10).toFixed(1)}" y1="${p.toFixed(1)}" x2="${(x + barWidth - 10).toFixed(1)}" y2="${p.toFixed(1)}" stroke="#333" stroke-width="2"/>`,
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${(Math.min(y, p) - 5).toFixed(1)}" text-anchor="middle" font-size="10" ${FONT}>${esc(fmt(b.median))}</text>`,
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${(top + h + 14).toFixed(1)}" text-anchor="middle" font-size="9" ${FONT}>${esc(b.label)}</text>`,
      );
    });
  });
  return out;
}

export function chart(input: ChartInput): string {
  const body = [
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="24" y="30" font-size="18" font-weight="bold" ${FONT}>${esc(input.title)}</text>`,
    `<text x="24" y="52" font-size="12" fill="#555" ${FONT}>${esc(input.subtitle)}</text>`,
    ...lineChart(80, 'Join: mean time per join', 'milliseconds per join (log)', input.perJoin, true),
    ...lineChart(555, 'Join: messages delivered per second', 'messages per second', input.messageRate, false),
    ...barChart(1020, 'Doorbell round trip vs C floor', input.latency, input.latencyNote),
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">\n${body.join('\n')}\n</svg>\n`;
}
