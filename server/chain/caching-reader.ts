/** An EIP-1193 style reader (an in-process chain, or a JSON-RPC endpoint wrapped as one). */
export interface ChainRequester {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/**
 * Wraps the service's chain reader for `POST /verify`, so that a busy verifier asks the chain once per
 * question per block instead of once per request:
 * - `eth_call` answers are kept for the block they were read at: the chain's state changes only with a
 *   new block, so an answer is exact "as of block N". The latest block number is itself re-read at most
 *   every `blockMs` (250 ms): a status change is seen at most that long after its block.
 * - A non-empty `eth_getLogs` answer (the `RootAnchored` log of a past block) does not change: kept for
 *   ten minutes.
 * At most `max` answers of each kind are kept, oldest dropped first. Everything else goes straight through.
 */
export function cachingReader(
  inner: ChainRequester,
  options: { max?: number; blockMs?: number; logsMs?: number } = {},
): ChainRequester {
  const { max = 10_000, blockMs = 250, logsMs = 10 * 60_000 } = options;
  const logs = new Map<string, { at: number; value: unknown }>();
  let calls = new Map<string, Promise<unknown>>();
  let callsBlock: unknown;
  let latest: { at: number; value: Promise<unknown> } | undefined;

  const blockNumber = (): Promise<unknown> => {
    if (!latest || Date.now() - latest.at > blockMs) {
      latest = { at: Date.now(), value: inner.request({ method: "eth_blockNumber", params: [] }) };
      latest.value.catch(() => (latest = undefined));
    }
    return latest.value;
  };
  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    map.set(key, value);
    if (map.size > max) map.delete(map.keys().next().value!);
  };

  return {
    async request(args) {
      if (args.method === "eth_call") {
        const block = await blockNumber();
        if (block !== callsBlock) {
          calls = new Map();
          callsBlock = block;
        }
        const key = JSON.stringify(args.params ?? []);
        let answer = calls.get(key);
        if (!answer) {
          answer = inner.request(args);
          remember(calls, key, answer);
          answer.catch(() => calls.delete(key));
        }
        return answer;
      }
      if (args.method === "eth_getLogs") {
        const key = JSON.stringify(args.params ?? []);
        const hit = logs.get(key);
        if (hit && Date.now() - hit.at < logsMs) return hit.value;
        const value = await inner.request(args);
        if (Array.isArray(value) && value.length > 0) remember(logs, key, { at: Date.now(), value });
        return value;
      }
      return inner.request(args);
    },
  };
}
