import { DEFAULTS, OPTIONS, unknownOption, type Config } from './config.ts';
import { InputError } from './errors.ts';

export interface ParsedArgs {
  command: string | undefined;
  flags: Record<string, string>;
}

/**
 * `--name value`, `--name=value`, and a bare boolean flag (`--keep-cluster`, last or before another flag)
 * meaning true. Values are left as
 * text: parseConfig validates them, so flags and action inputs give the same errors.
 */
export function parseArgs(argv: string[]): ParsedArgs {
  const flags: Record<string, string> = {};
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    // -h is the one short flag: what people type first when lost.
    if (arg === '-h') {
      flags.help = 'true';
      continue;
    }
    if (!arg.startsWith('--')) {
      if (command !== undefined) throw new InputError(`unexpected argument "${arg}"; flags start with --`);
      command = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const meta = name === 'help' || name === 'version' || name === 'debug';
    // Named before its value is looked for: `--no-such-flag` is unknown, not a flag missing its value.
    if (!meta && !OPTIONS[name]) throw unknownOption(name, 'flag');
    if (value === undefined) {
      const next = argv[i + 1];
      const isBool = OPTIONS[name]?.kind === 'bool';
      // A word after a boolean flag is its value (so `--hold-restart yes` is refused as not true/false).
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      } else if (isBool) {
        value = 'true';
      } else if (!meta) {
        throw new InputError(`flag --${name} needs a value`);
      } else {
        value = 'true';
      }
    }
    // A repeated lines flag adds a line; any other flag's last value wins.
    flags[name] = OPTIONS[name]?.kind === 'lines' && flags[name] !== undefined ? `${flags[name]}\n${value}` : value;
  }
  return { command, flags };
}

export function usage(): string {
  const lines = [
    'Usage: redis-cluster-resilience <command> [flags]',
    '',
    'Commands:',
    '  check   deploy the manifests, bootstrap Redis Cluster, delete a master and check the failover (default)',
    '  lint    check the manifests only (exit 1 on errors)',
    '  cleanup finish what killed runs left under --work-dir (undo their changes, remove their dirs)',
    '',
    'Flags (each is also an action input of the same name):',
  ];
  const width = Math.max(...Object.keys(OPTIONS).map((n) => n.length)) + 2;
  for (const [name, spec] of Object.entries(OPTIONS)) {
    const choices = spec.choices ? ` (${spec.choices.join('|')})` : '';
    lines.push(
      `  --${name.padEnd(width)} ${spec.description}${choices}${defaultText(spec.key, spec.kind, spec.description)}`,
    );
  }
  lines.push(
    '',
    'Durations take ms or a unit: 30s, 2m (a plain number is milliseconds).',
    '',
    '  --debug    print each error with its causes and stack traces (default: off; the action: re-run the job with debug logging)',
    '',
    'Exit codes: 0 every check passed, 1 a check failed or the run broke, 2 bad input, 130/143 cancelled by',
    'SIGINT/SIGTERM (the hold released, the run torn down and its report written first).',
  );
  return lines.join('\n');
}

/** " (default X)" from DEFAULTS; a description that already says its default keeps it; else "not set". */
function defaultText(key: keyof Config, kind: string, description: string): string {
  const value = (DEFAULTS as Partial<Record<keyof Config, unknown>>)[key];
  if (value === undefined) return /\bdefault\b/.test(description) ? '' : ' (default: not set)';
  if (kind === 'ms' && typeof value === 'number') return ` (default ${durationText(value)})`;
  if (Array.isArray(value)) return ` (default ${value.join(',')})`;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? ` (default ${String(value)})`
    : '';
}

/** 120000 -> "2m", 90000 -> "90s", 1500 -> "1500": as a user would write it back. */
function durationText(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return String(ms);
}
