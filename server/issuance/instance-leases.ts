import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Store } from "../db/store.ts";

/** How long a lease lasts unless renewed (ms): a dead instance's work is taken over this long after. */
export const DEFAULT_LEASE_TTL_MS = 15_000;

/** A name for this process among the instances sharing a database: host, process id and a random part. */
export function instanceName(): string {
  return `${hostname().slice(0, 100)}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

/** A lease this instance holds: its epoch (the fencing token) and whether it began with this `take`. */
export interface Tenure {
  epoch: number;
  /** The lease was someone else's, free or lapsed before: what its last holder did must be looked at again. */
  isNew: boolean;
}

/**
 * The leases one issuer instance holds in the database ({@link Store.acquireLease}), renewed every third
 * of their time to live while held. A lease counts as held only until a third of its time before it
 * expires by this process's clock, measured from before the request that took it: an instance that cannot
 * renew (database out of reach, a long pause) stops starting steps under it before anyone can take it
 * over, and the steps it is in are fenced by {@link InstanceLeases.fence} inside their transactions.
 */
export class InstanceLeases {
  readonly holder: string;
  readonly #store: Store;
  readonly #ttlMs: number;
  readonly #log: Logger;
  /** Per name: the epoch held and the local time until which it counts as held. */
  readonly #held = new Map<string, { epoch: number; until: number }>();
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;

  constructor(store: Store, options: { holder?: string; ttlMs?: number; log: Logger }) {
    this.#store = store;
    this.holder = options.holder ?? instanceName();
    this.#ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#log = options.log;
  }

  /** Takes or renews lease `name`; undefined while another instance holds it. */
  async take(name: string): Promise<Tenure | undefined> {
    const before = Date.now();
    const had = this.#held.get(name);
    const lease = await this.#store.acquireLease(name, this.holder, this.#ttlMs);
    if (!lease) {
      if (had) this.#lost(name, "another instance holds it");
      return undefined;
    }
    this.#held.set(name, { epoch: lease.epoch, until: before + Math.floor((this.#ttlMs * 2) / 3) });
    this.#startRenewing();
    return { epoch: lease.epoch, isNew: had?.epoch !== lease.epoch };
  }

  /** The epoch of `name` if this instance holds it (and it is not near its expiry). */
  epoch(name: string): number | undefined {
    const held = this.#held.get(name);
    return held && Date.now() < held.until ? held.epoch : undefined;
  }

  /**
   * Inside a transaction of `store`: fails with `LEASE_LOST` unless this instance still holds `name` at
   * `epoch`, so what the transaction writes is written only by the lease's holder.
   */
  fence(store: Store, name: string, epoch: number): Promise<void> {
    return store.assertLease(name, this.holder, epoch);
  }

  /** Runs `fn` holding lease `name` (taken now, given up after); undefined, not run, if another instance holds it. */
  async with<T>(name: string, fn: (epoch: number) => Promise<T>): Promise<{ value: T } | undefined> {
    const tenure = await this.take(name);
    if (!tenure) return undefined;
    try {
      return { value: await fn(tenure.epoch) };
    } finally {
      await this.release(name).catch((error: unknown) =>
        this.#log.warn({ lease: name, err: error }, "could not give a lease up: it expires by itself"),
      );
    }
  }

  /** Gives `name` up, so another instance can take it at once. */
  async release(name: string): Promise<void> {
    const held = this.#held.get(name);
    if (!held) return;
    this.#held.delete(name);
    await this.#store.releaseLease(name, this.holder, held.epoch);
  }

  /** Stops renewing and gives every lease up (a clean stop: the other instances go on at once). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#renewing;
    for (const name of [...this.#held.keys()])
      await this.release(name).catch((error: unknown) =>
        this.#log.warn({ lease: name, err: error }, "could not give a lease up: it expires by itself"),
      );
  }

  #startRenewing(): void {
    if (this.#timer) return;
    this.#timer = setInterval(
      () => {
        if (this.#renewing) return;
        this.#renewing = this.#renewAll().finally(() => (this.#renewing = undefined));
      },
      Math.max(50, Math.floor(this.#ttlMs / 3)),
    );
    this.#timer.unref();
  }

  async #renewAll(): Promise<void> {
    for (const [name, held] of [...this.#held]) {
      const before = Date.now();
      try {
        const lease = await this.#store.acquireLease(name, this.holder, this.#ttlMs);
        if (this.#held.get(name) !== held) continue; // given up or taken again meanwhile
        if (!lease) {
          this.#lost(name, "another instance holds it");
        } else if (lease.epoch !== held.epoch) {
          // It lapsed and was granted again: the steps of the old tenure are fenced; a new one begins with a take.
          this.#lost(name, "it lapsed before it was renewed");
          await this.#store.releaseLease(name, this.holder, lease.epoch);
        } else {
          this.#held.set(name, { epoch: held.epoch, until: before + Math.floor((this.#ttlMs * 2) / 3) });
        }
      } catch (error) {
        this.#log.warn({ lease: name, err: error }, "could not renew a lease; trying again");
      }
    }
  }

  #lost(name: string, why: string): void {
    this.#held.delete(name);
    this.#log.warn({ lease: name }, `lease lost (${why}): its steps stop here and are taken up by its new holder`);
  }
}
