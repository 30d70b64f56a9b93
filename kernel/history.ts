// The session's input history, answering history_request as IPython's history manager does for one
// session: "tail" (the last n inputs), "range" (lines start..stop of a session; session 0 or a negative
// one counts back from the current session, which is the only one this kernel keeps) and "search" (a
// glob pattern, n and unique). Entries are [session, line, input], or [session, line, [input, output]]
// when the request asks for output (the text/plain of the cell's result, null when it had none).

type Entry = [number, number, string];
type EntryWithOutput = [number, number, [string, string | null]];

const SESSION = 1;

/** Glob (* ? [..]) to a RegExp over the whole input, as IPython's search reads its pattern. */
function globToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        re += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export class History {
  private readonly entries: Entry[] = [];
  private readonly outputs = new Map<number, string>();

  add(line: number, input: string): void {
    this.entries.push([SESSION, line, input]);
  }

  /** The text of line's result (its execute_result's text/plain). */
  setOutput(line: number, text: string): void {
    this.outputs.set(line, text);
  }

  query(content: Record<string, unknown>): Entry[] | EntryWithOutput[] {
    const hits = this.select(content);
    if (!content["output"]) return hits;
    return hits.map(([session, line, input]): EntryWithOutput => [session, line, [input, this.outputs.get(line) ?? null]]);
  }

  private select(content: Record<string, unknown>): Entry[] {
    const access = String(content["hist_access_type"] ?? "tail");
    const n = typeof content["n"] === "number" ? (content["n"] as number) : null;
    if (access === "tail") return n === null ? [...this.entries] : n <= 0 ? [] : this.entries.slice(-n);
    if (access === "range") {
      const session = Number(content["session"] ?? 0);
      if (session > 0 && session !== SESSION) return [];
      const start = Number(content["start"] ?? 0);
      const stop = content["stop"] === null || content["stop"] === undefined ? Infinity : Number(content["stop"]);
      return this.entries.filter(([, line]) => line >= start && line < stop);
    }
    if (access === "search") {
      const re = globToRegExp(String(content["pattern"] ?? "*"));
      let hits = this.entries.filter(([, , input]) => re.test(input));
      if (content["unique"]) {
        const seen = new Set<string>();
        hits = hits
          .reverse()
          .filter(([, , input]) => (seen.has(input) ? false : (seen.add(input), true)))
          .reverse();
      }
      return n === null ? hits : hits.slice(-n);
    }
    return [];
  }
}
