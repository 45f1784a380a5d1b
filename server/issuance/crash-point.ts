/**
 * Fault injection for the crash tests: when the environment variable `ECERT_CRASH_AT` names this point,
 * the process kills itself with SIGKILL right here, as a power cut would. Inert otherwise.
 *
 * Points, in the order a batch passes them: `accepted` (certificates stored), `batch-closed`,
 * `anchor-recorded` (transaction hash stored, not yet broadcast), `anchor-broadcast` (sent, not yet
 * confirmed), `anchored` (confirmation stored), `rendering` (some PDFs stored, not all).
 */
export function crashPoint(name: string): void {
  if (process.env.ECERT_CRASH_AT === name) process.kill(process.pid, "SIGKILL");
}
