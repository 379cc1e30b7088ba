// The production part of a node_modules tree, from its package-lock.json, as
// `npm prune --omit=dev` leaves it but with no npm and no registry: every package the lockfile
// marks dev-only goes, and so does anything the lockfile does not list. Native build output
// goes too (*.node): Berth's dependencies are plain JavaScript, and a binary compiled on the
// host does not belong in the image.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const keep = new Set(
  Object.entries(lock.packages)
    .filter(([where, pkg]) => where !== '' && !pkg.dev)
    .map(([where]) => where),
);
let removed = 0;

/** Walks node_modules folders; `prefix` is the lockfile path of the folder holding them. */
function prune(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const names = entry.name.startsWith('@')
      ? fs.readdirSync(path.join(dir, entry.name)).map((n) => `${entry.name}/${n}`)
      : [entry.name];
    for (const name of names) {
      const where = path.join(dir, name);
      if (!keep.has(where)) {
        fs.rmSync(where, { recursive: true, force: true });
        removed++;
      } else prune(path.join(where, 'node_modules'));
    }
    const scope = path.join(dir, entry.name);
    if (entry.name.startsWith('@') && fs.readdirSync(scope).length === 0) fs.rmdirSync(scope);
  }
}

function dropNative(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) dropNative(p);
    else if (entry.name.endsWith('.node')) fs.rmSync(p);
  }
}

prune('node_modules');
dropNative('node_modules');
// Commands of removed packages leave links to nothing behind.
const bin = path.join('node_modules', '.bin');
for (const name of fs.existsSync(bin) ? fs.readdirSync(bin) : []) {
  if (!fs.existsSync(path.join(bin, name))) fs.rmSync(path.join(bin, name));
}
for (const where of keep) {
  if (!fs.existsSync(where) && !lock.packages[where].optional) throw new Error(`${where} is missing from node_modules: run npm ci first`);
}
console.log(`kept ${keep.size} production packages, removed ${removed} others`);
