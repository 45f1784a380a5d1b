import { MessageChannel, type MessagePort } from "node:worker_threads";
import { Piscina } from "piscina";
import type { VerificationResult, VerifyInput } from "../../core/index.ts";
import type { ChainRequester } from "../chain/caching-reader.ts";

/** What every verification worker is started with. */
export interface WorkerSetup {
  trusted: { chainId: number; registry: string };
}

/** One task: the input, and the port its chain reads go out on. */
export interface VerifyTask {
  input: VerifyInput;
  port: MessagePort;
}

/** A chain read asked by a worker, and the main thread's answer. */
export interface ChainQuestion {
  id: number;
  method: string;
  params?: unknown[];
}
export interface ChainAnswer {
  id: number;
  result?: unknown;
  error?: { message: string; code?: unknown };
}

/**
 * `POST /verify`'s CPU work (reading the PDF, its PAdES signature, the credential's digests and Merkle
 * proof: about two thirds of a verification's CPU time) on worker threads, so that verification uses
 * every core while the main thread serves HTTP. Each worker runs the core's own `verify`; its chain reads
 * come back to the main thread, to `reader` (the service's one chain-read cache), so every thread gives
 * the same answer as of the same block, and the chain is asked once per question per block however many
 * threads there are. A piscina pool: each task settled by its own answer; a worker that dies fails only
 * its task and is replaced.
 */
export class VerifyWorkers {
  readonly #pool: Piscina<VerifyTask, VerificationResult>;
  readonly #reader: ChainRequester;

  constructor(reader: ChainRequester, setup: WorkerSetup, threads: number) {
    this.#reader = reader;
    this.#pool = new Piscina({
      filename: new URL("./verify-worker.ts", import.meta.url).href,
      workerData: setup,
      minThreads: threads,
      maxThreads: threads,
      // A task waits for its chain reads (answered by the main thread): meanwhile its worker takes others.
      concurrentTasksPerWorker: 16,
      idleTimeout: Number.POSITIVE_INFINITY,
    });
  }

  async verify(input: VerifyInput): Promise<VerificationResult> {
    const { port1, port2 } = new MessageChannel();
    port1.on("message", (question: ChainQuestion) => {
      this.#reader.request({ method: question.method, params: question.params }).then(
        (result) => port1.postMessage({ id: question.id, result } satisfies ChainAnswer),
        (error: unknown) =>
          port1.postMessage({
            id: question.id,
            error: { message: String((error as Error)?.message ?? error), code: (error as { code?: unknown })?.code },
          } satisfies ChainAnswer),
      );
    });
    try {
      // A PDF's bytes are copied once into their own buffer and moved (not copied again) to the worker.
      if (typeof input === "object" && "pdf" in input && input.pdf instanceof Uint8Array) {
        const pdf = new Uint8Array(input.pdf);
        return await this.#pool.run({ input: { pdf }, port: port2 }, { transferList: [port2, pdf.buffer] });
      }
      return await this.#pool.run({ input, port: port2 }, { transferList: [port2] });
    } finally {
      port1.close();
    }
  }

  close(): Promise<void> {
    return this.#pool.destroy();
  }
}
