//! A throwaway `prometheus-alertmanager` (Debian's 0.25) on a free loopback port, with gossip
//! off and its own storage, killed on drop. Its route groups by `alertname` and `namespace`,
//! as the sim's Alertmanager does, so the two can be compared.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The route both the real Alertmanager and the sim's group by.
pub const CONFIG: &str = "route:\n  receiver: opsdeck\n  group_by: [alertname, namespace]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n- name: opsdeck\n";

pub struct AlertmanagerServer {
    pub port: u16,
    /// Its gossip port, when it runs in a cluster.
    pub cluster_port: Option<u16>,
    dir: PathBuf,
    child: Option<Child>,
}

impl AlertmanagerServer {
    /// Starts an instance and waits until its API answers; panics (the test fails) when
    /// `prometheus-alertmanager` is not installed.
    pub fn start() -> Self {
        Self::start_with(None, None)
    }

    /// An instance gossiping on a port of its own, joined to `peer`'s cluster when given
    /// (Alertmanager's high-availability setup).
    pub fn start_in_cluster(peer: Option<&AlertmanagerServer>) -> Self {
        let join = peer.and_then(|p| p.cluster_port);
        Self::start_with(None, Some(join))
    }

    /// An instance behind basic auth: `user` with `bcrypt` (a hash of the password), as
    /// `--web.config.file` takes it.
    pub fn start_with_auth(user: &str, bcrypt: &str) -> Self {
        Self::start_with(Some((user, bcrypt)), None)
    }

    /// `cluster`: None, gossip off; Some(peer), gossip on a free port, joining `peer` if any.
    fn start_with(auth: Option<(&str, &str)>, cluster: Option<Option<u16>>) -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("opsdeck-am-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let config = dir.join("alertmanager.yml");
        std::fs::write(&config, CONFIG).expect("write alertmanager.yml");
        let mut command = Command::new("prometheus-alertmanager");
        if let Some((user, hash)) = auth {
            let web = dir.join("web.yml");
            std::fs::write(&web, format!("basic_auth_users:\n  {user}: {hash}\n"))
                .expect("write web.yml");
            command.arg(format!("--web.config.file={}", web.display()));
        }
        let cluster_port = cluster.map(|_| free_port());
        match (cluster_port, cluster.flatten()) {
            (Some(own), peer) => {
                command.arg(format!("--cluster.listen-address=127.0.0.1:{own}"));
                command.arg(format!("--cluster.advertise-address=127.0.0.1:{own}"));
                if let Some(peer) = peer {
                    command.arg(format!("--cluster.peer=127.0.0.1:{peer}"));
                }
            }
            (None, _) => {
                command.arg("--cluster.listen-address=");
            }
        }
        let child = command
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", dir.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start prometheus-alertmanager ({e}): install it (apt-get install -y \
                     prometheus-alertmanager); scripts/test.sh does this"
                )
            });
        let server = Self {
            port,
            cluster_port,
            dir,
            child: Some(child),
        };
        server.wait_ready();
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // Behind basic auth it answers 401 once it is up.
            if let Ok(body) = http_get(self.port, "/api/v2/status")
                && (body.contains("\"cluster\"") || body.starts_with("HTTP/1.1 401"))
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "alertmanager did not answer on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for AlertmanagerServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A minimal blocking GET, so starting a server needs no async runtime.
fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut body = String::new();
    stream.read_to_string(&mut body)?;
    Ok(body)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}
