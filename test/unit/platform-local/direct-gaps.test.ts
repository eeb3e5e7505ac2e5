/** Direct mode says plainly when it leaves out the manifests' peer re-discovery. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadManifests } from '../../../src/manifests/load.ts';
import { redisDeployment } from '../../../src/manifests/deployment.ts';
import { directModeRediscoveryGap } from '../../../src/platform/local/direct-gaps.ts';

test('the default manifests: their wrapper starts a CLUSTER MEET loop, which direct mode does not run', async () => {
  const gap = directModeRediscoveryGap(redisDeployment(await loadManifests('manifests')));
  assert.match(
    gap ?? '',
    /^local-mode direct: \/etc\/redis\/rediscover-peers\.sh .*\(manifests\/statefulset\.yaml:\d+\) was not run, and with it the peer re-discovery \(CLUSTER MEET\)/,
  );
});

test('a wrapper without CLUSTER MEET, or no wrapper: nothing to say', async () => {
  assert.is(
    directModeRediscoveryGap(redisDeployment(await loadManifests('test/fixtures/manifests/wrapper-script'))),
    undefined,
  );
  assert.is(
    directModeRediscoveryGap(redisDeployment(await loadManifests('test/fixtures/manifests/seed-topology'))),
    undefined,
  );
});

test.run();
