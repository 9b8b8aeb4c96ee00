//! [`Resources::new`]: validating `resources:`, with every error at its
//! full config path (`resources[2].path`, `resources[1].parent`).

use std::collections::BTreeMap;
use std::sync::Arc;

use faucet_common_http::HttpClient;
use faucet_core::FaucetError;

use super::{ParentLink, Resource, Resources};
use crate::config::{RestResource, RestSourceConfig};
use crate::pagination::Shared;
use crate::plan::{ChildRequests, Plan};

impl Resources {
    /// Validates `config.resources` (not empty); no I/O.
    pub(crate) fn new(config: &RestSourceConfig, client: &HttpClient) -> Result<Self, FaucetError> {
        if !config.path.is_empty() {
            return Err(FaucetError::config(
                "path",
                "is not used with `resources`: set each resource's `path` (`resources[i].path`)",
            ));
        }
        if !config.partitions.is_empty() {
            return Err(FaucetError::config(
                "partitions",
                "are not used with `resources`: read the values from a parent resource (`parent`) instead",
            ));
        }
        let parents = parent_indices(&config.resources)?;
        let list = config
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let children = (0..parents.len())
                    .filter(|&c| parents[c] == Some(i))
                    .collect();
                resource(config, client, i, r, parents[i], children)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { list })
    }
}

fn at(i: usize, field: &str) -> String {
    format!("resources[{i}].{field}")
}

/// Checks names, and each `parent` names another resource without a cycle.
fn parent_indices(resources: &[RestResource]) -> Result<Vec<Option<usize>>, FaucetError> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, r) in resources.iter().enumerate() {
        let valid = !r.name.is_empty()
            && r.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(FaucetError::config(
                at(i, "name"),
                format!(
                    "`{}` is not a stream name: use letters, digits, `_` and `-`",
                    r.name
                ),
            ));
        }
        if let Some(j) = seen.insert(&r.name, i) {
            return Err(FaucetError::config(
                at(i, "name"),
                format!("`{}` is already the name of resources[{j}]", r.name),
            ));
        }
    }
    let names = resources
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let parents = resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.parent
                .as_deref()
                .map(|p| {
                    seen.get(p).copied().ok_or_else(|| {
                        FaucetError::config(
                            at(i, "parent"),
                            format!("no resource is named `{p}`; the resources are: {names}"),
                        )
                    })
                })
                .transpose()
        })
        .collect::<Result<Vec<_>, _>>()?;
    for start in 0..parents.len() {
        let mut chain = vec![start];
        let mut next = parents[start];
        while let Some(p) = next {
            chain.push(p);
            if p == start {
                let cycle: Vec<&str> = chain.iter().map(|&k| resources[k].name.as_str()).collect();
                return Err(FaucetError::config(
                    at(start, "parent"),
                    format!("parents form a cycle: {}", cycle.join(" → ")),
                ));
            }
            if chain.len() > parents.len() {
                break; // a cycle further up, reported from its own member
            }
            next = parents[p];
        }
    }
    Ok(parents)
}

/// The top-level config with `r`'s fields over it, as one stream's.
fn merged(config: &RestSourceConfig, r: &RestResource, path: String) -> RestSourceConfig {
    let mut c = config.clone();
    c.resources = Vec::new();
    c.path = path;
    c.query.extend(r.query.clone());
    c.headers.extend(r.headers.clone());
    if let Some(records) = &r.records {
        c.records = Some(records.clone());
    }
    if let Some(pagination) = &r.pagination {
        c.pagination = pagination.clone();
    }
    if let Some(incremental) = &r.incremental {
        c.incremental = Some(incremental.clone());
    }
    c
}

/// Moves an error about a field `r` sets under `resources[i]`; errors
/// about top-level defaults keep their path.
fn relocate(mut err: FaucetError, i: usize, r: &RestResource) -> FaucetError {
    if let FaucetError::Config { path, .. } = &mut err {
        let head = path.split(['.', '[']).next().unwrap_or_default();
        let own = match head {
            "path" => true,
            "pagination" => r.pagination.is_some(),
            "records" => r.records.is_some(),
            "incremental" => r.incremental.is_some(),
            "headers" => path
                .strip_prefix("headers.")
                .is_some_and(|h| r.headers.contains_key(h)),
            _ => false,
        };
        if own {
            *path = at(i, path);
        }
    }
    err
}

fn resource(
    config: &RestSourceConfig,
    client: &HttpClient,
    i: usize,
    r: &RestResource,
    parent: Option<usize>,
    children: Vec<usize>,
) -> Result<Resource, FaucetError> {
    let path = r.path.clone().unwrap_or_else(|| format!("/{}", r.name));
    let mut query = config.query.clone();
    query.extend(r.query.clone());
    let requests = ChildRequests::new(&config.base_url, &path, &query, config.body.clone())
        .map_err(|(param, message)| match param {
            Some(name) => FaucetError::config(at(i, &format!("query.{name}")), message),
            None => FaucetError::config(at(i, "path"), message),
        })?;
    let fields = requests.fields();
    // The plan is validated with each placeholder as `0`; a child's
    // requests are built per parent from `requests`.
    let plan_path = fields.iter().fold(path.clone(), |p, f| {
        p.replace(&format!("{{parent.{f}}}"), "0")
    });
    let plan = Plan::new(&merged(config, r, plan_path)).map_err(|e| relocate(e, i, r))?;
    let link = match parent {
        None => {
            if let Some(field) = fields.first() {
                return Err(FaucetError::config(
                    at(i, "path"),
                    format!(
                        "`{{parent.{field}}}` needs a parent: set `parent` to the resource whose records fill it"
                    ),
                ));
            }
            if !r.parent_fields.is_empty() {
                return Err(FaucetError::config(
                    at(i, "parent_fields"),
                    "needs `parent`",
                ));
            }
            None
        }
        Some(_) => Some(link(i, r, requests, fields)?),
    };
    Ok(Resource {
        name: Arc::from(r.name.as_str()),
        shared: Arc::new(Shared {
            plan,
            client: client.clone(),
        }),
        parent,
        children,
        link,
        primary_key: r
            .primary_key
            .clone()
            .unwrap_or_else(|| config.primary_key.clone()),
    })
}

fn link(
    i: usize,
    r: &RestResource,
    requests: ChildRequests,
    fields: Vec<String>,
) -> Result<ParentLink, FaucetError> {
    if fields.is_empty() {
        return Err(FaucetError::config(
            at(i, "path"),
            "a child resource is read once per parent record: name a parent field in `path` or `query` with `{parent.<field>}`, e.g. `/accounts/{parent.id}/orders`",
        ));
    }
    if !(1..=faucet_common_http::MAX_CONCURRENCY).contains(&r.parent_concurrency) {
        return Err(FaucetError::config(
            at(i, "parent_concurrency"),
            format!(
                "must be between 1 and {}, not {}",
                faucet_common_http::MAX_CONCURRENCY,
                r.parent_concurrency
            ),
        ));
    }
    let mut copies: Vec<(String, String)> = fields
        .iter()
        .map(|f| {
            let name = r
                .parent_fields
                .get(f)
                .cloned()
                .unwrap_or_else(|| format!("_parent_{f}"));
            (f.clone(), name)
        })
        .collect();
    for (field, name) in &r.parent_fields {
        if !fields.contains(field) {
            copies.push((field.clone(), name.clone()));
        }
    }
    for (k, (field, name)) in copies.iter().enumerate() {
        if field.is_empty() || name.is_empty() {
            return Err(FaucetError::config(
                at(i, "parent_fields"),
                "field names must not be empty",
            ));
        }
        if copies[..k].iter().any(|(_, other)| other == name) {
            return Err(FaucetError::config(
                at(i, &format!("parent_fields.{field}")),
                format!("`{name}` is the name of another copied parent field"),
            ));
        }
    }
    Ok(ParentLink {
        requests,
        required: fields,
        copies,
        concurrency: r.parent_concurrency,
        config_path: at(i, "path"),
    })
}
