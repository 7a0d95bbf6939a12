//! SSRF guard: webhook URLs may only reach public addresses, unless an operator opens chosen
//! ranges. Names are checked when registered and again on the address actually connected to,
//! through the sender's DNS resolver, so a name re-pointed at an internal address later
//! (DNS rebinding) is still refused.

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use ipnet::IpNet;
use reqwest::{
    Url,
    dns::{Addrs, Name, Resolve, Resolving},
};
use url::Host;

/// Longest webhook URL accepted, in bytes.
const MAX_URL_BYTES: usize = 2048;
/// How long a registration waits for DNS before leaving the check to the sender.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Which addresses webhooks (or imports) may reach: public ones, plus the operator's allow-list.
#[derive(Debug, Clone)]
pub struct AddressPolicy {
    allowed: Arc<Vec<IpNet>>,
    /// The setting that opens more networks, named in refusals.
    opened_by: &'static str,
}

impl Default for AddressPolicy {
    /// Webhooks' policy with no network opened.
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

/// Why a URL or address was refused, in words for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl AddressPolicy {
    /// Webhooks' policy, which also permits the given networks.
    pub fn new(allowed: Vec<IpNet>) -> Self {
        Self { allowed: Arc::new(allowed), opened_by: "IPSCOPY_WEBHOOK_ALLOWED_NETWORKS" }
    }

    /// Imports' policy, which also permits the given networks.
    pub fn for_imports(allowed: Vec<IpNet>) -> Self {
        Self { allowed: Arc::new(allowed), opened_by: "IPSCOPY_IMPORT_ALLOWED_NETWORKS" }
    }

    /// Whether a connection to `ip` is allowed.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let canonical = canonical(ip);
        self.allowed.iter().any(|net| net.contains(&ip) || net.contains(&canonical)) || is_public(ip)
    }

    /// Checks a URL's shape and, when its host is an address literal, that address. Names are
    /// left to [`Self::check_registration`] and to the resolver.
    pub fn check_url(&self, text: &str) -> Result<Url, Refused> {
        if text.len() > MAX_URL_BYTES {
            return Err(Refused(format!("is longer than {MAX_URL_BYTES} bytes")));
        }
        let url = Url::parse(text).map_err(|e| Refused(format!("is not a valid absolute URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refused("must use http or https".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused("must not carry credentials".into()));
        }
        let ip = match url.host() {
            None => return Err(Refused("has no host".into())),
            Some(Host::Domain(_)) => None,
            Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        };
        if let Some(ip) = ip
            && !self.permits(ip)
        {
            return Err(Refused(format!("points to {}", self.refusal(ip))));
        }
        Ok(url)
    }

    /// Checks a URL a client registers: its shape, and that its host name resolves to at least
    /// one permitted address. A name that does not resolve now is accepted; the sender checks
    /// again on every connection.
    pub async fn check_registration(&self, text: &str) -> Result<Url, Refused> {
        let url = self.check_url(text)?;
        if let (Some(Host::Domain(host)), Some(port)) = (url.host(), url.port_or_known_default()) {
            let lookup = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port))).await;
            if let Ok(Ok(addrs)) = lookup {
                let addrs: Vec<SocketAddr> = addrs.collect();
                if let Some(first) = addrs.first()
                    && !addrs.iter().any(|a| self.permits(a.ip()))
                {
                    return Err(Refused(format!("resolves to {}", self.refusal(first.ip()))));
                }
            }
        }
        Ok(url)
    }

    fn refusal(&self, ip: IpAddr) -> Refused {
        Refused(format!(
            "the non-public address {ip} (loopback, private, link-local, metadata or reserved); \
             an operator can open it with {}",
            self.opened_by
        ))
    }
}

/// The IPv4 address behind an IPv4-mapped IPv6 address, so both forms match the same rules.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether an address is publicly routable unicast.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_is_public(v4),
        IpAddr::V6(v6) => v6_is_public(v6),
    }
}

fn v4_is_public(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = a == 0 // "this network", includes 0.0.0.0
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, home of the cloud metadata service
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || ip.is_documentation()
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || ip.is_multicast()
        || a >= 240; // reserved and broadcast
    !special
}

fn v6_is_public(ip: Ipv6Addr) -> bool {
    // Forms that carry an IPv4 address are judged by that address.
    if let Some(v4) = embedded_v4(ip) {
        return v4_is_public(v4);
    }
    let s = ip.segments();
    // Only global unicast (2000::/3) is public; that excludes loopback, unspecified,
    // IPv4-compatible, unique-local (fc00::/7, e.g. fd00:ec2::254), link-local and multicast.
    let global_unicast = s[0] & 0xe000 == 0x2000;
    // 2001::/23 holds IETF protocol assignments (Teredo, ORCHID, benchmarking); 2001:db8::/32
    // is for documentation.
    let special = (s[0] == 0x2001 && (s[1] < 0x0200 || s[1] == 0x0db8)) || (s[0] == 0x3fff && s[1] < 0x1000); // documentation (RFC 9637)
    global_unicast && !special
}

fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(mapped) = ip.to_ipv4_mapped() {
        Some(mapped)
    } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        Some(tail) // NAT64 well-known prefix
    } else if s[0] == 0x2002 {
        Some(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8)) // 6to4
    } else {
        None
    }
}

/// The sender's DNS resolver: resolves with the system resolver, then keeps only permitted
/// addresses, so the connection can only go to an address that passed the policy.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub policy: AddressPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let permitted: Vec<SocketAddr> =
                addrs.iter().copied().filter(|a| policy.permits(a.ip())).collect();
            match (permitted.is_empty(), addrs.first()) {
                (false, _) => Ok(Box::new(permitted.into_iter()) as Addrs),
                (true, Some(first)) => {
                    Err(Refused(format!("{host} resolves to {}", policy.refusal(first.ip()))).into())
                }
                (true, None) => Err(Refused(format!("{host} has no address")).into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn open(nets: &[&str]) -> AddressPolicy {
        AddressPolicy::new(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn metadata_private_loopback_and_reserved_literals_are_refused_in_every_spelling() {
        let policy = AddressPolicy::default();
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://2852039166/",               // 169.254.169.254 as one decimal number
            "http://0xa9.0xfe.0xa9.0xfe/",      // and in hex
            "http://[::ffff:169.254.169.254]/", // IPv4-mapped
            "http://[::ffff:a9fe:a9fe]/",       // IPv4-mapped, hex
            "http://[64:ff9b::a9fe:a9fe]/",     // NAT64
            "http://[2002:a9fe:a9fe::1]/",      // 6to4
            "http://[fd00:ec2::254]/",          // AWS IPv6 metadata (unique local)
            "http://127.0.0.1:8080/",
            "http://[::1]/",
            "http://[::]/",
            "http://0.0.0.0/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://[fe80::1]/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[2001:db8::1]/",
        ] {
            let refused = policy.check_url(url).unwrap_err();
            assert!(refused.0.contains("non-public address"), "{url}: {refused}");
        }
    }

    #[test]
    fn public_addresses_and_names_are_accepted() {
        let policy = AddressPolicy::default();
        for url in
            ["https://93.184.215.14/hook", "https://[2606:4700::1111]/", "https://hooks.example.com/x?y=1"]
        {
            assert!(policy.check_url(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn other_schemes_credentials_and_garbage_are_refused() {
        let policy = AddressPolicy::default();
        for (url, why) in [
            ("ftp://example.com/", "http or https"),
            ("https://user:pw@example.com/", "credentials"),
            ("not a url", "not a valid absolute URL"),
            ("file:///etc/passwd", "http or https"),
        ] {
            assert!(policy.check_url(url).unwrap_err().0.contains(why), "{url}");
        }
    }

    #[test]
    fn the_allow_list_opens_only_its_networks_in_both_address_forms() {
        let policy = open(&["127.0.0.0/8"]);
        assert!(policy.check_url("http://127.0.0.1:9/").is_ok());
        assert!(policy.check_url("http://[::ffff:127.0.0.1]:9/").is_ok());
        assert!(policy.check_url("http://169.254.169.254/").is_err());
        assert!(policy.check_url("http://[::1]/").is_err());
    }

    #[tokio::test]
    async fn names_resolving_only_to_refused_addresses_are_refused_at_registration_and_connection() {
        let policy = AddressPolicy::default();
        let refused = policy.check_registration("http://localhost:9/hook").await.unwrap_err();
        assert!(refused.0.contains("resolves to"), "{refused}");
        let resolver = GuardedResolver { policy };
        let error = resolver.resolve(Name::from_str("localhost").unwrap()).await.err().expect("refused");
        assert!(error.downcast_ref::<Refused>().is_some(), "{error}");
    }

    #[tokio::test]
    async fn the_resolver_keeps_only_the_permitted_addresses_of_a_name() {
        let resolver = GuardedResolver { policy: open(&["127.0.0.0/8"]) };
        let addrs: Vec<SocketAddr> =
            resolver.resolve(Name::from_str("localhost").unwrap()).await.expect("resolves").collect();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.is_ipv4()), "{addrs:?}");
    }
}
