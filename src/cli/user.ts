/**
 * `berth user add|list|rm|set-password`: managing accounts from the command line.
 */
import { hashPassword } from '../auth/password';
import { parseUsername } from '../auth/username';
import { BerthError } from '../errors';
import { deleteUser } from '../hub/accounts';
import type { Runtime } from '../runtime';
import { formatTable, readPassword } from './io';

export async function addUser(rt: Runtime, rawName: string, admin: boolean): Promise<string> {
  const name = parseUsername(rawName);
  if (await rt.users.get(name)) throw new BerthError(409, `User ${name} already exists.`);
  const passwordHash = await hashPassword(await readPassword());
  if (!(await rt.users.create(name, { admin, passwordHash }))) throw new BerthError(409, `User ${name} already exists.`);
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
  return `Removed user ${name}; their home volume is ${deleted ? 'deleted' : 'kept (HUB_DELETE_HOME=keep)'}.`;
}

export async function listUsers(rt: Runtime): Promise<string> {
  const users = await rt.users.list();
  if (users.length === 0) return 'No users yet: add one with `berth user add <name>`.';
  const rows = await Promise.all(
    users.map(async (u) => [u.name, u.admin ? 'admin' : '', (await rt.servers.view(u.name)).state, u.created]),
  );
  const header = ['NAME', 'ROLE', 'SERVER', 'CREATED'];
  return formatTable(header, rows);
}
