import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifestFile } from '../../../src/manifests/load.ts';
import {
  loadImages,
  manifestImages,
  parseImageList,
  pullFailure,
  pullImages,
  pullPolicies,
} from '../../../src/platform/kind-images.ts';
import { installKindStandIns, type KindStandIns } from './kind-standins.ts';
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

test('kind load: the built images, then the pulled ones, each one call into the named cluster; nothing to load: no call', async () => {
  const ok = recorder(() => ({ code: 0, stderr: '' }));
  assert.equal(
    await loadImages('/k/kind', 'rr', { built: ['pr/redis:1'], pulled: ['redis:7.2.5'] }, logOf().log, ok.run),
    [],
  );
  assert.equal(ok.calls, [
    '/k/kind load docker-image pr/redis:1 --name rr',
    '/k/kind load docker-image redis:7.2.5 --name rr',
  ]);
  const none = recorder(() => ({ code: 0, stderr: '' }));
  await loadImages('/k/kind', 'rr', { built: [], pulled: [] }, logOf().log, none.run);
  assert.equal(none.calls, [], 'nothing to load: no call');
});

test('pull policies: as written, else the API default (Always for :latest, or neither tag nor digest; else IfNotPresent)', () => {
  const set = {
    dir: '.',
    files: ['a.yaml'],
    objects: parseManifestFile(
      'a.yaml',
      `apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers:
    - { name: a, image: "redis:7.2.5" }
    - { name: b, image: "busybox" }
    - { name: c, image: "pr/redis:1", imagePullPolicy: Never }
    - { name: d, image: "reg:5000/x:latest" }
    - { name: e, image: "redis@sha256:${'a'.repeat(64)}" }
    - { name: f, image: "valkey:latest@sha256:${'b'.repeat(64)}" }
`,
    ),
  };
  const p = pullPolicies(set);
  // A digest without a tag is IfNotPresent: SetDefaults_Container takes Always only for the tag "latest", which
  // parsers.ParseImageName assumes only when neither a tag nor a digest is given.
  assert.equal(
    [...p].map(([i, s]) => `${i.replace(/[ab]{64}/, '…')} ${[...s].join()}`),
    [
      'redis:7.2.5 IfNotPresent',
      'busybox Always',
      'pr/redis:1 Never',
      'reg:5000/x:latest Always',
      'redis@sha256:… IfNotPresent',
      'valkey:latest@sha256:… Always',
    ],
  );
});

// Against the stand-in kind and docker (test/unit/kube/kind-standins.ts): the real commands, kind's own errors.
const standInRun = async <T>(fn: (s: KindStandIns) => Promise<T>): Promise<T> => {
  const s = installKindStandIns({ images: ['pr/redis:1', 'redis:7.2.5'] });
  try {
    return await fn(s);
  } finally {
    s.restore();
  }
};
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => (e as Error).message,
  );

test('stand-ins: a pulled image that cannot be loaded (containerd image store) is a warning and a report note; the nodes pull it', async () => {
  await standInRun(async (s) => {
    s.setImageStore('containerd');
    s.setLoadFails(['redis:7.2.5']);
    const { log, lines } = logOf();
    const notes = await loadImages(
      s.kind,
      'rr',
      {
        built: ['pr/redis:1'],
        pulled: ['redis:7.2.5'],
        policies: new Map([['redis:7.2.5', new Set(['IfNotPresent'])]]),
      },
      log,
    );
    assert.is(notes.length, 1);
    assert.match(notes[0]!, 'content digest sha256:44b2');
    assert.match(
      notes[0]!,
      'each kind node pulls them itself, with the imagePullPolicy as written (redis:7.2.5: IfNotPresent)',
    );
    assert.match(notes[0]!, 'containerd image store (docker info: io.containerd.snapshotter.v1)');
    assert.match(notes[0]!, 'kubernetes-sigs/kind#3795, kind PR #4247');
    assert.ok(lines.some((l) => l.startsWith('warn kind load of the manifests')));
    assert.ok(lines.includes('info loaded into every kind node: pr/redis:1'), 'the built image was loaded');
  });
});

test('stand-ins: a load-images image that cannot be loaded is an error naming the image store and the workaround', async () => {
  await standInRun(async (s) => {
    s.setImageStore('containerd');
    s.setLoadFails(['pr/redis:1']);
    const message = await failure(
      loadImages(s.kind, 'rr', { built: ['pr/redis:1'], pulled: ['redis:7.2.5'] }, logOf().log),
    );
    assert.match(message ?? '', 'kind load docker-image pr/redis:1 --name rr failed (exit code 1)');
    assert.match(message ?? '', "load-images are the job's own images, which no node can pull, so the run stops");
    assert.match(message ?? '', "the runner's Docker uses the containerd image store");
    assert.match(message ?? '', 'kubernetes-sigs/kind#3795, kind PR #4247');
    assert.match(message ?? '', '{"features": {"containerd-snapshotter": false}}');
    assert.match(message ?? '', 'docker save --platform linux/amd64 -o img.tar IMAGE; kind load image-archive img.tar');
    assert.not.ok(
      s.calls().some((c) => c.includes('redis:7.2.5')),
      'stopped before loading the rest',
    );
  });
});

test('stand-ins: a load-images image missing from the runner is an error saying so (classic store: no containerd workaround)', async () => {
  await standInRun(async (s) => {
    const message = await failure(loadImages(s.kind, 'rr', { built: ['pr/other:1'], pulled: [] }, logOf().log));
    assert.match(message ?? '', 'ERROR: image: "pr/other:1" not present locally');
    assert.match(message ?? '', "the runner's Docker uses the classic image store");
    assert.not.match(message ?? '', 'containerd-snapshotter');
    assert.match(message ?? '', "each of load-images must exist in the runner's Docker");
  });
});

test('stand-ins: a pulled image with imagePullPolicy Never that cannot be loaded is an error (no node would pull it)', async () => {
  await standInRun(async (s) => {
    s.setImageStore('containerd');
    s.setLoadFails(['redis:7.2.5']);
    const message = await failure(
      loadImages(
        s.kind,
        'rr',
        { built: [], pulled: ['redis:7.2.5'], policies: new Map([['redis:7.2.5', new Set(['Never'])]]) },
        logOf().log,
      ),
    );
    assert.match(message ?? '', 'redis:7.2.5 has imagePullPolicy: Never, so no node will pull it');
  });
});

test.run();
