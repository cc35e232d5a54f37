#!/usr/bin/env node
/**
 * Command-line entry of langchain-opentelemetry (`npx langchain-opentelemetry doctor`).
 * Kept tiny: argument parsing only; the work is in {@link runDoctor}.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { runDoctor, type DoctorOptions } from "./doctor.js";
import type { SetupTelemetryOptions } from "./config.js";

const USAGE = `Usage: langchain-opentelemetry doctor [--options MODULE] [--endpoint URL] [--timeout MILLIS] [--send-sample]

Resolves the same configuration as setupTelemetry() (the OTEL_* environment variables, plus the
options your app passes in code when you give them), checks each enabled signal's endpoint and
reports the URL, the headers (masked), the HTTP status and what to do. By default each check is
an empty OTLP export request: nothing is stored. Exit code 0 when every signal was accepted, 1
when one failed, 2 on bad input or invalid environment values.

  --options MODULE   a JavaScript module whose default export (or export "telemetryOptions") is
                     the options object your app passes to setupTelemetry()
  --endpoint URL     base URL for every signal (like OTEL_EXPORTER_OTLP_ENDPOINT; wins over it)
  --timeout MILLIS   maximum time per export, an integer, retries included (default: the
                     configured timeout, at most 5000)
  --send-sample      send one sample span, metric point and log record per signal instead (they
                     are stored in the backends, under the configuration's service.name)`;

class UsageError extends Error {}

/** Parses argv (without node and script) and runs the command; resolves to the exit code. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command !== "doctor") {
    process.stderr.write(`unknown command: ${command}\n\n${USAGE}\n`);
    return 2;
  }
  let doctor: DoctorOptions | "help";
  try {
    doctor = await parseFlags(rest);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  if (doctor === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  return runDoctor(doctor);
}

async function parseFlags(rest: string[]): Promise<DoctorOptions | "help"> {
  let options: SetupTelemetryOptions = {};
  let endpoint: string | undefined;
  const doctor: DoctorOptions = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const eq = arg.indexOf("=");
    const [flag, inline] = eq === -1 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
    const value = (what: string): string => {
      const v = inline ?? rest[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs ${what}`);
      return v;
    };
    if (flag === "--endpoint") endpoint = value("a URL");
    else if (flag === "--options") options = await loadOptions(value("a module path"));
    else if (flag === "--timeout") doctor.timeoutMillis = millis(value("a number"));
    else if (flag === "--send-sample") doctor.sendSample = true;
    else if (flag === "--help" || flag === "-h") return "help";
    else throw new UsageError(`unknown option: ${arg}\n\n${USAGE}`);
  }
  doctor.options = endpoint === undefined ? options : { ...options, endpoint };
  return doctor;
}

function millis(raw: string): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n > 0))
    throw new UsageError(`--timeout must be an integer number of milliseconds > 0, got ${raw}`);
  return n;
}

/** The app's options object, from the module's default export or its `telemetryOptions` export. */
async function loadOptions(path: string): Promise<SetupTelemetryOptions> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(
      `--options: cannot load ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const found = mod.telemetryOptions ?? mod.default;
  if (found === null || typeof found !== "object") {
    throw new UsageError(
      `--options: ${path} exports no options object (a default export or "telemetryOptions")`,
    );
  }
  return found as SetupTelemetryOptions;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `langchain-opentelemetry: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
