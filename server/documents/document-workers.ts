import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { CertificateRecord, Hex, MerkleAnchor } from "../../core/index.ts";
import type { SigningIdentity } from "../pdf/signing-identity.ts";

/** The department a batch is issued for, as printed on its certificates. */
export interface BatchIssuer {
  id: string;
  nameEn: string;
  nameZh: string;
  domain: string;
}

/** What every worker of a batch is started with. */
export interface WorkerSetup {
  typeId: string;
  issuer: BatchIssuer;
  /** Verifier base URL: printed beside the QR code and the start of the QR URL. */
  verifierUrl: string;
  /** The department's PDF-signing identity (`loadSigningIdentity`). */
  identity: SigningIdentity;
}

/**
 * Credentials made by the workers, in record order: each as its JSON text (what the store keeps; strings
 * cross threads far faster than objects) and its digest (the Merkle leaf).
 */
export interface CreatedCredentials {
  json: string[];
  digests: Hex[];
}

/** Messages between `DocumentWorkers` and `document-worker.ts`. */
export type WorkerRequest =
  | { kind: "credentials"; records: CertificateRecord[]; issuedAt: number }
  | { kind: "render"; json: string[]; merkle: MerkleAnchor[]; signingTime: number };
export type WorkerReply =
  | { kind: "ready" }
  | { kind: "credentials"; json: string[]; digests: Hex[] }
  | { kind: "render"; pdfs: Uint8Array[] }
  | { kind: "error"; message: string };

const CHUNK = 64;

/**
 * Worker threads that do the CPU-heavy half of issuing a batch: creating the credentials (salts and
 * hashes) and rendering, QR-encoding and PAdES-signing the PDFs. Each worker prepares the type's
 * template and the signer once. Work goes out in chunks to whichever worker is free.
 *
 * @example
 * const workers = new DocumentWorkers({ typeId, issuer, verifierUrl, identity });
 * const { json, digests } = await workers.createCredentials(records, new Date());
 * const tree = buildMerkleTree(digests);
 * const merkle = (i: number) => ({ root: tree.root, path: tree.proof(i), chainId, registry });
 * await workers.render(json, merkle, (i, pdf) => writeFile(`${i}.pdf`, pdf));
 * await workers.close();
 */
export class DocumentWorkers {
  readonly #workers: Worker[];
  readonly #ready: Promise<void>;

  constructor(setup: WorkerSetup, count = availableParallelism()) {
    this.#workers = Array.from(
      { length: Math.max(1, count) },
      () => new Worker(new URL("./document-worker.ts", import.meta.url), { workerData: setup }),
    );
    // Each worker says "ready" once its code is loaded and its template and signer are prepared.
    this.#ready = Promise.all(
      this.#workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once("message", () => resolve());
            worker.once("error", reject);
          }),
      ),
    ).then(() => undefined);
  }

  /** Resolves when every worker is ready (work sent earlier simply waits). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** `createCredential` for every record, spread over the workers; results in record order. */
  async createCredentials(records: readonly CertificateRecord[], issuedAt: Date): Promise<CreatedCredentials> {
    const json: string[] = new Array(records.length);
    const digests: Hex[] = new Array(records.length);
    // Larger chunks here: a credential costs about 50 µs, a round trip more than a few.
    const chunk = Math.max(CHUNK, Math.ceil(records.length / this.#workers.length / 4));
    await this.#run(records.length, chunk, (start, end) => ({ kind: "credentials", records: records.slice(start, end), issuedAt: issuedAt.getTime() }), (start, reply) => {
      if (reply.kind !== "credentials") throw new Error("unexpected reply from a document worker");
      for (let i = 0; i < reply.json.length; i++) {
        json[start + i] = reply.json[i];
        digests[start + i] = reply.digests[i];
      }
    });
    return { json, digests };
  }

  /**
   * Renders and signs the PDF of every credential (JSON text) with its Merkle proof (`merkle(i)`, set as
   * its `proof.merkle`); `onDocument` receives each, in chunks, in no particular order. `onProgress` is
   * called as chunks complete.
   */
  async render(
    json: readonly string[],
    merkle: (index: number) => MerkleAnchor,
    onDocument: (index: number, pdf: Uint8Array) => void | Promise<void>,
    onProgress?: (done: number, total: number) => void,
    signingTime: Date = new Date(),
  ): Promise<void> {
    let done = 0;
    const request = (start: number, end: number): WorkerRequest => ({
      kind: "render",
      json: json.slice(start, end),
      merkle: Array.from({ length: end - start }, (_, i) => merkle(start + i)),
      signingTime: signingTime.getTime(),
    });
    await this.#run(json.length, CHUNK, request, async (start, reply) => {
      if (reply.kind !== "render") throw new Error("unexpected reply from a document worker");
      for (let i = 0; i < reply.pdfs.length; i++) await onDocument(start + i, reply.pdfs[i]);
      done += reply.pdfs.length;
      onProgress?.(done, json.length);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }

  /** Hands out [start, end) ranges of `total` items to free workers until all are done. */
  async #run(
    total: number,
    chunk: number,
    request: (start: number, end: number) => WorkerRequest,
    onReply: (start: number, reply: WorkerReply) => void | Promise<void>,
  ): Promise<void> {
    await this.#ready;
    let next = 0;
    const post = (worker: Worker) => {
      if (next >= total) return undefined;
      const start = next;
      const end = (next = Math.min(total, next + chunk));
      return { start, reply: ask(worker, request(start, end), `items ${start + 1} to ${end}`) };
    };
    const drive = async (worker: Worker) => {
      let inflight = post(worker);
      while (inflight) {
        const { start, reply } = inflight;
        const answer = await reply;
        inflight = post(worker); // keep the worker busy while this reply is handled
        await onReply(start, answer);
      }
    };
    await Promise.all(this.#workers.map(drive));
  }
}

/** Sends one request to a worker and waits for its one reply (or its failure). */
function ask(worker: Worker, request: WorkerRequest, what: string): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
    };
    const onMessage = (reply: WorkerReply) => {
      stop();
      if (reply.kind === "error") reject(new Error(`document worker failed on ${what}: ${reply.message}`));
      else resolve(reply);
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onExit = (code: number) => {
      stop();
      reject(new Error(`a document worker stopped (exit code ${code}) while working on ${what}`));
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
    worker.postMessage(request);
  });
}
