// User and group names to numbers, from /etc/passwd and /etc/group.
import { readFileSync } from 'node:fs';
import { UsageError } from './usage.js';

function lookup(file: string, name: string): number | undefined {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [entry, , id] = line.split(':');
    if (entry === name && id !== undefined) return Number(id);
  }
  return undefined;
}

/** "qemu,1000,kvm" -> numbers; names are looked up in `database`. */
export function resolveIds(option: string, text: string, database: 'user' | 'group'): number[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      if (/^\d+$/.test(item)) return Number(item);
      const id = lookup(database === 'user' ? '/etc/passwd' : '/etc/group', item);
      if (id === undefined) throw new UsageError(`invalid value "${item}" for ${option}: no such ${database}`);
      return id;
    });
}
