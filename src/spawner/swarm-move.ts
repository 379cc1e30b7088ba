/**
 * Moving a user's home between the nodes of a swarm (`berth user move`), for an admin who empties
 * a node: copy, check, then switch. A manager cannot reach another node's volumes, so the copy is
 * two one-task services on the user's own overlay network: one on the old node streams the home
 * as a tar archive, one on the new node unpacks it into the home volume there. Each prints a
 * digest of every path, mode, owner and byte; only when both agree does the home's node change.
 * The old copy stays where it was until the admin removes it.
 */
import { randomBytes } from 'node:crypto';
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
const MOVER_MEMORY = 512 * 1024 * 1024;
const MOVER_PIDS = 64;

/**
 * Runs in the user's image (every Jupyter image has python3 and tar). `send <dir> <move>`: sends
 * the move's id and then <dir> as a tar stream to the first connection, then prints the digest of
 * what is there. `receive <dir> <move> keep|replace <host>`: refuses a <dir> with files in it (an
 * older copy, or files nobody knew of) unless told to replace them, checks that <host> speaks for
 * this move, unpacks its stream, prints the digest. Sockets are left out of both, as tar does.
 */
const MOVER = `
import hashlib, os, shutil, socket, stat, subprocess, sys, time
def digest(root):
    h, files, size = hashlib.sha256(), 0, 0
    def entry(path, rel):
        nonlocal files, size
        s = os.lstat(path)
        if stat.S_ISSOCK(s.st_mode): return
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
role, root, move = sys.argv[1], sys.argv[2], sys.argv[3].encode()
if role == 'send':
    with socket.create_server(('', ${PORT})) as server:
        server.settimeout(900)
        conn, _ = server.accept()
        with conn:
            conn.settimeout(None)
            conn.sendall(move + b'\\n')
            tar = subprocess.run(['tar', '-C', root, '--numeric-owner', '-cf', '-', '.'], stdout=conn.fileno())
            conn.shutdown(socket.SHUT_WR)
    if tar.returncode: sys.exit(tar.returncode)
    print(digest(root), flush=True)
    sys.exit(0)
if os.listdir(root) and sys.argv[4] != 'replace':
    print('berth-move-refused not-empty', flush=True)
    sys.exit(3)
for name in os.listdir(root):
    path = os.path.join(root, name)
    shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
deadline = time.time() + 600
while True:
    try:
        conn = socket.create_connection((sys.argv[5], ${PORT}), timeout=10)
        break
    except OSError:
        if time.time() > deadline: raise
        time.sleep(1)
with conn:
    conn.settimeout(None)
    said = b''
    while not said.endswith(b'\\n') and len(said) < 64:
        said += conn.recv(1) or b'\\n'
    if said != move + b'\\n':
        print('berth-move-error another move answered', flush=True)
        sys.exit(4)
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
  /** Overwrite files the new node's volume has already (an older copy). */
  replace: boolean;
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
  async move(user: string, node: string, needs: MoveNeeds, replace = false): Promise<Moved> {
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
    const move = { user, from, to, reference: await needs.reference(), network: await needs.network(), replace };
    return { from: from.hostname, to: to.hostname, volume: this.names.volume(user), ...(await this.copy(move)) };
  }

  private async copy(move: Move): Promise<{ files: number; bytes: number }> {
    const { user } = move;
    const server = this.names.container(user);
    await this.homes.beginMove(user, move.to.id);
    // Names of this move only: a mover a killed move left behind can never answer for this one's.
    const id = randomBytes(4).toString('hex');
    const sender = `${server}-m${id}-s`;
    const receiver = `${server}-m${id}-r`;
    try {
      // Looked for once the lock is held: a server that starts from now on sees the lock and gives way.
      if (await this.docker.getService(server).inspect().catch(ignoreStatus(404)))
        throw new BerthError(409, `${user}'s server is running: stop it first, then move the home.`);
      await this.removeMovers(await this.leftMovers(user)); // a move that was killed may have left some
      const keep = move.replace ? 'replace' : 'keep';
      await this.docker.createService(this.spec(move, sender, move.from, ['send', '/from', id], true));
      await this.docker.createService(this.spec(move, receiver, move.to, ['receive', '/to', id, keep, sender], false));
      const [sent, received] = await Promise.all([
        this.finished(sender, move.from, move),
        this.finished(receiver, move.to, move),
      ]);
      if (sent.digest !== received.digest)
        throw new BerthError(
          500,
          `The copy of ${user}'s home on ${move.to.hostname} does not match the one on ${move.from.hostname}; ` +
            'the home stays where it was.',
        );
      await this.homes.relocate(user, move.to.id);
      return { files: sent.files, bytes: sent.bytes };
    } finally {
      await this.removeMovers([sender, receiver]);
      await this.homes.endMove(user);
    }
  }

  private async leftMovers(user: string): Promise<string[]> {
    const labels = Object.entries(this.names.labels('move', user)).map(([k, v]) => `${k}=${v}`);
    const found = (await this.docker.listServices({ filters: JSON.stringify({ label: labels }) })) as Array<{
      Spec?: { Name?: string };
    }>;
    return found.flatMap((s) => (s.Spec?.Name ? [s.Spec.Name] : []));
  }

  private async removeMovers(names: string[]): Promise<void> {
    for (const name of names) await this.docker.getService(name).remove().catch(ignoreStatus(404));
  }

  private spec(move: Move, name: string, node: SwarmNode, args: string[], readOnly: boolean) {
    return {
      Name: name,
      Labels: this.names.labels('move', move.user),
      TaskTemplate: {
        ContainerSpec: {
          Image: move.reference,
          Command: ['python3', '-c', MOVER, ...args],
          // root, to read and restore every owner and mode, with only the capabilities that takes (all
          // in Docker's default set; never DAC_READ_SEARCH, which opens files by handle past the mount).
          User: '0',
          Init: true,
          CapabilityDrop: ['ALL'],
          CapabilityAdd: readOnly ? ['DAC_OVERRIDE'] : ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'],
          ReadOnly: true,
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
        Resources: { Limits: { MemoryBytes: MOVER_MEMORY, Pids: MOVER_PIDS } },
        RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
        Placement: { Constraints: [`node.id==${node.id}`] },
        Networks: [{ Target: move.network }],
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Mode: 'dnsrr' },
    } as Docker.CreateServiceOptions;
  }

  /** Waits until service `name`'s task on `node` completes and reads the digest it printed. */
  private async finished(name: string, node: SwarmNode, move: Move) {
    const begun = Date.now();
    for (;;) {
      const task = await newestTask(this.docker, name);
      const state = task?.Status?.State ?? 'new';
      if (state === 'complete') break;
      if (ENDED.has(state) || /no suitable node/.test(task?.Status?.Err ?? '')) {
        const said = (await serviceLogs(this.docker, name)).split('\n');
        const volume = this.names.volume(move.user);
        if (said.includes('berth-move-refused not-empty'))
          throw new BerthError(
            409,
            `${node.hostname} has files in ${volume} already (an older copy?): remove that volume there ` +
              `(\`docker volume rm ${volume}\`), or move again with --replace to overwrite them.`,
          );
        const last = said.filter(Boolean).slice(-2).join(' / ') || 'nothing logged';
        throw new BerthError(500, `Copying the home failed on ${node.hostname} (${taskReason(task)}): ${last}`);
      }
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
