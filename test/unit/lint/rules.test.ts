import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lintManifests, RULES, type LintOptions } from '../../../src/manifests/lint/index.ts';
import { loadManifests } from '../../../src/manifests/load.ts';

// Every rule has test/fixtures/lint/<rule>/fail and /pass. In fail, each line a finding of the rule must point at
// carries a trailing `# expect: <rule>[, <rule>…]` comment (or the line before it `# expect-next: <rule>`, which
// also works inside a redis.conf block); the rule must find exactly those lines. In pass it must find nothing.
// An optional options.json holds the LintOptions (e.g. {"nodes": 3}).
const FIXTURES = path.relative(process.cwd(), path.join(import.meta.dirname, '../../fixtures/lint'));

function expectedLines(dir: string, rule: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()) {
    const file = path.join(dir, name).split(path.sep).join('/');
    readFileSync(path.join(dir, name), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const next = /^\s*#\s*expect-next:\s*(.+)$/.exec(line);
        const same = next ? undefined : /#\s*expect:\s*(.+)$/.exec(line);
        const ids = (next ?? same)?.[1]!.split(',').map((s) => s.trim()) ?? [];
        for (const id of ids) if (id === rule) out.push(`${file}:${i + 1 + (next ? 1 : 0)}`);
      });
  }
  return out.sort();
}

async function findingsOf(dir: string, rule: string) {
  const optionsFile = path.join(dir, 'options.json');
  const opts = existsSync(optionsFile) ? (JSON.parse(readFileSync(optionsFile, 'utf8')) as LintOptions) : {};
  return lintManifests(await loadManifests(dir), opts).filter((f) => f.rule === rule);
}

// One fixture directory per rule id.
const FIXTURE_IDS = readdirSync(FIXTURES).sort();

test('every rule has a fixture directory and every fixture directory a rule', () => {
  assert.equal(RULES.map((r) => r.id).sort(), FIXTURE_IDS);
});

for (const id of FIXTURE_IDS) {
  const fail = path.join(FIXTURES, id, 'fail');
  const pass = path.join(FIXTURES, id, 'pass');

  test(`${id}: finds exactly the marked lines of its failing fixture`, async () => {
    assert.ok(existsSync(fail), `missing fixture ${fail}`);
    const expected = expectedLines(fail, id);
    assert.ok(expected.length > 0, `${fail} marks no line with # expect: ${id}`);
    const found = await findingsOf(fail, id);
    assert.equal(found.map((f) => `${f.at?.file}:${f.at?.line}`).sort(), expected);
    for (const f of found) {
      assert.ok(f.message.length > 0 && f.fix.length > 0, `${id}: message and fix`);
      assert.ok(['error', 'warning', 'info'].includes(f.severity));
    }
  });

  test(`${id}: finds nothing in its passing fixture`, async () => {
    assert.ok(existsSync(pass), `missing fixture ${pass}`);
    const found = await findingsOf(pass, id);
    assert.equal(
      found.map((f) => `${f.at?.file}:${f.at?.line} ${f.message}`),
      [],
    );
  });
}

test('rule ids are unique and kebab-case', () => {
  const ids = RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^[a-z]+(-[a-z]+)*$/);
});

test('a finding without a position points at the Redis StatefulSet (code scanning refuses a SARIF result without one)', async () => {
  const set = await loadManifests('manifests');
  const sts = set.objects.find((o) => o.kind === 'StatefulSet')!;
  const unplaced = {
    id: 'unplaced',
    summary: 's',
    check: () => [{ rule: 'unplaced', severity: 'info' as const, message: 'm', fix: 'f' }],
  };
  const [finding] = lintManifests(set, {}, [unplaced]);
  assert.equal(finding?.at, sts.at);
});

test.run();
