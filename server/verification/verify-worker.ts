/**
 * A verification worker thread (`verify-workers.ts`): runs the core's `verify` on one input, its chain
 * reads sent to the main thread over the task's port (where the service's one chain-read cache is).
 */
import type { MessagePort } from "node:worker_threads";
import { workerData } from "piscina";
import { verify, type VerificationResult, type VerifyInput } from "../../core/index.ts";
import type { ChainAnswer, VerifyTask, WorkerSetup } from "./verify-workers.ts";

const { trusted } = workerData as WorkerSetup;

/** An EIP-1193 reader whose requests the main thread answers over `port`. */
function portReader(port: MessagePort) {
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  port.on("message", (answer: ChainAnswer) => {
    const request = waiting.get(answer.id);
    if (!request) return;
    waiting.delete(answer.id);
    if (answer.error) request.reject(Object.assign(new Error(answer.error.message), { code: answer.error.code }));
    else request.resolve(answer.result);
  });
  return {
    request: ({ method, params }: { method: string; params?: unknown[] }) =>
      new Promise<unknown>((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        port.postMessage({ id, method, params });
      }),
  };
}

export default async function run({ input, port }: VerifyTask): Promise<VerificationResult> {
  try {
    return await verify(input as VerifyInput, { providers: [portReader(port)], trusted });
  } finally {
    port.close();
  }
}
