import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';

const read = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');

test('the RBAC in the README is the ClusterRole of docs/rbac-existing.yaml, and asks no node rights', () => {
  const role = parse(read('docs/rbac-existing.yaml')) as { kind: string; rules: unknown[] };
  assert.is(role.kind, 'ClusterRole');
  const readme = read('README.md');
  const block = /The least a kubeconfig needs[^\n]*\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README has the RBAC block');
  assert.equal((parse(block) as { rules: unknown[] }).rules, role.rules);
  assert.not.ok(JSON.stringify(role.rules).includes('nodes'), 'no node rights by default (cordon is opt-in)');
  assert.not.match(readme, 'cordons every schedulable node\nfor the length');
});

test.run();
