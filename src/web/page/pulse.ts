// A message travelling the drawn topology: a dot from one peer to another
// along the links it crossed; nothing with reduced motion.
import type * as D3 from 'd3';
import { pulseLayer, still } from './canvas.js';
import { linkNamed, nodeOfPeer, type GraphNode } from './graph.js';

declare const d3: typeof D3;

/** The points a message passes: from `from`, across each named link in turn (switched), or straight to `to`. */
function route(from: number, to: number, via: readonly string[]): GraphNode[] {
  const a = nodeOfPeer(from);
  const b = nodeOfPeer(to);
  if (!a || !b) return [];
  const points = [a];
  for (const name of via) {
    const ends = linkNamed(name);
    if (!ends) return [a, b];
    const [source, target] = ends;
    const last = points[points.length - 1]!;
    points.push(source === last ? target : source);
  }
  if (points[points.length - 1] !== b) points.push(b);
  return points;
}

/** A dot that travels from one peer to another, along the links it crossed; nothing with reduced motion. */
export function pulse(from: number, to: number, via: readonly string[] = []): void {
  const points = route(from, to, via);
  if (points.length < 2 || still()) return;
  let dot = pulseLayer
    .append('circle')
    .attr('class', 'pulse')
    .attr('r', 6)
    .attr('cx', points[0]!.x ?? 0)
    .attr('cy', points[0]!.y ?? 0)
    .transition()
    .duration(0);
  const legMs = Math.max(200, 700 / (points.length - 1));
  for (const point of points.slice(1))
    dot = dot
      .transition()
      .duration(legMs)
      .ease(d3.easeLinear)
      .attr('cx', point.x ?? 0)
      .attr('cy', point.y ?? 0);
  dot.transition().duration(150).attr('r', 12).style('opacity', 0).remove();
}
