// Listening to an EventEmitter for a while: every handler added is removed by
// the one function returned.
import type { EventEmitter } from 'node:events';

type Handlers = Record<string, (...args: never[]) => void>;

export function listenTo(emitter: EventEmitter, handlers: Handlers): () => void {
  const entries = Object.entries(handlers) as Array<[string, (...args: unknown[]) => void]>;
  for (const [name, handler] of entries) emitter.on(name, handler);
  return () => {
    for (const [name, handler] of entries) emitter.off(name, handler);
  };
}
