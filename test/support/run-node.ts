import { execFile } from 'node:child_process';

export interface NodeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs this Node with `args` and extra environment, bounded by `timeoutMs`; never rejects. */
export function runNode(args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<NodeRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The argv after the entry point for `check --platform local` on `manifests`, its reports into `reportDir`. */
export const localCheck = (manifests: string, reportDir: string, ...extra: string[]): string[] => [
  'check',
  '--platform',
  'local',
  '--manifests',
  manifests,
  '--report-dir',
  reportDir,
  ...extra,
];
