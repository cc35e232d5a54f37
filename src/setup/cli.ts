#!/usr/bin/env node
/**
 * Command-line entry of langchain-opentelemetry (`npx langchain-opentelemetry doctor`).
 * Kept tiny: argument parsing only; the work is in {@link runDoctor}.
 */
import { runDoctor } from "./doctor.js";
import type { SetupTelemetryOptions } from "./config.js";

const USAGE = `Usage: langchain-opentelemetry doctor [--endpoint URL] [--timeout MILLIS]

Reads the same configuration as setupTelemetry() (the OTEL_* environment variables), sends one
small OTLP export per enabled signal and reports the URL, the headers (masked), the HTTP status
and what to do. Exit code 0 when every signal was accepted, 1 when one failed, 2 on bad input.

  --endpoint URL     base URL for every signal (like OTEL_EXPORTER_OTLP_ENDPOINT; wins over it)
  --timeout MILLIS   maximum time per export, retries included (default: the configured timeout, at most 5000)`;

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
  const options: SetupTelemetryOptions = {};
  let timeoutMillis: number | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const eq = arg.indexOf("=");
    const [flag, inline] = eq === -1 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
    const value = (): string | undefined => inline ?? rest[++i];
    if (flag === "--endpoint") {
      const endpoint = value();
      if (endpoint === undefined || endpoint === "") {
        process.stderr.write(`--endpoint needs a URL\n`);
        return 2;
      }
      options.endpoint = endpoint;
    } else if (flag === "--timeout") {
      const raw = value();
      timeoutMillis = Number(raw);
      if (!Number.isFinite(timeoutMillis) || timeoutMillis <= 0) {
        process.stderr.write(`--timeout must be a positive number of milliseconds, got ${raw}\n`);
        return 2;
      }
    } else if (flag === "--help" || flag === "-h") {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else {
      process.stderr.write(`unknown option: ${arg}\n\n${USAGE}\n`);
      return 2;
    }
  }
  return runDoctor({ options, timeoutMillis });
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
