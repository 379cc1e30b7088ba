/**
 * Throwaway catalogue images for tests, as folders of a temporary HUB_IMAGES_DIR: each is
 * FROM berth/python:latest with a unique catalogue id, so it builds from the layer cache in
 * seconds. `remove()` deletes the folders and the images built from them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { docker } from './docker';

/** Dockerfile lines after the FROM and the catalogue labels, and files to put beside it. */
export type ImageDef = string[] | { lines: string[]; files: Record<string, string> };

export interface TestImages {
  dir: string;
  /** Catalogue id of each image, by the name the test gave it. */
  ids: Record<string, string>;
  /** Adds one more image folder (after a hub started, so it finds it unbuilt); resolves its id. */
  add(name: string, def: ImageDef): string;
  remove(): Promise<void>;
}

export function testImages(defs: Record<string, ImageDef>): TestImages {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-images-'));
  const suffix = randomBytes(3).toString('hex');
  const ids: Record<string, string> = {};
  const add = (name: string, def: ImageDef): string => {
    const { lines, files } = Array.isArray(def) ? { lines: def, files: {} } : def;
    const id = `bt${name}${suffix}`;
    ids[name] = id;
    fs.mkdirSync(path.join(dir, id));
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, id, file), text);
    fs.writeFileSync(
      path.join(dir, id, 'Dockerfile'),
      [
        `FROM berth/python:latest`,
        `LABEL berth.catalogue.id="${id}" org.opencontainers.image.title="Test ${name}" ` +
          'berth.kernels="python3=Python 3.11"',
        ...lines,
        '',
      ].join('\n'),
    );
    return id;
  };
  for (const [name, def] of Object.entries(defs)) add(name, def);
  return {
    dir,
    ids,
    add,
    async remove() {
      for (const id of Object.values(ids))
        await docker
          .getImage(`berth/${id}:latest`)
          .remove({ force: true })
          .catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
