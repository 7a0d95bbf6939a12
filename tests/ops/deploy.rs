//! The deployment files agree with the code: every variable docker-compose and the Dockerfile
//! set is one the configuration reads, the subcommands they run exist, the image runs the binary
//! the build makes, and Prometheus scrapes the services that serve `/metrics`.

use std::{collections::BTreeSet, path::PathBuf};

use clap::{Args, Command};
use ipscopy::config::Settings;
use serde_yaml::Value;

fn read(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("reading {}: {e}", full.display()))
}

/// The `env = "…"` names of every setting.
fn config_variables() -> BTreeSet<String> {
    Settings::augment_args(Command::new("ipscopy"))
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .collect()
}

/// Variables read outside the settings, by the logging set-up.
fn logging_variables() -> BTreeSet<String> {
    let telemetry = read("src/telemetry.rs");
    ["RUST_LOG", "IPSCOPY_LOG_FORMAT"]
        .into_iter()
        .filter(|v| *v == "RUST_LOG" || telemetry.contains(v))
        .map(String::from)
        .collect()
}

fn compose() -> Value {
    serde_yaml::from_str(&read("docker-compose.yml")).expect("docker-compose.yml is YAML")
}

/// The services built from this repository, by name.
fn ipscopy_services(compose: &Value) -> Vec<(String, Value)> {
    compose["services"]
        .as_mapping()
        .expect("services")
        .iter()
        .filter(|(_, service)| service.get("build").is_some())
        .map(|(name, service)| (name.as_str().unwrap().to_string(), service.clone()))
        .collect()
}

/// The subcommands of the binary, from its `enum Command` in `src/main.rs`.
fn subcommands() -> BTreeSet<String> {
    let main = read("src/main.rs");
    let body = main.split("enum Command {").nth(1).expect("enum Command").split("\n}").next().unwrap();
    body.lines()
        .map(str::trim)
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .map(|l| l.split(|c: char| !c.is_alphanumeric()).next().unwrap().to_lowercase())
        .collect()
}

#[test]
fn every_variable_the_compose_file_gives_ipscopy_is_read_by_its_configuration() {
    let known: BTreeSet<String> = config_variables().union(&logging_variables()).cloned().collect();
    assert!(known.contains("DATABASE_URL") && known.contains("AMQP_URL"), "{known:?}");
    let compose = compose();
    let services = ipscopy_services(&compose);
    let names: Vec<&str> = services.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["migrate", "api", "worker"]);
    for (name, service) in &services {
        let environment =
            service["environment"].as_mapping().unwrap_or_else(|| panic!("{name} has an environment"));
        for variable in environment.keys().map(|k| k.as_str().unwrap()) {
            assert!(known.contains(variable), "service {name} sets {variable}, which no setting reads");
        }
    }
}

#[test]
fn the_compose_services_run_subcommands_the_binary_has() {
    let commands = subcommands();
    assert!(commands.contains("run"), "{commands:?}");
    for (name, service) in ipscopy_services(&compose()) {
        let command = service["command"][0].as_str().unwrap_or_else(|| panic!("{name} has a command"));
        assert!(commands.contains(command), "service {name} runs `ipscopy {command}`, which does not exist");
    }
}

#[test]
fn the_dockerfile_runs_the_binary_the_build_produces_as_a_non_root_user() {
    let dockerfile = read("Dockerfile");
    let manifest: toml_like::Manifest = toml_like::Manifest::read(&read("Cargo.toml"));
    let binary = manifest.default_run.expect("default-run names the binary");
    assert_eq!(binary, manifest.package_name, "the binary is src/main.rs, named after the package");

    assert!(dockerfile.contains(&format!("--bin {binary}")), "the build stage builds --bin {binary}");
    let built = format!("target/release/{binary}");
    let copy = dockerfile
        .lines()
        .find(|l| l.contains(&built))
        .unwrap_or_else(|| panic!("the build stage copies {built}"));
    let installed = copy.split_whitespace().last().unwrap();
    assert!(
        dockerfile.lines().any(|l| l.starts_with("COPY --from=build") && l.contains(installed)),
        "the runtime stage copies {installed} from the build stage"
    );
    assert!(
        dockerfile.contains(&format!("ENTRYPOINT [\"{binary}\"]"))
            || dockerfile.contains(&format!("ENTRYPOINT [\"{installed}\"]"))
    );
    assert_eq!(
        dockerfile.matches("\nFROM ").count() + usize::from(dockerfile.starts_with("FROM ")),
        2,
        "multi-stage"
    );
    let user = dockerfile.lines().rev().find_map(|l| l.strip_prefix("USER ")).expect("a USER line");
    assert!(!matches!(user.trim(), "root" | "0"), "runs as {user}");

    let known = config_variables();
    for line in dockerfile.lines().filter_map(|l| l.strip_prefix("ENV ")) {
        for variable in line.split_whitespace().filter_map(|kv| kv.split_once('=').map(|(k, _)| k)) {
            assert!(known.contains(variable), "the Dockerfile sets {variable}, which no setting reads");
        }
    }
}

#[test]
fn prometheus_scrapes_the_api_and_every_worker_on_their_operators_listener() {
    let config: Value =
        serde_yaml::from_str(&read("deploy/prometheus.yml")).expect("deploy/prometheus.yml is YAML");
    let compose = compose();
    let ops_addr = compose["x-ipscopy-env"]["IPSCOPY_OPS_ADDR"].as_str().expect("IPSCOPY_OPS_ADDR");
    let port = ops_addr.rsplit(':').next().unwrap();
    let jobs = config["scrape_configs"].as_sequence().expect("scrape_configs");
    let targets: Vec<String> = jobs
        .iter()
        .flat_map(|job| {
            assert_eq!(job["metrics_path"].as_str(), Some("/metrics"));
            let fixed = job["static_configs"].as_sequence().into_iter().flatten().flat_map(|s| {
                s["targets"].as_sequence().unwrap().iter().map(|t| t.as_str().unwrap().to_string())
            });
            let discovered = job["dns_sd_configs"].as_sequence().into_iter().flatten().flat_map(|d| {
                let port = d["port"].as_u64().unwrap();
                d["names"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(move |n| format!("{}:{port}", n.as_str().unwrap()))
            });
            fixed.chain(discovered).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(targets, [format!("api:{port}"), format!("worker:{port}")]);
    let services = compose["services"].as_mapping().unwrap();
    assert!(services.contains_key("prometheus") && services.contains_key("grafana"));
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("deploy/grafana/dashboards/ipscopy.json")).expect("the dashboard is JSON");
    assert!(dashboard["panels"].as_array().is_some_and(|p| p.len() >= 8));
}

/// The two `Cargo.toml` keys this file needs, without a TOML parser.
mod toml_like {
    pub struct Manifest {
        pub package_name: String,
        pub default_run: Option<String>,
    }

    impl Manifest {
        pub fn read(text: &str) -> Self {
            let package = text.split("[package]").nth(1).expect("[package]").split("\n[").next().unwrap();
            let value = |key: &str| {
                package.lines().find_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
                })
            };
            Self { package_name: value("name").expect("package name"), default_run: value("default-run") }
        }
    }
}
