/**
 * Association properties: key/value pairs (user id, session id, tenant, conversation id) that
 * every span and log record started inside a scope carries. They travel in the OpenTelemetry
 * context, so they follow the request across `await`s and never leak into a concurrent request.
 *
 * Attribute names: `langchain_otel.association.<key>`, plus `gen_ai.conversation.id` when a
 * conversation, session or thread id is given.
 */
import {
  context,
  diag,
  type Attributes,
  type AttributeValue,
  type Context,
} from "@opentelemetry/api";
import { ASSOCIATION_ATTRIBUTE_PREFIX, ATTR_GEN_AI_CONVERSATION_ID } from "../semconv.js";
import { cutString } from "../util/content.js";
import { ASSOCIATION_KEY, getAssociationAttributes } from "../util/context-keys.js";
import { conversationIdFrom } from "../util/conversation.js";
import { PACKAGE_NAME } from "../util/package.js";
import { packageWarning } from "../util/warnings.js";

export { ASSOCIATION_ATTRIBUTE_PREFIX, ASSOCIATION_KEY, getAssociationAttributes };

/** At most this many properties are in force at once (nested scopes included). */
export const MAX_ASSOCIATION_PROPERTIES = 32;
/** Longest key accepted, after sanitising. Longer keys are dropped (cutting them could collide). */
const MAX_ASSOCIATION_KEY_LENGTH = 64;
/** Longest string value kept; longer values are cut to this length. */
export const MAX_ASSOCIATION_VALUE_LENGTH = 1024;

/** A value an association property may hold. `null`/`undefined` are skipped silently. */
export type AssociationValue = string | number | boolean;

/** Association properties as given by the caller. */
export type AssociationProperties = Readonly<Record<string, AssociationValue | null | undefined>>;

const INVALID_KEY_CHARS = /[^a-zA-Z0-9_.-]/g;

/**
 * Returns a copy of `ctx` in which `properties` apply, merged over those already in force
 * (an inner value wins for the same key). Invalid entries are dropped with one diag warning;
 * this never throws.
 */
export function setAssociationProperties(ctx: Context, properties: AssociationProperties): Context {
  try {
    const merged = mergeProperties(getAssociationAttributes(ctx), properties);
    return merged ? ctx.setValue(ASSOCIATION_KEY, merged) : ctx;
  } catch (err) {
    diag.warn(`${PACKAGE_NAME}: association properties ignored`, err);
    return ctx;
  }
}

/**
 * Runs `fn` (with `thisArg` and `args`) in a context where `properties` apply, and returns what
 * `fn` returns. Every span started inside, by this package or by any instrumentation when
 * {@link AssociationSpanProcessor} is installed, carries them, and so do log records when
 * {@link AssociationLogRecordProcessor} is installed. Nested scopes merge.
 *
 * @example
 * await withAssociationProperties({ user_id: req.user.id, session_id: req.sessionId }, () =>
 *   chain.invoke(input, { callbacks: [handler] }));
 */
export function withAssociationProperties<A extends unknown[], R, This = undefined>(
  properties: AssociationProperties,
  fn: (this: This, ...args: A) => R,
  thisArg?: This,
  ...args: A
): R {
  return context.with(setAssociationProperties(context.active(), properties), fn, thisArg, ...args);
}

/**
 * The association properties in force in `ctx` (default: the active context), keyed by their
 * sanitised names, without the attribute prefix.
 */
export function getAssociationProperties(
  ctx: Context = context.active(),
): Record<string, AssociationValue> {
  const out: Record<string, AssociationValue> = {};
  const attributes = getAssociationAttributes(ctx);
  if (!attributes) return out;
  for (const key of Object.keys(attributes)) {
    if (key.startsWith(ASSOCIATION_ATTRIBUTE_PREFIX)) {
      out[key.slice(ASSOCIATION_ATTRIBUTE_PREFIX.length)] = attributes[key] as AssociationValue;
    }
  }
  return out;
}

/** Merges validated `properties` over `base`; `undefined` when nothing changes. */
function mergeProperties(
  base: Attributes | undefined,
  properties: AssociationProperties,
): Attributes | undefined {
  if (properties === null || typeof properties !== "object" || Array.isArray(properties)) {
    diag.warn(`${PACKAGE_NAME}: association properties must be a plain object; ignored`);
    return undefined;
  }
  const merged: Attributes = { ...base };
  let count = 0;
  for (const key of Object.keys(merged)) if (key.startsWith(ASSOCIATION_ATTRIBUTE_PREFIX)) count++;
  const dropped: string[] = [];
  let changed = false;
  for (const rawKey of Object.keys(properties)) {
    const raw = properties[rawKey];
    if (raw === undefined || raw === null) continue;
    const key = rawKey.replace(INVALID_KEY_CHARS, "_");
    const value = validValue(raw);
    if (key.length === 0 || key.length > MAX_ASSOCIATION_KEY_LENGTH || value === undefined) {
      dropped.push(rawKey);
      continue;
    }
    const attribute = ASSOCIATION_ATTRIBUTE_PREFIX + key;
    if (!(attribute in merged)) {
      if (count >= MAX_ASSOCIATION_PROPERTIES) {
        dropped.push(rawKey);
        continue;
      }
      count++;
    }
    merged[attribute] = value;
    changed = true;
  }
  if (dropped.length > 0) {
    const message =
      `association properties dropped (values must be strings, finite numbers or booleans; ` +
      `keys 1-${MAX_ASSOCIATION_KEY_LENGTH} characters; at most ${MAX_ASSOCIATION_PROPERTIES} properties): ` +
      dropped
        .slice(0, 10)
        .map((k) => JSON.stringify(cutString(k, 80, "")))
        .join(", ");
    diag.warn(`${PACKAGE_NAME}: ${message}`);
    // Visible without a diag logger too (once).
    packageWarning("association-dropped", `${message}.`);
  }
  if (!changed) return undefined;
  const conversation = conversationId(merged);
  if (conversation !== undefined) merged[ATTR_GEN_AI_CONVERSATION_ID] = conversation;
  // Frozen: the same object is shared by every span of the scope and copied by reference.
  return Object.freeze(merged);
}

function validValue(raw: unknown): AttributeValue | undefined {
  switch (typeof raw) {
    case "string":
      return cutString(raw, MAX_ASSOCIATION_VALUE_LENGTH, "");
    case "number":
      return Number.isFinite(raw) ? raw : undefined;
    case "boolean":
      return raw;
    default:
      return undefined;
  }
}

function conversationId(attributes: Attributes): string | undefined {
  return conversationIdFrom((key) => attributes[ASSOCIATION_ATTRIBUTE_PREFIX + key]);
}

/** The part of an SDK span or log record the processors below touch. */
export interface AttributeTarget {
  readonly attributes?: Readonly<Record<string, unknown>>;
  setAttribute(key: string, value: AttributeValue): unknown;
}

/** Copies the association attributes of `ctx` onto `target`, keeping attributes it already has. */
function applyAssociation(target: AttributeTarget, ctx: Context | undefined): void {
  if (!ctx) return;
  const attributes = getAssociationAttributes(ctx);
  if (!attributes) return;
  try {
    const existing = target.attributes;
    for (const key in attributes) {
      // The emitter's own value wins (e.g. a conversation id the handler read from the run).
      if (existing && existing[key] !== undefined) continue;
      target.setAttribute(key, attributes[key] as AttributeValue);
    }
  } catch {
    // Telemetry never throws into the app.
  }
}

/**
 * A span processor (for `@opentelemetry/sdk-trace-base` / `sdk-trace-node` 2.x:
 * `new NodeTracerProvider({ spanProcessors: [new AssociationSpanProcessor(), exporting...] })`)
 * that copies the association properties of the parent context onto every span when it starts,
 * so that spans of other instrumentations (HTTP, database...) started inside a
 * {@link withAssociationProperties} scope carry them too. Attributes a span already has win.
 */
export class AssociationSpanProcessor {
  onStart(span: AttributeTarget, parentContext: Context): void {
    applyAssociation(span, parentContext);
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A log record processor (for `@opentelemetry/sdk-logs` 0.2xx) that copies the association
 * properties of the emit context onto every log record. It must come **before** the exporting
 * processors in `processors: [...]`: a record becomes read-only once the processors have seen it,
 * and a simple processor exports it at once.
 */
export class AssociationLogRecordProcessor {
  onEmit(logRecord: AttributeTarget, ctx?: Context): void {
    applyAssociation(logRecord, ctx ?? context.active());
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
