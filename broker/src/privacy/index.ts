/** Privacy attacks on encoded files and the report built from them (docs/privacy-report.md). */
export {
  BACKGROUND_FIELDS,
  BackgroundError,
  fullNameBackground,
  loadBackground,
  nameTokens,
  parseBackground,
  SHIPPED_BACKGROUND,
} from './background.js';
export {
  crossSourceEquality,
  estimateAlignment,
  frequencyAlignment,
  groupSizes,
  type AlignmentEstimate,
  type CrossSource,
  type GroupSizes,
} from './frequency.js';
export { patternMining, type MiningOptions, type MiningResult } from './mining.js';
export { graphMatching, type GraphOptions } from './graph.js';
export { clusterDenoise, type Denoised, type DenoiseOptions } from './denoise.js';
export { dateDictionary, dateTokens, dobAttack, type DobAttackOptions, type DobAttackResult } from './dob.js';
export {
  ATTACKS,
  KNOWN_DATES,
  privacyReport,
  PrivacyInputError,
  REPORT_FORMAT,
  reportDigest,
  SPLIT_ROWS,
  type AttackName,
  type AttackOutcome,
  type Excess,
  type Floor,
  type OutcomeName,
  type FieldReport,
  type PrivacyReport,
  type PrivacySource,
  type ReportOptions,
  type Truth,
} from './report.js';
export { formatReport } from './format.js';
export { groupMembers, partitionBySalt, saltSource, type SaltPartition } from './salt-split.js';
export { partitionByYear, SEED_MIN, type YearPartition } from './salt-year.js';
export { parseTruth, readPrivacySource, runPrivacyReport, type PrivacyReportOptions } from './command.js';
export { wilson, type Rate } from './stats.js';
export type { AttackResult, Background, BackgroundValue, FieldColumn, Guesses } from './types.js';
