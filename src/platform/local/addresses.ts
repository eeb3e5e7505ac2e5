import net from 'node:net';

/** Hosts tried per /24: .1 to .254 (skip the network and broadcast-looking ends). */
const FIRST_HOST = 1;
const LAST_HOST = 254;
/** Give up after this many taken addresses: something else owns the range, say so instead of scanning 127/8. */
const MAX_ATTEMPTS = 1024;

/** Parses an address base like '127.0.50' (a /24 inside 127.0.0.0/8). */
export function parseAddressBase(base: string): [number, number] {
  const m = /^127\.(\d{1,3})\.(\d{1,3})$/.exec(base);
  const b = m ? Number(m[1]) : NaN;
  const c = m ? Number(m[2]) : NaN;
  if (!m || b > 255 || c > 255) {
    throw new Error(`local platform: address base '${base}' is not a loopback /24 like '127.0.50'`);
  }
  if (b === 0 && c === 0) {
    // 127.0.0.x holds 127.0.0.1, where a developer's own Redis usually listens: never go near it.
    throw new Error(`local platform: address base '${base}' contains 127.0.0.1; use another /24 such as '127.0.50'`);
  }
  return [b, c];
}

/** True when nothing is bound to host:port (a bind test: also sees listeners that refuse connections). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(false);
      else reject(new Error(`local platform: cannot test ${host}:${port}: ${err.message}`));
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * The port a run binds on every address it claims, held open for the run's life: the kernel makes the claim
 * atomic (one listener per address and port) and ends it with the process, however the process ends, so no
 * stale claim outlives a killed run. Above Linux's default ephemeral range (32768-60999), so no outgoing
 * connection holds it, and a Redis port here would need a bus port above 65535.
 */
export const CLAIM_PORT = 65535;

/** Takes the claim on `host`: a listening socket on CLAIM_PORT, or undefined when someone else holds it. */
export function claimAddress(host: string): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(undefined);
      else reject(new Error(`local platform: cannot claim ${host}: ${err.message}`));
    });
    server.listen({ host, port: CLAIM_PORT, exclusive: true }, () => {
      // A claim must not keep a finished process alive; nothing ever connects to it.
      server.unref();
      resolve(server);
    });
  });
}

/**
 * Hands out loopback addresses from a base /24 (then the following ones), each claimed for this run until
 * release() (see CLAIM_PORT), so two runs on one machine never get the same address, even one the other has
 * stopped using. Each address is given at most once per run (a restarted pod gets a new one, as on Kubernetes),
 * and one where any of `ports` is bound (by a process no run claimed it for) is skipped.
 */
export class AddressAllocator {
  private b: number;
  private c: number;
  private host = FIRST_HOST - 1;
  private readonly given = new Set<string>();
  private readonly claims: Array<{ close(): unknown }> = [];

  constructor(
    base: string,
    private readonly ports: () => number[],
    private readonly isFree: (host: string, port: number) => Promise<boolean> = portFree,
    private readonly claim: (host: string) => Promise<{ close(): unknown } | undefined> = claimAddress,
  ) {
    [this.b, this.c] = parseAddressBase(base);
  }

  async next(): Promise<string> {
    if (this.ports().includes(CLAIM_PORT)) {
      throw new Error(
        `local platform: port ${CLAIM_PORT} is where runs claim their addresses; the Redis port and bus port must be other ports`,
      );
    }
    const taken: string[] = [];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const ip = this.advance();
      if (this.given.has(ip)) continue;
      this.given.add(ip);
      const claim = await this.claim(ip);
      if (!claim) {
        taken.push(`${ip} (claimed by another run)`);
        continue;
      }
      const busy = await this.busyPorts(ip);
      if (busy.length === 0) {
        this.claims.push(claim);
        return ip;
      }
      claim.close();
      taken.push(`${ip}:${busy.join(',')}`);
    }
    throw new Error(
      `local platform: no free loopback address after ${MAX_ATTEMPTS} tries (in use: ${taken.slice(0, 5).join(' ')}` +
        `${taken.length > 5 ? ' …' : ''}); pass another --address-base`,
    );
  }

  /** Ends every claim of this run (after its processes are gone). */
  release(): void {
    for (const c of this.claims.splice(0)) c.close();
  }
  private advance(): string {
    this.host++;
    if (this.host > LAST_HOST) {
      this.host = FIRST_HOST;
      this.c++;
      if (this.c > 255) {
        this.c = 0;
        this.b++;
        if (this.b > 255) throw new Error('local platform: ran out of 127.0.0.0/8 addresses');
      }
    }
    return `127.${this.b}.${this.c}.${this.host}`;
  }

  private async busyPorts(ip: string): Promise<number[]> {
    const busy: number[] = [];
    for (const port of this.ports()) if (!(await this.isFree(ip, port))) busy.push(port);
    return busy;
  }
}
