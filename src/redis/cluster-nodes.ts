import type { Log } from '../util/log.ts';
import type { ClusterNode, NodeFlag } from './types.ts';

export const SLOT_COUNT = 16384;

const FLAGS: ReadonlySet<string> = new Set<NodeFlag>([
  'myself',
  'master',
  'slave',
  'fail?',
  'fail',
  'handshake',
  'noaddr',
  'nofailover',
  'noflags',
]);
const NODE_ID = /^[0-9a-f]{40}$/;

type UnknownFlagListener = (flag: string, line: string) => void;
let unknownFlagListener: UnknownFlagListener | undefined;

/**
 * Until the returned function is called, each flag the parser does not know is warned about on `log` once,
 * quoting the first line that had it. A newer Redis or Valkey may add flags: the run must go on (the flag is kept
 * in `otherFlags`, and no check judges it), but the user should know something was not understood.
 */
export function warnUnknownFlags(log: Pick<Log, 'warn'>): () => void {
  const seen = new Set<string>();
  const previous = unknownFlagListener;
  unknownFlagListener = (flag, line) => {
    if (seen.has(flag)) return;
    seen.add(flag);
    log.warn(`CLUSTER NODES flag "${flag}" is unknown to this tool: kept, not judged (first seen in "${line}")`);
  };
  return () => {
    unknownFlagListener = previous;
  };
}

/**
 * Parses CLUSTER NODES output or a nodes.conf file:
 * `<id> <ip:port@cport[,hostname[,aux=value]...]> <flags> <master|-> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...`
 * (nodes.conf of Redis 7.2+ and Valkey add aux fields such as `,,tls-port=0,shard-id=...` after the hostname).
 * nodes.conf's `vars currentEpoch ...` line and blank lines are skipped. A line that does not fit throws,
 * quoting it: a half-understood topology would make every later check wrong. An unknown flag is the one
 * exception: it is kept and reported (warnUnknownFlags), since a newer server may add one.
 */
export function parseClusterNodes(text: string): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('vars ')) continue;
    nodes.push(parseLine(line));
  }
  return nodes;
}

function parseLine(line: string): ClusterNode {
  const bad = (why: string): never => {
    throw new Error(`malformed CLUSTER NODES line (${why}): "${line}"`);
  };
  const f = line.split(/\s+/);
  if (f.length < 8) bad(`expected at least 8 fields, got ${f.length}`);
  const [id, addr, flagText, master, pingSent, pongReceived, configEpoch, linkState, ...slotFields] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    ...string[],
  ];
  if (!NODE_ID.test(id)) bad(`node id "${id}" is not 40 hex digits`);

  // ip:port@cport[,hostname[,key=value...]]; the ip may be IPv6 (colons), so split on the last ':' before '@'.
  const m =
    /^(.*):(\d+)@(\d+)(?:,([^,]*)((?:,[^,=]+=[^,]*)*))?$/.exec(addr) ??
    bad(`address "${addr}" is not ip:port@cport[,hostname[,key=value...]]`);
  const [, ip, port, busPort, hostname, auxText] = m;
  const aux = auxText
    ? Object.fromEntries(
        auxText
          .slice(1)
          .split(',')
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      )
    : undefined;

  const flags = new Set<NodeFlag>();
  const otherFlags: string[] = [];
  for (const flag of flagText.split(',')) {
    if (flag === '') bad(`empty flag in "${flagText}"`);
    if (FLAGS.has(flag)) flags.add(flag as NodeFlag);
    else {
      otherFlags.push(flag);
      unknownFlagListener?.(flag, line);
    }
  }
  if (master !== '-' && !NODE_ID.test(master)) bad(`master "${master}" is neither '-' nor a node id`);
  if (linkState !== 'connected' && linkState !== 'disconnected') return bad(`link state "${linkState}"`);

  const node: ClusterNode = {
    id,
    ip: ip!,
    port: Number(port),
    busPort: Number(busPort),
    ...(hostname ? { hostname } : {}),
    ...(aux ? { aux } : {}),
    flags,
    otherFlags,
    ...(master !== '-' ? { masterId: master } : {}),
    pingSent: integer(pingSent, 'ping-sent', bad),
    pongReceived: integer(pongReceived, 'pong-recv', bad),
    configEpoch: integer(configEpoch, 'config-epoch', bad),
    linkState,
    slots: [],
    migrating: [],
    importing: [],
    raw: line,
  };
  for (const s of slotFields) parseSlotField(s, node, bad);
  return node;
}

function integer(text: string, what: string, bad: (why: string) => never): number {
  if (!/^\d+$/.test(text)) bad(`${what} "${text}" is not a number`);
  return Number(text);
}

function parseSlotField(s: string, node: ClusterNode, bad: (why: string) => never): void {
  const slot = (t: string): number => {
    const n = integer(t, 'slot', bad);
    if (n >= SLOT_COUNT) bad(`slot ${n} is out of range 0-${SLOT_COUNT - 1}`);
    return n;
  };
  let m: RegExpExecArray | null;
  if ((m = /^\[(\d+)->-([0-9a-f]{40})\]$/.exec(s))) node.migrating.push({ slot: slot(m[1]!), to: m[2]! });
  else if ((m = /^\[(\d+)-<-([0-9a-f]{40})\]$/.exec(s))) node.importing.push({ slot: slot(m[1]!), from: m[2]! });
  else if ((m = /^(\d+)-(\d+)$/.exec(s))) {
    const [from, to] = [slot(m[1]!), slot(m[2]!)];
    if (from > to) bad(`slot range "${s}" runs backwards`);
    node.slots.push([from, to]);
  } else if (/^\d+$/.test(s)) node.slots.push([slot(s), slot(s)]);
  else bad(`slot field "${s}"`);
}

export const isMaster = (n: ClusterNode): boolean => n.flags.has('master');
export const isReplica = (n: ClusterNode): boolean => n.flags.has('slave');
/** Failed, suspected, still handshaking or without an address: anything a healthy cluster does not show. */
export const troubleFlags = (n: ClusterNode): NodeFlag[] =>
  (['fail', 'fail?', 'handshake', 'noaddr'] as const).filter((f) => n.flags.has(f));

export function myself(nodes: ClusterNode[]): ClusterNode {
  const me = nodes.find((n) => n.flags.has('myself'));
  if (!me) throw new Error('CLUSTER NODES output has no "myself" line');
  return me;
}

export const mastersOf = (nodes: ClusterNode[]): ClusterNode[] => nodes.filter(isMaster);

export const replicasOf = (nodes: ClusterNode[], masterId: string): ClusterNode[] =>
  nodes.filter((n) => isReplica(n) && n.masterId === masterId);

/** "0-5460" for a range, "42" for a single slot: the way CLUSTER NODES writes them. */
export const formatSlots = (ranges: Array<[number, number]>): string[] =>
  ranges.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`));

export const rangeSize = ([a, b]: [number, number]): number => b - a + 1;

/** Slots owned by the given nodes (their ranges never overlap in a sane cluster). */
export const slotCount = (nodes: ClusterNode[]): number =>
  nodes.reduce((sum, n) => sum + n.slots.reduce((s, r) => s + rangeSize(r), 0), 0);

export const nodeAddress = (n: ClusterNode): string => `${n.ip}:${n.port}`;
