// A web source the test drives by hand: events as fast as the test emits them.
import type { NodeLinkGraph, SourceEvent, WebSource } from '../../src/web/index.js';

export class FakeSource implements WebSource {
  readonly kind = 'server';
  readonly #listeners = new Set<(event: SourceEvent) => void>();
  peers() {
    return [];
  }
  topology(): NodeLinkGraph {
    return {
      directed: false,
      multigraph: false,
      graph: { name: 'fake', kind: 'server' as const },
      nodes: [],
      links: [],
    };
  }
  describe() {
    return {
      kind: 'server' as const,
      socketPath: 'fake',
      memory: { kind: 'memfd', size: 4096, description: 'memfd' },
      vectors: 1,
      peers: 0,
      options: {},
    };
  }
  subscribe(listener: (event: SourceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  emit(event: SourceEvent): void {
    this.#listeners.forEach((listener) => listener(event));
  }
}
