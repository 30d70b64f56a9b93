// src/lab: the experiment API, the run store and the results tables. `lab` is a Lab on ./runs (or
// $TRANSFERLAB_RUNS): what notebooks and scripts use; `new Lab({ root })` for another store.

import { Lab } from "./lab";

export { Lab, RunHandle, InterruptedError, summaryRows, SELECTION_CURVE } from "./lab";
export type { Hooks, Progress, LabOptions, GeneratedCell } from "./lab";
export { RunStore, Run, specKey, metricsCsv, defaultRunsRoot, checkRoot } from "./store/run-store";
export { parseCsv } from "../core/csv";
import { defaultRunsRoot } from "./store/run-store";
export type { MetricRow, RunStatus, RunState } from "./store/run-store";
export { VERBS, VERB_NAMES, validateSpec, parseSpecFile, SpecError, kebab } from "./specs";
export type { Verb, Field } from "./specs";
export { VERB_LIST, findVerb, defineVerb } from "./verbs";
export type { Part, Live, VerbDef, VerbArgs, VerbInput, VerbResult } from "./verbs";
export { importRuns, paperResults, transferStrength, checkResults, LOWER_IS_BETTER, formatCell, tableFormat } from "./results/tables";
export type { Table, ResultRow } from "./results/tables";
export { importGenEval, readGenEvalImages } from "./evaluation/geneval-results";
export type { GenEvalImage } from "./evaluation/geneval-results";
export { Sweep, parseSweepSpec, expandGrid, SWEEP_VERBS } from "./store/sweep";
export type { SweepSpec, SweepPoint, SweepUpdate, SlurmOptions } from "./store/sweep";
export {
  readTransferMap,
  mapEffects,
  mapStrength,
  mapVerdicts,
  mapCurves,
  mapTrends,
  mapContrasts,
  mapStudies,
  mapStudy,
  mapFile,
  readDiagnostics,
  readPatching,
  readStatement,
  SHIPPED_MAPS,
  diagnosticsCanvas,
} from "./results/transfer-map";
export type { TransferMap, MapCondition, MapStudy } from "./results/transfer-map";
export { familyBases } from "./results/families";
export { buildMap, readMapSpec } from "./results/map-build";
export type { MapSpec } from "./results/map-build";
export { chainPlan, chainState, packChain, readChain, runChain } from "./pretraining/chain";
export type { Chain, ChainStage, ChainResult, StageState } from "./pretraining/chain";

export const lab = new Lab({ root: defaultRunsRoot() });
