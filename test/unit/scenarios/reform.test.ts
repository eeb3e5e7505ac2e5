import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseClusterNodes } from '../../../src/redis/cluster-nodes.ts';
import type { NodeHealthView, ReplicationState } from '../../../src/redis/health.ts';
import { judgeReform, linkKey, reformCause, shardsOf } from '../../../src/scenarios/reform.ts';

// Two shards (a master and its replica each), ids A..D; `ips` gives each node's address in the view.
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const D = 'd'.repeat(40);
function view(
  self: string,
  ips: Record<string, string>,
  masters: Record<string, string> = { [A]: '0-8191', [C]: '8192-16383' },
): NodeHealthView {
  const replicaOf: Record<string, string> = { [A]: B, [B]: A, [C]: D, [D]: C };
  const text = [A, B, C, D]
    .map((id) => {
      const isMaster = id in masters;
      const flags = `${id === self ? 'myself,' : ''}${isMaster ? 'master' : 'slave'}`;
      return `${id} ${ips[id] ?? '?'}:6379@16379 ${flags} ${isMaster ? '-' : (replicaOf[id] ?? '?')} 0 0 1 connected${isMaster ? ` ${masters[id] ?? '?'}` : ''}`;
    })
    .join('\n');
  return { address: { host: ips[self]!, port: 6379 }, nodes: parseClusterNodes(text), info: {} };
}
const OLD = { [A]: '127.0.9.1', [B]: '127.0.9.2', [C]: '127.0.9.3', [D]: '127.0.9.4' };
const NEW = { [A]: '127.0.9.11', [B]: '127.0.9.12', [C]: '127.0.9.13', [D]: '127.0.9.14' };
/** Every replica's INFO replication: link up to its master at the address its own view lists (`override` per view address). */
function links(
  views: NodeHealthView[],
  override: Record<string, Partial<ReplicationState>> = {},
): Map<string, ReplicationState> {
  const out = new Map<string, ReplicationState>();
  for (const v of views) {
    const self = v.nodes!.find((n) => n.flags.has('myself'))!;
    if (!self.flags.has('slave')) continue;
    const master = v.nodes!.find((n) => n.id === self.masterId)!;
    out.set(linkKey(v), {
      role: 'slave',
      masterHost: master.ip,
      masterLinkStatus: 'up',
      aofRewriteInProgress: false,
      ...override[linkKey(v)],
    });
  }
  return out;
}
const shards = shardsOf(view(A, OLD).nodes!);
const current = new Map(Object.entries(NEW));

test('the shards before: slots, master and members', () => {
  assert.equal(shards, [
    { slots: ['0-8191'], masterId: A, memberIds: [A, B] },
    { slots: ['8192-16383'], masterId: C, memberIds: [C, D] },
  ]);
});

test('every node at its new address, same shards: re-formed; a replica now serving its shard is a swap, not a failure', () => {
  const views = [A, B, C, D].map((id) => view(id, NEW, { [B]: '0-8191', [C]: '8192-16383' }));
  const j = judgeReform(views, [], shards, current, links(views));
  assert.ok(j.ok, j.problems.join('\n'));
  assert.equal(j.swapped, [{ slots: '0-8191', from: A, to: B }]);
});

test('cluster_state ok but peers at their old addresses is not re-formed', () => {
  const views = [A, B, C, D].map((id) => view(id, { ...OLD, [id]: NEW[id]! }));
  const j = judgeReform(views, [], shards, current, links(views));
  assert.not.ok(j.ok);
  assert.ok(
    j.problems.some((p) => p.includes(`lists ${B.slice(0, 8)} at 127.0.9.2, its old address`)),
    j.problems.join('\n'),
  );
  assert.is(j.nodesKnowingAPeer, 0);
  assert.match(reformCause(j, views)!.cause, /none knows another's: the manifests have no peer re-discovery/);
});

test('only part of the nodes know the new addresses: the cause says the re-discovery reaches only part', () => {
  const views = [view(A, NEW), view(B, NEW), view(C, { ...OLD, [C]: NEW[C]! }), view(D, { ...OLD, [D]: NEW[D]! })];
  const j = judgeReform(views, [], shards, current, links(views));
  assert.not.ok(j.ok);
  assert.is(j.nodesKnowingAPeer, 2);
  assert.match(reformCause(j, views)!.cause, /2 of 4 nodes learned every peer's new address/);
});

test('slots served by a node of another shard, or an unknown node, fail', () => {
  const views = [A, B, C, D].map((id) => view(id, NEW, { [C]: '0-8191', [A]: '8192-16383' }));
  const j = judgeReform(views, [], shards, current, links(views));
  assert.ok(
    j.problems.some((p) => p.includes('not by a node of that shard before')),
    j.problems.join('\n'),
  );
  const stranger = judgeReform(
    [view(A, NEW)],
    [],
    shards.map((s) => ({ ...s, memberIds: s.memberIds.filter((m) => m !== D) })),
    current,
    links([view(A, NEW)]),
  );
  assert.ok(stranger.problems.some((p) => p.includes('a new or ghost node')));
});

test("re-formed except a replica whose link is down, or up to its master's old address: not re-formed", () => {
  const views = [A, B, C, D].map((id) => view(id, NEW));
  const [newA, newB, oldA] = [NEW[A] ?? '?', NEW[B] ?? '?', OLD[A] ?? '?'];
  const b = `${newB}:6379`;
  assert.ok(judgeReform(views, [], shards, current, links(views)).ok);
  const down = judgeReform(views, [], shards, current, links(views, { [b]: { masterLinkStatus: 'down' } }));
  assert.not.ok(down.ok);
  assert.equal(down.problems, [`${b} is a replica whose replication link is down (master_host ${newA})`]);
  const stale = judgeReform(views, [], shards, current, links(views, { [b]: { masterHost: oldA } }));
  assert.equal(stale.problems, [`${b} replicates from ${oldA}, not from its master's address now (${newA})`]);
  const unread = judgeReform(views, [], shards, current, new Map([...links(views)].filter(([k]) => k !== b)));
  assert.equal(unread.problems, [`${b} is a replica whose replication state could not be read`]);
  // Only links wrong: the masters serve every slot, so the data can be read back; the cause names the fix.
  for (const j of [down, stale, unread]) assert.ok(j.onlyReplicationLinks, j.problems.join('\n'));
  assert.match(
    reformCause(down, views)!.cause,
    /replicas still replicate from their master's old address or not at all/,
  );
  assert.match(reformCause(down, views)!.fix, /CLUSTER REPLICATE/);
  // A link problem beside an old address is not only links.
  const mixed = [view(A, NEW), view(B, NEW), view(C, NEW), view(D, { ...NEW, [A]: OLD[A] ?? '?' })];
  assert.not.ok(
    judgeReform(mixed, [], shards, current, links(mixed, { [b]: { masterLinkStatus: 'down' } })).onlyReplicationLinks,
  );
  assert.not.ok(judgeReform(views, [], shards, current, links(views)).onlyReplicationLinks, 'ok is not "only links"');
});

test.run();
