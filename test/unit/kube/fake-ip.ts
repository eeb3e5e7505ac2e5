import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Stand-ins for `ip` and `sudo` first on PATH: each records its arguments ("sudo -n ip route ...", "ip route ...");
 * `ip route show exact <cidr>` prints the lines of `setRoutes` starting with that CIDR; any other `ip` call exits
 * with the code in the file `exit` (0 unless set), saying why on stderr when not 0.
 */
export function installFakeIp(): {
  calls: () => string[];
  /** "<cidr> via <gateway>" of each route `ip route add` added and no `ip route del` removed since. */
  added: () => string[];
  clear: () => void;
  fail: (code: number) => void;
  setRoutes: (lines: string[]) => void;
  restore: () => void;
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-ip-'));
  const record = (name: string, run: string) => {
    writeFileSync(path.join(dir, name), `#!/bin/sh\necho "${name} $*" >> "${dir}/calls"\n${run}\n`);
    chmodSync(path.join(dir, name), 0o755);
  };
  record(
    'ip',
    `[ "$1 $2 $3" = "route show exact" ] && { grep -F -- "$4 " "${dir}/routes"; exit 0; }
code=$(cat "${dir}/exit" 2>/dev/null || echo 0); [ "$code" = 0 ] || echo "RTNETLINK answers: No such process" >&2; exit $code`,
  );
  record('sudo', `shift 2; exec "${dir}/ip" "$@"`); // sudo -n ip <args>
  writeFileSync(path.join(dir, 'calls'), '');
  writeFileSync(path.join(dir, 'routes'), '');
  const oldPath = process.env.PATH;
  process.env.PATH = `${dir}:${oldPath}`;
  const calls = () => readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n').filter(Boolean);
  return {
    calls,
    added: () => {
      const routes = new Set<string>();
      for (const c of calls()) {
        const m = /^ip route (add|del) (.+)$/.exec(c);
        if (m?.[1] === 'add') routes.add(m[2]!);
        else if (m) routes.delete(m[2]!);
      }
      return [...routes];
    },
    clear: () => writeFileSync(path.join(dir, 'calls'), ''),
    fail: (code) => writeFileSync(path.join(dir, 'exit'), String(code)),
    setRoutes: (lines) => writeFileSync(path.join(dir, 'routes'), lines.map((l) => `${l}\n`).join('')),
    restore: () => {
      process.env.PATH = oldPath;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
