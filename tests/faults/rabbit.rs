//! A private RabbitMQ node: its own node name, ports, cookie, database and logs under a temp
//! dir, no plugins (so no management port to clash with the machine's node). Stopped and
//! deleted when dropped, also when the test panics.

use std::{
    fs,
    os::unix::{fs::PermissionsExt, process::CommandExt},
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use tempfile::TempDir;

use crate::system::{answers, as_user, free_port, give_to, run_async, wait_for};

const BIN: &str = "/usr/lib/rabbitmq/bin";
const USER: &str = "rabbitmq";

pub struct RabbitNode {
    /// `ipscopy-fault-<pid>-<port>@localhost`.
    pub name: String,
    /// Its AMQP port on 127.0.0.1.
    pub port: u16,
    dir: TempDir,
    server: Child,
}

impl RabbitNode {
    /// Starts the node and waits until it accepts AMQP connections.
    pub async fn start() -> Self {
        let port = free_port();
        let dist_port = free_port();
        let name = format!("ipscopy-fault-{}-{port}@localhost", std::process::id());
        let dir = tempfile::Builder::new().prefix("ipscopy-rabbit-").tempdir().expect("temp dir");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("temp dir mode");
        fs::write(dir.path().join("rabbitmq.conf"), format!("listeners.tcp.1 = 127.0.0.1:{port}\n"))
            .expect("node config");
        fs::write(dir.path().join("enabled_plugins"), "[].\n").expect("plugins file");
        fs::write(dir.path().join("rabbitmq-env.conf"), "").expect("env file");
        // The node and our rabbitmqctl calls share this cookie and no other node's.
        let cookie = dir.path().join(".erlang.cookie");
        fs::write(&cookie, uuid::Uuid::new_v4().simple().to_string().to_uppercase()).expect("cookie");
        fs::set_permissions(&cookie, fs::Permissions::from_mode(0o400)).expect("cookie mode");
        give_to(dir.path(), USER);

        let mut env = node_env(dir.path(), &name);
        env.extend([
            ("RABBITMQ_DIST_PORT", dist_port.to_string()),
            ("RABBITMQ_MNESIA_BASE", path(dir.path(), "mnesia")),
            ("RABBITMQ_LOG_BASE", path(dir.path(), "log")),
            ("RABBITMQ_ENABLED_PLUGINS_FILE", path(dir.path(), "enabled_plugins")),
            ("RABBITMQ_CONFIG_FILE", path(dir.path(), "rabbitmq.conf")),
            ("RABBITMQ_PID_FILE", path(dir.path(), "node.pid")),
            // Distribution on loopback only, like the machine's node.
            ("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}".into()),
        ]);
        let mut server = as_user(USER, &format!("{BIN}/rabbitmq-server"), &[], &env);
        let output = fs::File::create(dir.path().join("server.out")).expect("server output file");
        server
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("output file"))
            .stderr(output)
            // Its own process group, so a failed stop can still end the whole tree.
            .process_group(0);
        let server = server.spawn().expect("rabbitmq-server starts");
        let mut node = Self { name, port, dir, server };
        let started = wait_for(Duration::from_secs(60), || answers(port) || node.exited()).await;
        assert!(started.is_ok() && !node.exited(), "RabbitMQ node did not start:\n{}", node.output_tail());
        node
    }

    /// The AMQP URL of the node.
    pub fn amqp_url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// The fault: `rabbitmqctl stop_app` (the Erlang VM stays, the broker stops and drops every
    /// connection).
    pub async fn stop_app(&self) {
        run_async(self.ctl(&["stop_app"]), "rabbitmqctl stop_app").await;
    }

    /// `rabbitmqctl start_app`; returns once the broker accepts connections again.
    pub async fn start_app(&self) {
        run_async(self.ctl(&["start_app"]), "rabbitmqctl start_app").await;
        let port = self.port;
        let up = wait_for(Duration::from_secs(30), || answers(port)).await;
        assert!(up.is_ok(), "the node does not listen after start_app:\n{}", self.output_tail());
    }

    fn ctl(&self, args: &[&str]) -> Command {
        let mut full = vec!["-n", self.name.as_str()];
        full.extend_from_slice(args);
        as_user(USER, &format!("{BIN}/rabbitmqctl"), &full, &node_env(self.dir.path(), &self.name))
    }

    fn exited(&mut self) -> bool {
        matches!(self.server.try_wait(), Ok(Some(_)))
    }

    fn output_tail(&self) -> String {
        let text = fs::read_to_string(self.dir.path().join("server.out")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for RabbitNode {
    fn drop(&mut self) {
        let stopped = self.ctl(&["stop"]).output().is_ok_and(|o| o.status.success());
        if !stopped {
            let mut kill = Command::new("kill");
            kill.args(["-KILL", "--", &format!("-{}", self.server.id())]);
            let _ = kill.output();
        }
        let _ = self.server.wait();
    }
}

/// What both the server and rabbitmqctl need to find the node and its cookie.
fn node_env(dir: &Path, name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("HOME", dir.display().to_string()),
        ("RABBITMQ_NODENAME", name.to_string()),
        ("RABBITMQ_CONF_ENV_FILE", path(dir, "rabbitmq-env.conf")),
        ("ERL_EPMD_ADDRESS", "127.0.0.1".into()),
    ]
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}
