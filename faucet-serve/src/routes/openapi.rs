//! `GET /openapi.json`: the endpoints as an OpenAPI 3.1 document, with
//! the schemas of runs and spec errors generated from their types.

use axum::Json;
use faucet_core::schemars::generate::{Contract, SchemaSettings};
use serde_json::{Map, Value, json};

use crate::loader::SpecError;
use crate::manifest::Manifest;
use crate::runs::record::RunRecord;

/// One operation: method, path, summary, whether it takes a spec body,
/// and its responses as (status, description, schema).
struct Operation {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    spec_body: bool,
    responses: &'static [(&'static str, &'static str, Body)],
}

/// What a response body is.
#[derive(Clone, Copy)]
enum Body {
    Json,
    Text,
    Events,
    Error,
    Run,
    Runs,
    Invalid,
    Manifest,
}

const NOT_FOUND: (&str, &str, Body) = ("404", "No such run.", Body::Error);

/// Every endpoint, as the router serves them (a test checks it).
const OPERATIONS: &[Operation] = &[
    Operation {
        method: "get",
        path: "/health",
        summary: "Liveness.",
        spec_body: false,
        responses: &[("200", "`{\"status\": \"ok\"}`.", Body::Json)],
    },
    Operation {
        method: "get",
        path: "/ready",
        summary: "Readiness: the run store can be written.",
        spec_body: false,
        responses: &[
            ("200", "Ready.", Body::Json),
            ("503", "Not ready.", Body::Json),
        ],
    },
    Operation {
        method: "get",
        path: "/manifest",
        summary: "Name, version, and every connector with its config schema, capabilities and actions.",
        spec_body: false,
        responses: &[("200", "The manifest.", Body::Manifest)],
    },
    Operation {
        method: "get",
        path: "/metrics",
        summary: "Prometheus text format.",
        spec_body: false,
        responses: &[("200", "Counters and gauges.", Body::Text)],
    },
    Operation {
        method: "get",
        path: "/openapi.json",
        summary: "This document.",
        spec_body: false,
        responses: &[("200", "OpenAPI 3.1.", Body::Json)],
    },
    Operation {
        method: "post",
        path: "/pipelines/validate",
        summary: "Loads a spec: every error with its path.",
        spec_body: true,
        responses: &[
            ("200", "`{\"valid\": true, \"name\"}`.", Body::Json),
            ("422", "The spec's errors.", Body::Invalid),
        ],
    },
    Operation {
        method: "post",
        path: "/pipelines/check",
        summary: "Loads a spec and runs the connectors' checks.",
        spec_body: true,
        responses: &[
            (
                "200",
                "`{\"name\", \"passed\", \"source\": {\"items\"}, \"sink\": {\"items\"}}`.",
                Body::Json,
            ),
            ("422", "The spec's errors.", Body::Invalid),
        ],
    },
    Operation {
        method: "post",
        path: "/runs",
        summary: "Starts a run of the spec in the body, or of `?pipeline=NAME`; `?restart=true` starts from the beginning.",
        spec_body: true,
        responses: &[
            ("202", "The run, queued.", Body::Run),
            ("409", "The pipeline is running: `running_id`.", Body::Error),
            ("422", "The spec's errors.", Body::Invalid),
            (
                "429",
                "Too many runs in flight; see `Retry-After`.",
                Body::Error,
            ),
            ("503", "The server is shutting down.", Body::Error),
        ],
    },
    Operation {
        method: "get",
        path: "/runs",
        summary: "The runs, oldest first; `?pipeline=NAME`, `?state=STATE` and `?limit=N` (the newest N) narrow the list.",
        spec_body: false,
        responses: &[("200", "`{\"runs\": [Run]}`.", Body::Runs)],
    },
    Operation {
        method: "get",
        path: "/runs/{id}",
        summary: "One run.",
        spec_body: false,
        responses: &[("200", "The run.", Body::Run), NOT_FOUND],
    },
    Operation {
        method: "post",
        path: "/runs/{id}/cancel",
        summary: "Stops the run at its next page boundary, checkpoint kept.",
        spec_body: false,
        responses: &[
            ("202", "The run, being cancelled.", Body::Run),
            ("409", "The run is over already.", Body::Error),
            NOT_FOUND,
        ],
    },
    Operation {
        method: "get",
        path: "/runs/{id}/events",
        summary: "Server-sent `progress` events (the run as JSON) and `log` events (`{\"level\", \"message\"}`: the server's lines and the connectors' own), until the run ends.",
        spec_body: false,
        responses: &[("200", "An event stream.", Body::Events), NOT_FOUND],
    },
];

/// The document.
pub(super) async fn openapi() -> Json<Value> {
    Json(document())
}

fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
            s.contract = Contract::Serialize;
        })
        .into_generator();
    let run = generator.subschema_for::<RunRecord>().to_value();
    let spec_error = generator.subschema_for::<SpecError>().to_value();
    let manifest = generator.subschema_for::<Manifest>().to_value();
    let schemas = Schemas {
        run,
        spec_error,
        manifest,
    };
    let mut paths = Map::new();
    for op in OPERATIONS {
        let responses: Map<String, Value> = op
            .responses
            .iter()
            .map(|(status, description, body)| {
                let mut response = json!({ "description": description });
                let (kind, schema) = content(*body, &schemas);
                response["content"] = json!({ kind: { "schema": schema } });
                (status.to_string(), response)
            })
            .collect();
        let mut responses = responses;
        let mut operation = json!({ "summary": op.summary });
        if op.path == "/health" {
            operation["security"] = json!([]);
        } else {
            let (kind, schema) = content(Body::Error, &schemas);
            let unauthorised = json!({ "description": "Missing or wrong bearer token.",
                "content": { kind: { "schema": schema } } });
            responses.insert("401".to_owned(), unauthorised);
        }
        operation["responses"] = Value::Object(responses);
        if op.path.contains("{id}") {
            operation["parameters"] = json!([{ "name": "id", "in": "path", "required": true,
                "schema": { "type": "string" } }]);
        }
        if op.spec_body {
            operation["requestBody"] = json!({ "description": "A pipeline spec, in the format of the server's loader.",
                "content": { "text/plain": { "schema": { "type": "string" } } } });
        }
        let entry = paths.entry(op.path).or_insert_with(|| json!({}));
        entry[op.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "faucet serve", "version": env!("CARGO_PKG_VERSION") },
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
        },
        "security": [{ "bearer": [] }],
        "paths": paths,
    })
}

/// The generated schemas responses refer to.
struct Schemas {
    run: Value,
    spec_error: Value,
    manifest: Value,
}

fn content(body: Body, schemas: &Schemas) -> (&'static str, Value) {
    let Schemas {
        run,
        spec_error,
        manifest,
    } = schemas;
    let error = json!({ "type": "object", "properties": { "error": { "type": "string" } }, "required": ["error"] });
    match body {
        Body::Json => ("application/json", json!({ "type": "object" })),
        Body::Text => ("text/plain", json!({ "type": "string" })),
        Body::Events => ("text/event-stream", json!({ "type": "string" })),
        Body::Error => ("application/json", error),
        Body::Run => ("application/json", run.clone()),
        Body::Manifest => ("application/json", manifest.clone()),
        Body::Runs => (
            "application/json",
            json!({ "type": "object",
            "properties": { "runs": { "type": "array", "items": run } } }),
        ),
        Body::Invalid => (
            "application/json",
            json!({ "type": "object",
            "properties": { "valid": { "const": false }, "errors": { "type": "array", "items": spec_error } } }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_holds_every_operation_and_the_generated_schemas() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let run = &doc["components"]["schemas"]["RunRecord"];
        assert_eq!(
            run["properties"]["state"]["$ref"],
            "#/components/schemas/RunState"
        );
        assert!(
            run["properties"]["counts"]["description"]
                .as_str()
                .is_some()
        );
        assert!(doc["components"]["schemas"]["RunCounts"].is_object());
        let manifest = &doc["paths"]["/manifest"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"];
        assert_eq!(manifest["$ref"], "#/components/schemas/Manifest");
        let connector = &doc["components"]["schemas"]["ManifestConnector"];
        assert_eq!(
            connector["properties"]["capabilities"]["$ref"],
            "#/components/schemas/ConnectorCapabilities"
        );
        let caps = &doc["components"]["schemas"]["ConnectorCapabilities"];
        assert!(caps["properties"]["exactly_once"]["description"].is_string());
        let action = &doc["components"]["schemas"]["ConnectorAction"];
        assert!(action["properties"]["name"]["description"].is_string());
        let get_run = &doc["paths"]["/runs/{id}"]["get"];
        assert_eq!(
            get_run["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/RunRecord"
        );
        assert_eq!(
            doc["paths"]["/runs"]["post"]["responses"]
                .as_object()
                .unwrap()
                .len(),
            6
        );
        assert!(doc["paths"]["/health"]["get"]["responses"]["401"].is_null());
        assert!(doc["paths"]["/manifest"]["get"]["responses"]["401"].is_object());
    }
}
