//! Three private RabbitMQ nodes clustered on loopback: one Erlang cookie, each its own name,
//! AMQP and distribution ports and data dir, no plugins. A member can be killed with SIGKILL and
//! started again; the cluster tells which member leads a quorum queue and which holds a client's
//! connection. Every node is killed when the cluster is dropped, also when the test panics.

use std::{
    collections::BTreeSet,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    rabbit::{NodeIdentity, RabbitNode, new_cookie},
    system::{free_port, run_async},
};

const SIZE: usize = 3;
/// Long enough for a member to boot, sync with its peers and start the broker on 2 busy cores.
const REJOIN_WITHIN: Duration = Duration::from_secs(60);

pub struct RabbitCluster {
    nodes: Vec<RabbitNode>,
    /// Members killed and not started again.
    down: BTreeSet<usize>,
}

impl RabbitCluster {
    /// Starts three nodes at once, joins the second and third to the first, and waits until all
    /// three run in the cluster.
    pub async fn start() -> Self {
        let cookie = new_cookie();
        let mut ports = BTreeSet::new();
        while ports.len() < 2 * SIZE {
            ports.insert(free_port());
        }
        let ports: Vec<u16> = ports.into_iter().collect();
        let identity = |i: usize| NodeIdentity::with(ports[2 * i], ports[2 * i + 1], cookie.clone());
        let (first, second, third) = tokio::join!(
            RabbitNode::start_as(identity(0)),
            RabbitNode::start_as(identity(1)),
            RabbitNode::start_as(identity(2)),
        );
        let cluster = Self { nodes: vec![first, second, third], down: BTreeSet::new() };
        let joining = &cluster.nodes[1..];
        futures::future::join_all(joining.iter().map(RabbitNode::stop_app)).await;
        // One at a time: a member starting while another joined but stopped one is in the
        // cluster can fail with `node_not_running`.
        for node in joining {
            run_async(node.ctl(&["join_cluster", &cluster.nodes[0].name]), "rabbitmqctl join_cluster").await;
            node.start_app().await;
        }
        let all: Vec<usize> = (0..SIZE).collect();
        cluster.wait_running(&all, REJOIN_WITHIN).await;
        cluster
    }

    /// Node `i`'s name.
    pub fn name(&self, i: usize) -> &str {
        &self.nodes[i].name
    }

    /// Every member's AMQP URL, in member order.
    pub fn amqp_urls(&self) -> Vec<String> {
        self.nodes.iter().map(RabbitNode::amqp_url).collect()
    }

    /// The members `cluster_status` on a live member reports running.
    pub async fn running(&self) -> BTreeSet<usize> {
        let status = self.ctl_json("rabbitmqctl", &["cluster_status"], "rabbitmqctl cluster_status").await;
        let running: Vec<&str> =
            status["running_nodes"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        (0..SIZE).filter(|&i| running.contains(&self.name(i))).collect()
    }

    /// SIGKILL to member `i`'s Erlang VM; returns its OS pid once it is gone.
    pub fn kill9(&mut self, i: usize) -> u32 {
        assert!(self.down.len() < SIZE - 1, "killing {} would leave no member running", self.name(i));
        let pid = self.nodes[i].kill9().unwrap_or_else(|| panic!("{} had no VM to kill", self.name(i)));
        self.down.insert(i);
        pid
    }

    /// Member `i`'s live OS processes.
    pub fn processes(&self, i: usize) -> Vec<u32> {
        self.nodes[i].processes()
    }

    /// Starts member `i` again with its name and data; returns once the other members see it
    /// running in the cluster.
    pub async fn restart(&mut self, i: usize) {
        self.nodes[i].start_again().await;
        self.down.remove(&i);
        let running: Vec<usize> = (0..SIZE).filter(|m| !self.down.contains(m)).collect();
        self.wait_running(&running, REJOIN_WITHIN).await;
    }

    /// The member whose replica of quorum queue `queue` is its leader.
    pub async fn quorum_leader(&self, queue: &str) -> usize {
        let started = Instant::now();
        loop {
            let members = self
                .ctl_json("rabbitmq-queues", &["quorum_status", queue], "rabbitmq-queues quorum_status")
                .await;
            let leader = members.as_array().into_iter().flatten().find_map(|member| {
                let name = member["Node Name"].as_str()?;
                (member["Raft State"] == "leader").then(|| self.index_of(name)).flatten()
            });
            if let Some(leader) = leader {
                return leader;
            }
            assert!(started.elapsed() < Duration::from_secs(15), "{queue} has no leader: {members}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The member holding a client connection whose name starts with `prefix`, if any.
    pub async fn node_with_connection(&self, prefix: &str) -> Option<usize> {
        self.connections()
            .await
            .into_iter()
            .find(|(name, _)| name.starts_with(prefix))
            .and_then(|(_, node)| node)
    }

    /// Every client connection in the cluster: the name the client gave it, and the member
    /// holding it (`None` if its port is no member's).
    pub async fn connections(&self) -> Vec<(String, Option<usize>)> {
        // The listing is cluster-wide; the server port tells which member holds a connection.
        // 3.10 lists the client's own name only among the client properties.
        let connections = self
            .ctl_json(
                "rabbitmqctl",
                &["list_connections", "client_properties", "port"],
                "rabbitmqctl list_connections",
            )
            .await;
        connections
            .as_array()
            .into_iter()
            .flatten()
            .map(|connection| {
                let port = connection["port"].as_u64();
                let node = self.nodes.iter().position(|node| Some(u64::from(node.port)) == port);
                (connection_name(&connection["client_properties"]).unwrap_or_default(), node)
            })
            .collect()
    }

    /// Waits until exactly `members` run in the cluster; panics after `within`.
    pub async fn wait_running(&self, members: &[usize], within: Duration) {
        let wanted: BTreeSet<usize> = members.iter().copied().collect();
        let started = Instant::now();
        loop {
            let running = self.running().await;
            if running == wanted {
                return;
            }
            let names =
                |set: &BTreeSet<usize>| set.iter().map(|&i| self.name(i)).collect::<Vec<_>>().join(", ");
            assert!(
                started.elapsed() < within,
                "the cluster runs [{}], not [{}], after {within:?}",
                names(&running),
                names(&wanted)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A CLI tool's JSON answer, from the first member that is not down.
    async fn ctl_json(&self, tool: &str, args: &[&str], what: &'static str) -> Value {
        let node = (0..SIZE).find(|i| !self.down.contains(i)).expect("a live member");
        let mut args = args.to_vec();
        args.extend(["--formatter", "json"]);
        let output = run_async(self.nodes[node].cli(tool, &args), what).await;
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)))
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|node| node.name == name)
    }
}

impl Drop for RabbitCluster {
    fn drop(&mut self) {
        // A stopping member waits for its peers; killing them all is quicker, and the data goes.
        for node in &mut self.nodes {
            let _ = node.try_kill9();
        }
    }
}

/// `connection_name` among a connection's client properties, which the JSON formatter writes as
/// `[name, type, value]` triples.
fn connection_name(properties: &Value) -> Option<String> {
    properties.as_array()?.iter().find_map(|property| {
        let triple = property.as_array()?;
        (triple.first()? == "connection_name").then(|| triple.last()?.as_str().map(str::to_string))?
    })
}
