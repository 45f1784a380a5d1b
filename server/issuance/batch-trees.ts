import { buildMerkleTree } from "../../core/index.ts";
import type { CertificateRow, Store } from "../db/store.ts";

export type BatchTree = ReturnType<typeof buildMerkleTree>;

/**
 * The Merkle trees of recent batches (their members in leaf order), built once and kept for the 32
 * latest: a closed batch's members never change. Shared by the pipeline (rendering) and the reads
 * (credential downloads).
 */
export class BatchTrees {
  readonly #store: Store;
  readonly #trees = new Map<string, BatchTree>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** The batch's tree, from `members` when given (else read from the store). */
  async get(batchId: string, members?: CertificateRow[]): Promise<BatchTree> {
    let tree = this.#trees.get(batchId);
    if (!tree) {
      members ??= await this.#store.batchCertificates(batchId);
      tree = buildMerkleTree(members.map((m) => m.digest));
      this.#trees.set(batchId, tree);
      if (this.#trees.size > 32) this.#trees.delete(this.#trees.keys().next().value!);
    }
    return tree;
  }

  /** Forgets a batch's tree (a batch set aside). */
  delete(batchId: string): void {
    this.#trees.delete(batchId);
  }
}
