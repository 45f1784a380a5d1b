/** An EIP-1193 style reader (an in-process chain, or a JSON-RPC endpoint wrapped as one). */
export interface ChainRequester {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

/** An `eth_call` answer being read, and once read, its value. */
interface CallAnswer {
  promise: Promise<unknown>;
  read?: { value: unknown };
}

/**
 * Wraps the service's chain reader for `POST /verify`, so that a busy verifier asks the chain once per
 * question per block instead of once per request, and a request seldom waits for the chain:
 * - `eth_call` answers are kept for the block they were read at: the chain's state changes only with a
 *   new block, so an answer is exact "as of block N".
 * - The latest block number is re-read when it is older than `blockMs` (250 ms), in the background:
 *   requests go on with the one known. Only when it is older than `staleMs` (2 s: the chain has not
 *   answered for that long) or was never read does a request wait for it.
 * - After a new block, a question asked at the block before is answered with that block's answer while
 *   the new one is read (for at most `staleMs` after the new block was seen); once read, the new answer
 *   is given.
 *   So a status change is seen within `blockMs` and two chain round trips of its block, and no answer
 *   older than `staleMs` is given while the chain does not answer (the requests then wait, and fail).
 * - A non-empty `eth_getLogs` answer (the `RootAnchored` log of a past block) does not change: kept for
 *   ten minutes (`logsMs`).
 * At most `max` answers of each kind are kept, oldest dropped first. Everything else goes straight through.
 */
export function cachingReader(
  inner: ChainRequester,
  options: { max?: number; blockMs?: number; staleMs?: number; logsMs?: number } = {},
): ChainRequester {
  const { max = 10_000, blockMs = 250, staleMs = 2000, logsMs = 10 * 60_000 } = options;
  const logs = new Map<string, { at: number; value: unknown }>();
  let calls = new Map<string, CallAnswer>();
  let previous = new Map<string, CallAnswer>();
  let callsBlock: unknown;
  /** When the block of `previous` stopped being the latest known. */
  let previousUntil = 0;
  let known: { block: unknown; at: number } | undefined;
  let reading: Promise<unknown> | undefined;

  const readBlock = (): Promise<unknown> =>
    (reading ??= inner.request({ method: "eth_blockNumber", params: [] }).then(
      (block) => {
        reading = undefined;
        known = { block, at: Date.now() };
        return block;
      },
      (error: unknown) => {
        reading = undefined;
        throw error;
      },
    ));
  const blockNumber = (): unknown => {
    const age = known ? Date.now() - known.at : Number.POSITIVE_INFINITY;
    if (known && age <= blockMs) return known.block;
    if (known && age <= staleMs) {
      readBlock().catch(() => undefined); // a failure shows once the known block is too old
      return known.block;
    }
    return readBlock();
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
          previous = calls;
          previousUntil = Date.now();
          calls = new Map();
          callsBlock = block;
        }
        const key = JSON.stringify(args.params ?? []);
        let answer = calls.get(key);
        if (!answer) {
          const reading: CallAnswer = { promise: inner.request(args) };
          reading.promise.then(
            (value) => void (reading.read = { value }),
            () => calls.get(key) === reading && calls.delete(key),
          );
          remember(calls, key, reading);
          answer = reading;
        }
        if (answer.read) return answer.read.value;
        const before = previous.get(key)?.read;
        if (before && Date.now() - previousUntil <= staleMs) return before.value;
        return answer.promise;
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
