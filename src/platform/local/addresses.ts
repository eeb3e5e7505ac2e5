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
 * Hands out loopback addresses from a base /24 (then the following ones), each at most once per run (a
 * restarted pod gets a new address, as on Kubernetes), skipping any where one of `ports` is already taken.
 */
export class AddressAllocator {
  private b: number;
  private c: number;
  private host = FIRST_HOST - 1;
  private readonly given = new Set<string>();

  constructor(
    base: string,
    private readonly ports: () => number[],
    private readonly isFree: (host: string, port: number) => Promise<boolean> = portFree,
  ) {
    [this.b, this.c] = parseAddressBase(base);
  }

  async next(): Promise<string> {
    const taken: string[] = [];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const ip = this.advance();
      if (this.given.has(ip)) continue;
      this.given.add(ip);
      const busy = await this.busyPorts(ip);
      if (busy.length === 0) return ip;
      taken.push(`${ip}:${busy.join(',')}`);
    }
    throw new Error(
      `local platform: no free loopback address after ${MAX_ATTEMPTS} tries (in use: ${taken.slice(0, 5).join(' ')}` +
        `${taken.length > 5 ? ' …' : ''}); pass another address base`,
    );
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
