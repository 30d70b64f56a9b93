// A real single-node Slurm for the sweep test: munged, slurmctld and slurmd from Debian's slurm-wlm and
// munge packages, started in a temporary folder with their own key, config, ports and state, and
// stopped (with everything they started) by stop(). Needs root, as slurmd does to launch jobs.

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "../../src/core/net";

export interface SlurmCluster {
  /** Environment for Slurm's commands (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  dir: string;
  stop(): void;
}

function need(cmd: string): string {
  for (const dir of ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]) if (fs.existsSync(path.join(dir, cmd))) return path.join(dir, cmd);
  throw new Error(`${cmd} not found: apt-get install slurm-wlm munge (.ci/run does)`);
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: env ?? process.env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
}

export async function startSlurm(): Promise<SlurmCluster> {
  if (process.getuid?.() !== 0) throw new Error("the Slurm test starts slurmd, which must run as root to launch jobs (CI runs as root)");
  const [munged, slurmctld, slurmd] = [need("munged"), need("slurmctld"), need("slurmd")];
  need("sbatch");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-slurm-"));
  fs.chmodSync(dir, 0o700);
  for (const d of ["state", "spool", "log"]) fs.mkdirSync(path.join(dir, d));
  const key = path.join(dir, "munge.key");
  fs.writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = path.join(dir, "munge.sock");
  run(munged, [
    "--force",
    `--socket=${socket}`,
    `--key-file=${key}`,
    `--log-file=${path.join(dir, "log", "munged.log")}`,
    `--pid-file=${path.join(dir, "munged.pid")}`,
    `--seed-file=${path.join(dir, "munged.seed")}`,
  ]);
  const host = os.hostname().split(".")[0]!;
  const memMb = Math.floor(os.totalmem() / 1024 / 1024 / 2);
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = path.join(dir, "slurm.conf");
  fs.writeFileSync(
    conf,
    [
      "ClusterName=transferlab-test",
      `SlurmctldHost=${host}(127.0.0.1)`,
      "SlurmUser=root",
      "SlurmdUser=root",
      "AuthType=auth/munge",
      `AuthInfo=socket=${socket}`,
      "CredType=cred/munge",
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      `StateSaveLocation=${path.join(dir, "state")}`,
      `SlurmdSpoolDir=${path.join(dir, "spool")}`,
      `SlurmctldPidFile=${path.join(dir, "slurmctld.pid")}`,
      `SlurmdPidFile=${path.join(dir, "slurmd.pid")}`,
      `SlurmctldLogFile=${path.join(dir, "log", "slurmctld.log")}`,
      `SlurmdLogFile=${path.join(dir, "log", "slurmd.log")}`,
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "MpiDefault=none",
      "ReturnToService=2",
      "KillWait=5",
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${os.cpus().length} RealMemory=${memMb} State=UNKNOWN`,
      "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
      "",
    ].join("\n"),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  // Every daemon was started with this folder in its arguments (config or socket): stop them by that,
  // and the job steps they launched with them, then wait until they are gone.
  const stop = () => {
    for (const signal of ["-TERM", "-KILL"]) {
      spawnSync("pkill", [signal, "-f", dir]);
      for (let i = 0; i < 50 && spawnSync("pgrep", ["-f", dir]).status === 0; i++) spawnSync("sleep", ["0.1"]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    run(slurmctld, ["-f", conf], env);
    run(slurmd, ["-f", conf], env);
    // Ready when the node is idle.
    for (let i = 0; ; i++) {
      const r = spawnSync("sinfo", ["-h", "-o", "%t"], { encoding: "utf8", env });
      if (r.status === 0 && /idle/.test(r.stdout)) break;
      if (i > 100)
        throw new Error(
          `the Slurm node did not come up: ${r.stdout}${r.stderr}\n${fs.readFileSync(path.join(dir, "log", "slurmctld.log"), "utf8").slice(-2000)}`,
        );
      await new Promise((res) => setTimeout(res, 200));
    }
  } catch (e) {
    stop();
    throw e;
  }
  return { env, dir, stop };
}
