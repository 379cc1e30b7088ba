/**
 * The shape of src/, as DESIGN.md draws it: each folder one part, parts that only import parts
 * below them (never upward), no import cycle anywhere, and no file too long to read at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../../src/paths';

const SRC = path.join(ROOT, 'src');

/**
 * Each part and its layer: a file may import from its own layer or from a lower one.
 * Top-level shared modules (config, errors, log, paths) are the floor; the CLI and main the roof.
 */
const LAYERS: Record<string, number> = {
  config: 0,
  errors: 0,
  log: 0,
  paths: 0,
  store: 1,
  catalogue: 1,
  groups: 1,
  metrics: 1,
  auth: 2,
  spawner: 2,
  proxy: 3,
  servers: 3,
  jobs: 3,
  hub: 4,
  cli: 5,
  main: 6,
};

const MAX_LINES = 300;

function sources(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The part a file belongs to: its top folder under src/, or its name for a top-level file. */
function partOf(file: string): string {
  const [first] = path.relative(SRC, file).split(path.sep);
  return first.replace(/\.ts$/, '');
}

/** The src/ files a file imports (type-only imports included: they tie the parts together too). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'/gm)) {
    const target = path.resolve(path.dirname(file), m[1] ?? m[2]);
    const candidates = [`${target}.ts`, path.join(target, 'index.ts')];
    const found = candidates.find((c) => fs.existsSync(c));
    if (found) out.push(found);
  }
  return out;
}

const files = sources();
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string) => path.relative(SRC, f);

test('every part of src/ has a layer', () => {
  const unknown = [...new Set(files.map(partOf))].filter((p) => !(p in LAYERS));
  assert.equal(unknown, [], `parts without a layer in this test: ${unknown.join(', ')}`);
});

test('no file imports a part above its own', () => {
  const upward: string[] = [];
  for (const [file, imports] of graph) {
    for (const target of imports) {
      const from = partOf(file);
      const to = partOf(target);
      if (LAYERS[to] > LAYERS[from]) upward.push(`${rel(file)} → ${rel(target)}`);
    }
  }
  assert.equal(upward, [], `imports that go up:\n${upward.join('\n')}`);
});

test('the import graph has no cycle', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].map(rel).join(' → '));
      return;
    }
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  assert.equal(cycles, [], `cycles:\n${cycles.join('\n')}`);
});

test(`no file in src/ is longer than ${MAX_LINES} lines`, () => {
  const long = files
    .map((f) => [rel(f), fs.readFileSync(f, 'utf8').split('\n').length] as const)
    .filter(([, lines]) => lines > MAX_LINES);
  assert.equal(long, []);
});

test('hub/ is the web layer only: it starts no servers and opens no engine itself', () => {
  const hub = files.filter((f) => partOf(f) === 'hub');
  const reaching = hub.filter((f) =>
    /from '(dockerode|ioredis)'|from '\.\.\/spawner\/docker/.test(fs.readFileSync(f, 'utf8')),
  );
  assert.equal(reaching.map(rel), []);
});

test('Redis keys are spelled in store/keys.ts only', () => {
  const spelling = files.filter(
    (f) => !f.endsWith(path.join('store', 'keys.ts')) && /['"`]berth:[a-z-]+/.test(fs.readFileSync(f, 'utf8')),
  );
  assert.equal(spelling.map(rel), []);
});

test.run();
