/**
 * Which description a tool run gets: the tool definitions seen on model calls, kept per scope (the
 * nearest agent, workflow or graph run, else the root of the run tree) and looked up from a tool
 * run by walking its ancestors, so a nested agent's definitions shadow the outer agent's and two
 * concurrent requests never see each other's tools. A `WeakMap` on the runs: an index goes away
 * with its run, nothing to clean up.
 */
import { readToolDescriptions } from "../langchain/tool-descriptions.js";
import type { Run } from "./runs.js";

function scopeOf(run: Run): Run {
  let r: Run = run;
  for (;;) {
    if (r.kind === "agent" || r.kind === "workflow" || r.kind === "graph") return r;
    if (r.parent === undefined) return r;
    r = r.parent;
  }
}

export class ToolDescriptions {
  private readonly byScope = new WeakMap<Run, Map<string, string>>();

  /**
   * Records the definitions of a model call whose parent run is `parent` (nothing without a
   * parent).
   */
  remember(parent: Run | undefined, tools: unknown): void {
    if (parent === undefined || !Array.isArray(tools) || tools.length === 0) return;
    const scope = scopeOf(parent);
    const index = readToolDescriptions(tools, this.byScope.get(scope));
    if (index !== undefined) this.byScope.set(scope, index);
  }

  /** The description of tool `name` for a tool run whose parent is `parent`. */
  lookup(parent: Run | undefined, name: string): string | undefined {
    for (let r = parent; r !== undefined; r = r.parent) {
      const d = this.byScope.get(r)?.get(name);
      if (d !== undefined) return d;
    }
    return undefined;
  }
}
