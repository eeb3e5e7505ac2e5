/**
 * The Platform contract (test/support/platform-contract.ts) on the local platform: real redis-server processes
 * from the project's default manifests (3 of the StatefulSet's pods), in the mode this machine supports.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { redisDeployment } from '../../src/manifests/deployment.ts';
import { loadManifests } from '../../src/manifests/load.ts';
import { createLocalPlatform, type LocalPlatform } from '../../src/platform/local.ts';
import type { Target } from '../../src/platform/platform.ts';
import { infoServer, serving } from '../../src/platform/local/server-probe.ts';
import { processRunning } from '../../src/platform/local/process.ts';
import { silentLog } from '../../src/util/log.ts';
import { platformContract } from '../support/platform-contract.ts';

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-contract-'));
let platform: LocalPlatform | undefined;
const everyPid = new Set<number>();
// A frozen server still accepts the connection (the kernel does), but does not answer: the probe times out.
const answers = (t: Target) => infoServer(t.host, t.port, 1000).then(serving, () => false);

platformContract({
  name: 'local',
  create: async ({ undo, signal }) => {
    const manifests = await loadManifests('manifests');
    platform = createLocalPlatform(
      { log: silentLog, workDir, undo, signal },
      { addressBase: '127.0.99', restartDelayMs: 200 },
    );
    // Every process it ever starts, to prove none is left (processIds() forgets the ones that exited).
    const list = platform.listPods.bind(platform);
    platform.listPods = async () => {
      for (const pid of platform!.processIds()) everyPid.add(pid);
      return list();
    };
    return { platform, manifests, redis: { ...redisDeployment(manifests), replicas: 3 } };
  },
  redis: { answers },
  leftovers: async () => [
    ...[...everyPid].filter(processRunning).map((pid) => `process ${pid}`),
    ...(platform?.processIds() ?? []).map((pid) => `process ${pid} (still tracked)`),
    ...['pods', 'pv', 'logs', 'pids']
      .filter((d) => fs.existsSync(path.join(workDir, d)))
      .map((d) => `${d}/ in the work dir`),
  ],
  // SIGSTOP to the pod's process.
  freezes: { seenBy: 'Redis not answering', stopped: async (_pod, reach) => !(await answers(await reach())) },
  timeoutMs: 60_000,
  close: async () => fs.rmSync(workDir, { recursive: true, force: true }),
});
