// GET /metrics: Prometheus' text format through prom-client, on a registry of
// its own (two web servers in one process do not share counters). Gauges and
// per-port counters are read from the source when scraped; events are counted
// as they happen. A nodename is a peer's text: escaped as in the log.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { escapeText } from '../protocol/text-escape.js';
import type { EventBudget } from './event-budget.js';
import type { EventStream } from './event-stream.js';
import type { SourceEvent, SwitchingSource, WebSource } from './model.js';
import { queueMetrics, switchingMetrics } from './switching-metrics.js';

export class WebMetrics {
  readonly registry = new Registry();
  readonly #joins: Counter;
  readonly #leaves: Counter;
  readonly #refusals: Counter<'reason'>;
  readonly #warnings: Counter;

  constructor(source: WebSource, stream: EventStream, switching?: SwitchingSource, budget?: EventBudget) {
    const registers = [this.registry];
    // Process figures and event-loop lag (nodejs_eventloop_lag_*), from perf_hooks: no timers of ours.
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'famez_peers',
      help: 'Connected peers (the switch not counted)',
      registers,
      collect() {
        this.set(source.peers().filter((peer) => !peer.builtIn).length);
      },
    });
    this.#joins = new Counter({ name: 'famez_peer_joins_total', help: 'Peers that joined', registers });
    this.#leaves = new Counter({ name: 'famez_peer_leaves_total', help: 'Peers that left', registers });
    this.#refusals = new Counter({
      name: 'famez_peer_refusals_total',
      help: 'Peers refused, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.#warnings = new Counter({
      name: 'famez_warnings_total',
      help: 'Warnings (a peer did something wrong, or the fabric could not do something)',
      registers,
    });
    new Counter({
      name: 'famez_port_messages_total',
      help: 'Messages between a port and the switch: in (to the switch, one doorbell each) and out',
      labelNames: ['port', 'nodename', 'direction'],
      registers,
      collect() {
        this.reset();
        for (const peer of source.peers()) {
          if (peer.received === undefined || peer.sent === undefined) continue;
          const labels = { port: String(peer.id), nodename: escapeText(peer.nodename ?? '') };
          this.inc({ ...labels, direction: 'in' }, peer.received);
          this.inc({ ...labels, direction: 'out' }, peer.sent);
        }
      },
    });
    queueMetrics(source, registers);
    if (switching) switchingMetrics(source, switching, registers);
    new Gauge({
      name: 'famez_web_event_clients',
      help: 'Clients of the event stream',
      registers,
      collect() {
        this.set(stream.clients);
      },
    });
    new Gauge({
      name: 'famez_web_event_queue_bytes',
      help: 'Bytes of events waiting for slow clients of the stream',
      registers,
      collect() {
        this.set(stream.buffered);
      },
    });
    new Counter({
      name: 'famez_web_event_clients_dropped_total',
      help: 'Event-stream clients disconnected because they did not read',
      registers,
      collect() {
        this.reset();
        this.inc(stream.dropped);
      },
    });
    new Counter({
      name: 'famez_web_events_total',
      help: 'Events published on the stream',
      registers,
      collect() {
        this.reset();
        this.inc(stream.published);
      },
    });
    new Counter({
      name: 'famez_web_events_skipped_total',
      help: "Messages and doorbell traces not streamed: past the stream's budget per second",
      registers,
      collect() {
        this.reset();
        this.inc(budget?.skipped ?? 0);
      },
    });
  }

  observe(event: SourceEvent): void {
    if (event.type === 'peer-joined' && !event.peer.builtIn) this.#joins.inc();
    else if (event.type === 'peer-left') this.#leaves.inc();
    else if (event.type === 'peer-refused') this.#refusals.inc({ reason: event.category });
    else if (event.type === 'warning') this.#warnings.inc();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
