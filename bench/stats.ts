/** Small statistics and formatting helpers for the benchmark report. */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Fixed decimals, "–" for missing values. */
export function fmt(value: number | undefined, decimals = 0): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  return value.toFixed(decimals);
}

export function fmtRatio(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  return `${value.toFixed(2)}×`;
}

/** Bytes as signed KB/MB. */
export function fmtBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return "–";
  const sign = bytes < 0 ? "−" : "+";
  const abs = Math.abs(bytes);
  return abs >= 1024 * 1024
    ? `${sign}${(abs / 1024 / 1024).toFixed(2)} MB`
    : `${sign}${(abs / 1024).toFixed(0)} KB`;
}

/** A markdown table from a header row and rows of cells. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
