/**
 * The catalogue file's rules: what an entry becomes, and for each entry left out, its line and
 * the reason, as `berth images list` and the hub's log show them.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fullReference, parseCatalogueFile } from '../../src/catalogue/catalogue-file';

const t = suite('catalogue file');

const parse = (lines: string[]) => parseCatalogueFile(`${lines.join('\n')}\n`, 'catalogue.yaml');

t('an entry becomes a catalogue image: defaults filled in, limits and kernels parsed', () => {
  const { entries, problems } = parse([
    'images:',
    '  - id: scipy-lab',
    '    image: registry.example.org:5000/jupyter/scipy-notebook:2026-11-23',
    '    kernels: python3=Python 3.12',
    '    default_url: /lab',
    '    limits: { memory: 4g, cpu: 2, pids: 1024 }',
    '  - { id: plain, image: "jupyter/base-notebook" }',
  ]);
  assert.equal(problems, []);
  assert.is(entries[0].protocol, 'jupyterhub');
  assert.is(entries[0].defaultUrl, '/lab');
  assert.equal(entries[0].limits, { memory: 4 * 1024 ** 3, cpu: 2, pids: 1024 });
  assert.equal(entries[0].kernels, [{ name: 'python3', language: 'Python', version: '3.12' }]);
  assert.is(entries[1].title, 'plain', 'the id, when there is no title');
  assert.is(fullReference(entries[1].image), 'jupyter/base-notebook:latest');
  assert.is(fullReference(`x/y@sha256:${'a'.repeat(64)}`), `x/y@sha256:${'a'.repeat(64)}`);
});

t('each bad entry is left out with its line and reason; the good ones stay', () => {
  const { entries, problems } = parse([
    'images:',
    '  - { id: good, image: "a/b:1" }',
    '  - { id: Bad, image: "a/b:1" }',
    '  - { id: good, image: "a/c:1" }',
    '  - { id: flag, image: "--privileged" }',
    `  - { id: both, image: "a/b:1@sha256:${'a'.repeat(64)}" }`,
    '  - { id: mem, image: "a/b:1", limits: { memory: 2x } }',
    '  - { id: odd, image: "a/b:1", colour: blue }',
    '  - { id: url, image: "a/b:1", default_url: "https://elsewhere" }',
    '  - { id: proto, image: "a/b:1", protocol: ssh }',
  ]);
  assert.equal(
    entries.map((e) => e.id),
    ['good'],
  );
  assert.equal(problems, [
    'catalogue.yaml:3: id must be lowercase letters, digits and -, starting with a letter (at most 30)',
    'catalogue.yaml:4: id good is listed twice',
    "catalogue.yaml:5: image '--privileged' is not an image reference",
    `catalogue.yaml:6: image 'a/b:1@sha256:${'a'.repeat(64)}' is not an image reference`,
    'catalogue.yaml:7: limits: memory 2x is not a size such as 512m or 2g (6m or more)',
    'catalogue.yaml:8: unknown field colour; fields: id, image, title, description, kernels, packages, limits, protocol, default_url, node_labels, network',
    'catalogue.yaml:9: default_url must be a path such as /lab or /tree',
    'catalogue.yaml:10: protocol must be jupyterhub or berth',
  ]);
});

t('a file that is not YAML, or not a list of images, says where', () => {
  assert.match(parse(['images:', '  - { id: a, image: "b"']).problems[0], /^catalogue\.yaml:\d+: /);
  assert.equal(parse(['pictures: []']).problems, [
    'catalogue.yaml:1: the file must be a map with one key, images, a list of entries',
  ]);
  assert.equal(parse(['# nothing yet']), { entries: [], problems: [] });
});

t('node labels: a list or a comma-separated line of key=value, anything else leaves the entry out', () => {
  const { entries, problems } = parse([
    'images:',
    '  - { id: gpu, image: berth/python, node_labels: [gpu=true, bigmem=yes] }',
    '  - { id: big, image: berth/python, node_labels: "bigmem=true" }',
    '  - { id: bad, image: berth/python, node_labels: ["gpu"] }',
  ]);
  assert.equal(
    entries.map((e) => [e.id, e.nodeLabels]),
    [
      ['gpu', ['gpu=true', 'bigmem=yes']],
      ['big', ['bigmem=true']],
    ],
  );
  assert.equal(problems, ["catalogue.yaml:4: node_labels: 'gpu' is not key=value (gpu=true)"]);
});

t('network: none turns the internet off for the image; internet is the default; anything else leaves it out', () => {
  const { entries, problems } = parse([
    'images:',
    '  - { id: exam, image: berth/python, network: none }',
    '  - { id: open, image: berth/python }',
    '  - { id: bad, image: berth/python, network: intranet }',
  ]);
  assert.equal(
    entries.map((e) => [e.id, e.network]),
    [
      ['exam', 'none'],
      ['open', 'internet'],
    ],
  );
  assert.equal(problems, ['catalogue.yaml:4: network must be internet or none']);
});

t.run();
