/**
 * Moving a user's home between the nodes of a swarm (`berth user move`), for an admin who empties
 * a node: copy, check, then switch. A manager cannot reach another node's volumes, so the copy is
 * two one-task services on the user's own overlay network: one on the old node streams the home
 * as a tar archive, one on the new node unpacks it into the home volume there. Each prints a
 * digest of every path, mode, owner and byte; only when both agree does the home's node change.
 * The old copy stays where it was until the admin removes it.
 */
import type Docker from 'dockerode';
import { BerthError } from '../errors';
import { ignoreStatus } from './docker-server';
import type { Naming } from './naming';
import type { SwarmHomes } from './swarm-homes';
import { cannotRunOn, ENDED, newestTask, type SwarmNode, serviceLogs, swarmNodes, taskReason } from './swarm-tasks';

const PORT = 7000;
const POLL_MS = 500;
/** A home of tens of GiB copies in minutes; past this something is wrong. */
const MOVE_TIMEOUT_MS = 60 * 60_000;

/**
 * Runs in the user's image (every Jupyter image has python3 and tar). `send <dir>`: prints the
 * digest, then streams <dir> to the first connection. `receive <dir> <host>`: empties <dir> (a
 * copy left by an earlier move), unpacks the stream from <host> into it, prints the digest.
 */
const MOVER = `
import hashlib, os, shutil, socket, stat, subprocess, sys, time
def digest(root):
    h, files, size = hashlib.sha256(), 0, 0
    def entry(path, rel):
        nonlocal files, size
        s = os.lstat(path)
        h.update(os.fsencode(rel) + b'\\0' + f'{s.st_mode} {s.st_uid} {s.st_gid}'.encode() + b'\\0')
        if stat.S_ISLNK(s.st_mode): h.update(os.fsencode(os.readlink(path)))
        elif stat.S_ISREG(s.st_mode):
            files, size = files + 1, size + s.st_size
            with open(path, 'rb') as f:
                for block in iter(lambda: f.read(1 << 20), b''): h.update(block)
    entry(root, '.')
    for d, dirs, names in os.walk(root):
        dirs.sort()
        for n in sorted(dirs + names):
            entry(os.path.join(d, n), os.path.relpath(os.path.join(d, n), root))
    return f'berth-move {h.hexdigest()} {files} {size}'
role, root = sys.argv[1], sys.argv[2]
if role == 'send':
    print(digest(root), flush=True)
    with socket.create_server(('', ${PORT})) as server:
        conn, _ = server.accept()
        with conn:
            tar = subprocess.run(['tar', '-C', root, '--numeric-owner', '-cf', '-', '.'], stdout=conn.fileno())
            conn.shutdown(socket.SHUT_WR)
    sys.exit(tar.returncode)
for name in os.listdir(root):
    path = os.path.join(root, name)
    shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
deadline = time.time() + 600
while True:
    try:
        conn = socket.create_connection((sys.argv[3], ${PORT}), timeout=10)
        break
    except OSError:
        if time.time() > deadline: raise
        time.sleep(1)
with conn:
    conn.settimeout(None)
    tar = subprocess.run(['tar', '-C', root, '--numeric-owner', '-xpf', '-'], stdin=conn.fileno())
if tar.returncode: sys.exit(tar.returncode)
print(digest(root), flush=True)
`;

interface Move {
  user: string;
  from: SwarmNode;
  to: SwarmNode;
  /** The image the copy runs in, by digest (every node can pull it). */
  reference: string;
  /** The user's overlay network. */
  network: string;
}

export interface Moved {
  from: string;
  to: string;
  /** The home volume's name, the same on both nodes. */
  volume: string;
  files: number;
  bytes: number;
}

/** What a move needs from the spawner: an image every node can pull, and the user's network. */
export interface MoveNeeds {
  reference(): Promise<string>;
  network(): Promise<string>;
}

export class HomeMover {
  constructor(
    private readonly docker: Docker,
    private readonly names: Naming,
    private readonly homes: SwarmHomes,
  ) {}

  /** Copies the user's home to `node` (hostname or id), checks, then switches; on any failure it stays. */
  async move(user: string, node: string, needs: MoveNeeds): Promise<Moved> {
    if (this.homes.shared)
      throw new BerthError(400, 'Homes are on storage every node reaches (HUB_HOME_VOLUME_OPTIONS): nothing to move.');
    const nodes = await swarmNodes(this.docker);
    const to = nodes.find((n) => n.hostname === node || n.id === node);
    if (!to) throw new BerthError(404, `No node ${node} in the swarm; \`docker node ls\` lists them.`);
    const fromId = await this.homes.node(user);
    const from = nodes.find((n) => n.id === fromId);
    if (!from) throw new BerthError(404, `${user} has no home on the swarm's nodes yet: nothing to move.`);
    if (from.id === to.id) throw new BerthError(400, `${user}'s home is on ${to.hostname} already.`);
    const blocked = cannotRunOn(from) ?? cannotRunOn(to);
    if (blocked) throw new BerthError(409, `The home cannot be moved now: ${blocked}.`);
    const move = { user, from, to, reference: await needs.reference(), network: await needs.network() };
    return { from: from.hostname, to: to.hostname, volume: this.names.volume(user), ...(await this.copy(move)) };
  }

  private async copy(move: Move): Promise<{ files: number; bytes: number }> {
    const { user } = move;
    const server = await this.docker.getService(this.names.container(user)).inspect().catch(ignoreStatus(404));
    if (server) throw new BerthError(409, `${user}'s server is running: stop it first, then move the home.`);
    await this.homes.beginMove(user, move.to.id);
    const sender = `${this.names.container(user)}-move-from`;
    const receiver = `${this.names.container(user)}-move-to`;
    try {
      // A server started between the check above and the lock sees the lock and gives way.
      if (await this.docker.getService(this.names.container(user)).inspect().catch(ignoreStatus(404)))
        throw new BerthError(409, `${user}'s server started meanwhile: stop it first, then move the home.`);
      await this.docker.createService(this.spec(move, sender, move.from, ['send', '/from'], true));
      await this.docker.createService(this.spec(move, receiver, move.to, ['receive', '/to', sender], false));
      const [sent, received] = await Promise.all([this.finished(sender), this.finished(receiver)]);
      if (sent.digest !== received.digest)
        throw new BerthError(
          500,
          `The copy of ${user}'s home on ${move.to.hostname} does not match the one on ${move.from.hostname}; ` +
            'the home stays where it was.',
        );
      await this.homes.relocate(user, move.to.id);
      return { files: sent.files, bytes: sent.bytes };
    } finally {
      for (const name of [sender, receiver])
        await this.docker
          .getService(name)
          .remove()
          .catch(() => undefined);
      await this.homes.endMove(user);
    }
  }

  private spec(move: Move, name: string, node: SwarmNode, args: string[], readOnly: boolean) {
    return {
      Name: name,
      Labels: this.names.labels('move', move.user),
      TaskTemplate: {
        ContainerSpec: {
          Image: move.reference,
          Command: ['python3', '-c', MOVER, ...args],
          // root, to read and restore every owner and mode; only the capabilities that takes.
          User: '0',
          CapabilityDrop: ['ALL'],
          CapabilityAdd: readOnly ? ['DAC_READ_SEARCH'] : ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'],
          Mounts: [
            {
              Type: 'volume',
              Source: this.names.volume(move.user),
              Target: readOnly ? '/from' : '/to',
              ReadOnly: readOnly,
              VolumeOptions: { NoCopy: true, Labels: this.names.labels('home', move.user) },
            },
          ],
        },
        RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
        Placement: { Constraints: [`node.id==${node.id}`] },
        Networks: [{ Target: move.network }],
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Mode: 'dnsrr' },
    } as Docker.CreateServiceOptions;
  }

  /** Waits until service `name`'s task completes and reads the digest it printed. */
  private async finished(name: string): Promise<{ digest: string; files: number; bytes: number }> {
    const begun = Date.now();
    for (;;) {
      const task = await newestTask(this.docker, name);
      const state = task?.Status?.State ?? 'new';
      if (state === 'complete') break;
      if (ENDED.has(state) || /no suitable node/.test(task?.Status?.Err ?? ''))
        throw new BerthError(
          500,
          `Copying the home failed (${name}: ${taskReason(task)}). ${await serviceLogs(this.docker, name)}`,
        );
      if (Date.now() - begun > MOVE_TIMEOUT_MS)
        throw new BerthError(500, `Copying the home did not finish within ${MOVE_TIMEOUT_MS / 60_000} minutes.`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const line = (await serviceLogs(this.docker, name)).split('\n').find((l) => l.startsWith('berth-move '));
    const [, digest, files, bytes] = line?.split(' ') ?? [];
    if (!digest) throw new BerthError(500, `Copying the home said nothing about what it copied (${name}).`);
    return { digest, files: Number(files), bytes: Number(bytes) };
  }
}
