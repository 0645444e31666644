// What `famez lab` prints once every guest is up.
export interface GuestRow {
  port: number | undefined;
  nodename: string;
  cid: number | undefined;
  link: string;
  console: string;
}

export function labTable(rows: readonly GuestRow[]): string[] {
  const cells = [
    ['port', 'nodename', 'CID', 'link', 'console'],
    ...rows.map((r) => [
      String(r.port ?? '-'),
      r.nodename,
      r.cid === undefined ? '-' : String(r.cid),
      r.link,
      r.console,
    ]),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}
