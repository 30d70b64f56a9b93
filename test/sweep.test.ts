// Sweeps: the grid expands as written, points are named by their fields, and one 4-point
// sweep runs to the same aggregated table on the local worker pool and on a real single-node Slurm
// cluster — where one array task is killed mid-run and its resubmission resumes it from its checkpoint.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Lab, Sweep, expandGrid, parseSweepSpec } from "../src/lab";
import { startSlurm, SlurmCluster } from "./helpers/slurm";

const CLI = path.join(__dirname, "..", "..", "bin", "transferlab.js");
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

test("a sweep spec is validated with errors that name the file and the field", () => {
  assert.throws(
    () => parseSweepSpec('{"name": "x", "grid": {"rank": [2]}, "rnak": 1}', "s.json"),
    /s\.json: unknown field\(s\) rnak \(allowed: name, verb, fixed, grid, exclude, include, command, results\)/,
  );
  assert.throws(
    () => parseSweepSpec('{"name": "x", "verb": "joint", "grid": {"rank": [2]}}', "s.json"),
    /verb "joint" is not allowed \(allowed: train, command/,
  );
  assert.throws(() => parseSweepSpec('{"name": "x", "grid": {"rank": []}}', "s.json"), /grid\.rank must be a non-empty list/);
  assert.throws(() => parseSweepSpec('{"name": "x", "fixed": {"rank": 2}, "grid": {"rank": [2]}}', "s.json"), /rank is both fixed and in the grid/);
  assert.throws(() => parseSweepSpec("name: [", "s.yaml"), /sweep: s\.yaml: not YAML/);
});

test("the grid expands in order, without excluded rows, with included ones, each point once", () => {
  const spec = parseSweepSpec(
    JSON.stringify({
      name: "g",
      fixed: { steps: 5 },
      grid: { rank: [2, 4], seed: [0, 1] },
      exclude: [{ rank: 4, seed: 1 }],
      include: [
        { rank: 8, seed: 0 },
        { rank: 2, seed: 0 },
      ],
    }),
    "g.json",
  );
  assert.deepEqual(expandGrid(spec), [
    { steps: 5, rank: 2, seed: 0 },
    { steps: 5, rank: 2, seed: 1 },
    { steps: 5, rank: 4, seed: 0 },
    { steps: 5, rank: 8, seed: 0 },
  ]);
});

// Small enough for CI, long enough that a task can be killed after its first checkpoint.
const SPEC = {
  name: "ci-dose",
  verb: "train",
  fixed: {
    task: "counting",
    objective: "und",
    steps: 30,
    batch: 4,
    lr: 1e-2,
    evalEvery: 15,
    evalPrompts: 2,
    evalSeeds: 1,
    evalQuestions: 6,
    checkpointEvery: 3,
  },
  grid: { rank: [2, 4], seed: [0, 1] },
};

function specFile(): string {
  const file = path.join(tmp("tl-sweepspec-"), "ci-dose.json");
  fs.writeFileSync(file, JSON.stringify(SPEC));
  return file;
}

/** The comparable content of a results table: everything but wall-clock columns. */
function comparable(t: ReturnType<Sweep["results"]>): unknown[] {
  return (t.objects() as Record<string, unknown>[]).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/wall|time/.test(k))));
}

let localTable: unknown[] | null = null;

test("local executor: a dry run lists the grid; two workers run it; a second call reuses every point", { timeout: 600_000 }, async () => {
  const root = tmp("tl-sweep-local-");
  const file = specFile();
  const dry = spawnSync(process.execPath, [CLI, "sweep", file, "--dry-run", "--root", root], { encoding: "utf8" });
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /\|point\|name\|rank\|seed\|state\|/);
  assert.equal((dry.stdout.match(/\|new\|/g) ?? []).length, 4);
  assert.match(dry.stdout, /4 point\(s\); no measured rate yet/);
  const r = spawnSync(process.execPath, [CLI, "sweep", file, "--workers", "2", "--root", root, "--json"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /sweep ci-dose: 4\/4 point\(s\) finished/);
  const sweep = Sweep.read(new Lab({ root }), file);
  const table = sweep.results();
  assert.deepEqual([...new Set(table.array("point") as number[])], [0, 1, 2, 3]);
  assert.ok(table.columnNames().includes("rank") && table.columnNames().includes("metric"));
  assert.ok(fs.existsSync(path.join(sweep.dir, "results.csv")));
  localTable = comparable(table);
  // Every point finished: the next call trains nothing.
  const again = spawnSync(process.execPath, [CLI, "sweep", file, "--dry-run", "--root", root], { encoding: "utf8" });
  assert.equal((again.stdout.match(/\|finished\|/g) ?? []).length, 4);
  assert.match(again.stdout, /about 0 s of training left/);
});

let cluster: SlurmCluster | null = null;
after(() => cluster?.stop());

test(
  "slurm executor: a job array on a real single-node Slurm; a killed task is resubmitted and resumes; the same table as the local pool",
  { timeout: 600_000 },
  async () => {
    cluster = await startSlurm();
    process.env["SLURM_CONF"] = cluster.env["SLURM_CONF"];
    const root = tmp("tl-sweep-slurm-");
    const file = specFile();
    const lab = new Lab({ root, log: () => {} });
    const sweep = Sweep.read(lab, file);
    const victim = sweep.points()[1]!;
    // Kill task 1 once it has written a checkpoint (as a node failure or preemption would).
    let killed = "";
    const killer = (async () => {
      for (let i = 0; i < 1200 && !killed; i++) {
        const jobs = path.join(sweep.dir, "jobs.json");
        const ckpt = path.join(root, victim.name, "checkpoint.safetensors");
        const st = path.join(root, victim.name, "status.json");
        if (fs.existsSync(jobs) && fs.existsSync(st) && JSON.parse(fs.readFileSync(st, "utf8")).state === "running" && fs.existsSync(ckpt)) {
          const job = JSON.parse(fs.readFileSync(jobs, "utf8"))[0].job as string;
          const r = spawnSync("scancel", ["--signal=KILL", `${job}_1`], { encoding: "utf8" });
          assert.equal(r.status, 0, r.stderr);
          killed = `${job}_1`;
        }
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    const logs: string[] = [];
    const r = await sweep.runSlurm({ cpusPerTask: 1, retries: 2, pollMs: 300, log: (s) => logs.push(s) });
    await killer;
    assert.ok(killed, "a task was killed mid-run");
    assert.deepEqual(r.failed, [], "every point finished");
    const jobs = JSON.parse(fs.readFileSync(path.join(sweep.dir, "jobs.json"), "utf8")) as { job: string; array: string; attempt: number }[];
    assert.equal(jobs.length, 2, "one resubmission");
    assert.deepEqual([jobs[0]!.array, jobs[1]!.array, jobs[1]!.attempt], ["0,1,2,3", "1", 1], "only the killed task is resubmitted");
    assert.match(fs.readFileSync(path.join(root, victim.name, "log.txt"), "utf8"), /resumed at step [1-9]/, "the resubmitted task resumed from its checkpoint");
    // The killed task is named with how it ended (sacct where the cluster keeps accounting; this one does not).
    assert.ok(
      logs.some((l) => new RegExp(`left the queue unfinished \\(${victim.index} (interrupted|failed|running)`).test(l)),
      logs.join("\n"),
    );
    const script = fs.readFileSync(path.join(sweep.dir, "job.sh"), "utf8");
    assert.match(script, /#SBATCH --cpus-per-task=1/);
    assert.match(script, /'sweep' '[^']*ci-dose\.json' '--point' "\$SLURM_ARRAY_TASK_ID"/);
    assert.ok(localTable, "the local test ran first");
    assert.deepEqual(comparable(sweep.results()), localTable, "the protocol is seeded: Slurm and the local pool give the same table");
  },
);

test(
  "%sweep in the kernel: --dry-run gives the plan as a table; a run draws the state grid and returns every point's metrics",
  { timeout: 300_000 },
  async () => {
    const { KernelClient } = await import("../kernel/client");
    const work = tmp("tl-sweep-kernel-");
    const file = path.join(work, "tiny.yaml");
    fs.writeFileSync(file, "name: tiny\nfixed: { steps: 3, batch: 4, evalEvery: 0, select: last }\ngrid: { rank: [2, 4] }\n");
    const k = await KernelClient.start(work);
    try {
      const text = (r: Awaited<ReturnType<typeof k.execute>>, type: string) =>
        r.iopub.filter((m) => m.header.msg_type === type).map((m) => String((m.content as { data: Record<string, unknown> }).data["text/plain"] ?? ""));
      const dry = await k.execute(`%sweep ${file} --dry-run`);
      assert.match(text(dry, "execute_result").join(""), /\|point\|name\|rank\|state\|/);
      const ran = await k.execute(`%sweep ${file} --workers 2`);
      assert.equal((ran.reply.content as { status: string }).status, "ok", JSON.stringify(ran.reply.content));
      assert.ok(
        text(ran, "display_data").some((t) => /^sweep: /.test(t)),
        "the state grid",
      );
      assert.ok(
        text(ran, "display_data").some((t) => /Sweep tiny: curves/.test(t)),
        "the aggregated figure",
      );
      assert.match(text(ran, "execute_result").join(""), /\|point\|rank\|run\|step\|side\|metric\|value\|/);
      const bad = await k.execute(`%sweep ${file} --executor slrum`);
      assert.match(JSON.stringify(bad.reply.content), /--executor: \\"slrum\\" is not allowed \(allowed: local, slurm\)/);
    } finally {
      await k.close();
    }
  },
);

test("GenEval's results.jsonl reads into per-image rows and summary rows (accuracy, counting MAD); a bad line names itself", () => {
  const dir = tmp("tl-geneval-");
  const file = path.join(dir, "results.jsonl");
  // The shape GenEval's evaluate_images.py writes (pandas to_json, records, lines): metadata and details are JSON strings.
  const line = (prompt: number, sample: number, tag: string, correct: boolean, meta: object, details: object) =>
    JSON.stringify({
      filename: `/out/images/${String(prompt).padStart(5, "0")}/samples/${String(sample).padStart(4, "0")}.png`,
      tag,
      prompt: "p",
      correct,
      reason: "",
      metadata: JSON.stringify(meta),
      details: JSON.stringify(details),
    });
  const four = { tag: "counting", include: [{ class: "apple", count: 4 }], prompt: "a photo of four apples" };
  fs.writeFileSync(
    file,
    [
      line(0, 0, "counting", true, four, {
        apple: [
          [0, 0, 1, 1, 0.95],
          [0, 0, 1, 1, 0.95],
          [0, 0, 1, 1, 0.95],
          [0, 0, 1, 1, 0.95],
        ],
      }),
      line(0, 1, "counting", false, four, {
        apple: [
          [0, 0, 1, 1, 0.95],
          [0, 0, 1, 1, 0.95],
        ],
      }),
      line(
        1,
        0,
        "position",
        true,
        {
          tag: "position",
          include: [
            { class: "dog", count: 1 },
            { class: "cat", count: 1, position: ["left of", 0] },
          ],
        },
        {},
      ),
      line(2, 0, "colors", true, { tag: "colors", include: [] }, {}),
    ].join("\n") + "\n",
  );
  const { readGenEvalImages, importGenEval } = require("../src/lab") as typeof import("../src/lab");
  const images = readGenEvalImages(file);
  assert.deepEqual(
    images.map((x) => [x.prompt_id, x.sample, x.tag, x.correct, x.asked, x.detected]),
    [
      [0, 0, "counting", true, 4, 4],
      [0, 1, "counting", false, 4, 2],
      [1, 0, "position", true, null, null],
      [2, 0, "colors", true, null, null],
    ],
  );
  const t = importGenEval(file, { model: "Lumina-DiMOO", train: "und", seed: 0 });
  assert.deepEqual(
    (t.objects() as Record<string, unknown>[]).map((r) => [r["task"], r["metric"], r["value"], r["n"]]),
    [
      ["counting", "accuracy", 0.5, 2],
      ["counting", "mad", 1, 2],
      ["spatial", "accuracy", 1, 1],
    ],
  );
  fs.appendFileSync(file, JSON.stringify({ filename: "x.png", tag: "counting", prompt: "p", correct: true, metadata: "{}" }) + "\n");
  assert.throws(() => readGenEvalImages(file), /results\.jsonl:5: field "filename" "x\.png" is not GenEval's <prompt>\/samples\/<n>\.png/);
});

test(
  "command points: an external program per grid point ({field} and {out} filled in), its GenEval results read back; a failing command is reported",
  { timeout: 120_000 },
  async () => {
    const dir = tmp("tl-sweep-cmd-");
    // Stands in for a PyTorch/PEFT training + GenEval run of a real UMM: writes GenEval's results.jsonl.
    fs.writeFileSync(
      path.join(dir, "fake-umm.js"),
      `const fs = require("fs"); const [out, train, correct] = process.argv.slice(2);
     if (train === "gen") process.exit(3);
     const line = (i, ok) => JSON.stringify({ filename: out + "/images/0000" + i + "/samples/0000.png", tag: "counting", prompt: "p", correct: ok, reason: "", metadata: JSON.stringify({ tag: "counting", include: [{ class: "apple", count: 2 }] }), details: JSON.stringify({ apple: ok ? [[0], [0]] : [[0]] }) });
     fs.writeFileSync(out + "/results.jsonl", [line(0, true), line(1, correct === "1")].join("\\n") + "\\n");`,
    );
    const spec = path.join(dir, "real.json");
    fs.writeFileSync(
      spec,
      JSON.stringify({
        name: "real",
        verb: "command",
        command: `${process.execPath} fake-umm.js {out} {train} {correct}`,
        results: "{out}/results.jsonl",
        fixed: { model: "Lumina-DiMOO" },
        grid: { train: ["baseline", "und", "gen"], correct: [1] },
      }),
    );
    const root = path.join(dir, "runs");
    const r = spawnSync(process.execPath, [CLI, "sweep", spec, "--root", root, "--workers", "2"], { encoding: "utf8" });
    assert.equal(r.status, 1, "a point failed");
    assert.match(r.stdout, /2\/3 point\(s\) finished; unfinished: 2/);
    const sweep = Sweep.read(new Lab({ root }), spec);
    const rows = sweep.results().objects() as Record<string, unknown>[];
    assert.deepEqual(
      rows.map((x) => [x["point"], x["train"], x["model"], x["metric"], x["value"]]),
      [
        [0, "baseline", "Lumina-DiMOO", "accuracy", 1],
        [0, "baseline", "Lumina-DiMOO", "mad", 0],
        [1, "und", "Lumina-DiMOO", "accuracy", 1],
        [1, "und", "Lumina-DiMOO", "mad", 0],
      ],
    );
    assert.match(fs.readFileSync(path.join(sweep.dir, "logs", "local-2.out"), "utf8"), /the command exited with 3/);
    assert.throws(() => parseSweepSpec('{"name": "x", "verb": "command", "grid": {"a": [1]}}', "c.json"), /verb "command" needs command/);
  },
);
