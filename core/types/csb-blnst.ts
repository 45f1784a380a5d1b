/** Basic Law and National Security Law Test (BLNST) result, issued by the Civil Service Bureau. Permanent. */
import { CSB_CANDIDATE_COLUMNS, CSB_CANDIDATE_DISCLOSURE } from "./csb-candidate.ts";
import { defineCertificateType } from "./schema.ts";

/** The pass mark: a score of 50 or above passes. */
const PASS_MARK = 50;

export default defineCertificateType({
  id: "csb-blnst",
  version: 1,
  issuer: "CSB",
  title: {
    en: "Basic Law and National Security Law Test Result",
    "zh-HK": "《基本法》及《香港國安法》測試成績",
  },
  validity: { kind: "permanent" },
  keyColumn: "candidate_number",
  certificateNumber: {
    label: { en: "Certificate No.", "zh-HK": "證書編號" },
    // BLNST2026000001 tested 2026-10-03 -> BLNST2026000001-20261003 (candidate numbers recur across tests).
    derive: (values) => `${values.candidate_number}-${String(values.test_date).replaceAll("-", "")}`,
  },
  disclosure: CSB_CANDIDATE_DISCLOSURE,
  columns: [
    ...CSB_CANDIDATE_COLUMNS,
    {
      column: "test_date",
      path: "/testDate",
      kind: "date",
      required: true,
      maxLength: 10,
      hideable: false,
      label: { en: "Test date", "zh-HK": "測試日期" },
    },
    {
      column: "score",
      path: "/score",
      kind: "integer",
      min: 0,
      max: 100,
      required: true,
      maxLength: 3,
      hideable: true,
      label: { en: "Score", "zh-HK": "分數" },
    },
    {
      column: "result",
      path: "/result",
      kind: "enum",
      values: ["Pass", "Fail"],
      valueLabels: { Pass: { en: "Pass", "zh-HK": "及格" }, Fail: { en: "Fail", "zh-HK": "不及格" } },
      required: true,
      maxLength: 4,
      hideable: true,
      label: { en: "Result", "zh-HK": "結果" },
    },
  ],
  check: (values) => {
    const { score, result } = values;
    if (typeof score !== "number" || typeof result !== "string") return [];
    const expected = score >= PASS_MARK ? "Pass" : "Fail";
    if (result === expected) return [];
    return [
      {
        column: "result",
        code: "RESULT_MISMATCH",
        message: {
          en: `Result (result) is ${result} but a score of ${score} is a ${expected} (Pass is ${PASS_MARK} or above)`,
          "zh-HK": `結果（result）為 ${result}，但 ${score} 分應為 ${expected}（${PASS_MARK} 分或以上為 Pass）。`,
        },
      },
    ];
  },
});
