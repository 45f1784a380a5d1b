import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  truncateSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { BaseError } from "../../core/base-error.ts";

/**
 * The local chain's journal, `DATA_DIR/chain/journal.jsonl`: one JSON object per line, a `header` (the
 * chain's first date), the `registry` address, and every transaction the chain accepted (`tx`, with the
 * time of its block). EDR keeps its state in memory only; replaying the journal into a fresh chain
 * brings the same chain back.
 *
 * Each line is written with one `writeSync` on a descriptor opened once, then `fsyncSync`, before the
 * transaction's result goes back to its sender: whatever the service records as confirmed in its
 * database is in the journal first. A crash can therefore only cut the last line short; that line is
 * dropped on the next start (its sender never got an answer and sends again), and the file is
 * truncated back to its last complete line. A bad line anywhere else is corruption, and stops the start.
 */

/** A transaction as the chain accepted it; `reverted` ones were mined but failed (they used a nonce). */
export interface JournalTransaction {
  method: "eth_sendTransaction" | "eth_sendRawTransaction";
  params: unknown[];
  /** Unix time of the block it went into. */
  timestamp: number;
  reverted?: true;
  /** Its line in the file (1-based), for messages; not written. */
  line?: number;
}

export interface JournalContents {
  initialDate: string;
  /** Undefined when the first start stopped before the registry was deployed. */
  registry: string | undefined;
  transactions: JournalTransaction[];
}

export interface OpenedJournal {
  /** What the journal held; undefined for a new (or empty) journal, to which a header was written. */
  contents: JournalContents | undefined;
  /**
   * Appends one line and makes it durable (write + fsync) before returning. When that fails it throws a
   * {@link JournalWriteError}, and so does every later call: see {@link OpenedJournal.failure}.
   */
  append(entry: { type: "registry"; address: string } | ({ type: "tx" } & Omit<JournalTransaction, "line">)): void;
  close(): void;
  /**
   * Set once an append failed: the chain in memory then holds a transaction the journal does not, so
   * nothing more may be built on it (`local-chain.ts` refuses every request) until a restart replays it.
   */
  readonly failure: JournalWriteError | undefined;
}

/** A journal that cannot be replayed: names the file and line, and what to do (never "delete DATA_DIR"). */
export class JournalCorruptError extends BaseError<"JOURNAL_CORRUPT"> {
  override name = "JournalCorruptError";

  constructor(message: string, options: { file: string; line: number }) {
    super("JOURNAL_CORRUPT", message, { details: { file: options.file, line: options.line } });
  }
}

/** An append that could not be made durable: the local chain stops until it is restarted. */
export class JournalWriteError extends BaseError<"JOURNAL_WRITE_FAILED"> {
  override name = "JournalWriteError";

  constructor(message: string, options: { file: string; offset: number; cause: unknown }) {
    super("JOURNAL_WRITE_FAILED", message, {
      details: { file: options.file, offset: options.offset },
      cause: options.cause,
    });
  }
}

/**
 * Opens (or creates, with a header dated `initialDate`) the journal at `file`. A torn last line is
 * reported through `onWarning`, dropped and cut off the file; a bad line before it throws
 * {@link JournalCorruptError}.
 */
export function openJournal(
  file: string,
  options: { initialDate: string; onWarning?: (message: string) => void },
): OpenedJournal {
  const onWarning = options.onWarning ?? ((message: string) => console.warn(message));
  mkdirSync(path.dirname(file), { recursive: true });
  let bytes: Buffer | undefined;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const contents = bytes ? parseJournal(file, bytes, onWarning) : undefined;
  let fd: number;
  if (contents) {
    fd = openSync(file, "a");
  } else {
    // New, or nothing complete in it yet (a crash before the header was durable): start it again.
    fd = openSync(file, "w", 0o600);
    writeLine(fd, { type: "header", initialDate: options.initialDate });
    fsyncDirectory(path.dirname(file));
  }
  let open = true;
  let failure: JournalWriteError | undefined;
  return {
    contents,
    get failure() {
      return failure;
    },
    append(entry) {
      if (!open) throw new Error(`${file}: journal is closed`);
      if (failure) throw failure;
      const size = fstatSync(fd).size;
      try {
        writeLine(fd, entry);
      } catch (error) {
        // Nothing more is appended after a failed write or fsync (a full disk, an I/O error): whatever it
        // left stays the last line, which the next start drops. Cut it off now if the file lets us.
        failure = new JournalWriteError(
          `${file}: appending to the local chain's journal failed (${(error as Error).message}). The transaction ` +
            "was not confirmed to its sender, and the local chain refuses every request from now on, since it holds " +
            "a transaction the journal does not. Free the disk or fix the error, then restart: the journal is " +
            "replayed up to its last complete line and the sender sends the transaction again.",
          { file, offset: size, cause: error },
        );
        try {
          ftruncateSync(fd, size);
          fsyncSync(fd);
        } catch {
          // The next start drops the torn line instead.
        }
        throw failure;
      }
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

function writeLine(fd: number, entry: object): void {
  const line = Buffer.from(`${JSON.stringify(entry)}\n`, "utf8");
  for (let written = 0; written < line.length;) written += writeSync(fd, line, written, line.length - written);
  fsyncSync(fd);
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Parses the journal's lines; drops (and truncates away) a torn last line; throws on a bad earlier one. */
function parseJournal(file: string, bytes: Buffer, onWarning: (message: string) => void): JournalContents | undefined {
  // Lines with their byte offsets; one without a newline is an append cut short, even if it parses.
  const lines: { text: string; start: number; end: number; number: number; complete: boolean }[] = [];
  for (let start = 0, number = 1; start < bytes.length; number++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    lines.push({ text: bytes.subarray(start, end).toString("utf8"), start, end, number, complete: newline !== -1 });
    if (newline === -1) break;
    start = newline + 1;
  }
  const blank = (line: { text: string }) => line.text.trim() === "";
  // The writer never writes an empty line: blank lines can only trail (they are cut off with the tail).
  let last = lines.length - 1;
  while (last >= 0 && blank(lines[last])) last--;
  const damaged = (line: (typeof lines)[number], what: string) =>
    new JournalCorruptError(
      `${file}, line ${line.number}: ${what} (the line starts at byte offset ${line.start}); this is not an ` +
        "interrupted append but a damaged journal: the local chain cannot be rebuilt from it, and no record is " +
        `dropped to make it fit. Restore the journal from a backup, or move it aside (e.g. mv ${file} ${file}.corrupt) ` +
        "to start a new local chain, on which certificates anchored on the old one will not verify. Keep the rest of " +
        "DATA_DIR: it holds the database, the keys and the development PKI.",
      { file, line: line.number },
    );
  // Each record starts its line with {"type": and never holds it again: two on one line are a lost newline
  // (damage, not an append cut short, which leaves a prefix of one record, zero-filled in part or not).
  const twoRecords = (line: { text: string }) =>
    line.text.indexOf('{"type":', 1) === -1 ? undefined : "more than one record on the line (a newline lost)";
  const entries: { entry: Entry; number: number }[] = [];
  for (const line of lines.slice(0, Math.max(last, 0))) {
    const entry = blank(line) ? "an empty line (a record lost)" : (twoRecords(line) ?? parseEntry(line.text));
    if (typeof entry === "string") throw damaged(line, `${entry}, and it is not the last line`);
    entries.push({ entry, number: line.number });
  }
  // The last line: whole, or an append cut short (with or without its newline, zero-filled in part or not).
  let keep = 0;
  if (last >= 0) {
    const line = lines[last];
    const two = twoRecords(line);
    if (two) throw damaged(line, two);
    const entry = line.complete ? parseEntry(line.text) : "the line has no newline";
    if (typeof entry !== "string") {
      entries.push({ entry, number: line.number });
      keep = line.end + 1;
      if (keep < bytes.length) {
        onWarning(
          `${file}, line ${line.number + 1}: ${bytes.length - keep} bytes of blank lines after the last record, from ` +
            `byte offset ${keep}; truncated the journal to its last record (${keep} bytes).`,
        );
      }
    } else {
      keep = line.start;
      onWarning(
        `${file}, line ${line.number}: ${entry}; an append was cut short (a crash or power loss while writing). ` +
          `Dropped it (${bytes.length - line.start} bytes from byte offset ${line.start}) and truncated the journal ` +
          `to its last complete line (${line.start} bytes); the transaction it recorded was never confirmed to its ` +
          "sender, which sends it again.",
      );
    }
  }
  if (keep < bytes.length) {
    truncateSync(file, keep);
    const fd = openSync(file, "r+");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  if (entries.length === 0) return undefined;
  const corrupt = (number: number, what: string) =>
    new JournalCorruptError(
      `${file}, line ${number}: ${what}: the local chain cannot be rebuilt from this journal. Restore it from a backup, or ` +
        `move it aside (e.g. mv ${file} ${file}.corrupt) to start a new local chain. Keep the rest of DATA_DIR: it holds ` +
        "the database, the keys and the development PKI.",
      { file, line: number },
    );
  const [first, ...rest] = entries;
  if (first.entry.type !== "header") throw corrupt(first.number, "the first entry is not the journal's header");
  const contents: JournalContents = { initialDate: first.entry.initialDate, registry: undefined, transactions: [] };
  for (const { entry, number } of rest) {
    if (entry.type === "header") throw corrupt(number, "a second header");
    else if (entry.type === "registry") {
      if (contents.registry !== undefined) throw corrupt(number, "a second registry line");
      contents.registry = entry.address;
    } else contents.transactions.push({ ...entry.tx, line: number });
  }
  return contents;
}

type Entry =
  | { type: "header"; initialDate: string }
  | { type: "registry"; address: string }
  | { type: "tx"; tx: Omit<JournalTransaction, "line"> };

/** One line as an entry, or why it is not one. */
function parseEntry(text: string): Entry | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "the line is not JSON";
  }
  const v = value as Record<string, unknown> | null;
  if (typeof v !== "object" || v === null) return "the line is not a JSON object";
  switch (v.type) {
    case "header":
      return typeof v.initialDate === "string" && !Number.isNaN(Date.parse(v.initialDate))
        ? { type: "header", initialDate: v.initialDate }
        : "a header without a valid initialDate";
    case "registry":
      return typeof v.address === "string" && /^0x[0-9a-fA-F]{40}$/.test(v.address)
        ? { type: "registry", address: v.address }
        : "a registry line without a valid address";
    case "tx":
      if (
        (v.method !== "eth_sendTransaction" && v.method !== "eth_sendRawTransaction") ||
        !Array.isArray(v.params) ||
        !Number.isSafeInteger(v.timestamp)
      ) {
        return "a transaction line without a method, params and timestamp";
      }
      return {
        type: "tx",
        tx: {
          method: v.method,
          params: v.params,
          timestamp: v.timestamp as number,
          ...(v.reverted === true ? { reverted: true as const } : {}),
        },
      };
    default:
      return `an entry of unknown type ${JSON.stringify(v.type)}`;
  }
}
