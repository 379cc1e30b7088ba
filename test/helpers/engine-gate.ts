/**
 * A gate in front of the real Docker engine: a unix socket that forwards every connection to
 * /var/run/docker.sock while open, and refuses (and cuts) them while closed. A hub given
 * DOCKER_HOST=unix://<gate.socket> sees its engine go away and come back, as when an admin
 * restarts dockerd, while the engine itself keeps running for every other test.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface EngineGate {
  socket: string;
  /** DOCKER_HOST for a hub behind the gate. */
  dockerHost: string;
  open(): Promise<void>;
  close(): Promise<void>;
  remove(): Promise<void>;
}

export async function engineGate(engine = '/var/run/docker.sock'): Promise<EngineGate> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-gate-'));
  const socket = path.join(dir, 'docker.sock');
  const live = new Set<net.Socket>();
  let server: net.Server | undefined;
  const gate: EngineGate = {
    socket,
    dockerHost: `unix://${socket}`,
    async open() {
      if (server) return;
      server = net.createServer((client) => {
        const upstream = net.connect(engine);
        for (const s of [client, upstream]) {
          live.add(s);
          s.on('close', () => live.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      await new Promise<void>((resolve) => server?.listen(socket, resolve));
    },
    async close() {
      const closing = server;
      server = undefined;
      for (const s of live) s.destroy();
      if (closing) await new Promise((resolve) => closing.close(resolve));
      fs.rmSync(socket, { force: true });
    },
    async remove() {
      await gate.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await gate.open();
  return gate;
}
