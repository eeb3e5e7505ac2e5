import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reportJson } from '../../../src/report/json.ts';
import { renderJUnit } from '../../../src/report/junit.ts';
import { renderMarkdown } from '../../../src/report/markdown.ts';
import type { Report } from '../../../src/report/model.ts';
import { renderTerminal } from '../../../src/report/terminal.ts';
import { serverVersionFrom } from '../../../src/redis/health.ts';
import { errorRun, passingRun } from '../../fixtures/report/samples.ts';

test('INFO server: Valkey by valkey_version (its redis_version is the Redis it forked from), Redis by redis_version', () => {
  // Fields as valkey-server 8.0.1 and redis-server 7.0.15 answer them here.
  assert.equal(serverVersionFrom({ redis_version: '7.2.4', server_name: 'valkey', valkey_version: '8.0.1' }), {
    name: 'Valkey',
    version: '8.0.1',
  });
  assert.equal(serverVersionFrom({ redis_version: '7.0.15', redis_mode: 'cluster' }), {
    name: 'Redis',
    version: '7.0.15',
  });
});

test('the report names the server and version that ran: report.json, summary, terminal, JUnit', () => {
  for (const server of [
    { name: 'Valkey', version: '8.0.1' },
    { name: 'Redis', version: '7.0.15' },
  ]) {
    const report: Report = { ...passingRun, server };
    const text = `${server.name} ${server.version}`;
    assert.equal((JSON.parse(reportJson(report)) as Report).server, server);
    assert.match(renderMarkdown(report), `Platform ${report.platform}, ${text}, manifests`);
    assert.ok(
      renderTerminal(report).split('\n').includes(`server: ${text} (platform ${report.platform})`),
      renderTerminal(report),
    );
    assert.match(renderJUnit(report), `<property name="server" value="${text}"/>`);
  }
  // A run that never reached the pods names no server.
  assert.not.match(renderTerminal(errorRun), 'server:');
  assert.not.match(renderJUnit(errorRun), 'name="server"');
});

test.run();
