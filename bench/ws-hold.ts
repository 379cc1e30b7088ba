/**
 * WebSocket connections held open from their own process: `connections` clients, opened a
 * hundred at a time, each sends one small message and waits for its echo (so the proxy has
 * carried both ways), then "open" is printed and every socket stays open, idle, until SIGTERM.
 *
 *   node dist/bench/ws-hold.js <url> <connections> [cookie]
 */
import WebSocket from 'ws';

const [url, connections, cookie] = process.argv.slice(2);
const BATCH = 100;
const sockets: WebSocket[] = [];

function open(): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: cookie ? { cookie } : {}, perMessageDeflate: false });
    sockets.push(ws);
    ws.once('open', () => ws.send('hold'));
    ws.once('message', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function main(): Promise<void> {
  for (let opened = 0; opened < Number(connections); opened += BATCH)
    await Promise.all(Array.from({ length: Math.min(BATCH, Number(connections) - opened) }, open));
  process.stdout.write('open\n');
}

process.once('SIGTERM', () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
