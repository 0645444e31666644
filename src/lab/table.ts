// What `famez lab` prints once every guest is up.
export interface GuestRow {
  port: number | undefined;
  nodename: string;
  cid: number | undefined;
  link: string;
  /** How the guest maps the FAM (empty: no --fam, no column). */
  fam?: string;
  console: string;
}

/** The guests' rows; in a cluster, `host` (this host's node name) is said on each. */
export function labTable(rows: readonly GuestRow[], host?: string): string[] {
  const where = (cell: string): string[] => (host === undefined ? [] : [cell]);
  const fam = rows.some((r) => r.fam);
  const cells = [
    ['port', ...where('host'), 'nodename', 'CID', 'link', ...(fam ? ['fam'] : []), 'console'],
    ...rows.map((r) => [
      String(r.port ?? '-'),
      ...where(host ?? ''),
      r.nodename,
      r.cid === undefined ? '-' : String(r.cid),
      r.link,
      ...(fam ? [r.fam ?? '-'] : []),
      r.console,
    ]),
  ];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}
