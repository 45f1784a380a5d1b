/**
 * The embedded default's development officers (issue 14): for CSB and FSD a clerk, an approver and an
 * auditor, and `csb-lead`, a clerk and approver (to show that nobody approves their own request). Each
 * password is random, generated once and kept in `DATA_DIR/dev-officers.json` (mode 0600), and printed
 * at start with the other development details.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ROLES, type Role } from "./actor.ts";

export interface DevOfficer {
  username: string;
  password: string;
  issuerId: string;
  roles: Role[];
  name: string;
  email: string;
}

/** The file under DATA_DIR. */
export const DEV_OFFICERS_FILE = "dev-officers.json";

const ROLE_NAMES: Record<Role, string> = { clerk: "Clerk", approver: "Approver", auditor: "Auditor" };

/** Who the development officers are (their passwords are made per DATA_DIR). */
export function devOfficerTemplates(issuerIds: string[]): Omit<DevOfficer, "password">[] {
  const templates: Omit<DevOfficer, "password">[] = [];
  for (const issuerId of issuerIds) {
    for (const role of ROLES) {
      const username = `${issuerId.toLowerCase()}-${role}`;
      templates.push({
        username,
        issuerId,
        roles: [role],
        name: `${issuerId} ${ROLE_NAMES[role]} (development)`,
        email: `${username}@officers.dev.invalid`,
      });
    }
    if (issuerId === "CSB")
      templates.push({
        username: "csb-lead",
        issuerId,
        roles: ["clerk", "approver"],
        name: "CSB Lead (development)",
        email: "csb-lead@officers.dev.invalid",
      });
  }
  return templates;
}

const fileSchema = z.strictObject({
  officers: z.array(
    z.strictObject({
      username: z.string().min(1).max(64),
      password: z.string().min(12).max(200),
      issuerId: z.string().min(1).max(31),
      roles: z.array(z.enum(ROLES)).min(1),
      name: z.string().min(1).max(200),
      email: z.string().min(1).max(320),
    }),
  ),
});

/**
 * The development officers of `issuerIds`, from `DATA_DIR/dev-officers.json`, with any missing one added
 * (a new random password) and the file rewritten (mode 0600).
 */
export async function ensureDevOfficers(dataDir: string, issuerIds: string[]): Promise<DevOfficer[]> {
  const file = path.join(dataDir, DEV_OFFICERS_FILE);
  let previous: DevOfficer[] = [];
  try {
    previous = fileSchema.parse(JSON.parse(await readFile(file, "utf8"))).officers;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      throw new Error(`${file} is not a development officers file: remove it to make new officers`, { cause: error });
  }
  let changed = false;
  const officers = devOfficerTemplates(issuerIds).map((template) => {
    const kept = previous.find((o) => o.username === template.username);
    if (kept && kept.issuerId === template.issuerId && kept.roles.join() === template.roles.join())
      return { ...template, password: kept.password };
    changed = true;
    return { ...template, password: randomBytes(12).toString("base64url") };
  });
  if (changed || officers.length !== previous.length)
    await writeFile(file, `${JSON.stringify({ officers }, null, 2)}\n`, { mode: 0o600 });
  return officers;
}
