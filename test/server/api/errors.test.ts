import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { makeError } from "ethers";
import express from "express";
import { pino } from "pino";
import { CoreError } from "../../../core/errors.ts";
import { registryAdminInterface } from "../../../server/admin/registry-admin.ts";
import { createApp, openApiDocument } from "../../../server/api/app.ts";
import { check, type Document } from "./schema-check.ts";
import { API_ERROR_CODES, ApiError, ERROR_STATUS, errorHandler, errorResponse } from "../../../server/api/errors.ts";
import { ChainError } from "../../../server/chain/chain-error.ts";
import type { IssuerChain } from "../../../server/chain/issuer-chain.ts";
import { openStore } from "../../../server/db/open-store.ts";
import type { Store } from "../../../server/db/store.ts";
import { STORE_ERROR_CODES, StoreError } from "../../../server/db/store-error.ts";
import { SERVICE_ERROR_CODES, ServiceError } from "../../../server/errors.ts";
import { IssuanceService } from "../../../server/issuance/issuance-service.ts";
import { PdfSigningError } from "../../../server/pdf/signing-error.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("the HTTP error boundary (server/api/errors.ts)", () => {
  describe("errorResponse: one status per code", () => {
    const expected = {
      StoreError: {
        INVALID_DATABASE_URL: [500, "INTERNAL"],
        DATABASE_UNAVAILABLE: [503, "DATABASE_UNAVAILABLE", "5"],
        SCHEMA_TOO_NEW: [500, "INTERNAL"],
        CLOSED: [503, "CLOSED", "5"],
        NOT_FOUND: [404, "NOT_FOUND"],
        DUPLICATE: [409, "DUPLICATE"],
        INVALID_REFERENCE: [500, "INTERNAL"],
        INVALID_VALUE: [500, "INTERNAL"],
        INVALID_ARGUMENT: [500, "INTERNAL"],
        INVALID_STATE: [409, "INVALID_STATE"],
        BUSY: [503, "BUSY", "1"],
        LEASE_LOST: [500, "INTERNAL"],
        SELF_APPROVAL: [403, "SELF_APPROVAL"],
      },
      ServiceError: {
        NOT_FOUND: [404, "NOT_FOUND"],
        NOT_ISSUED: [409, "NOT_ISSUED"],
        INVALID_STATUS: [409, "INVALID_STATUS"],
        WRONG_ISSUER: [403, "WRONG_ISSUER"],
        UNKNOWN_TYPE: [400, "UNKNOWN_TYPE"],
        INTEGRITY: [500, "INTEGRITY"],
        NO_IDENTITY: [500, "NO_IDENTITY"],
        SELF_APPROVAL: [403, "SELF_APPROVAL"],
        NOT_AWAITING_APPROVAL: [409, "NOT_AWAITING_APPROVAL"],
      },
      ApiError: {
        UNAUTHENTICATED: [401, "UNAUTHENTICATED"],
        INVALID_REQUEST: [400, "INVALID_REQUEST"],
        INVALID_JSON: [400, "INVALID_JSON"],
        UNSUPPORTED_MEDIA_TYPE: [415, "UNSUPPORTED_MEDIA_TYPE"],
        IDEMPOTENCY_KEY_REUSED: [422, "IDEMPOTENCY_KEY_REUSED"],
        NOT_FOUND: [404, "NOT_FOUND"],
        TOO_LARGE: [413, "TOO_LARGE"],
        VERIFIER_UNAVAILABLE: [503, "VERIFIER_UNAVAILABLE"],
        INTERNAL: [500, "INTERNAL"],
        RATE_LIMITED: [429, "RATE_LIMITED"],
        FORBIDDEN: [403, "FORBIDDEN"],
        CSRF_TOKEN_INVALID: [403, "CSRF_TOKEN_INVALID"],
        SESSION_EXPIRED: [401, "SESSION_EXPIRED"],
      },
    } as const;
    const make = {
      StoreError: (code: string) => new StoreError(code as never, `store says ${code} on table certificates`),
      ServiceError: (code: string) =>
        new ServiceError(code as never, `service says ${code}`, { details: { certificate: "c-1" } }),
      ApiError: (code: string) => new ApiError(code as never, `api says ${code}`),
    };
    for (const [type, codes] of Object.entries(expected) as [
      keyof typeof expected,
      Record<string, readonly [number, string, string?]>,
    ][]) {
      for (const [code, [status, clientCode, retryAfter]] of Object.entries(codes)) {
        it(`answers ${type} ${code} with ${status} ${clientCode}${retryAfter ? ` and Retry-After: ${retryAfter}` : ""}`, () => {
          const answer = errorResponse(make[type](code));
          expect(answer.status).to.equal(status);
          expect(answer.body.error.code).to.equal(clientCode);
          expect(answer.headers["retry-after"]).to.equal(retryAfter);
          if (status === 500 && clientCode === "INTERNAL") expect(answer.body.error.message).to.equal("Internal error");
          if (status === 503 && type === "StoreError") expect(answer.body.error.message).to.not.include("table"); // generic
          if (type === "ServiceError") expect(answer.body.error.details).to.deep.equal({ certificate: "c-1" });
          if (type === "StoreError") expect(answer.body.error).to.not.have.property("details");
        });
      }
    }

    it("has a row for every code of every error class (codes are only ever added)", () => {
      expect(Object.keys(ERROR_STATUS.StoreError.codes)).to.have.members([...STORE_ERROR_CODES]);
      expect(Object.keys(ERROR_STATUS.ServiceError.codes)).to.have.members([...SERVICE_ERROR_CODES]);
      expect(Object.keys(ERROR_STATUS.ApiError.codes)).to.have.members([...API_ERROR_CODES]);
      expect(Object.keys(expected.StoreError)).to.have.members([...STORE_ERROR_CODES]);
    });

    it("answers a chain that cannot be reached (ethers TIMEOUT, NETWORK_ERROR, SERVER_ERROR) with 503 UNAVAILABLE and Retry-After", () => {
      for (const ethersCode of ["TIMEOUT", "NETWORK_ERROR", "SERVER_ERROR"] as const) {
        const answer = errorResponse(ChainError.from(makeError("no chain endpoint answered eth_call", ethersCode)));
        expect(answer).to.include({ status: 503 });
        expect(answer.body.error.code).to.equal("UNAVAILABLE");
        expect(answer.headers["retry-after"]).to.equal("5");
      }
    });

    it("answers a throttling endpoint with its own Retry-After when it is longer (rounded up to seconds)", () => {
      const throttled = Object.assign(makeError("no chain endpoint answered eth_call (#1: HTTP 429)", "SERVER_ERROR"), {
        retryAfterMs: 12_300,
      });
      const answer = errorResponse(ChainError.from(throttled));
      expect(answer.status).to.equal(503);
      expect(answer.headers["retry-after"]).to.equal("13");
    });

    it("answers a registry refusal (CALL_EXCEPTION with RegistryInvalidTransition) with 409 REVERTED, without the call's arguments", () => {
      const data = registryAdminInterface.encodeErrorResult("RegistryInvalidTransition", [`0x${"ab".repeat(32)}`, 1]);
      const error = ChainError.from(
        makeError("execution reverted", "CALL_EXCEPTION", {
          action: "call",
          data,
          reason: null,
          transaction: { to: null, data: "0x" },
          invocation: null,
          revert: null,
        }),
      );
      expect(error.code).to.equal("REVERTED");
      expect(error.details).to.deep.include({
        registryError: "RegistryInvalidTransition",
        ethersCode: "CALL_EXCEPTION",
      });
      expect(error.message).to.match(/^RegistryInvalidTransition: Certificate 0xabab.* current status, revoked\.$/);
      const answer = errorResponse(error);
      expect(answer.status).to.equal(409);
      expect(answer.body.error).to.deep.equal({ code: "REVERTED", message: error.message });
    });

    it("answers a chain error that is a deployment or unknown failure with 500 INTERNAL", () => {
      for (const error of [
        new ChainError("NO_SIGNER", "no chain signer is configured for issuer FSD"),
        ChainError.from(makeError("insufficient funds for intrinsic transaction cost", "INSUFFICIENT_FUNDS")),
        ChainError.from(new Error("something odd")),
      ]) {
        expect(errorResponse(error)).to.deep.include({ status: 500, internal: true });
      }
      expect(ChainError.from(new Error("something odd")).code).to.equal("CALL_FAILED");
    });

    it("answers a nonce conflict with 503 and a stuck transaction with 503 Retry-After 30", () => {
      expect(errorResponse(ChainError.from(makeError("nonce has already been used", "NONCE_EXPIRED")))).to.deep.include(
        { status: 503, headers: { "retry-after": "1" } },
      );
      expect(errorResponse(new ChainError("NOT_MINED", "still not mined"))).to.deep.include({
        status: 503,
        headers: { "retry-after": "30" },
      });
    });

    it("finds the coded error in a cause chain (a store BUSY inside a plain error is 503, not 500)", () => {
      const answer = errorResponse(new Error("pass failed", { cause: new StoreError("BUSY", "lock timeout") }));
      expect(answer.status).to.equal(503);
      expect(answer.body.error.code).to.equal("BUSY");
    });

    it("answers core and PDF signing errors, and anything uncoded, with 500 INTERNAL and no message", () => {
      for (const error of [
        new CoreError("MALFORMED", "x"),
        new PdfSigningError("NO_PLACEHOLDER", "y", { file: "a.pdf" }),
        new TypeError("z"),
        "a string",
      ]) {
        expect(errorResponse(error)).to.deep.equal({
          status: 500,
          headers: {},
          body: { error: { code: "INTERNAL", message: "Internal error" } },
          internal: true,
        });
      }
    });

    it("answers body-parser's refusals as TOO_LARGE (naming the limit) and INVALID_JSON", () => {
      expect(errorResponse({ type: "entity.too.large" }, { bodyLimit: 1024 }).body.error).to.deep.equal({
        code: "TOO_LARGE",
        message: "The body is larger than this route takes (1024 bytes)",
      });
      expect(errorResponse({ type: "entity.parse.failed" })).to.deep.include({ status: 400 });
    });

    it("is the handler Express uses: status, Retry-After and the body on the wire", async () => {
      const app = express();
      app.get("/busy", () => {
        throw new StoreError("BUSY", "lock timeout on certificates");
      });
      app.use(errorHandler({ log: pino({ level: "silent" }), maxBodyBytes: 1 }));
      const server = app.listen(0, "127.0.0.1");
      await new Promise((r) => server.once("listening", r));
      try {
        const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/busy`);
        expect(res.status).to.equal(503);
        expect(res.headers.get("retry-after")).to.equal("1");
        const body = await res.json();
        expect(body).to.deep.equal({
          error: { code: "BUSY", message: "The database is busy: try again shortly" },
        });
        // As the OpenAPI document says every 503 of the API is.
        expect(check(openApiDocument() as Document, { $ref: "#/components/schemas/Error" }, body)).to.deep.equal([]);
      } finally {
        await new Promise((r) => server.close(r));
      }
    });
  });

  it("documents a 503 with Retry-After on every operation of the OpenAPI document", () => {
    const paths = (
      openApiDocument() as {
        paths: Record<string, Record<string, { responses: Record<string, { headers?: object }> }>>;
      }
    ).paths;
    for (const [route, operations] of Object.entries(paths)) {
      // The process probe and the metrics touch neither the database nor the chain: no 503.
      if (route === "/healthz" || route === "/metrics") continue;
      for (const [method, operation] of Object.entries(operations).filter(([m]) => m !== "servers"))
        expect(operation.responses["503"]?.headers, `${method} ${route}`).to.have.property("Retry-After");
    }
  });

  describe("store errors through the real app (SQLite)", function () {
    this.timeout(30_000);
    const key = "test-key-csb";
    let dir: string;
    let file: string;
    let store: Store;
    let url: string;
    let close: () => Promise<void>;
    /** The store the app uses: the real one, with `insertUpload` optionally forced to one upload id. */
    let fixedUploadId: string | undefined;

    function wrap(real: Store): Store {
      return new Proxy(real, {
        get(target, property) {
          if (property === "insertUpload" && fixedUploadId) {
            return (upload: Parameters<Store["insertUpload"]>[0], certificates: Parameters<Store["insertUpload"]>[1]) =>
              target.insertUpload({ ...upload, id: fixedUploadId! }, certificates);
          }
          if (property === "transaction")
            return (fn: (s: Store) => Promise<unknown>) => target.transaction((s) => fn(wrap(s)));
          const value = Reflect.get(target, property, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    }

    beforeEach(async () => {
      dir = await mkdtemp(path.join(tmpdir(), "ecert-errors-"));
      file = path.join(dir, "ecert.sqlite");
      store = await openStore(file, dir, { busyTimeoutMs: 50 });
      await store.insertApiKey({
        id: "k1",
        issuerId: "CSB",
        label: "test",
        keyHash: sha256(key),
        createdAt: new Date().toISOString(),
        revokedAt: null,
      });
      const log = pino({ level: "silent" });
      const issuance = new IssuanceService({
        store: wrap(store),
        chain: {} as IssuerChain,
        chainId: 31337,
        registry: `0x${"0".repeat(40)}`,
        issuers: {},
        verifierUrl: "http://localhost/",
        batchSize: 10,
        batchWaitMs: 60_000,
        log,
      });
      await issuance.stop(); // no pipeline: the requests alone
      fixedUploadId = undefined;
      const app = createApp({ store: wrap(store), issuance, log, maxBodyBytes: 1 << 20 });
      const server = app.listen(0, "127.0.0.1");
      await new Promise((r) => server.once("listening", r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
      close = () => new Promise((r) => server.close(() => r()));
    });
    afterEach(async () => {
      await close();
      await store.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    });

    /** An upload whose one row fails validation: stored (with its errors) in one write, nothing rendered. */
    const badUpload = () =>
      fetch(`${url}/certificates`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "csb-cre", fields: {} }),
      });

    it("answers 422 for the bad upload itself while the store is healthy (the baseline)", async () => {
      expect((await badUpload()).status).to.equal(422);
    });

    it("answers 503 CLOSED with Retry-After when the store is closed underneath", async () => {
      await store.close();
      const res = await fetch(`${url}/certificates`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).to.equal(503);
      expect(res.headers.get("retry-after")).to.equal("5");
      expect((await res.json()).error.code).to.equal("CLOSED");
    });

    it("answers 503 BUSY with Retry-After when another connection holds the write lock", async () => {
      const other = new Database(file);
      other.exec("BEGIN IMMEDIATE");
      try {
        const res = await badUpload();
        expect(res.status).to.equal(503);
        expect(res.headers.get("retry-after")).to.equal("1");
        expect((await res.json()).error).to.deep.equal({
          code: "BUSY",
          message: "The database is busy: try again shortly",
          requestId: res.headers.get("x-request-id"),
        });
      } finally {
        other.exec("ROLLBACK");
        other.close();
      }
      expect((await badUpload()).status).to.equal(422); // and back once the lock is gone
    });

    it("answers 409 DUPLICATE when the database refuses a key that is taken", async () => {
      fixedUploadId = "upload-1";
      expect((await badUpload()).status).to.equal(422);
      const res = await badUpload();
      expect(res.status).to.equal(409);
      expect((await res.json()).error.code).to.equal("DUPLICATE");
    });
  });
});
