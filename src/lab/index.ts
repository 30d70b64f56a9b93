// src/lab: the experiment API, the run store and the results tables. `lab` is a Lab on ./runs (or
// $TRANSFERLAB_RUNS): what notebooks and scripts use; `new Lab({ root })` for another store.

import { Lab } from "./lab";

export { Lab, RunHandle, InterruptedError, summaryRows, SELECTION_CURVE } from "./lab";
export type { Hooks, Progress, LabOptions, GeneratedCell } from "./lab";
export { RunStore, Run, specKey, metricsCsv, defaultRunsRoot, checkRoot } from "./run-store";
export { parseCsv } from "../core/csv";
import { defaultRunsRoot } from "./run-store";
export type { MetricRow, RunStatus, RunState } from "./run-store";
export { VERBS, VERB_NAMES, validateSpec, parseSpecFile, SpecError, kebab } from "./specs";
export type { Verb, Field } from "./specs";
export { VERB_LIST, findVerb, defineVerb } from "./verbs";
export type { Part, Live, VerbDef, VerbArgs, VerbInput, VerbResult } from "./verbs";
export { importRuns, paperResults, transferStrength, checkResults, LOWER_IS_BETTER, formatCell, tableFormat } from "./tables";
export type { Table, ResultRow } from "./tables";
export { importGenEval, readGenEvalImages } from "./geneval-results";
export type { GenEvalImage } from "./geneval-results";
export { Sweep, parseSweepSpec, expandGrid, SWEEP_VERBS } from "./sweep";
export type { SweepSpec, SweepPoint, SweepUpdate, SlurmOptions } from "./sweep";
export {
  readTransferMap,
  mapEffects,
  mapStrength,
  mapVerdicts,
  mapCurves,
  mapStudies,
  mapStudy,
  mapFile,
  readDiagnostics,
  readPatching,
  SHIPPED_MAPS,
  diagnosticsCanvas,
} from "./transfer-map";
export type { TransferMap, MapCondition, MapStudy } from "./transfer-map";
export { buildMap, readMapSpec } from "./map-build";
export type { MapSpec } from "./map-build";
export { chainPlan, chainState, readChain, runChain } from "./pretrain-chain";
export type { Chain, ChainStage, ChainResult, StageState } from "./pretrain-chain";

export const lab = new Lab({ root: defaultRunsRoot() });
