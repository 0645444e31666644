// Event-stream clients for the web section, in a process of their own (pinned
// by the bench): COUNT clients of URL/api/v1/events, each reading every byte
// it is sent and counting its events. Usage: event-clients.js URL COUNT
// IPC: tells "ready" once every client has its answer; on "count" tells
// {type: "counted", events, bytes, open} (totals so far, clients still open).
import { request, type ClientRequest } from 'node:http';
import { childSetup, tell, type Message } from '../lib.js';

childSetup();
const [url, countText] = process.argv.slice(2);
const count = Number(countText);
if (!url || !Number.isInteger(count) || count < 1) throw new Error('usage: event-clients.js URL COUNT');

const MARK = '\ndata: ';
let events = 0;
let bytes = 0;
let open = 0;
const requests: ClientRequest[] = [];

/** One client: counts `data:` lines, a mark split across two chunks included. */
function client(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1/events`, { agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${url}/api/v1/events answered ${res.statusCode}`));
      open++;
      let tail = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        bytes += Buffer.byteLength(chunk);
        const text = tail + chunk;
        for (let at = text.indexOf(MARK); at >= 0; at = text.indexOf(MARK, at + MARK.length)) events++;
        tail = text.slice(-(MARK.length - 1));
      });
      res.on('close', () => open--);
      resolve();
    });
    req.on('error', reject).end();
    requests.push(req);
  });
}

await Promise.all(Array.from({ length: count }, client));
tell({ type: 'ready' });
process.on('message', (message: Message) => {
  if (message.type === 'count') tell({ type: 'counted', events, bytes, open });
  if (message.type === 'exit') {
    requests.forEach((req) => req.destroy());
    process.exit(0);
  }
});
