import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";
import { expect } from "chai";
import { openStore, resolveDatabaseLocation } from "../../../server/db/open-store.ts";
import { PostgresStore, redactDatabaseUrl } from "../../../server/db/postgres-store.ts";
import { SqliteStore } from "../../../server/db/sqlite-store.ts";
import { postgresAvailable } from "../../helpers/postgres.ts";
import { expectStoreError, postgresHarness, seedPending, TEST_POSTGRES_URL } from "./store-fixtures.ts";

/** `it` for a test that needs the PostgreSQL server (pending when none answers). */
const itPostgres = postgresAvailable ? it : it.skip;

describe("openStore", function () {
  this.timeout(30_000);
  let dir: string;
  const harness = postgresHarness();

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-open-store-"));
    if (postgresAvailable) await harness.setup();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await harness.cleanup();
  });

  it("opens SQLite at DATA_DIR/ecert.sqlite when DATABASE_URL is undefined, creating the directory, migrated", async () => {
    const dataDir = path.join(dir, "fresh", "data");
    const store = await openStore(undefined, dataDir);
    try {
      expect(store).to.be.instanceOf(SqliteStore);
      expect((store as SqliteStore).file).to.equal(path.join(dataDir, "ecert.sqlite"));
      expect((await stat(path.join(dataDir, "ecert.sqlite"))).isFile()).to.equal(true);
      expect(await store.pendingGroups()).to.deep.equal([]);
    } finally {
      await store.close();
    }
  });

  it("opens SQLite at the file path or file: URL DATABASE_URL gives, creating its directory", async () => {
    const file = path.join(dir, "elsewhere", "issuer.db");
    const store = await openStore(file, path.join(dir, "unused"));
    try {
      await seedPending(store, 1);
    } finally {
      await store.close();
    }
    const again = await openStore(pathToFileURL(file).href, path.join(dir, "unused"));
    try {
      expect((await again.pendingGroups())[0].count).to.equal(1);
    } finally {
      await again.close();
    }
  });

  itPostgres("opens PostgreSQL for a postgres:// and a postgresql:// URL, migrated", async () => {
    const location = await harness.fresh();
    for (const url of [location, location.replace(/^postgres:/, "postgresql:")]) {
      const store = await openStore(url, dir);
      try {
        expect(store).to.be.instanceOf(PostgresStore);
        expect(await store.pendingGroups()).to.deep.equal([]);
      } finally {
        await store.close();
      }
    }
    expect(await harness.tables(location)).to.include("certificates");
  });

  it("refuses another scheme with INVALID_DATABASE_URL, naming it, without the password", async () => {
    await expectStoreError(
      openStore("mysql://app:hunter2@db/ecert", dir),
      "INVALID_DATABASE_URL",
      /mysql:\/\/.*expected postgres/,
    );
    const error = await expectStoreError(openStore("mysql://app:hunter2@db/ecert", dir), "INVALID_DATABASE_URL");
    expect(error.message).to.not.include("hunter2");
  });

  it("refuses a malformed or hostless PostgreSQL URL with INVALID_DATABASE_URL, without the password", async () => {
    for (const url of ["postgres://app:hunter2@[::1/ecert", "postgres://app:hunter2@:5432/ecert", "postgresql:ecert"]) {
      const error = await expectStoreError(openStore(url, dir), "INVALID_DATABASE_URL", /DATABASE_URL/);
      expect(error.message).to.not.include("hunter2");
    }
  });

  it("reports a PostgreSQL nobody listens on with DATABASE_UNAVAILABLE, naming host and port, without the password", async () => {
    const error = await expectStoreError(
      openStore("postgres://app:hunter2@127.0.0.1:1/ecert", dir),
      "DATABASE_UNAVAILABLE",
      /postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/ecert.*ECONNREFUSED/,
    );
    expect(error.message).to.not.include("hunter2");
    expect(inspect(error, { depth: 10 })).to.not.include("hunter2");
  });

  itPostgres("reports a database that does not exist with DATABASE_UNAVAILABLE, naming it", async () => {
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = "/ecert_no_such_database";
    await expectStoreError(openStore(url.href, dir), "DATABASE_UNAVAILABLE", /ecert_no_such_database.*does not exist/);
  });

  it("reports a DATA_DIR that cannot be created with DATABASE_UNAVAILABLE, naming the directory", async () => {
    const blocker = path.join(dir, "a-file");
    await writeFile(blocker, "not a directory");
    await expectStoreError(openStore(undefined, path.join(blocker, "data")), "DATABASE_UNAVAILABLE", /a-file/);
  });

  it("reports a file that is not a SQLite database with DATABASE_UNAVAILABLE, naming it", async () => {
    const file = path.join(dir, "notes.txt");
    await writeFile(file, "x".repeat(4096));
    await expectStoreError(openStore(file, dir), "DATABASE_UNAVAILABLE", /notes\.txt/);
  });

  it("reads DATABASE_URL without opening anything", () => {
    expect(resolveDatabaseLocation(undefined, "/srv/data")).to.deep.equal({
      kind: "sqlite",
      file: "/srv/data/ecert.sqlite",
    });
    expect(resolveDatabaseLocation("  ", "/srv/data")).to.deep.equal({
      kind: "sqlite",
      file: "/srv/data/ecert.sqlite",
    });
    expect(resolveDatabaseLocation("./db/e.sqlite", "/srv/data")).to.deep.equal({
      kind: "sqlite",
      file: "./db/e.sqlite",
    });
    expect(resolveDatabaseLocation(":memory:", "/srv/data")).to.deep.equal({ kind: "sqlite", file: ":memory:" });
    expect(resolveDatabaseLocation("C:\\data\\e.sqlite", "/srv/data")).to.deep.equal({
      kind: "sqlite",
      file: "C:\\data\\e.sqlite",
    });
    expect(resolveDatabaseLocation("POSTGRES://db/e", "/srv/data")).to.deep.equal({
      kind: "postgres",
      url: "POSTGRES://db/e",
    });
  });

  it("redacts the password of a URL in its userinfo and in a password parameter", () => {
    expect(redactDatabaseUrl("postgres://app:s3cr%40t@db:5432/ecert")).to.equal("postgres://app:***@db:5432/ecert");
    expect(redactDatabaseUrl("postgres://db/ecert?user=app&password=s3cret&sslmode=require")).to.equal(
      "postgres://db/ecert?user=app&password=***&sslmode=require",
    );
    expect(redactDatabaseUrl("postgres://app@db/ecert")).to.equal("postgres://app@db/ecert");
  });
});
