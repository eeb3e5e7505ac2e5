import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseTopology } from '../../../src/prepare.ts';
import { inputErrorOf } from '../../support/input-error.ts';

test('either count derives the other; neither gives the default for the pod count', () => {
  assert.equal(chooseTopology(6, {}), { masters: 3, replicasPerMaster: 1 });
  assert.equal(chooseTopology(3, {}), { masters: 1, replicasPerMaster: 2 });
  assert.equal(chooseTopology(6, { masters: 2 }), { masters: 2, replicasPerMaster: 2 });
  assert.equal(chooseTopology(6, { replicasPerMaster: 0 }), { masters: 6, replicasPerMaster: 0 });
  assert.equal(chooseTopology(3, { masters: 1, replicasPerMaster: 2 }), { masters: 1, replicasPerMaster: 2 });
});

test('counts that cannot fit the StatefulSet are bad input naming both values', () => {
  assert.match(inputErrorOf(() => chooseTopology(6, { masters: 4 })), 'masters 4 and replicas-per-master (not set) do not fit 6 pods');
  assert.match(inputErrorOf(() => chooseTopology(6, { masters: 3, replicasPerMaster: 2 })), 'do not fit 6 pods');
  assert.match(inputErrorOf(() => chooseTopology(6, { replicasPerMaster: 4 })), 'do not fit 6 pods');
});

test.run();
