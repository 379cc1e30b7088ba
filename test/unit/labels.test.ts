import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeKernels, labelLimits, parseKernels, parseList } from '../../src/catalogue/labels';
import { loadConfig } from '../../src/config';

test('kernels: spec name, language and version', () => {
  assert.equal(parseKernels('ir=R 4.2.2; python3=Python 3.11'), [
    { name: 'ir', language: 'R', version: '4.2.2' },
    { name: 'python3', language: 'Python', version: '3.11' },
  ]);
  assert.equal(parseKernels('octave=GNU Octave'), [{ name: 'octave', language: 'GNU Octave', version: '' }]);
  assert.equal(parseKernels('nonsense; =x; ok=Lang 1'), [{ name: 'ok', language: 'Lang', version: '1' }]);
  assert.equal(parseKernels(undefined), []);
  assert.is(describeKernels(parseKernels('ir=R 4.2.2; x=Thing')), 'R 4.2.2, Thing');
});

test('packages', () => {
  assert.equal(parseList('numpy 1.24, scipy 1.10,,'), ['numpy 1.24', 'scipy 1.10']);
});

test('limits from labels; malformed ones are left to the defaults', () => {
  assert.equal(labelLimits({ 'berth.limits.memory': '2g', 'berth.limits.cpu': '1.5', 'berth.limits.pids': '300' }), {
    memory: 2 * 1024 ** 3,
    cpu: 1.5,
    pids: 300,
  });
  assert.equal(labelLimits({ 'berth.limits.memory': 'lots', 'berth.limits.cpu': '-1', 'berth.limits.pids': '2' }), {});
});

test('HUB_IMAGE_LIMITS', () => {
  assert.equal(loadConfig({ HUB_IMAGE_LIMITS: 'scipy:memory=8g,cpu=4; r:pids=1024' }).imageLimits, {
    scipy: { memory: 8 * 1024 ** 3, cpu: 4 },
    r: { pids: 1024 },
  });
  assert.throws(() => loadConfig({ HUB_IMAGE_LIMITS: 'scipy:disk=1g' }), /HUB_IMAGE_LIMITS: unknown limit 'disk'/);
  assert.throws(() => loadConfig({ HUB_IMAGE_LIMITS: 'scipy' }), /HUB_IMAGE_LIMITS: cannot read/);
});

test.run();
