//! A private PostgreSQL 15 cluster: `initdb` into a temp dir, served on a free loopback port by
//! the `postgres` user. Stopped and deleted when dropped, also when the test panics.

use std::{fs, os::unix::fs::PermissionsExt, path::Path, process::Command, time::Duration};

use tempfile::TempDir;

use crate::system::{answers, as_user, free_port, give_to, run_async, wait_for};

const BIN: &str = "/usr/lib/postgresql/15/bin";
const USER: &str = "postgres";

pub struct PgCluster {
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: TempDir,
}

impl PgCluster {
    /// Creates the cluster and starts it.
    pub async fn start() -> Self {
        let port = free_port();
        let dir = tempfile::Builder::new().prefix("ipscopy-postgres-").tempdir().expect("temp dir");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("temp dir mode");
        give_to(dir.path(), USER);
        let data = path(dir.path(), "data");
        let initdb = as_user(
            USER,
            &format!("{BIN}/initdb"),
            &["-D", &data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
            &[],
        );
        run_async(initdb, "initdb").await;
        // What the service needs, and nothing that makes a throwaway cluster slow.
        let conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nfull_page_writes = off\nsynchronous_commit = off\nmax_connections = 100\n",
            dir.path().display()
        );
        fs::write(dir.path().join("data/postgresql.auto.conf"), conf).expect("cluster config");
        give_to(dir.path(), USER);
        let cluster = Self { port, dir };
        cluster.start_server().await;
        cluster
    }

    /// The server's URL, without a database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// The fault: `pg_ctl stop -m fast` (every session is terminated, open transactions roll
    /// back, new connections are refused).
    pub async fn stop(&self) {
        run_async(self.pg_ctl(&["stop", "-m", "fast", "-w"]), "pg_ctl stop").await;
    }

    /// `pg_ctl start`; returns once the server accepts connections.
    pub async fn start_server(&self) {
        let log = path(self.dir.path(), "server.log");
        run_async(self.pg_ctl(&["start", "-w", "-t", "60", "-l", &log]), "pg_ctl start").await;
        let port = self.port;
        let up = wait_for(Duration::from_secs(30), || answers(port)).await;
        assert!(up.is_ok(), "PostgreSQL does not listen on {port}");
    }

    /// What the server logged so far (`pg_ctl -l`): WARNINGs and errors at the default levels.
    pub fn server_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn pg_ctl(&self, args: &[&str]) -> Command {
        let data = path(self.dir.path(), "data");
        let mut full = vec!["-D", data.as_str()];
        full.extend_from_slice(args);
        as_user(USER, &format!("{BIN}/pg_ctl"), &full, &[])
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate", "-w"]).output();
    }
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}
