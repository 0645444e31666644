// The page's SVG: its layers (links under their captions under the nodes
// under travelling messages), its size, the motion preference, the legend.
import type * as D3 from 'd3';

declare const d3: typeof D3;

export const still = (): boolean => window.matchMedia('(prefers-reduced-motion: reduce)').matches;
export const svg = d3.select<SVGSVGElement, unknown>('#graph');
export const linkLayer = svg.append('g');
export const labelLayer = svg.append('g');
export const nodeLayer = svg.append('g');
export const pulseLayer = svg.append('g');

export const size = (): { width: number; height: number } => {
  const box = (svg.node() as SVGSVGElement).getBoundingClientRect();
  return { width: box.width || 800, height: box.height || 600 };
};
export const radius = (): number => {
  const { width, height } = size();
  return Math.max(140, Math.min(width, height) / 2 - 90);
};

/** What the colours mean, in the bottom left corner. */
export function legend(): void {
  const { height } = size();
  const entries: Array<[string, string]> = [
    ['configured', 'var(--configured)'],
    ['link up', 'var(--up)'],
    ['no driver yet', 'var(--driverless)'],
    ['message', 'var(--msg)'],
    ['switched link', 'var(--fabric)'],
    ['link down', 'var(--warn)'],
  ];
  const group = svg.append('g').attr('transform', `translate(18,${height - 18 - entries.length * 18})`);
  entries.forEach(([text, color], i) => {
    group
      .append('circle')
      .attr('cx', 6)
      .attr('cy', i * 18)
      .attr('r', 5)
      .style('fill', color);
    group
      .append('text')
      .attr('class', 'legend')
      .attr('x', 18)
      .attr('y', i * 18 + 4)
      .text(text);
  });
}
