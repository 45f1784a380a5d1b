/** Common Recruitment Examination (CRE) result, issued by the Civil Service Bureau. Permanent. */
import { CSB_CANDIDATE_COLUMNS, CSB_CANDIDATE_DISCLOSURE } from "./csb-candidate.ts";
import { defineCertificateType } from "./schema.ts";

const grade = {
  L2: { en: "Level 2", "zh-HK": "二級" },
  L1: { en: "Level 1", "zh-HK": "一級" },
  Fail: { en: "Fail", "zh-HK": "不及格" },
} as const;

export default defineCertificateType({
  id: "csb-cre",
  version: 1,
  issuer: "CSB",
  title: { en: "Common Recruitment Examination Result", "zh-HK": "綜合招聘考試成績" },
  validity: { kind: "permanent" },
  keyColumn: "candidate_number",
  certificateNumber: {
    label: { en: "Certificate No.", "zh-HK": "證書編號" },
    // A candidate number is reused across sittings, so the sitting date makes the number unique:
    // CRE2026000001 sitting 2026-09-12 -> CRE2026000001-20260912.
    derive: (values) => `${values.candidate_number}-${String(values.sitting_date).replaceAll("-", "")}`,
  },
  disclosure: CSB_CANDIDATE_DISCLOSURE,
  columns: [
    ...CSB_CANDIDATE_COLUMNS,
    {
      column: "sitting_date",
      path: "/sittingDate",
      kind: "date",
      required: true,
      maxLength: 10,
      hideable: false,
      label: { en: "Examination date", "zh-HK": "考試日期" },
    },
    {
      column: "uc_result",
      path: "/results/uc",
      kind: "enum",
      values: ["L2", "L1", "Fail"],
      valueLabels: grade,
      required: true,
      maxLength: 4,
      hideable: true,
      label: { en: "Use of Chinese", "zh-HK": "中文運用" },
    },
    {
      column: "ue_result",
      path: "/results/ue",
      kind: "enum",
      values: ["L2", "L1", "Fail"],
      valueLabels: grade,
      required: true,
      maxLength: 4,
      hideable: true,
      label: { en: "Use of English", "zh-HK": "英文運用" },
    },
    {
      column: "at_result",
      path: "/results/at",
      kind: "enum",
      values: ["Pass", "Fail"],
      valueLabels: { Pass: { en: "Pass", "zh-HK": "及格" }, Fail: { en: "Fail", "zh-HK": "不及格" } },
      required: true,
      maxLength: 4,
      hideable: true,
      label: { en: "Aptitude Test", "zh-HK": "能力傾向測試" },
    },
  ],
});
