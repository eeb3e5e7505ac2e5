// Values the API server refuses are refused here too, with file:line, instead of becoming a 1 ms timer, a
// negative wait or a huge file (issue 25); and a wait the manifests make longer than Node's timer limit is
// capped, not turned into 1 ms.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../../src/errors.ts';
import { within } from '../../../src/platform/local/process.ts';
import { readManifests } from '../../../src/prepare.ts';
import { beforeAll } from '../../support/setup.ts';

let base = '';
beforeAll(test, () => {
  base = mkdtempSync(join(tmpdir(), 'rcr-api-bounds-'));
});
test.after(() => rmSync(base, { recursive: true, force: true }));

/** The shipped manifests, copied as files, with `from` replaced by `to` in `file`. */
function edited(name: string, file: string, from: string, to: string): string {
  const dir = join(base, name);
  mkdirSync(dir);
  for (const f of readdirSync('manifests').filter((x) => x.endsWith('.yaml')))
    writeFileSync(join(dir, f), readFileSync(join('manifests', f)));
  const text = readFileSync(join(dir, file), 'utf8');
  assert.ok(text.includes(from), `${from} is in ${file}`);
  writeFileSync(join(dir, file), text.replace(from, to));
  return dir;
}

async function refusal(dir: string): Promise<string> {
  const err = await readManifests(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, InputError);
  return (err as Error).message;
}

const CASES = [
  {
    name: 'negative grace period',
    file: 'statefulset.yaml',
    from: 'terminationGracePeriodSeconds: 20',
    to: 'terminationGracePeriodSeconds: -5',
    says: /statefulset\.yaml:\d+: terminationGracePeriodSeconds -5 is not valid; the API server takes a whole number greater than or equal to 0/,
  },
  {
    name: 'negative probe period',
    file: 'statefulset.yaml',
    from: 'periodSeconds: 5',
    to: 'periodSeconds: -1',
    says: /statefulset\.yaml:\d+: periodSeconds -1 is not valid/,
  },
  {
    name: 'env name with =',
    file: 'statefulset.yaml',
    from: '- name: PEER_SERVICE',
    to: '- name: PEER=SERVICE',
    says: /statefulset\.yaml:\d+: env name "PEER=SERVICE" is not valid; the API server takes printable ASCII characters other than '='/,
  },
  {
    name: 'ConfigMap over 1 MiB',
    file: 'configmap.yaml',
    from: '  redis.conf: |\n',
    to: `  padding: "${'x'.repeat(2 * 1024 * 1024)}"\n  redis.conf: |\n`,
    says: /configmap\.yaml:\d+: ConfigMap redis-conf holds 2\d{6} bytes of data; the API server refuses more than 1048576/,
  },
];

for (const c of CASES) {
  test(`${c.name}: refused with file:line, as the API server refuses it`, async () => {
    assert.match(await refusal(edited(c.name.replace(/\W+/g, '-'), c.file, c.from, c.to)), c.says);
  });
}

test('a grace period over the timer limit is waited for, not turned into 1 ms', async () => {
  // 2^31 s: Node would fire a timer that long after 1 ms, and within() would give up at once.
  const exits = new Promise((r) => setTimeout(r, 100, 'exited'));
  assert.is(await within(exits, 2 ** 31 * 1000), 'exited');
});

test.run();
