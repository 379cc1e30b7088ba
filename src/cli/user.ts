/**
 * `berth user add|list|rm|set-password|move`: managing accounts (and, on a swarm, where their
 * homes live) from the command line.
 */
import { hashPassword } from '../auth/password';
import { parseUsername } from '../auth/username';
import { BerthError } from '../errors';
import { deleteUser } from '../servers/accounts';
import { SwarmSpawner } from '../spawner/swarm';
import { formatTable, megabytes, readPassword } from './io';
import type { Runtime } from './runtime';

export async function addUser(rt: Runtime, rawName: string, admin: boolean): Promise<string> {
  const name = parseUsername(rawName);
  if (await rt.users.get(name)) throw new BerthError(409, `User ${name} already exists.`);
  const passwordHash = await hashPassword(await readPassword());
  if (!(await rt.users.create(name, { admin, passwordHash })))
    throw new BerthError(409, `User ${name} already exists.`);
  return `Added ${admin ? 'admin ' : ''}user ${name}.`;
}

export async function setPassword(rt: Runtime, rawName: string): Promise<string> {
  const name = parseUsername(rawName);
  if (!(await rt.users.get(name))) throw new BerthError(404, `No such user: ${name}.`);
  await rt.users.setPassword(name, await hashPassword(await readPassword()));
  const ended = await rt.sessions.destroyAllOf(name);
  return `Changed ${name}'s password${ended ? `; ended ${ended} session(s)` : ''}.`;
}

export async function removeUser(rt: Runtime, rawName: string): Promise<string> {
  const name = parseUsername(rawName);
  if (!(await rt.users.get(name))) throw new BerthError(404, `No such user: ${name}.`);
  const deleted = await deleteUser(rt, name, rt.config.deleteHome);
  const home = deleted
    ? 'deleted'
    : rt.config.deleteHome === 'keep'
      ? 'kept (HUB_DELETE_HOME=keep)'
      : 'left on its swarm node, which only that node can delete (`docker volume rm`; the log says which)';
  return `Removed user ${name}; their home volume is ${home}.`;
}

export async function listUsers(rt: Runtime, format: 'table' | 'json'): Promise<string> {
  const users = await rt.users.list();
  const rows = await Promise.all(
    users.map(async (u) => ({
      name: u.name,
      admin: u.admin,
      server: (await rt.servers.view(u.name)).state,
      created: u.created,
    })),
  );
  if (format === 'json') return JSON.stringify(rows, null, 2);
  if (users.length === 0) return 'No users yet: add one with `berth user add <name>`.';
  const header = ['NAME', 'ROLE', 'SERVER', 'CREATED'];
  return formatTable(
    header,
    rows.map((r) => [r.name, r.admin ? 'admin' : '', r.server, r.created]),
  );
}

export async function moveHome(rt: Runtime, rawName: string, node: unknown, replace: boolean): Promise<string> {
  const name = parseUsername(rawName);
  if (typeof node !== 'string' || node === '')
    throw new BerthError(400, 'Say which node: `berth user move <name> --node <node>`.');
  if (!(rt.spawner instanceof SwarmSpawner))
    throw new BerthError(400, 'Homes move between the nodes of a swarm; this hub runs on one engine (HUB_SPAWNER).');
  if (!(await rt.users.get(name))) throw new BerthError(404, `No such user: ${name}.`);
  // The copy runs in the user's own image: it is on the registry already, with python3 and tar.
  const image = await rt.catalogue.resolve(undefined, await rt.users.lastImage(name));
  const moved = await rt.spawner.moveHome(name, node, image, replace);
  return (
    `Moved ${name}'s home from ${moved.from} to ${moved.to} (${moved.files} files, ${megabytes(moved.bytes)}, ` +
    `checked). The old copy stays on ${moved.from}; remove it there with \`docker volume rm ${moved.volume}\` ` +
    'when you no longer need it.'
  );
}
