// A training run in the store as the API hands it out: its spec, status, metrics and adapter.

import * as aq from "arquero";
import type * as U from "../../umm";
import type { Run, RunStatus } from "./run-store";
import type { Table } from "../results/tables";

/** What a handle needs of its lab: the validated adapter of a finished run. */
interface AdapterSource {
  adapter(name: string): U.Adapter;
}

export class RunHandle {
  constructor(
    readonly run: Run,
    private readonly lab: AdapterSource,
  ) {}
  get name(): string {
    return this.run.name;
  }
  get dir(): string {
    return this.run.dir;
  }
  get status(): RunStatus {
    return this.run.status();
  }
  get spec(): Record<string, unknown> {
    return this.run.spec();
  }
  metrics(): Table {
    return aq.from(this.run.metrics());
  }
  adapter(): U.Adapter {
    return this.lab.adapter(this.name);
  }
  toString(): string {
    const s = this.status;
    return `run ${this.name}: ${s.state} at step ${s.step}/${s.steps} (${this.dir})`;
  }
}
