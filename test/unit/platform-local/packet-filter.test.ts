import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chainCut,
  dropBetween,
  iptablesProblem,
  removeCut,
  type Iptables,
} from '../../../src/platform/packet-filter.ts';
import type { UndoStep } from '../../../src/platform/undo.ts';

/** iptables as it answers the ops a cut uses (iptables-nft 1.8.9's words), on a table of its own. */
function fakeIptables(): Iptables & { table: string[]; calls: string[][] } {
  const table: string[] = [];
  const calls: string[][] = [];
  const fail = (stderr: string) => ({ code: 1, stdout: '', stderr });
  const ipt = async (args: string[]) => {
    calls.push(args);
    const [op, a, ...rest] = args.slice(2); // after -w 5
    const has = (line: string) => table.includes(line);
    const noChain = "iptables v1.8.9 (nf_tables): Chain '" + (a ?? '') + "' does not exist";
    switch (op) {
      case '-S':
        return { code: 0, stdout: '-P OUTPUT ACCEPT\n', stderr: '' };
      case '-N':
        table.push(`chain ${a!}`);
        break;
      case '-A':
        table.push(`rule ${a!} ${rest.join(' ')}`);
        break;
      case '-I':
        table.push(`jump ${a!} ${rest[2]!}`);
        break;
      case '-D': {
        const i = table.indexOf(`jump ${a!} ${rest[1]!}`);
        if (i < 0)
          return has(`chain ${rest[1]!}`)
            ? fail('iptables: Bad rule (does a matching rule exist in that chain?).')
            : fail(noChain.replace(a!, rest[1]!));
        table.splice(i, 1);
        break;
      }
      case '-F':
        if (!has(`chain ${a!}`)) return fail('iptables: No chain/target/match by that name.');
        for (let i = table.length - 1; i >= 0; i--) if (table[i]!.startsWith(`rule ${a!} `)) table.splice(i, 1);
        break;
      case '-X':
        if (!has(`chain ${a!}`)) return fail('iptables: No chain/target/match by that name.');
        table.splice(table.indexOf(`chain ${a!}`), 1);
        break;
    }
    return { code: 0, stdout: '', stderr: '' };
  };
  return Object.assign(ipt, { table, calls });
}

async function rejects(p: Promise<unknown>, expected: RegExp): Promise<void> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, Error);
  assert.match((err as Error).message, expected);
}

test('dropBetween: both directions between every address of one side and every one of the other', () => {
  assert.equal(dropBetween(['A', 'm'], ['B']), [
    ['-s', 'A', '-d', 'B', '-j', 'DROP'],
    ['-s', 'B', '-d', 'A', '-j', 'DROP'],
    ['-s', 'm', '-d', 'B', '-j', 'DROP'],
    ['-s', 'B', '-d', 'm', '-j', 'DROP'],
  ]);
});

test('a cut: recorded before the chain exists, the chain filled before its jump, all of it gone on heal and settled', async () => {
  const ipt = fakeIptables();
  const journal: Array<{ step: UndoStep; tableThen: string[] }> = [];
  const settled: string[] = [];
  const cut = chainCut(ipt, ['OUTPUT'], {
    record: async (step) => {
      journal.push({ step, tableThen: [...ipt.table] });
      return 'id-1';
    },
    settle: async (id) => void settled.push(id),
  });
  await cut.cut(dropBetween(['A'], ['B']));
  const chain = cut.chain()!;
  assert.equal(journal, [{ step: { kind: 'partition-rules', chain, hooks: ['OUTPUT'] }, tableThen: [] }]);
  assert.equal(ipt.table, [
    `chain ${chain}`,
    `rule ${chain} -s A -d B -j DROP`,
    `rule ${chain} -s B -d A -j DROP`,
    `jump OUTPUT ${chain}`,
  ]);
  await rejects(cut.cut([]), /already in place/);
  await cut.heal();
  assert.equal(ipt.table, []);
  assert.equal(settled, ['id-1']);
  assert.is(cut.chain(), undefined);
  await cut.heal(); // nothing in place: nothing done
  assert.equal(settled, ['id-1']);
});

test('removeCut is idempotent: a chain, a jump or both already gone is done; another error is said', async () => {
  const ipt = fakeIptables();
  await removeCut(ipt, 'RCR-PART-gone', ['INPUT', 'OUTPUT']);
  ipt.table.push('chain RCR-PART-half'); // killed between -N and -I
  await removeCut(ipt, 'RCR-PART-half', ['OUTPUT']);
  assert.equal(ipt.table, []);
  const broken: Iptables = async () => ({ code: 4, stdout: '', stderr: 'iptables: Resource temporarily unavailable.' });
  await rejects(
    removeCut(broken, 'RCR-PART-x', ['OUTPUT']),
    /iptables -D OUTPUT -j RCR-PART-x failed: iptables: Resource temporarily unavailable/,
  );
});

test('iptablesProblem: not installed, not root, or fine', async () => {
  assert.match(
    (await iptablesProblem(async () => ({ code: 127, stdout: '', stderr: 'spawn iptables ENOENT' })))!,
    /^iptables is not installed/,
  );
  assert.match(
    (await iptablesProblem(async () => ({
      code: 4,
      stdout: '',
      stderr:
        'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)',
    })))!,
    /^iptables needs root or CAP_NET_ADMIN/,
  );
  assert.is(await iptablesProblem(fakeIptables()), undefined);
});

test.run();
