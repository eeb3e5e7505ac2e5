import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import {
  loadImages,
  manifestImages,
  parseImageList,
  pullFailure,
  pullImages,
} from '../../../src/platform/kind-images.ts';
import type { Runner } from '../../../src/platform/run-command.ts';
import type { Log } from '../../../src/util/log.ts';

const recorder = (answer: (cmd: string, args: string[]) => { code: number; stderr: string }) => {
  const calls: string[] = [];
  const run: Runner = async (cmd, args) => (
    calls.push(`${cmd} ${args.join(' ')}`),
    { stdout: '', ...answer(cmd, args) }
  );
  return { calls, run };
};
const logOf = () => {
  const lines: string[] = [];
  return {
    lines,
    log: {
      info: (m: string) => lines.push(`info ${m}`),
      warn: (m: string) => lines.push(`warn ${m}`),
      progress: () => {},
    } as Log,
  };
};

test('load-images: commas, spaces and new lines separate; duplicates dropped', () => {
  assert.equal(parseImageList(' pr/redis:1, pr/init:2\nredis:7.2.5  pr/redis:1 \n'), [
    'pr/redis:1',
    'pr/init:2',
    'redis:7.2.5',
  ]);
  assert.equal(parseImageList(undefined), []);
});

test("the manifests' images: containers and init containers of pod templates, once each", () => {
  const set = {
    dir: '.',
    files: ['a.yaml'],
    objects: parseManifestFile(
      'a.yaml',
      `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: r }
spec:
  template:
    spec:
      initContainers: [{ name: conf, image: "busybox:1.36" }]
      containers: [{ name: redis, image: "redis:7.2.5" }, { name: exporter, image: "redis:7.2.5" }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: c }
data: { image: "not-an-image:1" }
`,
    ),
  };
  assert.equal(manifestImages(set), ['busybox:1.36', 'redis:7.2.5']);
});

test('pull: only what the runner lacks; a rate limit is named with what to do, and the run goes on', async () => {
  const { calls, run } = recorder((_cmd, args) => {
    if (args[0] === 'image') return { code: args.at(-1) === 'have:1' ? 0 : 1, stderr: '' };
    if (args.includes('limited:1'))
      return {
        code: 1,
        stderr: 'Error response from daemon: toomanyrequests: You have reached your unauthenticated pull rate limit.',
      };
    return { code: 0, stderr: '' };
  });
  const { log, lines } = logOf();
  assert.equal(await pullImages(['have:1', 'get:1', 'limited:1'], log, run), ['have:1', 'get:1']);
  assert.equal(calls, [
    'docker image inspect --format {{.Id}} have:1',
    'docker image inspect --format {{.Id}} get:1',
    'docker pull --quiet get:1',
    'docker image inspect --format {{.Id}} limited:1',
    'docker pull --quiet limited:1',
  ]);
  const warning = lines.find((l) => l.startsWith('warn'))!;
  assert.match(warning, "docker pull limited:1 hit the registry's rate limit");
  assert.match(warning, 'log in first (docker/login-action) or build/mirror the image and pass it in load-images');
  assert.match(warning, 'the kind nodes will try to pull it themselves');
  assert.match(pullFailure('nope:1', 'Error response from daemon: manifest unknown'), 'no such image or no access');
});

test('kind load: one call for all images into the named cluster; a failure names the images and what load-images needs', async () => {
  const ok = recorder(() => ({ code: 0, stderr: '' }));
  await loadImages('/k/kind', 'rr', ['pr/redis:1', 'redis:7.2.5'], logOf().log, ok.run);
  assert.equal(ok.calls, ['/k/kind load docker-image pr/redis:1 redis:7.2.5 --name rr']);
  const none = recorder(() => ({ code: 0, stderr: '' }));
  await loadImages('/k/kind', 'rr', [], logOf().log, none.run);
  assert.equal(none.calls, [], 'nothing to load: no call');
  const bad = recorder(() => ({ code: 1, stderr: 'ERROR: image: "pr/redis:1" not present locally' }));
  const err = await loadImages('/k/kind', 'rr', ['pr/redis:1'], logOf().log, bad.run).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.match(
    err?.message ?? '',
    'kind load docker-image pr/redis:1 --name rr failed (exit code 1): ERROR: image: "pr/redis:1" not present locally; an image of load-images must exist',
  );
});

test.run();
