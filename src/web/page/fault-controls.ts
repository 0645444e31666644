// The fault controls of the page (switched doorbells, writing on): each
// button posts one change to /api/v1/faults with the token typed in the page.
// The choices follow the topology: its links and its peers.
import type { NodeLinkGraph } from '../model.js';

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function body(action: string): Record<string, unknown> {
  const link = byId<HTMLSelectElement>('fault-link').value;
  switch (action) {
    case 'down':
    case 'up':
      return { action, link };
    case 'latency':
      return { action, link, us: Number(byId<HTMLInputElement>('fault-us').value) };
    case 'drop':
      return { action, link, probability: Number(byId<HTMLInputElement>('fault-p').value) };
    case 'isolate':
    case 'rejoin':
      return { action, peer: Number(byId<HTMLSelectElement>('fault-peer').value) };
    default:
      return { action };
  }
}

/** Shows the controls and wires their buttons; `post` sends a JSON body with the token and reports the answer. */
export function faultControls(post: (path: string, body: Record<string, unknown>, done: string) => void): void {
  const form = byId<HTMLFormElement>('faults');
  form.hidden = false;
  form.addEventListener('click', (event) => {
    const action = (event.target as HTMLElement).dataset.action;
    if (action) post('/api/v1/faults', body(action), 'applied');
  });
}

/** Keeps a select's options equal to `values`, the chosen one kept. */
function options(select: HTMLSelectElement, values: Array<[string, string]>): void {
  const chosen = select.value;
  if ([...select.options].map((o) => o.value).join('\n') === values.map(([v]) => v).join('\n')) return;
  select.replaceChildren(...values.map(([value, text]) => new Option(text, value, false, value === chosen)));
}

/** The links and peers to choose from, as the topology has them now. */
export function faultChoices(graph: NodeLinkGraph): void {
  const links = graph.links.filter((link) => link.name !== undefined);
  // Switch links first: they are what is usually taken down.
  links.sort((a, b) =>
    a.kind === b.kind
      ? (a.name ?? '').localeCompare(b.name ?? '', undefined, { numeric: true })
      : a.kind === 'switch-link'
        ? -1
        : 1,
  );
  options(
    byId('fault-link'),
    links.map((link) => [link.name!, link.name!]),
  );
  const peers = graph.nodes.filter((node) => node.kind === 'peer' && node.peer !== undefined);
  options(
    byId('fault-peer'),
    peers.map((node) => [String(node.peer), node.nodename ? `${node.nodename} (${node.peer})` : `peer ${node.peer}`]),
  );
}
