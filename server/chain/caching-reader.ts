/** An EIP-1193 style reader (an in-process chain, or a JSON-RPC endpoint wrapped as one). */
export interface ChainRequester {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/**
 * Wraps the service's chain reader for `POST /verify`: the `RootAnchored` log of an anchored root (what
 * `eth_getLogs` returns for one past block) does not change, so a non-empty answer is kept for ten
 * minutes (at most `max` of them, oldest dropped first). Everything else, and above all the
 * certificate's status (`eth_call`), is read fresh every time.
 */
export function cachingReader(inner: ChainRequester, max = 10_000, ttlMs = 10 * 60_000): ChainRequester {
  const logs = new Map<string, { at: number; value: unknown }>();
  return {
    async request(args) {
      if (args.method !== "eth_getLogs") return inner.request(args);
      const key = JSON.stringify(args.params ?? []);
      const hit = logs.get(key);
      if (hit && Date.now() - hit.at < ttlMs) return hit.value;
      const value = await inner.request(args);
      if (Array.isArray(value) && value.length > 0) {
        logs.delete(key);
        logs.set(key, { at: Date.now(), value });
        if (logs.size > max) logs.delete(logs.keys().next().value!);
      }
      return value;
    },
  };
}
