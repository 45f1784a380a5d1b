/**
 * `Idempotency-Key` on the department routes that change something: a key already answered gets that
 * answer again (header `idempotent-replayed: true`), the same key with another request gets 422. The key
 * itself is never stored: it is looked up by a hash, and what it answered (claim codes included) is
 * sealed with a key derived from it.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import type { NextFunction, RequestHandler, Response } from "express";
import { BaseError } from "../../core/base-error.ts";
import type { Store } from "../db/store.ts";
import type { ReserveHook } from "../issuance/issuance-service.ts";
import { ApiError } from "./errors.ts";
import type { AuthedRequest } from "./request.ts";

/** An `Idempotency-Key` as stored: looked up by a hash; what it answers is sealed with a key derived from it. */
export interface IdempotencyKey {
  /** SHA-256 (hex) of the issuer and the key: the stored lookup value (the key itself is never stored). */
  lookup: string;
  /** SHA-256 (hex) of the request (method, path, raw body). */
  requestHash: string;
  /** AES-256-GCM key for the stored response (it holds claim codes): derived from the key, never stored. */
  sealKey: Buffer;
}

/** A route's answer: its status and JSON body. */
export type Answer = { status: number; body: unknown };

export interface Idempotency {
  /**
   * The middleware that reads the request's `Idempotency-Key`, if any, and answers at once with the
   * stored response of a key already answered (422 for another request under the same key).
   */
  check: RequestHandler;
  /**
   * Runs `run` and answers with `respond(result)`. With an `Idempotency-Key`, `run` gets the hook that
   * stores the key and the sealed answer inside its transaction; when another request took the key
   * first, its answer is replayed instead.
   */
  respondOnce<T>(
    req: AuthedRequest,
    res: Response,
    respond: (result: T) => Answer,
    run: (reserve: ReserveHook<T> | undefined) => Promise<T>,
  ): Promise<void>;
}

/** Thrown inside the transaction when another request committed the same key first: it is rolled back. */
class IdempotencyKeyTaken extends BaseError<"IDEMPOTENCY_KEY_TAKEN"> {
  override name = "IdempotencyKeyTaken";
  constructor() {
    super("IDEMPOTENCY_KEY_TAKEN", "Another request committed this Idempotency-Key first");
  }
}

/**
 * `Idempotency-Key` over `store`. A new key is reserved by {@link Idempotency.respondOnce} in the same
 * transaction that stores what the request does, so a unique constraint decides between concurrent
 * requests with one key: one does the work, the others wait for its commit and replay its answer. A
 * crash between the commit and the response still replays.
 */
export function createIdempotency(store: Store): Idempotency {
  /** Answers with the stored response of the request's key, if there is one; 422 for another request. */
  const replay = async (req: AuthedRequest, res: Response): Promise<boolean> => {
    const key = req.idempotency!;
    const previous = await store.findIdempotency(req.issuerId!, key.lookup);
    if (!previous) return false;
    if (previous.requestHash !== key.requestHash) {
      throw new ApiError("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different request");
    }
    res
      .status(previous.statusCode)
      .setHeader("idempotent-replayed", "true")
      .type("application/json")
      .send(unseal(key.sealKey, previous.responseJson));
    return true;
  };

  const check = async (req: AuthedRequest, res: Response, next: NextFunction) => {
    const key = req.get("idempotency-key");
    if (!key) return next();
    if (key.length > 200) throw new ApiError("INVALID_REQUEST", "Idempotency-Key: at most 200 characters");
    const body = Buffer.isBuffer(req.body) ? req.body : (req.rawBody ?? Buffer.alloc(0));
    req.idempotency = {
      lookup: sha256(`hk-ecert idempotency key\n${req.issuerId}\n${key}`),
      requestHash: sha256(Buffer.concat([Buffer.from(`${req.method} ${req.originalUrl}\n`), body])),
      sealKey: Buffer.from(hkdfSync("sha256", key, req.issuerId!, "hk-ecert idempotency response", 32)),
    };
    if (await replay(req, res)) return;
    next();
  };

  const respondOnce = async <T>(
    req: AuthedRequest,
    res: Response,
    respond: (result: T) => Answer,
    run: (reserve: ReserveHook<T> | undefined) => Promise<T>,
  ): Promise<void> => {
    const key = req.idempotency;
    if (!key) {
      const { status, body } = respond(await run(undefined));
      res.status(status).json(body);
      return;
    }
    let answer: Answer | undefined;
    const reserve: ReserveHook<T> = async (tx, result) => {
      answer = respond(result);
      const row = {
        issuerId: req.issuerId!,
        key: key.lookup,
        requestHash: key.requestHash,
        statusCode: answer.status,
        responseJson: seal(key.sealKey, JSON.stringify(answer.body)),
        createdAt: new Date().toISOString(),
      };
      if (!(await tx.insertIdempotency(row))) throw new IdempotencyKeyTaken();
    };
    try {
      await run(reserve);
    } catch (error) {
      if (error instanceof IdempotencyKeyTaken && (await replay(req, res))) return;
      throw error;
    }
    res.status(answer!.status).json(answer!.body);
  };

  return { check: check as RequestHandler, respondOnce };
}

/** AES-256-GCM: `{"v":1,"iv","data","tag"}` (base64url). */
function seal(key: Buffer, text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return JSON.stringify({
    v: 1,
    iv: iv.toString("base64url"),
    data: data.toString("base64url"),
    tag: cipher.getAuthTag().toString("base64url"),
  });
}

function unseal(key: Buffer, sealed: string): string {
  const { iv, data, tag } = JSON.parse(sealed) as { iv: string; data: string; tag: string };
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
