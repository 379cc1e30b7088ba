/**
 * A group's PostgreSQL (group property `services: ["postgres"]`): one container per group from
 * berth/postgres (images/postgres), on an internal network that only the group's servers and the
 * hub join, its data in a volume that outlives the container. The hub is its superuser and talks
 * to it over that network; each member gets a role of their own, with a random password, in the
 * group's role, which owns the group's database: members share its tables.
 */
import type Docker from 'dockerode';
import type { Client } from 'pg';
import type { ImageBuilder } from '../catalogue/builder';
import { BerthError, statusOf } from '../errors';
import type { Logger } from '../log';
import type { DatabaseSecrets } from '../store/database-secrets';
import { prepareNetwork, type ServerAccess } from './docker-network';
import { ignoreStatus, lastLogs } from './docker-server';
import { LABEL, type Naming } from './naming';
import type { GroupDatabase, GroupDatabases } from './spawner';

export const DATABASE_IMAGE = 'berth/postgres:latest';
export const DATABASE_PORT = 5432;
/** The database's name on its network, for the servers there (PGHOST). */
export const DATABASE_HOST = 'postgres';
/** Capitals: never a username, so no member's role can be the hub's or the group's. */
const ADMIN_ROLE = 'Berth';
const MEMBERS_ROLE = 'Members';
/** MEMBERS_ROLE quoted as an identifier (escapeIdentifier's output for it). */
const MEMBERS = `"${MEMBERS_ROLE}"`;
const DATA_PATH = '/var/lib/berth-postgres';
const READY_TIMEOUT_MS = 60_000;

/** PostgreSQL refuses these role names itself. */
export function roleOf(user: string): string {
  if (user === 'public' || user === 'none' || user.startsWith('pg_'))
    throw new BerthError(
      400,
      `PostgreSQL cannot have a role named '${user}', so your group's database is not for you.`,
    );
  return user;
}

export interface DockerDatabasesOptions {
  names: Naming;
  log: Logger;
  /** How the hub reaches containers (the spawner's, once prepared). */
  access: () => ServerAccess;
  /** Builds berth/postgres when it is missing and the hub builds images. */
  builder?: ImageBuilder;
}

export class DockerDatabases implements GroupDatabases {
  /** One opening per group at a time: two members starting at once share the container. */
  private readonly opening = new Map<string, Promise<string>>();

  constructor(
    private readonly docker: Docker,
    private readonly opts: DockerDatabasesOptions,
  ) {}

  async open(group: string, user: string, secrets: DatabaseSecrets): Promise<GroupDatabase> {
    roleOf(user);
    const address = await this.inTurn(group, () => this.run(group, secrets.admin));
    const admin = { host: address, password: secrets.admin };
    await withClient({ ...admin, database: 'postgres' }, async (db) => {
      // A statement that fails is logged with its text by default, and this one holds a password.
      await db.query('SET log_min_error_statement = panic');
      const role = db.escapeIdentifier(user);
      const exists = (await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user])).rowCount;
      const password = db.escapeLiteral(secrets.member);
      if (exists) await db.query(`ALTER ROLE ${role} WITH LOGIN PASSWORD ${password}`);
      else await db.query(`CREATE ROLE ${role} LOGIN PASSWORD ${password}`);
      await db.query(`GRANT ${MEMBERS} TO ${role}`);
    });
    // What a member makes in the group's database every member may read and change, not drop or
    // trigger code on (a trigger would run as whoever writes).
    await withClient({ ...admin, database: group }, async (db) => {
      const forRole = `ALTER DEFAULT PRIVILEGES FOR ROLE ${db.escapeIdentifier(user)} IN SCHEMA public GRANT`;
      await db.query(`${forRole} SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${MEMBERS}`);
      await db.query(`${forRole} USAGE, SELECT, UPDATE ON SEQUENCES TO ${MEMBERS}`);
    });
    return {
      network: this.opts.names.database(group),
      host: DATABASE_HOST,
      port: DATABASE_PORT,
      database: group,
      role: user,
    };
  }

  async revoke(group: string, users: string[], adminPassword: string): Promise<void> {
    const name = this.opts.names.database(group);
    await this.inTurn(group, async () => {
      for (const user of users) {
        const label = `${LABEL.user}=${user}`;
        const theirs = await this.docker.listContainers({
          filters: JSON.stringify({ network: [name], label: [label] }),
        });
        for (const c of theirs)
          await this.docker.getNetwork(name).disconnect({ Container: c.Id, Force: true }).catch(ignoreStatus(404));
      }
      const info = await this.docker.getContainer(name).inspect().catch(ignoreStatus(404));
      if (!info?.State.Running) return '';
      const host = this.opts.access() === 'network' ? name : info.NetworkSettings.Networks?.[name]?.IPAddress;
      if (!host) return '';
      await withClient({ host, password: adminPassword, database: 'postgres' }, async (db) => {
        for (const user of users) {
          if (!(await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user])).rowCount) continue;
          await db.query(`REVOKE ${MEMBERS} FROM ${db.escapeIdentifier(user)}`);
          await db.query(`ALTER ROLE ${db.escapeIdentifier(user)} NOLOGIN`);
          await db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [user]);
        }
      });
      this.opts.log.info('group database access revoked', { group, users });
      return '';
    });
  }

  async close(group: string): Promise<void> {
    const name = this.opts.names.database(group);
    await this.inTurn(group, async () => {
      const container = this.docker.getContainer(name);
      await container.stop({ t: 10 }).catch(ignoreStatus(304, 404));
      await container.remove({ force: true }).catch(ignoreStatus(404, 409));
      const network = this.docker.getNetwork(name);
      // Members' running servers (and a hub in a container) leave it: the database is off for them too.
      const info = await network.inspect().catch(ignoreStatus(404));
      for (const id of Object.keys(info?.Containers ?? {}))
        await network.disconnect({ Container: id, Force: true }).catch(ignoreStatus(404));
      await network.remove().catch(ignoreStatus(404));
      return '';
    });
    this.opts.log.info('group database removed, its data kept', { group, volume: name });
  }

  /** Runs `work` after the group's earlier opening, revoking or closing: one at a time per group. */
  private inTurn(group: string, work: () => Promise<string>): Promise<string> {
    const previous = this.opening.get(group) ?? Promise.resolve('');
    const next = previous.catch(() => '').then(work);
    this.opening.set(group, next);
    return next;
  }

  /** Makes sure the group's database runs and answers; resolves the address the hub reaches it at. */
  private async run(group: string, adminPassword: string): Promise<string> {
    const { names, log } = this.opts;
    const name = names.database(group);
    const labels = { ...names.labels('database'), [LABEL.group]: group };
    const access = this.opts.access();
    await prepareNetwork(this.docker, { network: name, access, internal: true, shared: true, labels, log });
    const container = this.docker.getContainer(name);
    const state = await container.inspect().then(
      (info) => (info.State.Running ? 'running' : 'stopped'),
      (err: unknown) => {
        if (statusOf(err) === 404) return 'missing' as const;
        throw err;
      },
    );
    if (state === 'missing') {
      await this.ensureImage();
      await this.docker.createVolume({ Name: name, Labels: labels });
      await this.docker.createContainer(databaseContainer(name, labels, adminPassword)).catch(ignoreStatus(409));
      log.info('group database created', { group, container: name });
    }
    if (state !== 'running') await container.start().catch(ignoreStatus(304));
    const address =
      access === 'network' ? name : (await container.inspect()).NetworkSettings.Networks?.[name]?.IPAddress;
    if (!address) throw new BerthError(500, `Your group's database has no address on its network ${name}.`, { group });
    await this.untilAnswers(container, group, { host: address, password: adminPassword });
    // The hub owns the database and its schema; members may connect, make tables and use what
    // other members make (default privileges), never drop the database or others' tables.
    await withClient({ host: address, password: adminPassword, database: 'postgres' }, async (db) => {
      if (!(await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [MEMBERS_ROLE])).rowCount)
        await db.query(`CREATE ROLE ${MEMBERS} NOLOGIN`);
      if (!(await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [group])).rowCount) {
        await db.query(`CREATE DATABASE ${db.escapeIdentifier(group)}`);
        await db.query(`REVOKE ALL ON DATABASE ${db.escapeIdentifier(group)} FROM PUBLIC`);
        await db.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${db.escapeIdentifier(group)} TO ${MEMBERS}`);
      }
    });
    await withClient({ host: address, password: adminPassword, database: group }, async (db) => {
      await db.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${MEMBERS}`);
    });
    return address;
  }

  private async ensureImage(): Promise<void> {
    const found = await this.docker
      .getImage(DATABASE_IMAGE)
      .inspect()
      .then(() => true, ignoreStatus(404));
    if (found) return;
    const builder = this.opts.builder;
    if (builder?.source({ id: 'postgres', reference: DATABASE_IMAGE })) {
      const quiet = { step: () => undefined, detail: () => undefined };
      await builder.ensure({ id: 'postgres', reference: DATABASE_IMAGE }, quiet);
      return;
    }
    throw new BerthError(
      503,
      `Group databases need the image ${DATABASE_IMAGE}, which this engine does not have; an admin builds it with: berth images build postgres`,
    );
  }

  private async untilAnswers(container: Docker.Container, group: string, admin: Connect): Promise<void> {
    const until = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      try {
        await withClient({ ...admin, database: 'postgres' }, (db) => db.query('SELECT 1'));
        return;
      } catch (err) {
        const info = await container.inspect();
        if (!info.State.Running || Date.now() > until) {
          this.opts.log.error('group database did not answer', { group, err, logs: await lastLogs(container) });
          throw new BerthError(503, "Your group's database did not start; an admin can find why in the hub log.", {
            group,
          });
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}

function databaseContainer(
  name: string,
  labels: Record<string, string>,
  adminPassword: string,
): Docker.ContainerCreateOptions {
  return {
    name,
    Image: DATABASE_IMAGE,
    Env: [`BERTH_ADMIN=${ADMIN_ROLE}`, `BERTH_ADMIN_PASSWORD=${adminPassword}`],
    Labels: labels,
    HostConfig: {
      NetworkMode: name,
      Mounts: [{ Type: 'volume', Source: name, Target: DATA_PATH }],
      RestartPolicy: { Name: 'unless-stopped' },
      Memory: 512 * 1024 * 1024,
      NanoCpus: 1e9,
      ShmSize: 256 * 1024 * 1024,
      PidsLimit: 256,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
    },
    NetworkingConfig: { EndpointsConfig: { [name]: { Aliases: [DATABASE_HOST] } } },
  };
}

interface Connect {
  host: string;
  password: string;
}

/** pg is loaded by the first group database, not by every hub's start-up (about 70 ms of it). */
async function withClient<T>(at: Connect & { database: string }, work: (db: Client) => Promise<T>): Promise<T> {
  const { Client } = await import('pg');
  const db = new Client({ ...at, port: DATABASE_PORT, user: ADMIN_ROLE, connectionTimeoutMillis: 3000 });
  db.on('error', () => undefined);
  try {
    await db.connect();
    return await work(db);
  } finally {
    await db.end().catch(() => undefined);
  }
}
