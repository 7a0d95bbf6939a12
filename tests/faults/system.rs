//! What the private nodes need from the machine: free ports, commands run as the service's own
//! system user, and waiting for a port to answer.

use std::{
    net::{Ipv4Addr, TcpListener, TcpStream},
    path::Path,
    process::{Command, Output},
    time::{Duration, Instant},
};

/// A free loopback port below the ephemeral range and outside 35672-35682. A stopped service's
/// port must still be free when it starts again, and meanwhile ephemeral ports go to outgoing
/// connections, and 35672-35682 to every `rabbitmqctl`'s own Erlang node (those lie below the
/// ephemeral range where it starts higher, e.g. at 40000).
pub fn free_port() -> u16 {
    let ephemeral_from = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768u16);
    (0..1_000)
        .map(|_| rand::random_range(10_000..ephemeral_from.max(10_001)))
        .filter(|port| !RABBITMQCTL_PORTS.contains(port))
        .find(|&port| TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok())
        .expect("a free loopback port")
}

/// Where `rabbitmqctl`'s own Erlang node listens (`RABBITMQ_CTL_DIST_PORT_MIN`..`MAX`).
const RABBITMQCTL_PORTS: std::ops::RangeInclusive<u16> = 35_672..=35_682;

/// `program args…` as `user`, with only `PATH` and `env` in its environment: the service's
/// system-wide settings (`/etc/rabbitmq/rabbitmq-env.conf`, `PG*` variables) must not leak in.
pub fn as_user(user: &str, program: &str, args: &[&str], env: &[(&str, String)]) -> Command {
    let mut command = Command::new("runuser");
    command
        .args(["-u", user, "--", "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        .args(env.iter().map(|(key, value)| format!("{key}={value}")))
        .arg(program)
        .args(args);
    command
}

/// Runs `command` to completion; panics with its output when it fails.
pub fn run(mut command: Command, what: &str) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Like [`run`], without blocking the runtime.
pub async fn run_async(command: Command, what: &'static str) -> Output {
    tokio::task::spawn_blocking(move || run(command, what)).await.expect("command thread")
}

/// Gives `dir` and everything in it to `user`, whose service runs from there.
pub fn give_to(dir: &Path, user: &str) {
    let mut chown = Command::new("chown");
    chown.arg("-R").arg(format!("{user}:{user}")).arg(dir);
    run(chown, "chown");
}

/// Whether something accepts connections on the loopback `port`.
pub fn answers(port: u16) -> bool {
    TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_millis(200)).is_ok()
}

/// Waits until `ready()` holds; `Err` after `within`.
pub async fn wait_for(within: Duration, mut ready: impl FnMut() -> bool) -> Result<Duration, Duration> {
    let started = Instant::now();
    loop {
        if ready() {
            return Ok(started.elapsed());
        }
        if started.elapsed() > within {
            return Err(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
