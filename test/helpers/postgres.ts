/**
 * Whether the PostgreSQL suites run. `npm test` needs a PostgreSQL at `TEST_DATABASE_URL` (default the
 * local server, trust authentication, database `test`). Where none answers, the PostgreSQL suites are
 * skipped and one loud line says so; with `REQUIRE_POSTGRES=1` (set by `.ci/run`) the run fails
 * instead, so CI can never pass without them. Probed once, when the first test file imports this.
 */
import pg from "pg";

/** The PostgreSQL the tests use. */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** The URL without its password, for messages. */
function shown(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(TEST_DATABASE_URL is not a URL)";
  }
}

async function probe(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return e.code ?? e.message ?? String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const problem = await probe(TEST_POSTGRES_URL);
if (problem !== undefined) {
  const line = `PostgreSQL at ${shown(TEST_POSTGRES_URL)} does not answer (${problem})`;
  if (process.env.REQUIRE_POSTGRES === "1") {
    throw new Error(`${line}, and REQUIRE_POSTGRES=1 says the PostgreSQL suites must run`);
  }
  console.log(
    `\n!!! ${line}: every PostgreSQL suite is SKIPPED. Set TEST_DATABASE_URL to run them (REQUIRE_POSTGRES=1 makes this a failure).\n`,
  );
}

/** True when the PostgreSQL suites run. */
export const postgresAvailable: boolean = problem === undefined;

/** `describe` for a PostgreSQL suite: skipped (pending) when no PostgreSQL answers. */
export const describePostgres: Mocha.SuiteFunction = postgresAvailable
  ? describe
  : (describe.skip as Mocha.SuiteFunction);

/** `describe` for a suite run once per database. */
export function describeOn(database: "SQLite" | "PostgreSQL"): Mocha.SuiteFunction {
  return database === "PostgreSQL" ? describePostgres : describe;
}
