import { expect } from "chai";
import { makeError } from "ethers";
import {
  backoffDelay,
  createThrottledLog,
  isTransientChainError,
  parseRetryAfter,
  retry,
  retryAfterMs,
} from "../../../server/chain/backoff.ts";

describe("backoffDelay", () => {
  const policy = { baseMs: 250, maxMs: 10_000 };

  it("is uniform below min(maxMs, baseMs·2^attempt): full jitter", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, { ...policy, random: () => 0.999999 }))).to.deep.equal([
      249, 499, 999, 1999, 3999, 7999, 9999,
    ]);
    expect(backoffDelay(3, { ...policy, random: () => 0.5 })).to.equal(1000);
    expect(backoffDelay(3, { ...policy, random: () => 0 })).to.equal(0);
  });

  it("stays capped for any attempt, however large", () => {
    expect(backoffDelay(10_000, { ...policy, random: () => 0.999999 })).to.equal(9999);
    expect(backoffDelay(-3, { ...policy, random: () => 0.999999 })).to.equal(249);
  });

  it("never retries sooner than Retry-After, itself capped at maxMs", () => {
    expect(backoffDelay(0, { ...policy, retryAfterMs: 1000, random: () => 0.5 })).to.equal(1000);
    expect(backoffDelay(6, { ...policy, retryAfterMs: 1000, random: () => 0.5 })).to.equal(5000);
    expect(backoffDelay(0, { ...policy, retryAfterMs: 120_000, random: () => 0 })).to.equal(10_000);
  });

  it("spreads clients out: 1000 draws of attempt 4 cover [0, 4000)", () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const draws = Array.from({ length: 1000 }, () => backoffDelay(4, { ...policy, random }));
    expect(Math.min(...draws)).to.be.below(100);
    expect(Math.max(...draws)).to.be.within(3900, 3999);
  });
});

describe("retryAfterMs and parseRetryAfter", () => {
  const now = Date.parse("2026-06-01T10:00:00Z");

  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("1", now)).to.equal(1000);
    expect(parseRetryAfter(" 120 ", now)).to.equal(120_000);
    expect(parseRetryAfter("Mon, 01 Jun 2026 10:00:30 GMT", now)).to.equal(30_000);
    expect(parseRetryAfter("Mon, 01 Jun 2026 09:00:00 GMT", now)).to.equal(0);
    expect(parseRetryAfter("soon", now)).to.equal(undefined);
    expect(parseRetryAfter("-5", now)).to.equal(undefined);
    expect(parseRetryAfter(undefined, now)).to.equal(undefined);
  });

  it("finds the wait on the chain provider's errors, on ethers' responses and through causes", () => {
    expect(retryAfterMs(Object.assign(new Error("x"), { retryAfterMs: 750 }), now)).to.equal(750);
    expect(retryAfterMs({ response: { headers: { "retry-after": "2" } } }, now)).to.equal(2000);
    expect(retryAfterMs({ info: { response: { headers: { "retry-after": "3" } } } }, now)).to.equal(3000);
    expect(retryAfterMs({ response: { headers: new Headers({ "Retry-After": "4" }) } }, now)).to.equal(4000);
    expect(retryAfterMs(new Error("outer", { cause: { error: { retryAfterMs: 5 } } }), now)).to.equal(5);
    expect(retryAfterMs(new Error("no hint"), now)).to.equal(undefined);
    expect(retryAfterMs(undefined, now)).to.equal(undefined);
    expect(retryAfterMs("a string", now)).to.equal(undefined);
  });
});

describe("isTransientChainError", () => {
  it("retries transport failures, not the chain's answers", () => {
    expect(isTransientChainError(makeError("t", "TIMEOUT"))).to.equal(true);
    expect(isTransientChainError(makeError("s", "SERVER_ERROR"))).to.equal(true);
    expect(isTransientChainError(makeError("n", "NETWORK_ERROR"))).to.equal(true);
    expect(isTransientChainError(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }))).to.equal(true);
    expect(isTransientChainError(new Error("read ECONNRESET"))).to.equal(true);
    expect(isTransientChainError(makeError("reverted", "CALL_EXCEPTION"))).to.equal(false);
    expect(isTransientChainError(makeError("nonce", "NONCE_EXPIRED"))).to.equal(false);
    expect(isTransientChainError(new Error("no chain signer is configured for issuer FSD"))).to.equal(false);
    expect(isTransientChainError(null)).to.equal(false);
  });
});

describe("retry", () => {
  it("waits the backoff between tries, honours Retry-After, and gives up after `attempts`", async () => {
    const slept: number[] = [];
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(
        Object.assign(makeError("throttled", "SERVER_ERROR"), { retryAfterMs: calls === 2 ? 3000 : undefined }),
      );
    };
    const error = await retry(failing, {
      attempts: 4,
      baseMs: 100,
      maxMs: 5000,
      random: () => 0.5,
      sleep: async (ms) => void slept.push(ms),
    }).catch((e: Error) => e);
    expect((error as Error).message).to.match(/throttled/);
    expect(calls).to.equal(4);
    expect(slept).to.deep.equal([50, 3000, 200]);
  });

  it("returns the first success and does not retry an answer", async () => {
    let calls = 0;
    const slept: number[] = [];
    const options = {
      attempts: 5,
      baseMs: 100,
      maxMs: 1000,
      random: () => 0,
      sleep: async (ms: number) => void slept.push(ms),
    };
    expect(await retry(async () => (++calls < 3 ? Promise.reject(makeError("t", "TIMEOUT")) : "ok"), options)).to.equal(
      "ok",
    );
    expect(calls).to.equal(3);
    calls = 0;
    const reverted = await retry(
      async () => (calls++, Promise.reject(makeError("reverted", "CALL_EXCEPTION"))),
      options,
    ).catch((e: Error) => e);
    expect((reverted as Error).message).to.match(/reverted/);
    expect(calls).to.equal(1);
    expect(slept).to.deep.equal([0, 0]);
  });
});

describe("createThrottledLog", () => {
  it("logs the first occurrence at once, then at most once per interval per key, with the count left out", () => {
    let t = 0;
    const lines: { obj: object; msg: string }[] = [];
    const log = createThrottledLog({ warn: (obj, msg) => void lines.push({ obj, msg }) }, 1000, () => t);
    log("a", { n: 1 }, "A failed");
    t = 10;
    log("a", { n: 2 }, "A failed");
    log("b", { n: 1 }, "B failed");
    t = 999;
    log("a", { n: 3 }, "A failed");
    expect(lines).to.deep.equal([
      { obj: { n: 1 }, msg: "A failed" },
      { obj: { n: 1 }, msg: "B failed" },
    ]);
    t = 1000;
    log("a", { n: 4 }, "A failed");
    expect(lines[2]).to.deep.equal({ obj: { n: 4, count: 2 }, msg: "A failed" });
    t = 1500;
    log("a", { n: 5 }, "A failed");
    t = 5000;
    log("a", { n: 6 }, "A failed");
    log("b", { n: 2 }, "B failed");
    expect(lines.slice(3)).to.deep.equal([
      { obj: { n: 6, count: 1 }, msg: "A failed" },
      { obj: { n: 2 }, msg: "B failed" },
    ]);
  });
});
