// Maximal rows for the PDF tests and the README's page images: every field at its schema maximum, with
// words as long as a field allows, Chinese text with supplementary-plane HKSCS characters (𡃁 𨋢 𥄫, which
// Noto Sans HK has) and combining sequences (x + U+0301, which NFC leaves as two code points).
// Nothing here runs on import.

const SYLLABLES = [
  "chloro",
  "fluoro",
  "methyl",
  "ethyl",
  "propyl",
  "benzene",
  "sulfon",
  "amide",
  "oxy",
  "hydro",
  "nitro",
  "phosph",
  "x\u0301",
];
const HANZI = "九龍灣危險品倉儲物流有限公司新界屯門藍地丈量約份第地段號𡃁𨋢𥄫觀塘興業街樓工場荃灣油漆貿易";

/** Code points of `text`. */
export function codePoints(text: string): number {
  return [...text].length;
}

/** One unbroken word of exactly `length` code points (a combining sequence never cut at the end). */
export function longWord(length: number, seed: number): string {
  let word = "";
  for (let i = 0; codePoints(word) < length; i++) word += SYLLABLES[(seed * 5 + i * 7) % SYLLABLES.length];
  let out = [...word].slice(0, length);
  while (out.at(-1) === "x") out = [...out.slice(0, -1), "y"]; // an "x" cut from its mark is fine, but keep the end plain
  return out.join("");
}

/** `prefix`, a space, then one long word: `length` code points in all. */
export function wordsThenLongWord(prefix: string, length: number, seed: number): string {
  return `${prefix} ${longWord(length - codePoints(prefix) - 1, seed)}`;
}

/** Chinese text of exactly `length` code points, supplementary-plane characters included. */
export function hanzi(length: number, seed: number): string {
  const chars = [...HANZI];
  return Array.from({ length }, (_, i) => chars[(seed * 3 + i) % chars.length]).join("");
}

/** An identifier for the `[A-Z0-9][A-Z0-9/-]{2,39}` columns: 40 characters, unbroken. */
export function longNumber(prefix: string, length = 40): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789/-";
  let out = prefix;
  for (let i = 0; out.length < length; i++) out += alphabet[(i * 11) % alphabet.length];
  return out;
}

/** The longest list cell the schema accepts: `count` items of equal length within `cellLength` code points. */
function listCell(
  count: number,
  itemMax: number,
  cellLength: number,
  separator: string,
  item: (i: number, length: number) => string,
): string {
  const length = Math.min(itemMax, Math.floor((cellLength - (count - 1)) / count));
  return Array.from({ length: count }, (_, i) => item(i, length)).join(separator);
}

/** One maximal JSON record per certificate type (CSV column names, values as CSV cells). */
export const MAXIMAL_RECORDS: Record<string, Record<string, string>> = {
  "csb-cre": {
    candidate_number: "CRE2026ABCDEFGHIJ999",
    name_en: longWord(200, 1),
    name_zh: hanzi(50, 1),
    hkid_partial: "AB123***(*)",
    sitting_date: "2026-09-12",
    uc_result: "L2",
    ue_result: "L1",
    at_result: "Pass",
  },
  "csb-blnst": {
    candidate_number: "BLNST2026ABCDEFGH999",
    name_en: wordsThenLongWord("CHAN Tai Man", 200, 2),
    name_zh: hanzi(50, 2),
    hkid_partial: "AB123***(*)",
    test_date: "2026-10-03",
    score: "100",
    result: "Pass",
  },
  "fsd-dg-licence": {
    licence_number: longNumber("DGL/2026/"),
    licensee_en: wordsThenLongWord("Kowloon Bay Hazardous Chemicals Storage", 200, 3),
    licensee_zh: hanzi(100, 3),
    premises_en: wordsThenLongWord("Godown 12, 3/F, 28 Hing Yip Street, Kwun Tong, Kowloon", 300, 4),
    premises_zh: hanzi(150, 4),
    dg_items: listCell(20, 300, 4000, ";", (i, length) =>
      i % 4 === 3
        ? longWord(length, 10 + i)
        : wordsThenLongWord(
            `${i + 1}. Category 5 Class 1 (flammable liquids, flash point below 23°C): 1,000 L of ${hanzi(6, i)}`,
            length,
            10 + i,
          ),
    ),
    conditions: listCell(30, 500, 8000, "|", (i, length) =>
      i % 5 === 4
        ? longWord(length, 40 + i)
        : wordsThenLongWord(
            `${i + 1}. The store shall be kept locked when unattended and ${hanzi(8, i)} quantities shall not exceed those stated:`,
            length,
            40 + i,
          ),
    ),
    valid_from: "2026-01-01",
    valid_until: "2027-01-01",
  },
  "fsd-fsi-contractor": {
    registration_number: longNumber("FSIC/"),
    contractor_en: longWord(200, 5),
    contractor_zh: hanzi(100, 5),
    classes: "1;2;3",
    valid_from: "2026-10-28",
    valid_until: "2029-10-28",
  },
};
