/**
 * WebSocket load from its own process: `connections` clients, each sending a message of `size`
 * bytes and waiting for its echo before the next, for `seconds`. Prints one JSON line with
 * round trips per second and the number of failures.
 *
 *   node dist/bench/ws-load.js <url> <connections> <size> <seconds> [cookie]
 */
import WebSocket from 'ws';

const [url, connections, size, seconds, cookie] = process.argv.slice(2);
const payload = Buffer.alloc(Number(size), 'm');
const end = Date.now() + Number(seconds) * 1000;
let messages = 0;
let failures = 0;

function client(): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, {
      headers: cookie ? { cookie } : {},
      maxPayload: 8 * 1024 * 1024,
      perMessageDeflate: false,
    });
    ws.on('open', () => ws.send(payload));
    ws.on('message', () => {
      messages++;
      if (Date.now() < end) ws.send(payload);
      else ws.close();
    });
    const failed = () => {
      failures++;
      resolve();
    };
    ws.on('unexpected-response', failed);
    ws.on('error', failed);
    ws.on('close', () => resolve());
  });
}

const started = Date.now();
Promise.all(Array.from({ length: Number(connections) }, client)).then(() => {
  process.stdout.write(
    `${JSON.stringify({ messagesPerSecond: messages / ((Date.now() - started) / 1000), messages, failures })}\n`,
  );
});
