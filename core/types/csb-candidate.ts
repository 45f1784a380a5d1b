/**
 * The candidate columns every Civil Service Bureau examination result shares: candidate number, names in
 * English and Chinese, partial HKID.
 */
import type { ColumnSchema, DisclosureRule } from "./schema.ts";

export const CSB_CANDIDATE_COLUMNS = [
  {
    column: "candidate_number",
    path: "/candidateNumber",
    kind: "text",
    pattern: "[A-Z0-9]{4,20}",
    patternHint: { en: "4 to 20 capital letters and digits", "zh-HK": "由 4 至 20 個大寫英文字母及數字組成" },
    required: true,
    maxLength: 20,
    hideable: false,
    searchable: "candidateNumber",
    label: { en: "Candidate No.", "zh-HK": "考生編號" },
  },
  {
    column: "name_en",
    path: "/name/en",
    kind: "text",
    required: true,
    maxLength: 200,
    hideable: true,
    searchable: "name",
    label: { en: "Name (English)", "zh-HK": "英文姓名" },
  },
  {
    column: "name_zh",
    path: "/name/zh-HK",
    kind: "text",
    required: false,
    maxLength: 50,
    hideable: true,
    searchable: "name",
    label: { en: "Name (Chinese)", "zh-HK": "中文姓名" },
  },
  {
    column: "hkid_partial",
    path: "/hkidPartial",
    kind: "partial-hkid",
    required: true,
    maxLength: 11,
    hideable: true,
    label: { en: "HKID No. (partial)", "zh-HK": "香港身份證號碼（部分）" },
  },
] as const satisfies readonly ColumnSchema[];

/** At least one name stays disclosed: the verifier tells employers to compare the name with an ID. */
export const CSB_CANDIDATE_DISCLOSURE = [
  {
    atLeastOneOf: ["name_en", "name_zh"],
    reason: {
      en: "At least one name must stay shown: an employer compares the name with your identity document.",
      "zh-HK": "最少須顯示一個姓名：僱主會把姓名與你的身份證明文件核對。",
    },
  },
] as const satisfies readonly DisclosureRule[];
