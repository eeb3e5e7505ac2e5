import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Stand-ins for `ip` and `sudo` first on PATH: each records its arguments ("sudo -n ip route ...", "ip route ..."); `ip` exits with the code in the file `exit` (0 unless set), saying why on stderr when not 0.
 */
export function installFakeIp(): { calls: () => string[]; clear: () => void; fail: (code: number) => void; restore: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-ip-'));
  const record = (name: string, run: string) => {
    writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${name} $*" >> "${dir}/calls"\n${run}\n`);
    chmodSync(path.join(dir, name), 0o755);
  };
  record('ip', `code=$(cat "${dir}/exit" 2>/dev/null || echo 0); [ "$code" = 0 ] || echo "RTNETLINK answers: No such process" >&2; exit $code`);
  record('sudo', `shift 2; exec "${dir}/ip" "$@"`); // sudo -n ip <args>
  writeFileSync(path.join(dir, 'calls'), '');
  const oldPath = process.env.PATH;
  process.env.PATH = `${dir}:${oldPath}`;
  return {
    calls: () => readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n').filter(Boolean),
    clear: () => writeFileSync(path.join(dir, 'calls'), ''),
    fail: (code) => writeFileSync(path.join(dir, 'exit'), String(code)),
    restore: () => {
      process.env.PATH = oldPath;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
