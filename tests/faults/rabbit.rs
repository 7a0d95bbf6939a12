//! A private RabbitMQ node: its own node name, ports, cookie, database and logs under a temp
//! dir, no plugins (so no management port to clash with the machine's node). Stopped and
//! deleted when dropped, also when the test panics.

use std::{
    fs,
    os::unix::{fs::PermissionsExt, process::CommandExt},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use tempfile::TempDir;

use crate::system::{answers, as_user, free_port, give_to, run_async, wait_for};

const BIN: &str = "/usr/lib/rabbitmq/bin";
const USER: &str = "rabbitmq";

/// Who a node is: its name, ports and Erlang cookie.
#[derive(Debug, Clone)]
pub struct NodeIdentity {
    pub name: String,
    pub port: u16,
    pub dist_port: u16,
    /// The node and our rabbitmqctl calls share it, and so do the members of one cluster.
    pub cookie: String,
}

impl NodeIdentity {
    /// A node on its own: free ports and a cookie no other node has.
    pub fn fresh() -> Self {
        Self::with(free_port(), free_port(), new_cookie())
    }

    /// AMQP on `port`, distribution on `dist_port`, with `cookie`.
    pub fn with(port: u16, dist_port: u16, cookie: String) -> Self {
        let name = format!("ipscopy-fault-{}-{port}@localhost", std::process::id());
        Self { name, port, dist_port, cookie }
    }
}

/// An Erlang cookie no running node has.
pub fn new_cookie() -> String {
    uuid::Uuid::new_v4().simple().to_string().to_uppercase()
}

pub struct RabbitNode {
    /// `ipscopy-fault-<pid>-<port>@localhost`.
    pub name: String,
    /// Its AMQP port on 127.0.0.1.
    pub port: u16,
    dist_port: u16,
    dir: TempDir,
    server: Child,
}

impl RabbitNode {
    /// Starts the node and waits until it accepts AMQP connections.
    pub async fn start() -> Self {
        Self::start_as(NodeIdentity::fresh()).await
    }

    /// Starts a node with the given name, ports and cookie; waits until it accepts AMQP
    /// connections.
    pub async fn start_as(identity: NodeIdentity) -> Self {
        let NodeIdentity { name, port, dist_port, cookie } = identity;
        let dir = tempfile::Builder::new().prefix("ipscopy-rabbit-").tempdir().expect("temp dir");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("temp dir mode");
        fs::write(dir.path().join("rabbitmq.conf"), format!("listeners.tcp.1 = 127.0.0.1:{port}\n"))
            .expect("node config");
        fs::write(dir.path().join("enabled_plugins"), "[].\n").expect("plugins file");
        fs::write(dir.path().join("rabbitmq-env.conf"), "").expect("env file");
        let cookie_file = dir.path().join(".erlang.cookie");
        fs::write(&cookie_file, cookie).expect("cookie");
        fs::set_permissions(&cookie_file, fs::Permissions::from_mode(0o400)).expect("cookie mode");
        give_to(dir.path(), USER);

        let server = spawn_server(dir.path(), &name, dist_port);
        let mut node = Self { name, port, dist_port, dir, server };
        node.wait_started().await;
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

    /// The crash: SIGKILL to the node's Erlang VM, then to whatever is left of its process group.
    /// Returns the VM's OS pid once every process of the node is gone (`None` if the VM never
    /// got as far as writing its pid file).
    pub fn kill9(&mut self) -> Option<u32> {
        self.try_kill9().unwrap_or_else(|left| panic!("{} survive SIGKILL: {left:?}", self.name))
    }

    /// [`Self::kill9`] without panicking (for drops): `Err` with what is left after 10 s.
    pub fn try_kill9(&mut self) -> Result<Option<u32>, Vec<u32>> {
        let vm = self.vm_pid();
        if let Some(pid) = vm {
            sigkill(&pid.to_string());
        }
        // An exited server's pid may belong to someone else by now.
        if !self.exited() {
            sigkill(&format!("-{}", self.server.id()));
            let _ = self.server.wait();
        }
        let started = Instant::now();
        loop {
            let left = self.processes();
            if left.is_empty() {
                return Ok(vm);
            }
            if started.elapsed() > Duration::from_secs(10) {
                return Err(left);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The node's live processes: its VM and the VM's helpers (`erl_child_setup`,
    /// `inet_gethost`, …), which each run in a process group of their own.
    pub fn processes(&self) -> Vec<u32> {
        let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
        entries
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .filter(|&pid| self.runs_as(pid) && alive(pid))
            .collect()
    }

    /// Starts the node again after [`Self::kill9`], with the same name, ports and data; returns
    /// once it accepts AMQP connections.
    pub async fn start_again(&mut self) {
        assert!(self.exited(), "{} is still running", self.name);
        self.server = spawn_server(self.dir.path(), &self.name, self.dist_port);
        self.wait_started().await;
    }

    /// `rabbitmqctl <args>` against this node, with its cookie.
    pub fn ctl(&self, args: &[&str]) -> Command {
        self.cli("rabbitmqctl", args)
    }

    /// One of RabbitMQ's CLI tools (`rabbitmqctl`, `rabbitmq-queues`, …) against this node.
    pub fn cli(&self, tool: &str, args: &[&str]) -> Command {
        let mut full = vec!["-n", self.name.as_str()];
        full.extend_from_slice(args);
        as_user(USER, &format!("{BIN}/{tool}"), &full, &node_env(self.dir.path(), &self.name))
    }

    fn exited(&mut self) -> bool {
        matches!(self.server.try_wait(), Ok(Some(_)))
    }

    fn output_tail(&self) -> String {
        let text = fs::read_to_string(self.dir.path().join("server.out")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    async fn wait_started(&mut self) {
        let port = self.port;
        let started = wait_for(Duration::from_secs(60), || answers(port) || self.exited()).await;
        assert!(started.is_ok() && !self.exited(), "RabbitMQ node did not start:\n{}", self.output_tail());
    }

    /// The pid in the node's pid file, if that is a live VM of this node: the file outlives a
    /// killed VM, and the VM's command line does not name the node (its environment does).
    fn vm_pid(&self) -> Option<u32> {
        let pid: u32 = fs::read_to_string(self.dir.path().join("node.pid")).ok()?.trim().parse().ok()?;
        let exe = fs::read_link(format!("/proc/{pid}/exe")).ok()?;
        (exe.ends_with("beam.smp") && self.runs_as(pid) && alive(pid)).then_some(pid)
    }

    /// Whether process `pid` belongs to this node: it inherited the node's name.
    fn runs_as(&self, pid: u32) -> bool {
        let named = format!("RABBITMQ_NODENAME={}", self.name);
        fs::read(format!("/proc/{pid}/environ"))
            .is_ok_and(|environ| environ.split(|&b| b == 0).any(|var| var == named.as_bytes()))
    }
}

impl Drop for RabbitNode {
    fn drop(&mut self) {
        if self.exited() {
            return;
        }
        let stopped = self.ctl(&["stop"]).output().is_ok_and(|o| o.status.success());
        if !stopped {
            sigkill(&format!("-{}", self.server.id()));
        }
        let _ = self.server.wait();
    }
}

/// `rabbitmq-server` for the node in `dir`, in its own process group so that a failed stop can
/// still end the whole tree.
fn spawn_server(dir: &Path, name: &str, dist_port: u16) -> Child {
    let mut env = node_env(dir, name);
    env.extend([
        ("RABBITMQ_DIST_PORT", dist_port.to_string()),
        ("RABBITMQ_MNESIA_BASE", path(dir, "mnesia")),
        ("RABBITMQ_LOG_BASE", path(dir, "log")),
        ("RABBITMQ_ENABLED_PLUGINS_FILE", path(dir, "enabled_plugins")),
        ("RABBITMQ_CONFIG_FILE", path(dir, "rabbitmq.conf")),
        ("RABBITMQ_PID_FILE", path(dir, "node.pid")),
        // Distribution on loopback only, like the machine's node.
        ("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}".into()),
    ]);
    let mut server = as_user(USER, &format!("{BIN}/rabbitmq-server"), &[], &env);
    let output = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.out"))
        .expect("server output file");
    server
        .stdin(Stdio::null())
        .stdout(output.try_clone().expect("output file"))
        .stderr(output)
        .process_group(0);
    server.spawn().expect("rabbitmq-server starts")
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

/// `kill -KILL -- <target>`: a pid, or `-<pgid>` for a whole process group.
fn sigkill(target: &str) {
    let mut kill = Command::new("kill");
    kill.args(["-KILL", "--", target]);
    let _ = kill.output();
}

/// Whether `pid` is a process that has not ended (a zombie has).
fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().next()) != Some("Z")
    })
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}
