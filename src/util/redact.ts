/**
 * The one redaction rule for everything this package prints, throws or exports about an endpoint.
 *
 * OTLP endpoint URLs of hosted gateways and reverse proxies often carry credentials: basic-auth
 * userinfo (`https://user:pass@gateway/otlp`) or a key in the query string (`?api_key=...`).
 * Warnings go to stderr, which in production ends up in the log pipeline, so a URL is never
 * printed as given:
 * - userinfo becomes `***` as a whole (the user name too: some gateways take the API key as the
 *   user name);
 * - the value of every query (and fragment) parameter whose name looks like a credential becomes
 *   `***` (see {@link isCredentialName});
 * - scheme, host, port and path stay, so the URL still says where the data went.
 *
 * Header values are never printed: {@link maskHeaderValue} keeps the first character only.
 */

const REDACTED = "***";

// Exact names (case-insensitive), then suffixes: `x_api_key`, `client_secret`, `auth_token`...
const CREDENTIAL_NAMES = new Set([
  "key",
  "apikey",
  "api_key",
  "api-key",
  "token",
  "access_token",
  "auth",
  "authorization",
  "sig",
  "signature",
  "password",
  "passwd",
  "pwd",
  "secret",
]);
const CREDENTIAL_SUFFIX = /[-_.](key|token|secret|password|signature|sig)$/i;

/**
 * `true` for a query parameter name that looks like a credential: `key`, `api_key`, `apikey`,
 * `token`, `access_token`, `sig`, `signature`, `password`, `secret`, `auth`, `authorization` (any
 * case), and any name ending in `_key`, `_token`, `_secret`, `_password`, `_signature` or `_sig`
 * (also with `-` or `.`).
 */
export function isCredentialName(name: string): boolean {
  const n = name.trim().toLowerCase();
  return CREDENTIAL_NAMES.has(n) || CREDENTIAL_SUFFIX.test(n);
}

/**
 * A URL safe to print: userinfo replaced by `***`, credential-like query and fragment parameter
 * values replaced by `***`. Never throws; in a string that does not parse as a URL, everything
 * before its last `@` (after `//`, if any) becomes `***` too, and its query is redacted as above.
 *
 * @example redactUrl("http://u:p@collector:4318/v1/traces?api_key=k&x=1")
 * // "http://***@collector:4318/v1/traces?api_key=***&x=1"
 */
export function redactUrl(url: string): string {
  // Working on the text (not `new URL().href`) keeps the URL exactly as the user wrote it,
  // apart from the redacted parts, and works for strings that do not parse.
  const hashAt = url.indexOf("#");
  const beforeHash = hashAt < 0 ? url : url.slice(0, hashAt);
  const hash = hashAt < 0 ? undefined : url.slice(hashAt + 1);
  const queryAt = beforeHash.indexOf("?");
  const base = queryAt < 0 ? beforeHash : beforeHash.slice(0, queryAt);
  const query = queryAt < 0 ? undefined : beforeHash.slice(queryAt + 1);
  // Without `//` a string may still parse (`user:pass@host:4318` is scheme `user:`), so only a
  // parsable URL with an authority gets the exact rule.
  const exact = base.includes("//") && URL.canParse(url);
  let out = exact ? redactUserinfo(base) : redactUserinfoConservatively(base);
  if (query !== undefined) out += `?${redactParams(query)}`;
  if (hash !== undefined) out += `#${redactParams(hash)}`;
  return out;
}

function redactUserinfo(base: string): string {
  const schemeEnd = base.indexOf("//");
  if (schemeEnd < 0) return base;
  const authorityStart = schemeEnd + 2;
  const slash = base.indexOf("/", authorityStart);
  const authorityEnd = slash < 0 ? base.length : slash;
  const at = base.lastIndexOf("@", authorityEnd - 1);
  if (at < authorityStart) return base;
  return `${base.slice(0, authorityStart)}${REDACTED}${base.slice(at)}`;
}

/**
 * For a string that is not a valid URL with an authority, nothing says where the userinfo ends (a
 * password may hold a `/` or a space): everything before the last `@` goes, from just after `//`
 * (or from the start when there is no `//`, as in `user:pass@host:4318`).
 */
function redactUserinfoConservatively(base: string): string {
  const at = base.lastIndexOf("@");
  if (at < 0) return base;
  const schemeEnd = base.indexOf("//");
  const start = schemeEnd >= 0 && schemeEnd < at ? schemeEnd + 2 : 0;
  return `${base.slice(0, start)}${REDACTED}${base.slice(at)}`;
}

function redactParams(params: string): string {
  return params
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair;
      const name = pair.slice(0, eq);
      return isCredentialName(safeDecode(name)) ? `${name}=${REDACTED}` : pair;
    })
    .join("&");
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

// A URL inside free text ends at white space or a quote/bracket that commonly surrounds it.
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`)\]]+/gi;

/**
 * Free text (a warning, an error message, a response body) with every URL in it redacted by
 * {@link redactUrl}, and every occurrence of a known secret (e.g. the header values configured
 * for this signal, when at least 4 characters long) replaced by `***`.
 */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  let out = text.replace(URL_IN_TEXT, (url) => redactUrl(url));
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** `X-Scope-OrgID: rca` -> `r***`; values of one character or less are fully masked. */
export function maskHeaderValue(value: string): string {
  return value.length <= 1 ? REDACTED : `${value[0]}${REDACTED}`;
}

/** Every header value masked by {@link maskHeaderValue}; names are kept. */
export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) masked[name] = maskHeaderValue(value);
  return masked;
}
