/** Instrumentation scope of every tracer, meter and logger this package creates. */
export const PACKAGE_NAME = "langchain-opentelemetry";
/** Kept in step with package.json by a test. */
export const PACKAGE_VERSION = "0.1.0";
