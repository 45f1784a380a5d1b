import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { Piscina } from "piscina";
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
  /** Records (by index) whose QR code would not fit even the largest page: they cannot be issued. */
  unfit: Map<number, string>;
}

/** One task of a document worker (`document-worker.ts`), and its result. */
export type WorkerRequest =
  | { kind: "credentials"; records: CertificateRecord[]; issuedAt: number }
  | { kind: "render"; json: string[]; merkle: MerkleAnchor[]; signingTime: number };
export type WorkerReply =
  | { kind: "credentials"; json: string[]; digests: Hex[]; unfit: { index: number; problem: string }[] }
  | { kind: "render"; pdfs: Uint8Array[] };

const CHUNK = 64;

/**
 * Worker threads that do the CPU-heavy half of issuing a batch: creating the credentials (salts and
 * hashes) and rendering, QR-encoding and PAdES-signing the PDFs. Each worker prepares the type's
 * template and the signer once.
 *
 * The threads are a piscina pool: every task has its own promise, settled by that task's own answer, so
 * any number of jobs (two uploads, an upload and a render) can share the pool and never take each
 * other's results. A task that throws fails only its own job; a worker that dies fails only the task it
 * was running, and the pool starts a new worker in its place. Each job also checks that every chunk
 * answers with as many items as it was given.
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
  readonly #pool: Piscina<WorkerRequest, WorkerReply>;
  readonly #threads: number;

  constructor(setup: WorkerSetup, count = availableParallelism()) {
    this.#threads = Math.max(1, count);
    this.#pool = new Piscina({
      filename: new URL("./document-worker.ts", import.meta.url).href,
      workerData: setup,
      minThreads: this.#threads,
      maxThreads: this.#threads,
      // Each worker prepares a template and a signer once: keep them.
      idleTimeout: Number.POSITIVE_INFINITY,
    });
  }

  /** The pool's worker threads (for tests that kill one). */
  get threads(): readonly Worker[] {
    return this.#pool.threads;
  }

  /** `createCredential` for every record, spread over the workers; results in record order. */
  async createCredentials(records: readonly CertificateRecord[], issuedAt: Date): Promise<CreatedCredentials> {
    const json: string[] = new Array(records.length);
    const digests: Hex[] = new Array(records.length);
    const unfit = new Map<number, string>();
    // Larger chunks here: a credential costs about 50 µs, a round trip more than a few.
    const chunk = Math.max(CHUNK, Math.ceil(records.length / this.#threads / 4));
    await this.#run(
      records.length,
      chunk,
      (start, end) => ({ kind: "credentials", records: records.slice(start, end), issuedAt: issuedAt.getTime() }),
      (start, end, reply) => {
        if (reply.kind !== "credentials" || reply.json.length !== end - start || reply.digests.length !== end - start) {
          throw new Error(`a document worker answered items ${start + 1} to ${end} with the wrong results`);
        }
        for (let i = 0; i < reply.json.length; i++) {
          json[start + i] = reply.json[i];
          digests[start + i] = reply.digests[i];
        }
        for (const { index, problem } of reply.unfit) unfit.set(start + index, problem);
      },
    );
    return { json, digests, unfit };
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
    await this.#run(json.length, CHUNK, request, async (start, end, reply) => {
      if (reply.kind !== "render" || reply.pdfs.length !== end - start) {
        throw new Error(`a document worker answered items ${start + 1} to ${end} with the wrong results`);
      }
      for (let i = 0; i < reply.pdfs.length; i++) await onDocument(start + i, reply.pdfs[i]);
      done += reply.pdfs.length;
      onProgress?.(done, json.length);
    });
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }

  /**
   * Runs [start, end) chunks of `total` items as pool tasks, two per thread at a time (a thread never
   * waits while its last answer is handled, and answers cannot pile up faster than `onReply` takes
   * them). The first failure stops new chunks; once the chunks in flight have settled, the job rejects,
   * naming the failed chunk.
   */
  async #run(
    total: number,
    chunk: number,
    request: (start: number, end: number) => WorkerRequest,
    onReply: (start: number, end: number, reply: WorkerReply) => void | Promise<void>,
  ): Promise<void> {
    let next = 0;
    let failed = false;
    const lane = async () => {
      while (!failed && next < total) {
        const start = next;
        const end = (next = Math.min(total, next + chunk));
        try {
          await onReply(start, end, await this.#pool.run(request(start, end)));
        } catch (error) {
          failed = true;
          throw new Error(`document worker failed on items ${start + 1} to ${end}: ${(error as Error).message}`, {
            cause: error,
          });
        }
      }
    };
    // Every lane settles before this returns: nothing is handed to `onReply` after the job has failed.
    const outcomes = await Promise.allSettled(Array.from({ length: this.#threads * 2 }, lane));
    const failure = outcomes.find((o) => o.status === "rejected");
    if (failure) throw failure.reason;
  }
}
