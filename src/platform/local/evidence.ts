import fs from 'node:fs';
import path from 'node:path';
import type { EvidenceSink } from '../evidence-sink.ts';
import { toHostPath } from './pod-fs.ts';
import { describePod } from './pod-table.ts';
import type { LocalState } from './state.ts';

/**
 * Evidence of a failed run, read before teardown removes the work dir: the log of every incarnation of every
 * pod (each start of its redis-server writes its own), the current incarnation's redis.conf `logfile` when the
 * manifests set one, and a status line per pod.
 */
export async function collectEvidence(s: LocalState, sink: EvidenceSink): Promise<void> {
  const { workDir } = s;
  const logsDir = path.join(workDir, 'logs');
  for (const name of (await fs.promises.readdir(logsDir).catch(() => [] as string[])).sort()) {
    await sink.copy(`logs/${name}`, workDir, path.join(logsDir, name));
  }
  const logfile = s.redis?.directive('logfile');
  for (const pod of s.pods.all()) {
    if (logfile && s.redis)
      await sink.copy(
        `logs/${pod.name}.${pod.incarnation}.logfile.log`,
        workDir,
        toHostPath(logfile, s.redis, pod.layout, s.redis.dataDir),
      );
  }
  await sink.write(
    'local/status.txt',
    s.pods
      .all()
      .map((p) => `pod ${p.name} incarnation ${p.incarnation}: ${describePod(p)}`)
      .join('\n') + '\n',
  );
}
