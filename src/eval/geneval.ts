// GenEval-style verdicts on detections: counting (exactly N of the asked class), spatial relation from
// box centres with GenEval's margin, and the compositional joint check of appendix C.5. Every verdict
// carries its reason, so a table can be traced back to the detections behind it.

import { ObjectClass, Relation } from "../tasks/vocab";
import { Detection } from "./detector";

/** GenEval's POSITION_THRESHOLD: offsets within 0.1 × (sum of the two box sizes) count as no offset. */
export const POSITION_MARGIN = 0.1;

export interface CountVerdict {
  correct: boolean;
  detected: number;
  asked: number;
  absError: number;
  reason: string;
}

export function countingVerdict(dets: readonly Detection[], target: ObjectClass, count: number): CountVerdict {
  const detected = dets.filter((d) => d.cls === target).length;
  const others = dets.length - detected;
  return {
    correct: detected === count,
    detected,
    asked: count,
    absError: Math.abs(detected - count),
    reason: `${detected} ${target} detected, ${count} asked${others ? ` (${others} other detections)` : ""}`,
  };
}

/** The diagonal relation of box A to box B, or null when the offset is within the margin on an axis. */
export function relationOf(a: Detection, b: Detection, margin = POSITION_MARGIN): Relation | null {
  const dimA = [a.box.x1 - a.box.x0, a.box.y1 - a.box.y0];
  const dimB = [b.box.x1 - b.box.x0, b.box.y1 - b.box.y0];
  const rev = [0, 1].map((k) => {
    const off = a.center[k]! - b.center[k]!;
    return Math.max(Math.abs(off) - margin * (dimA[k]! + dimB[k]!), 0) * Math.sign(off);
  });
  if (rev[0] === 0 || rev[1] === 0) return null;
  // image coordinates: y grows downward
  return `${rev[1]! < 0 ? "top" : "bottom"}-${rev[0]! < 0 ? "left" : "right"}` as Relation;
}

export interface SpatialVerdict {
  /** Excluded when the detector did not localize both objects (B.2); excluded samples are counted apart. */
  excluded: boolean;
  correct: boolean;
  found: Relation | null;
  reason: string;
}

function best(dets: readonly Detection[], cls: ObjectClass): Detection | undefined {
  return dets.filter((d) => d.cls === cls).sort((x, y) => y.score - x.score)[0];
}

export function spatialVerdict(dets: readonly Detection[], a: ObjectClass, b: ObjectClass, relation: Relation): SpatialVerdict {
  const da = best(dets, a);
  const db = best(dets, b);
  if (!da || !db) {
    const missing = [!da ? a : null, !db ? b : null].filter(Boolean).join(" and ");
    return { excluded: true, correct: false, found: null, reason: `excluded: no ${missing} detected` };
  }
  const found = relationOf(da, db);
  return {
    excluded: false,
    correct: found === relation,
    found,
    reason: `${a} is ${found ?? "not diagonal to"} ${found ? `of the ${b}` : `the ${b}`}; asked ${relation}`,
  };
}

export interface CompositionVerdict {
  correct: boolean;
  detected: number;
  /** Targets at the asked relation of the anchor, over targets detected. */
  placedFraction: number;
  reason: string;
}

/** Joint check: exactly N targets, an anchor, and every target at the asked relation of the anchor. */
export function compositionVerdict(
  dets: readonly Detection[],
  target: ObjectClass,
  count: number,
  anchor: ObjectClass,
  relation: Relation,
): CompositionVerdict {
  const targets = dets.filter((d) => d.cls === target);
  const da = best(dets, anchor);
  if (!da) return { correct: false, detected: targets.length, placedFraction: 0, reason: `no ${anchor} detected` };
  const placed = targets.filter((t) => relationOf(t, da) === relation).length;
  const correct = targets.length === count && placed === count;
  return {
    correct,
    detected: targets.length,
    placedFraction: targets.length ? placed / targets.length : 0,
    reason: `${targets.length} ${target} detected (${count} asked), ${placed} at the ${relation} of the ${anchor}`,
  };
}
