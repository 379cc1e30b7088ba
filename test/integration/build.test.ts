/**
 * Building images/ folders with the real Docker engine: missing and stale images are found
 * and built in FROM order, with progress; current ones are left alone.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildImages, buildOrder, imageState, outdatedImages, readSources } from '../../src/catalogue/build';
import { docker } from '../helpers/docker';

const t = suite<{ dir: string; id: string; steps: string[] }>('image builds');

t.before((ctx) => {
  ctx.id = `bt${randomBytes(3).toString('hex')}`;
  ctx.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-images-'));
  ctx.steps = [];
  fs.mkdirSync(path.join(ctx.dir, `${ctx.id}-base`));
  fs.writeFileSync(
    path.join(ctx.dir, `${ctx.id}-base`, 'Dockerfile'),
    'FROM berth/python:latest\nLABEL test.layer="base"\n',
  );
  fs.mkdirSync(path.join(ctx.dir, ctx.id));
  fs.writeFileSync(
    path.join(ctx.dir, ctx.id, 'Dockerfile'),
    `FROM berth/${ctx.id}-base:latest\nLABEL berth.catalogue.id="${ctx.id}" org.opencontainers.image.title="Test"\n`,
  );
});

t.after(async (ctx) => {
  for (const name of [ctx.id, `${ctx.id}-base`])
    await docker
      .getImage(`berth/${name}:latest`)
      .remove({ force: true })
      .catch(() => undefined);
  fs.rmSync(ctx.dir, { recursive: true, force: true });
});

t('folders are read with their base, catalogue id and a source hash', ({ dir, id }) => {
  const sources = readSources(dir);
  const image = sources.find((s) => s.name === id)!;
  assert.is(image.catalogueId, id);
  assert.is(image.from, `berth/${id}-base:latest`);
  assert.match(image.sourceHash, /^[0-9a-f]{64}$/);
  assert.equal(
    buildOrder(sources, [id]).map((s) => s.name),
    [`${id}-base`, id],
  );
  assert.throws(() => buildOrder(sources, ['nope']), /No image 'nope'/);
});

t('a missing catalogue image is reported, then built after its base, step by step', async (ctx) => {
  const sources = readSources(ctx.dir);
  assert.equal(
    (await outdatedImages(docker, sources)).map((o) => [o.source.name, o.state]),
    [[ctx.id, 'missing']],
  );
  const built = await buildImages(
    docker,
    { names: [], force: false, progress: { step: (m) => ctx.steps.push(m), detail: () => undefined } },
    sources,
  );
  assert.equal(built, [`berth/${ctx.id}-base:latest`, `berth/${ctx.id}:latest`]);
  assert.ok(
    ctx.steps.some((m) => m.startsWith(`[1/2] building berth/${ctx.id}-base:latest`)),
    ctx.steps.join('\n'),
  );
  assert.ok(
    ctx.steps.some((m) => m.startsWith(`[2/2] built berth/${ctx.id}:latest`)),
    ctx.steps.join('\n'),
  );
  assert.equal(await outdatedImages(docker, sources), []);
  assert.equal(
    await buildImages(
      docker,
      { names: [], force: false, progress: { step: () => undefined, detail: () => undefined } },
      sources,
    ),
    [],
  );
});

t('changing a base folder makes the images FROM it stale', async (ctx) => {
  fs.appendFileSync(path.join(ctx.dir, `${ctx.id}-base`, 'Dockerfile'), 'LABEL test.changed="yes"\n');
  const sources = readSources(ctx.dir);
  assert.is(await imageState(docker, sources.find((s) => s.name === ctx.id)!), 'stale');
  assert.equal(
    (await outdatedImages(docker, sources)).map((o) => o.state),
    ['stale'],
  );
});

t.run();
