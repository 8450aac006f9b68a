/**
 * `GET /api/openapi.json`: the API described from the same schemas that validate requests.
 *
 * @module
 */
import { compareRequest, pluginRequest, ropeRequest } from "./api_schemas.ts";
import type { Schema } from "./schema.ts";

const json = (schema: Schema | Record<string, unknown>) => ({ "application/json": { schema } });
const error = {
  description: "Invalid request: `error` names the field",
  content: json({ $ref: "#/components/schemas/Error" }),
};
const unauthorized = { description: "Missing or wrong bearer token (only when the server has one)" };
const crossSite = {
  description: "From another site's page (Origin or Sec-Fetch-Site) that --allow-origin does not name",
  content: json({ $ref: "#/components/schemas/Error" }),
};
const notJson = {
  description: "The body is not Content-Type: application/json",
  content: json({ $ref: "#/components/schemas/Error" }),
};
const notFound = { description: "No such job" };
const jobId = [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }];
const ok = (description: string) => ({ description, content: json({ type: "object" }) });

/** The OpenAPI 3.1 document. */
export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "ropekit server",
      version,
      description: "Everything `deno task compare` and `deno task rope` do, over HTTP. See docs/api.md.",
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          properties: {
            error: { type: "string" },
            field: { type: "string" },
            /** A plugin refusal's PLUGIN_… code. */
            code: { type: "string" },
            /** A server fault's id, repeated by the log. */
            id: { type: "string" },
          },
        },
        RopeRequest: ropeRequest,
        CompareRequest: compareRequest,
        PluginRequest: pluginRequest,
      },
    },
    paths: {
      "/api/health": { get: { summary: "Liveness and queue state", responses: { 200: ok("ok") } } },
      "/api/options": {
        get: { summary: "Metrics, needle templates and request limits", responses: { 200: ok("options") } },
      },
      "/api/strategies": {
        get: {
          summary: "Built-in and registered plugin strategies with their parameter spaces",
          responses: { 200: ok("list") },
        },
      },
      "/api/models": { get: { summary: "Model ids a comparison may use", responses: { 200: ok("list") } } },
      "/api/texts": { get: { summary: "Evaluation text ids", responses: { 200: ok("list") } } },
      "/api/rope": {
        post: {
          summary: "RoPE table and critical-dimension analysis of an HF config",
          requestBody: { required: true, content: json({ $ref: "#/components/schemas/RopeRequest" }) },
          responses: {
            200: ok("the table"),
            400: error,
            403: crossSite,
            415: notJson,
            503: { description: "PLUGIN_BUSY: too many calls wait for the plugin; see Retry-After" },
            504: { description: "PLUGIN_TIMEOUT: the plugin ran past its deadline" },
          },
        },
      },
      "/api/compare": {
        post: {
          summary: "Queue a comparison",
          security: [{ bearer: [] }, {}],
          requestBody: { required: true, content: json({ $ref: "#/components/schemas/CompareRequest" }) },
          responses: {
            202: ok("the queued job (Location: /api/jobs/{id})"),
            400: error,
            401: unauthorized,
            403: crossSite,
            415: notJson,
            429: { description: "Queue full; see Retry-After (seconds)" },
          },
        },
      },
      "/api/jobs": {
        get: { summary: "All jobs, newest first (without reports)", responses: { 200: ok("list") } },
      },
      "/api/jobs/{id}": {
        get: {
          summary: "Job status, and its report when done",
          parameters: jobId,
          responses: { 200: ok("job"), 404: notFound },
        },
        delete: {
          summary: "Cancel a queued or running job",
          security: [{ bearer: [] }, {}],
          parameters: jobId,
          responses: { 200: ok("job"), 401: unauthorized, 403: crossSite, 404: notFound },
        },
      },
      "/api/jobs/{id}/events": {
        get: {
          summary: "Server-sent events: status, progress, result",
          parameters: jobId,
          responses: { 200: { description: "text/event-stream" }, 404: notFound },
        },
      },
      "/api/jobs/{id}/report.json": {
        get: {
          summary: "Download report.json",
          parameters: jobId,
          responses: { 200: ok("report"), 404: notFound },
        },
      },
      "/api/jobs/{id}/report.html": {
        get: {
          summary: "Download report.html",
          parameters: jobId,
          responses: { 200: { description: "text/html" }, 404: notFound },
        },
      },
      "/api/plugins": {
        post: {
          summary: "Load a plugin strategy from an allowed host (sandboxed)",
          security: [{ bearer: [] }, {}],
          requestBody: { required: true, content: json({ $ref: "#/components/schemas/PluginRequest" }) },
          responses: {
            201: ok("the registered strategy"),
            400: error,
            401: unauthorized,
            403: crossSite,
            415: notJson,
            500: { description: "A fault on the server's side (e.g. the lock file); the log repeats its id" },
            501: { description: "No loader" },
            504: { description: "PLUGIN_TIMEOUT: loading ran past the plugin's deadline" },
          },
        },
      },
    },
  };
}
