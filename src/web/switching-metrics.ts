// Metrics read when scraped: the queue depths, and a switched fabric's
// per-link doorbells, messages, bytes, state and fault changes.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LinkCounters } from '../switching/index.js';
import type { SwitchingSource, WebSource } from './model.js';

export function queueMetrics(source: WebSource, registers: Registry[]): void {
  const queues = source.queues?.bind(source);
  if (!queues) return;
  new Gauge({
    name: 'famez_peer_send_queue',
    help: "Messages (notices and fds) waiting to be written to a peer's socket",
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      for (const { id, queued } of queues().peers) this.set({ peer: String(id) }, queued);
    },
  });
  if (source.kind === 'fabric') {
    new Gauge({
      name: 'famez_switch_outbox',
      help: "The switch's mailbox messages not yet taken by their receivers",
      registers,
      collect() {
        this.set(queues().outbox ?? 0);
      },
    });
  }
}

export function switchingMetrics(source: WebSource, switching: SwitchingSource, registers: Registry[]): void {
  const links = () =>
    switching.links(
      source
        .peers()
        .filter((peer) => !peer.builtIn)
        .map((peer) => peer.id),
    );
  const perLink = (key: keyof LinkCounters, name: string, help: string) =>
    new Counter({
      name,
      help,
      labelNames: ['link'],
      registers,
      collect() {
        this.reset();
        for (const link of links()) this.inc({ link: link.name }, link.counters[key]);
      },
    });
  perLink('forwarded', 'famez_link_doorbells_forwarded_total', 'Doorbells (rings) that crossed a link');
  perLink('dropped', 'famez_link_doorbells_dropped_total', 'Doorbells lost on a link: down, dropped, over its rate');
  perLink(
    'delayed',
    'famez_link_doorbells_delayed_total',
    'Doorbells that crossed a link and were held back (latency)',
  );
  perLink('messages', 'famez_link_messages_total', 'Mailbox messages whose doorbell crossed a link (fabric)');
  perLink('bytes', 'famez_link_bytes_total', 'Bytes of those messages');
  new Gauge({
    name: 'famez_link_up',
    help: 'Whether a link is up (1) or down (0)',
    labelNames: ['link'],
    registers,
    collect() {
      this.reset();
      for (const link of links()) this.set({ link: link.name }, link.state === 'up' ? 1 : 0);
    },
  });
  new Counter({
    name: 'famez_fault_changes_total',
    help: 'Fault changes applied',
    registers,
    collect() {
      this.reset();
      this.inc(switching.faultChanges);
    },
  });
}
