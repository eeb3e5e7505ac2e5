import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseTopology, fitTopology } from '../../../src/redis/plan.ts';
import { inputErrorOf } from '../../support/input-error.ts';

test('either count derives the other; neither gives the default for the pod count', () => {
  assert.equal(chooseTopology(6, {}), { masters: 3, replicasPerMaster: 1 });
  assert.equal(chooseTopology(3, {}), { masters: 1, replicasPerMaster: 2 });
  assert.equal(chooseTopology(6, { masters: 2 }), { masters: 2, replicasPerMaster: 2 });
  assert.equal(chooseTopology(6, { replicasPerMaster: 0 }), { masters: 6, replicasPerMaster: 0 });
  assert.equal(chooseTopology(3, { masters: 1, replicasPerMaster: 2 }), { masters: 1, replicasPerMaster: 2 });
});

test('counts that cannot fit the StatefulSet are bad input naming both values', () => {
  assert.match(
    inputErrorOf(() => chooseTopology(6, { masters: 4 })),
    'masters 4 and replicas-per-master (not set) do not fit 6 pods',
  );
  assert.match(
    inputErrorOf(() => chooseTopology(6, { masters: 3, replicasPerMaster: 2 })),
    'do not fit 6 pods',
  );
  assert.match(
    inputErrorOf(() => chooseTopology(6, { replicasPerMaster: 4 })),
    'do not fit 6 pods',
  );
});

test('0 pods fit nothing, whatever was asked (it gave replicasPerMaster -1 with masters 1)', () => {
  assert.equal(fitTopology(0, { masters: 1 }).ok, false);
  assert.equal(fitTopology(0, {}).ok, false);
  assert.equal(fitTopology(0, { replicasPerMaster: 0 }).ok, false);
  assert.match(
    inputErrorOf(() => chooseTopology(0, { masters: 1 })),
    'the StatefulSet has 0 pods',
  );
});

test('1 pod: one master without replicas (lint then reports it), or a misfit when more is asked', () => {
  assert.equal(fitTopology(1, {}), { ok: true, masters: 1, replicasPerMaster: 0 });
  assert.equal(fitTopology(1, { masters: 1 }), { ok: true, masters: 1, replicasPerMaster: 0 });
  assert.equal(fitTopology(1, { replicasPerMaster: 1 }).ok, false);
});

test('more masters than pods never fits (no negative or fractional replica count)', () => {
  assert.match(
    inputErrorOf(() => chooseTopology(6, { masters: 8 })),
    'masters 8 and replicas-per-master (not set) do not fit 6 pods',
  );
  assert.equal(fitTopology(2, { masters: 3 }).ok, false);
});

test('odd counts: the default takes the most masters (>= 3) that divide them, else the seed layout', () => {
  assert.equal(fitTopology(9, {}), { ok: true, masters: 3, replicasPerMaster: 2 });
  assert.equal(fitTopology(15, {}), { ok: true, masters: 5, replicasPerMaster: 2 });
  assert.equal(fitTopology(7, {}), { ok: true, masters: 1, replicasPerMaster: 6 });
  assert.equal(fitTopology(7, { masters: 3 }).ok, false);
  assert.equal(fitTopology(9, { replicasPerMaster: 2 }), { ok: true, masters: 3, replicasPerMaster: 2 });
});

test.run();
