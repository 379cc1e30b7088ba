/**
 * Where Berth's own files are, whether it runs from a checkout (dist/src/...) or from the hub
 * image: the package root holds package.json, images/ and the hub's static files.
 */
import fs from 'node:fs';
import path from 'node:path';

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`Berth's package.json not found above ${start}`);
  }
}

export const ROOT = findRoot(__dirname);
export const IMAGES_DIR = path.join(ROOT, 'images');
export const STATIC_DIR = path.join(ROOT, 'src', 'hub', 'static');
export const VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
