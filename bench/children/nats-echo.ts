// NATS's own request-reply floor, its other side: a process that answers every
// request on famez.bench.echo with its payload. Prints "ready" once subscribed.
//   node nats-echo.js URL
import { connect } from '@nats-io/transport-node';

const nc = await connect({ servers: process.argv[2]! });
nc.subscribe('famez.bench.echo', {
  callback: (_error, msg) => {
    msg.respond(msg.data);
  },
});
await nc.flush();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void nc.close().then(() => process.exit(0)));
