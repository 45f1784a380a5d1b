import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
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
  /** Appends one line and makes it durable (write + fsync) before returning. */
  append(entry: { type: "registry"; address: string } | ({ type: "tx" } & Omit<JournalTransaction, "line">)): void;
  close(): void;
}

/** A journal that cannot be replayed: names the file and line, and what to do (never "delete DATA_DIR"). */
export class JournalCorruptError extends BaseError<"JOURNAL_CORRUPT"> {
  override name = "JournalCorruptError";

  constructor(message: string, options: { file: string; line: number }) {
    super("JOURNAL_CORRUPT", message, { details: { file: options.file, line: options.line } });
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
  return {
    contents,
    append(entry) {
      if (!open) throw new Error(`${file}: journal is closed`);
      writeLine(fd, entry);
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
  const lines: { text: string; start: number; number: number; complete: boolean }[] = [];
  for (let start = 0, number = 1; start < bytes.length; number++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    lines.push({ text: bytes.subarray(start, end).toString("utf8"), start, number, complete: newline !== -1 });
    if (newline === -1) break;
    start = newline + 1;
  }
  const entries: { entry: Entry; number: number }[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.complete && line.text.trim() === "") continue;
    const entry = line.complete ? parseEntry(line.text) : "the line has no newline";
    if (typeof entry !== "string") {
      entries.push({ entry, number: line.number });
      continue;
    }
    const isLast = lines.slice(i + 1).every((l) => l.text.trim() === "");
    if (!isLast) {
      throw new JournalCorruptError(
        `${file}, line ${line.number}: ${entry}, and it is not the last line, so this is not an interrupted append ` +
          "but a damaged journal: the local chain cannot be rebuilt from it. Restore the journal from a backup, or move it " +
          `aside (e.g. mv ${file} ${file}.corrupt) to start a new local chain, on which certificates anchored on the old one ` +
          "will not verify. Keep the rest of DATA_DIR: it holds the database, the keys and the development PKI.",
        { file, line: line.number },
      );
    }
    onWarning(
      `${file}, line ${line.number}: ${entry}; an append was cut short (a crash or power loss while writing). ` +
        `Dropped it (${bytes.length - line.start} bytes) and truncated the journal to its last complete line; ` +
        "a transaction it recorded was never confirmed to its sender, which sends it again.",
    );
    truncateSync(file, line.start);
    const fd = openSync(file, "r+");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    break;
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
