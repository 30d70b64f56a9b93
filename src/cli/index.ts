// The `transferlab` command line: one entry point for every job. Commands live in one file per group;
// the lab's verbs are derived from the verb list (verbs.ts), so every verb is a command with the
// flags of its schema.

import { SpecError } from "../core/fields";
import { didYouMean } from "../core/text";
import { BENCH_COMMANDS } from "./bench";
import { Command, UsageError } from "./command";
import { DEMO_COMMANDS } from "./demo";
import { EXPERIMENT_COMMANDS } from "./experiments";
import { MODEL_COMMANDS } from "./model";
import { NOTEBOOK_COMMANDS } from "./notebooks";
import { VERB_COMMANDS } from "./verbs";
import { reportWork } from "../lab/store/workers";

export { UsageError } from "./command";

export const COMMANDS: Record<string, Command> = {
  ...DEMO_COMMANDS,
  ...VERB_COMMANDS,
  ...EXPERIMENT_COMMANDS,
  ...NOTEBOOK_COMMANDS,
  ...MODEL_COMMANDS,
  ...BENCH_COMMANDS,
  help: {
    usage: "transferlab help [command]",
    summary: "Show this help, or one command's usage.",
    run: async (argv) => console.log(help(argv[0])),
  },
  version: {
    usage: "transferlab version",
    summary: "Print the version.",
    run: async () => console.log(require("../../../package.json").version),
  },
};

export function help(command?: string): string {
  if (command) {
    const c = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!c) throw new UsageError(unknownCommand(command));
    return `${c.usage}\n\n${c.summary}`;
  }
  const lines = [
    "transferlab — transfer between image understanding and generation, in miniature",
    "",
    "Usage: transferlab <command> [options]",
    "",
    "Commands:",
  ];
  for (const c of Object.values(COMMANDS)) lines.push(`  ${c.usage}`, `      ${c.summary}`);
  return lines.join("\n");
}

function unknownCommand(name: string): string {
  const names = Object.keys(COMMANDS);
  return `unknown command ${JSON.stringify(name)} (allowed: ${names.join(", ")})${didYouMean(name, names)}`;
}

const USER_ERRORS = new Set(["TokenizerError", "AdapterError", "TaskError"]);

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv.filter((a) => a !== "--debug");
  try {
    if (!name || name === "--help" || name === "-h") {
      console.log(help());
      return 0;
    }
    // Own keys only: a command named like an Object method ("toString") is unknown, not a crash.
    const c = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!c) throw new UsageError(unknownCommand(name));
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(help(name));
      return 0;
    }
    try {
      await c.run(rest);
    } finally {
      reportWork();
    }
    // A command that finished its work but has a failure to report (a failed notebook cell) sets exitCode.
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    const err = e as Error & { code?: string };
    // Interrupted (Ctrl-C: the run finished its step and kept a checkpoint): the shell's convention, 128 + SIGINT.
    if (err.name === "KeyboardInterrupt") {
      console.error(`transferlab: ${err.message}`);
      return 130;
    }
    // Bad input — a flag, a spec field, a word the vocabulary lacks, an adapter file — is the user's to
    // fix (exit 2); anything else is a failure of a file or the system (exit 1).
    if (err instanceof UsageError || err instanceof SpecError || USER_ERRORS.has(err.name) || err.code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`transferlab: ${err.message}`);
      return 2;
    }
    // A failure of a file or the system: one line that names it; the stack only when asked for.
    const debug = process.env["TRANSFERLAB_DEBUG"] === "1" || argv.includes("--debug");
    console.error(`transferlab: ${debug ? (err.stack ?? err.message) : err.message}${debug ? "" : " (set TRANSFERLAB_DEBUG=1 for the stack trace)"}`);
    return 1;
  }
}
