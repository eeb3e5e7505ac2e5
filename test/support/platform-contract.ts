/**
 * The promises of src/platform/platform.ts, written once and run against every platform this machine can reach:
 * the local platform (real redis-server, test/integration/platform-contract.test.ts), the Kubernetes platform on
 * the loopback API fixture (test/unit/kube/platform-contract.test.ts) and the kind platform with stand-in kind and
 * docker, the fixture as its cluster (test/unit/kube/kind-platform-contract.test.ts). Where a promise cannot be
 * checked on a platform (Redis answering, where no Redis runs), the test is registered as skipped with the
 * reason in its name, so the report says what was not checked.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CancelledError, messageOf, TimeoutError, UnsupportedError } from '../../src/errors.ts';
import type { ManifestSet, RedisDeployment } from '../../src/manifests/model.ts';
import type { Platform, PodInfo, Target } from '../../src/platform/platform.ts';
import { isUnsupported, required } from '../../src/platform/faults.ts';
import type { UndoJournal, UndoStep } from '../../src/platform/undo.ts';
import { beforeAll } from './setup.ts';

export interface ContractTarget {
  /** The platform as the suite names it. */
  name: string;
  /** A fresh platform, given the journal and the run's cancel, with a deployment of at least two pods. */
  create(ctx: {
    undo: UndoJournal;
    signal: AbortSignal;
  }): Promise<{ platform: Platform; manifests: ManifestSet; redis: RedisDeployment }>;
  /** How the suite asks whether Redis answers at a target, or why it cannot on this platform. */
  redis: { answers(target: Target): Promise<boolean> } | { cannot: string };
  /** What the run left behind (processes, namespaces, volumes), in words: empty once teardown has run. */
  leftovers(): Promise<string[]>;
  /** Whether freeze() works here, and how the suite sees a pod's server stopped; or false: freeze() must throw
   * UnsupportedError saying why. A target says which, so the test cannot pass on the other outcome. */
  freezes: false | FreezeProbe;
  /** Bound on a replacement coming back and on a rollout. */
  timeoutMs: number;
  /** Stops what create() needed besides the platform (a fixture server). */
  close?(): Promise<void>;
}

/** How the suite sees whether a pod's server is stopped (frozen). */
export interface FreezeProbe {
  /** What it looks at, for the failure messages. */
  seenBy: string;
  /** `reach` gives the pod's target to dial, for a probe that asks the server itself. */
  stopped(pod: PodInfo, reach: () => Promise<Target>): Promise<boolean>;
}

/** An undo journal in memory: what is recorded and not yet settled. */
function memoryJournal(): UndoJournal & { open(): UndoStep[] } {
  const steps = new Map<string, UndoStep>();
  let next = 0;
  return {
    record: async (step) => {
      const id = String(++next);
      steps.set(id, step);
      return id;
    },
    settle: async (id) => void steps.delete(id),
    open: () => [...steps.values()],
  };
}

/** Registers the contract suite for one platform and runs it. */
export function platformContract(target: ContractTarget): void {
  const test = suite(`Platform contract: ${target.name}`);
  const journal = memoryJournal();
  const cancel = new AbortController();
  let platform: Platform;
  let redis: RedisDeployment;
  let manifests: ManifestSet;
  let created = false;
  let tornDown = false;
  const pods = () => platform.listPods();
  const address = (p: PodInfo) => ({ host: p.ip, port: redis.port });
  const podAt = async (ordinal: number): Promise<PodInfo> => {
    const p = (await pods())[ordinal];
    if (!p) throw new Error(`no pod with ordinal ${ordinal}`);
    return p;
  };
  const checkRedis = (promise: string, fn: (answers: (t: Target) => Promise<boolean>) => Promise<void>) => {
    const r = target.redis;
    if ('cannot' in r) test.skip(`${promise} (not checked on ${target.name}: ${r.cannot})`, () => undefined);
    else test(promise, () => fn((t) => r.answers(t)));
  };

  beforeAll(test, async () => {
    ({ platform, redis, manifests } = await target.create({ undo: journal, signal: cancel.signal }));
    created = true;
  });
  test.after(async () => {
    if (created && !tornDown) await platform.teardown();
    await target.close?.();
  });

  test('provision() is idempotent; deploy() brings every pod of the StatefulSet up, ready, listed by ordinal', async () => {
    await platform.provision();
    await platform.provision();
    await platform.deploy(manifests, redis);
    const listed = await pods();
    assert.ok(redis.replicas >= 2, 'the contract needs two pods');
    assert.equal(
      listed.map((p) => p.name),
      Array.from({ length: redis.replicas }, (_, i) => `${redis.name}-${i}`),
    );
    assert.equal(
      listed.map((p) => p.ordinal),
      Array.from({ length: redis.replicas }, (_, i) => i),
    );
    for (const p of listed)
      assert.ok(p.ready && p.ip !== '' && p.uid !== '' && p.node !== '', `${p.name}: ${JSON.stringify(p)}`);
    assert.is(new Set(listed.map((p) => p.uid)).size, listed.length, 'one UID per pod');
    assert.ok(journal.open().length > 0, 'what deploy() made is recorded in the undo journal before teardown');
  });

  test('reach() gives a target to dial for every pod address', async () => {
    for (const p of await pods()) {
      const t = await platform.reach(address(p));
      assert.ok(t.host !== '' && t.port > 0, `${p.name}: ${JSON.stringify(t)}`);
    }
  });

  checkRedis('Redis answers at reach() of every pod', async (answers) => {
    for (const p of await pods()) assert.ok(await answers(await platform.reach(address(p))), p.name);
  });

  test('faults.podDelete without hold: resolves once the old pod is gone (onDelete told when), a new pod replaces it', async () => {
    const victim = await podAt(1);
    const before = Date.now();
    const told: number[] = [];
    await platform.faults.podDelete.delete(victim.name, {
      hold: false,
      mode: 'graceful',
      onDelete: (at) => told.push(at),
    });
    const after = Date.now();
    assert.ok(told.length <= 1, 'onDelete at most once');
    for (const at of told) assert.ok(at >= before && at <= after, 'onDelete says when the delete went out');
    assert.not.ok(
      (await pods()).some((p) => p.uid === victim.uid && p.ready),
      'the old pod is not listed ready',
    );
    const back = await platform.waitForReplacement(victim.name, victim.uid, target.timeoutMs);
    assert.is(back.name, victim.name);
    assert.is.not(back.uid, victim.uid);
    assert.ok(back.ip !== '', 'the new pod has its IP');
    assert.ok(
      (await pods()).some((p) => p.uid === back.uid),
      'listed',
    );
  });

  test('faults.podDelete with hold: no replacement until releaseHold(), which is safe when nothing is held', async () => {
    await platform.faults.podDelete.releaseHold();
    const victim = await podAt(0);
    await platform.faults.podDelete.delete(victim.name, { hold: true, mode: 'kill' });
    const held = await platform.waitForReplacement(victim.name, victim.uid, 300).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(held, TimeoutError, 'no replacement while held');
    assert.match((held as Error).message, victim.name, 'the timeout names the pod it waited for');
    await platform.faults.podDelete.releaseHold();
    const back = await platform.waitForReplacement(victim.name, victim.uid, target.timeoutMs);
    assert.is.not(back.uid, victim.uid);
    await platform.faults.podDelete.releaseHold();
  });

  test('faults.rollingRestart replaces every pod; each is ready once it resolves', async () => {
    const before = await pods();
    await required(platform.faults.rollingRestart).restartAll(target.timeoutMs);
    const after = await pods();
    assert.is(after.length, before.length);
    for (const [i, p] of after.entries()) {
      assert.is.not(p.uid, before[i]?.uid, `${p.name} is a new pod`);
      assert.ok(p.ready, `${p.name} ready`);
    }
  });

  test("faults.freeze stops a pod's Redis until resume(), or the platform says why it cannot", async () => {
    const victim = await podAt(0);
    const probe = target.freezes;
    const cap = platform.faults.freeze;
    if (isUnsupported(cap)) {
      assert.not.ok(probe, `${target.name} should freeze pods, but says: ${cap.unsupported}`);
      assert.match(cap.unsupported, /freez/);
      return;
    }
    const frozen = await cap.freeze(victim.name).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!probe) {
      assert.instance(frozen, UnsupportedError, messageOf(frozen));
      assert.match((frozen as Error).message, victim.name);
      await cap.resume(victim.name); // safe when not frozen
      return;
    }
    assert.is(frozen, undefined, `freeze() threw on ${target.name}: ${messageOf(frozen)}`);
    const stopped = (p: PodInfo) => probe.stopped(p, () => platform.reach(address(p)));
    try {
      assert.ok(await stopped(victim), `frozen: ${victim.name} is stopped (seen by ${probe.seenBy})`);
      for (const other of (await pods()).filter((p) => p.name !== victim.name))
        assert.not.ok(await stopped(other), `only the frozen pod is stopped, not ${other.name}`);
    } finally {
      await cap.resume(victim.name);
    }
    assert.not.ok(await stopped(victim), `resumed: ${victim.name} runs again (seen by ${probe.seenBy})`);
    await cap.resume(victim.name); // safe when not frozen
  });

  test("a wait honours the run's cancel: waiting for a held pod rejects with CancelledError, not a timeout", async () => {
    const victim = await podAt(1);
    await platform.faults.podDelete.delete(victim.name, { hold: true, mode: 'kill' });
    const waiting = platform.waitForReplacement(victim.name, victim.uid, 10 * 60_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    cancel.abort('SIGINT');
    assert.instance(await waiting, CancelledError);
  });

  test('teardown() after the cancel (a hold still in force) removes everything and settles the journal; twice is safe', async () => {
    tornDown = true;
    await platform.teardown();
    assert.equal(await target.leftovers(), [], 'nothing left');
    assert.equal(journal.open(), [], 'every recorded change undone and settled');
    await platform.teardown();
    assert.equal(await target.leftovers(), []);
  });

  test.run();
}
