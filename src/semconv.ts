/**
 * Every attribute, metric and event name this package writes, in one place. First those of the
 * OpenTelemetry GenAI semantic conventions v1.41.0 (and the few general conventions they
 * reference), under the conventions' own identifiers, so a reader can check each against the
 * specification; then, under "Ours", the names the conventions do not have (documented in the
 * README as ours).
 */

export const ATTR_GEN_AI_OPERATION_NAME = "gen_ai.operation.name";
export const ATTR_GEN_AI_PROVIDER_NAME = "gen_ai.provider.name";
export const ATTR_GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id";
export const ATTR_GEN_AI_OUTPUT_TYPE = "gen_ai.output.type";
export const ATTR_GEN_AI_REQUEST_MODEL = "gen_ai.request.model";
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature";
export const ATTR_GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p";
export const ATTR_GEN_AI_REQUEST_TOP_K = "gen_ai.request.top_k";
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens";
export const ATTR_GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences";
export const ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty";
export const ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty";
export const ATTR_GEN_AI_REQUEST_SEED = "gen_ai.request.seed";
export const ATTR_GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count";
export const ATTR_GEN_AI_REQUEST_STREAM = "gen_ai.request.stream";
export const ATTR_GEN_AI_RESPONSE_MODEL = "gen_ai.response.model";
export const ATTR_GEN_AI_RESPONSE_ID = "gen_ai.response.id";
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons";
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk";
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens";
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens";
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS =
  "gen_ai.usage.cache_creation.input_tokens";
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens";
export const ATTR_GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages";
export const ATTR_GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages";
export const ATTR_GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions";
export const ATTR_GEN_AI_TOOL_DEFINITIONS = "gen_ai.tool.definitions";
export const ATTR_GEN_AI_TOOL_NAME = "gen_ai.tool.name";
export const ATTR_GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id";
export const ATTR_GEN_AI_TOOL_TYPE = "gen_ai.tool.type";
export const ATTR_GEN_AI_TOOL_DESCRIPTION = "gen_ai.tool.description";
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments";
export const ATTR_GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result";
export const ATTR_GEN_AI_AGENT_NAME = "gen_ai.agent.name";
export const ATTR_GEN_AI_WORKFLOW_NAME = "gen_ai.workflow.name";
export const ATTR_GEN_AI_DATA_SOURCE_ID = "gen_ai.data_source.id";
export const ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT = "gen_ai.retrieval.query.text";
export const ATTR_GEN_AI_RETRIEVAL_DOCUMENTS = "gen_ai.retrieval.documents";
export const ATTR_GEN_AI_TOKEN_TYPE = "gen_ai.token.type";

export const ATTR_ERROR_TYPE = "error.type";
export const ATTR_SERVER_ADDRESS = "server.address";
export const ATTR_SERVER_PORT = "server.port";
export const ATTR_EXCEPTION_TYPE = "exception.type";
export const ATTR_EXCEPTION_MESSAGE = "exception.message";
export const ATTR_EXCEPTION_STACKTRACE = "exception.stacktrace";

/** Well-known values of `gen_ai.operation.name`. */
export const OP_CHAT = "chat";
export const OP_TEXT_COMPLETION = "text_completion";
export const OP_EXECUTE_TOOL = "execute_tool";
export const OP_INVOKE_AGENT = "invoke_agent";
export const OP_INVOKE_WORKFLOW = "invoke_workflow";
export const OP_RETRIEVAL = "retrieval";

/** Metric names, units and advisory bucket boundaries (gen-ai-metrics.md). */
export const METRIC_TOKEN_USAGE = "gen_ai.client.token.usage";
export const METRIC_OPERATION_DURATION = "gen_ai.client.operation.duration";
export const METRIC_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk";
export const METRIC_TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk";
/** Ahead of the released conventions (development branch); documented as such in the README. */
export const METRIC_EXECUTE_TOOL_DURATION = "gen_ai.execute_tool.duration";
export const METRIC_INVOKE_AGENT_DURATION = "gen_ai.invoke_agent.duration";

export const TOKEN_USAGE_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
export const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/** Event names (gen-ai-events.md, gen-ai-exceptions.md). */
export const EVENT_INFERENCE_DETAILS = "gen_ai.client.inference.operation.details";
export const EVENT_OPERATION_EXCEPTION = "gen_ai.client.operation.exception";

// --------------------------------------- Latest: open-telemetry/semantic-conventions-genai
// Names the standalone GenAI conventions (main at 066d4a7f, after v1.41.0; see
// test/fixtures/semconv-genai-latest/README.md) added or renamed, under their own identifiers.
// Emitted only when the latest conventions are opted in (semconv-stability.ts).

/** Replaces `gen_ai.usage.cache_creation.input_tokens` (v1.41.0). */
export const ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = "gen_ai.usage.cache_write.input_tokens";
/** Required on the `gen_ai.client.inference.usage.*` counters; replaces `gen_ai.token.type`. */
export const ATTR_GEN_AI_TOKEN_MODALITY = "gen_ai.token.modality";
/**
 * The modality when the provider does not break usage down (LangChain's usage metadata does not).
 */
export const GEN_AI_TOKEN_MODALITY_VALUE_UNKNOWN = "unknown";
/** The reasoning effort requested (`reasoning_effort`, `reasoning.effort`), as sent. */
export const ATTR_GEN_AI_REQUEST_REASONING_LEVEL = "gen_ai.request.reasoning.level";
/** The previous response a request continues (`previous_response_id`, Responses API). */
export const ATTR_GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID = "gen_ai.request.previous_response.id";
/** On retrieval spans; replaces `gen_ai.request.top_k` there. */
export const ATTR_GEN_AI_RETRIEVAL_TOP_K = "gen_ai.retrieval.top_k";

/** Inference duration; `gen_ai.client.operation.duration` SHOULD NOT be reported for inference. */
export const METRIC_GEN_AI_CLIENT_INFERENCE_DURATION = "gen_ai.client.inference.duration";
export const METRIC_GEN_AI_CLIENT_INFERENCE_TIME_TO_FIRST_CHUNK =
  "gen_ai.client.inference.time_to_first_chunk";
export const METRIC_GEN_AI_CLIENT_INFERENCE_TIME_PER_OUTPUT_CHUNK =
  "gen_ai.client.inference.time_per_output_chunk";
/**
 * Token counters (`{token}`, by `gen_ai.token.modality`); they replace `gen_ai.client.token.usage`.
 */
export const METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_INPUT_TOKENS =
  "gen_ai.client.inference.usage.input_tokens";
export const METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_OUTPUT_TOKENS =
  "gen_ai.client.inference.usage.output_tokens";
export const METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_READ_INPUT_TOKENS =
  "gen_ai.client.inference.usage.cache_read.input_tokens";
export const METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_CACHE_WRITE_INPUT_TOKENS =
  "gen_ai.client.inference.usage.cache_write.input_tokens";
export const METRIC_GEN_AI_CLIENT_INFERENCE_USAGE_REASONING_OUTPUT_TOKENS =
  "gen_ai.client.inference.usage.reasoning.output_tokens";
/** Per-operation token histograms (buckets {@link TOKEN_USAGE_BUCKETS}, no modality). */
export const METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_INPUT_TOKENS =
  "gen_ai.client.inference.operation.input_tokens";
export const METRIC_GEN_AI_CLIENT_INFERENCE_OPERATION_OUTPUT_TOKENS =
  "gen_ai.client.inference.operation.output_tokens";
/** Workflow duration (`s`, with `gen_ai.workflow.name`). */
export const METRIC_GEN_AI_INVOKE_WORKFLOW_DURATION = "gen_ai.invoke_workflow.duration";
/** Model and tool calls of one agent invocation (its own, not its sub-agents'). */
export const METRIC_GEN_AI_INVOKE_AGENT_INFERENCE_CALLS = "gen_ai.invoke_agent.inference_calls";
export const METRIC_GEN_AI_INVOKE_AGENT_TOOL_CALLS = "gen_ai.invoke_agent.tool_calls";

// ---------------------------------------------------------------- Ours (not in the conventions)

/**
 * Event name of the details record of a tool or agent operation. The conventions (v1.41.0 and
 * their development branch) define a details event for inference only; this name mirrors
 * `gen_ai.client.inference.operation.details` without the `inference` qualifier and pairs with
 * `gen_ai.client.operation.exception`, which the conventions already use for every GenAI
 * operation. Documented in the README as ours, not the conventions'.
 */
export const EVENT_OPERATION_DETAILS = "gen_ai.client.operation.details";

/** Why a run that never ended was ended (`timeout`, `open_run_limit`, `shutdown`, ...). */
export const ATTR_RUN_INCOMPLETE = "langchain.run.incomplete";
export const ATTR_CACHE_HIT = "langchain.cache_hit";
/** Model spans: the provider client is instrumented itself and records the call's metrics. */
export const ATTR_CLIENT_INSTRUMENTED = "langchain.client_instrumented";
/**
 * A LangGraph control-flow signal (`GraphInterrupt`, `ParentCommand`) that ended a run: no failure.
 */
export const ATTR_CONTROL_FLOW = "langchain.control_flow";
export const ATTR_CHAIN_INPUTS = "langchain.chain.inputs";
export const ATTR_CHAIN_OUTPUTS = "langchain.chain.outputs";
export const ATTR_LANGGRAPH_NODE = "langgraph.node";
export const ATTR_LANGGRAPH_STEP = "langgraph.step";
/**
 * Retrieved documents when some have no score (the conventions' `gen_ai.retrieval.documents`
 * requires one).
 */
export const ATTR_RETRIEVAL_DOCUMENTS = "langchain.retrieval.documents";
/**
 * Data of a custom event (`dispatchCustomEvent`), on the span event of that name. Content capture
 * only.
 */
export const ATTR_EVENT_DATA = "langchain.event.data";

/** Which of the four annotations made a span: `workflow`, `task`, `agent` or `tool`. */
export const ATTR_SPAN_KIND = "langchain_otel.span.kind";
/** Name of a task span (tasks have no GenAI-convention attribute of their own). */
export const ATTR_TASK_NAME = "langchain_otel.task.name";
/**
 * JSON of a workflow/task/agent's arguments (one argument: that value; several: an array). Content
 * capture only.
 */
export const ATTR_INPUT = "langchain_otel.input";
/**
 * JSON of a workflow/task/agent's return value (resolved value for async functions). Content
 * capture only.
 */
export const ATTR_OUTPUT = "langchain_otel.output";
/** Prefix of the span/log attribute that carries association property `<key>`. */
export const ASSOCIATION_ATTRIBUTE_PREFIX = "langchain_otel.association.";

/**
 * Why a run was cancelled, not failed: `aborted` (an abort signal, LangGraph's abort after a
 * `break`) or `consumer_stopped`.
 */
export const ATTR_RUN_CANCELLED = "langchain.run.cancelled";
/** How many documents a retriever returned (recorded with capture off too; no content). */
export const ATTR_RETRIEVAL_DOCUMENT_COUNT = "langchain.retrieval.document_count";
/** Model calls an agent made itself (its nearest `invoke_agent` ancestor is that agent). */
export const ATTR_AGENT_INFERENCE_COUNT = "langchain.agent.inference_count";
/** Tool calls an agent made itself. */
export const ATTR_AGENT_TOOL_CALL_COUNT = "langchain.agent.tool_call_count";
/** A LangGraph task's checkpoint namespace (`node:taskId`, joined with `|` under subgraphs). */
export const ATTR_LANGGRAPH_CHECKPOINT_NS = "langgraph.checkpoint_ns";
/** A LangGraph task's id (the last part of its checkpoint namespace). */
export const ATTR_LANGGRAPH_TASK_ID = "langgraph.task_id";
/** Index of the `Send` that pushed a LangGraph task (fan-out branches of one step differ here). */
export const ATTR_LANGGRAPH_SEND_INDEX = "langgraph.send.index";
/** On an interrupted run's root span and agent record: the node where `interrupt()` stopped it. */
export const ATTR_LANGGRAPH_INTERRUPT_NODE = "langgraph.interrupt.node";
/** On the root span of a run started with `new Command({ resume })`. */
export const ATTR_LANGGRAPH_RESUMED = "langgraph.resumed";
/** Attribute of the span link from a resumed run's root to the interrupted run's root. */
export const ATTR_LANGGRAPH_LINK = "langgraph.link";
/** Value of {@link ATTR_LANGGRAPH_LINK} on that link. */
export const LINK_RESUMES_INTERRUPTED_RUN = "resumes_interrupted_run";
