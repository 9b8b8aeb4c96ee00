//! The files of a scaffolded connector crate, with `{{placeholders}}`.

use super::Role;

/// `(path in the crate, template)` for every file of a crate of `role`.
pub(crate) fn files(role: Role) -> [(&'static str, &'static str); 7] {
    let common = [
        ("Cargo.toml", include_str!("templates/Cargo.toml.tmpl")),
        ("README.md", include_str!("templates/README.md.tmpl")),
        ("src/main.rs", include_str!("templates/main.rs.tmpl")),
    ];
    match role {
        Role::Source => [
            common[0],
            common[1],
            common[2],
            ("src/lib.rs", include_str!("templates/source_lib.rs.tmpl")),
            (
                "src/config.rs",
                include_str!("templates/source_config.rs.tmpl"),
            ),
            (
                "src/stream.rs",
                include_str!("templates/source_stream.rs.tmpl"),
            ),
            (
                "tests/conformance.rs",
                include_str!("templates/source_test.rs.tmpl"),
            ),
        ],
        Role::Transform => [
            common[0],
            common[1],
            common[2],
            (
                "src/lib.rs",
                include_str!("templates/transform_lib.rs.tmpl"),
            ),
            (
                "src/config.rs",
                include_str!("templates/transform_config.rs.tmpl"),
            ),
            (
                "src/transform.rs",
                include_str!("templates/transform_transform.rs.tmpl"),
            ),
            (
                "tests/conformance.rs",
                include_str!("templates/transform_test.rs.tmpl"),
            ),
        ],
        Role::Sink => [
            common[0],
            common[1],
            common[2],
            ("src/lib.rs", include_str!("templates/sink_lib.rs.tmpl")),
            (
                "src/config.rs",
                include_str!("templates/sink_config.rs.tmpl"),
            ),
            ("src/sink.rs", include_str!("templates/sink_sink.rs.tmpl")),
            (
                "tests/conformance.rs",
                include_str!("templates/sink_test.rs.tmpl"),
            ),
        ],
    }
}

/// `template` with every `{{key}}` replaced by its value.
pub(crate) fn render(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = template.to_owned();
    for (key, value) in vars {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_known() {
        let known = [
            "crate",
            "snake_crate",
            "name",
            "role",
            "Role",
            "Type",
            "core",
            "cli",
            "origin",
            "io_file",
            "io_role",
        ];
        for role in [Role::Source, Role::Sink, Role::Transform] {
            for (path, template) in files(role) {
                for part in template.split("{{").skip(1) {
                    let key = &part[..part.find("}}").unwrap_or(0)];
                    assert!(
                        known.contains(&key),
                        "{path}: unknown placeholder {{{{{key}}}}}"
                    );
                }
            }
        }
    }
}
