// FAME-Z's picture of the switch: the first half of the ports down the left
// side, the rest up the right, each with its cclass, nodename and [CID,SID].
import type { Port } from './switch.js';

export function switchDiagram(nClients: number, ports: ReadonlyMap<number, Port>): string[] {
  const width = 40;
  const half = Math.ceil(nClients / 2);
  const left = (port?: Port): string =>
    port ? `${port.cclass} ${port.nodename || '-'} [${port.cid},${port.sid}]`.slice(-width) : '';
  const right = (port?: Port): string =>
    port ? `[${port.cid},${port.sid}] ${port.cclass} ${port.nodename || '-'}` : '';
  const lines = [`${' '.repeat(width)}  _______`];
  for (let i = 1; i <= half; i++) {
    const j = nClients + 1 - i;
    const notch = i === 1 ? 'U' : ' ';
    const rightSide = j > half ? `|- ${right(ports.get(j))}`.trimEnd() : '|';
    const jLabel = j > half ? String(j).padStart(2) : '  ';
    lines.push(`${left(ports.get(i)).padStart(width)} -|${String(i).padStart(2)} ${notch} ${jLabel}${rightSide}`);
  }
  lines.push(`${' '.repeat(width)}  =======`);
  return lines;
}
