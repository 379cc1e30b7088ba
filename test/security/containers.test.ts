/**
 * What a user's container may do, tried from inside it: it runs as nobody special with every
 * capability dropped and hard limits; it cannot use another user's server, reach Redis or the
 * hub's internals, or talk to Docker; and a fork bomb or a memory hog in it leaves the hub and
 * the other users' servers answering.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Client } from '../helpers/client';
import { containersOf, docker } from '../helpers/docker';
import { hubWithAliceAndBob, type TestHub } from '../helpers/hub';
import { execute, runCode, startKernel } from '../helpers/kernel';

interface Ctx {
  hub: TestHub;
  alice: Client;
  bob: Client;
  kernel: string;
}

const t = suite<Ctx>('security: containers');

t.before(async (ctx) => {
  Object.assign(ctx, await hubWithAliceAndBob());
  assert.is((await ctx.alice.api('POST', '/users/alice/server', { image: 'python' })).status, 201);
  assert.is((await ctx.bob.api('POST', '/users/bob/server', { image: 'python' })).status, 201);
  ctx.kernel = await startKernel(ctx.alice, 'alice');
});

t.after(async (ctx) => ctx.hub?.close());

async function inspect(ctx: Ctx, user: string) {
  const [c] = (await containersOf(ctx.hub.hubName)).filter((x) => x.Labels['berth.user'] === user);
  return docker.getContainer(c.Id).inspect();
}

async function py(ctx: Ctx, code: string): Promise<string> {
  const out = await execute(ctx.alice, 'alice', ctx.kernel, code, 60_000);
  assert.is(out.error, undefined, out.error);
  return out.stdout.trim();
}

t('the container as Docker sees it: non-root, no capabilities, no new privileges, limits, one volume', async (ctx) => {
  const info = await inspect(ctx, 'alice');
  const image = (await ctx.hub.runtime.catalogue.list()).find((i) => i.id === 'python')!;
  assert.is(info.Config.User, '1000:100');
  assert.equal(info.HostConfig.CapDrop, ['ALL']);
  assert.ok(!info.HostConfig.CapAdd || info.HostConfig.CapAdd.length === 0);
  assert.ok(info.HostConfig.SecurityOpt?.includes('no-new-privileges'));
  assert.is(info.HostConfig.Privileged, false);
  assert.is(info.HostConfig.Memory, image.limits.memory);
  assert.is(info.HostConfig.MemorySwap, info.HostConfig.Memory, 'no swap beyond the memory limit');
  assert.is(info.HostConfig.NanoCpus, image.limits.cpu * 1e9);
  assert.is(info.HostConfig.PidsLimit, image.limits.pids);
  assert.equal(
    info.Mounts.map((m) => [m.Type, m.Destination]),
    [['volume', '/home/jovyan']],
  );
  assert.ok(!info.HostConfig.Binds || info.HostConfig.Binds.length === 0, 'no host mounts');
  assert.is(info.Image, image.imageId, 'a catalogue image');
  for (const bindings of Object.values(info.HostConfig.PortBindings ?? {}))
    for (const b of bindings as Array<{ HostIp: string }>) assert.is(b.HostIp, '127.0.0.1');
  const network = await docker.getNetwork(info.HostConfig.NetworkMode!).inspect();
  assert.is(
    network.Options?.['com.docker.network.bridge.enable_icc'],
    'false',
    'containers on it cannot reach each other',
  );
});

t('inside: not root, no capabilities, no new privileges, no Docker socket', async (ctx) => {
  const facts = JSON.parse(
    await py(
      ctx,
      [
        'import os, json',
        'status = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)',
        'print(json.dumps({"uid": os.getuid(), "cap": status["CapEff"].strip(), "nnp": ' +
          'status["NoNewPrivs"].strip(), "sock": os.path.exists("/var/run/docker.sock") or ' +
          'os.path.exists("/run/docker.sock")}))',
      ].join('\n'),
    ),
  );
  assert.equal(facts, { uid: 1000, cap: '0000000000000000', nnp: '1', sock: false });
});

t("inside: another user's server, Redis and the hub are out of reach", async (ctx) => {
  const bob = await inspect(ctx, 'bob');
  const bobIp = Object.values(bob.NetworkSettings.Networks)[0].IPAddress;
  const redisPort = ctx.hub.redis.port;
  const hubPort = new URL(ctx.hub.url).port;
  const verdicts = JSON.parse(
    await py(
      ctx,
      [
        'import json, socket, urllib.request, urllib.error',
        'def http(url):',
        '    try:',
        '        return urllib.request.urlopen(url, timeout=3).status',
        '    except urllib.error.HTTPError as e:',
        '        return e.code',
        '    except Exception as e:',
        '        return type(e).__name__',
        'def tcp(host, port):',
        '    try:',
        '        socket.create_connection((host, port), timeout=3).close()',
        '        return "open"',
        '    except Exception as e:',
        '        return type(e).__name__',
        `print(json.dumps({"bob": http("http://${bobIp}:8888/user/bob/api/status"), ` +
          `"redis": tcp("127.0.0.1", ${redisPort}), "hub": tcp("127.0.0.1", ${hubPort})}))`,
      ].join('\n'),
    ),
  );
  assert.is.not(verdicts.bob, 200, `bob's server answered alice: ${JSON.stringify(verdicts)}`);
  assert.is.not(verdicts.redis, 'open');
  assert.is.not(verdicts.hub, 'open');
});

t("a fork bomb is stopped by the pids limit while the hub and bob's server answer", async (ctx) => {
  const code = [
    'import os, time',
    'kids = 0',
    'try:',
    '    while kids < 100000:',
    '        if os.fork() == 0:',
    '            time.sleep(6)',
    '            os._exit(0)',
    '        kids += 1',
    'except OSError as e:',
    '    print(kids, e.errno, flush=True)',
    // Reap the children as they exit: zombies would count against the pids limit after this test.
    'while True:',
    '    try:',
    '        os.wait()',
    '    except ChildProcessError:',
    '        break',
  ].join('\n');
  const bomb = execute(ctx.alice, 'alice', ctx.kernel, code, 60_000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.is((await fetch(`${ctx.hub.url}/hub/health`)).status, 200);
  assert.is((await ctx.bob.request('/user/bob/api/status')).status, 200);
  const [kids, errno] = (await bomb).stdout.trim().split(' ').map(Number);
  assert.is(errno, 11, 'fork failed with EAGAIN');
  assert.ok(kids < 256, `${kids} processes`);
});

t("a memory hog is stopped by the memory limit while the hub and bob's server answer", async (ctx) => {
  // A fresh kernel runs (so what stops the hog below is the memory limit, not the pids limit).
  assert.is((await runCode(ctx.alice, 'alice', 'print(6*7)', 'python3', 30_000)).stdout.trim(), '42');
  const hog = runCode(ctx.alice, 'alice', 'x = bytearray(3 * 1024 ** 3)', 'python3', 30_000).catch((err: Error) => err);
  await new Promise((r) => setTimeout(r, 1000));
  assert.is((await fetch(`${ctx.hub.url}/hub/health`)).status, 200);
  assert.is((await ctx.bob.request('/user/bob/api/status')).status, 200);
  const result = await hog;
  assert.ok(result instanceof Error || result.error !== undefined, 'the hog did not get its memory');
  assert.is((await ctx.bob.request('/user/bob/api/status')).status, 200);
});

t.run();
