//! A throwaway `rabbitmq-server` (Debian's package, with the management plugin) on free loopback
//! ports, in its own temp dir with its own epmd, stopped on drop. REFERENCE.md §11 has the recipe.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const CTL: &str = "/usr/lib/rabbitmq/bin/rabbitmqctl";

pub struct RabbitServer {
    /// AMQP port.
    pub port: u16,
    /// Management HTTP API port.
    pub management_port: u16,
    epmd_port: u16,
    ctl_port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl RabbitServer {
    /// Starts a broker and waits for its management API; panics (the test fails) when the
    /// package is not installed or the broker does not come up.
    pub fn start() -> Self {
        assert!(
            Path::new(SERVER).exists(),
            "{SERVER} not found: install it (apt-get install -y rabbitmq-server); scripts/test.sh does this"
        );
        // The distribution port is the AMQP port + 20000, so the AMQP port must stay below 45536.
        let port = free_port_where(|p| p < 45_536 && port_is_free(p + 20_000));
        let management_port = free_port_where(|_| true);
        let epmd_port = free_port_where(|_| true);
        let ctl_port = free_port_where(|p| p < 65_000);
        let dir =
            std::env::temp_dir().join(format!("opsdeck-rabbit-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("enabled_plugins"), "[rabbitmq_management].\n").expect("plugins");
        std::fs::write(
            dir.join("rabbitmq.conf"),
            format!(
                "listeners.tcp.default = 127.0.0.1:{port}\n\
                 management.tcp.ip = 127.0.0.1\n\
                 management.tcp.port = {management_port}\n\
                 collect_statistics_interval = 1000\n"
            ),
        )
        .expect("config");
        std::fs::write(dir.join("conf.env"), "").expect("conf env");
        let mut server = Self {
            port,
            management_port,
            epmd_port,
            ctl_port,
            dir,
            child: None,
        };
        server.restart();
        server
    }

    pub fn management_url(&self) -> String {
        format!("http://guest@127.0.0.1:{}", self.management_port)
    }

    fn command(&self, program: &str) -> Command {
        let d = |sub: &str| self.dir.join(sub);
        let mut cmd = Command::new(program);
        cmd.env("HOME", &self.dir)
            .env(
                "RABBITMQ_NODENAME",
                format!("opsdeck-{}@localhost", self.port),
            )
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", (self.port + 20_000).to_string())
            .env("RABBITMQ_CONFIG_FILE", d("rabbitmq"))
            .env("RABBITMQ_MNESIA_BASE", d("mnesia"))
            .env("RABBITMQ_LOG_BASE", d("log"))
            .env("RABBITMQ_PID_FILE", d("beam.pid"))
            .env("RABBITMQ_CONF_ENV_FILE", d("conf.env"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", d("enabled_plugins"))
            .env("ERL_EPMD_PORT", self.epmd_port.to_string())
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_CTL_DIST_PORT_MIN", self.ctl_port.to_string())
            .env(
                "RABBITMQ_CTL_DIST_PORT_MAX",
                (self.ctl_port + 10).to_string(),
            );
        cmd
    }

    /// (Re)starts on the same ports and data dir, and waits for the management API.
    pub fn restart(&mut self) {
        let log = std::fs::File::create(self.dir.join("server.out")).expect("log file");
        let child = self
            .command(SERVER)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SERVER}: {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(120);
        // The management API can answer before the AMQP listener is up: wait for both.
        while !(self.management_answers()
            && std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok())
        {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("rabbitmq-server exited ({status}):\n{}", self.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "rabbitmq-server did not answer on {} within 120 s:\n{}",
                self.management_port,
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn management_answers(&self) -> bool {
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.management_port)) else {
            return false;
        };
        use std::io::{Read, Write};
        let req = "GET /api/overview HTTP/1.0\r\nAuthorization: Basic Z3Vlc3Q6Z3Vlc3Q=\r\n\r\n";
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let mut head = [0u8; 12];
        s.write_all(req.as_bytes()).is_ok()
            && s.read_exact(&mut head).is_ok()
            && head.ends_with(b"200")
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("server.out")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Kills the broker outright (SIGKILL to the Erlang VM, whose pid the broker writes), as a
    /// crash would. The wrapper script is not the VM, so killing the child alone is not enough.
    pub fn kill(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("beam.pid")) {
            let _ = Command::new("kill").args(["-9", pid.trim()]).status();
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(self.dir.join("beam.pid"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !(port_is_free(self.management_port) && port_is_free(self.port))
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `rabbitmqctl stop`, then SIGKILL after a grace period, then this broker's epmd (which
    /// refuses to exit while a node is still registered).
    fn stop(&mut self) {
        if self.dir.join("beam.pid").exists() {
            let _ = self
                .command(CTL)
                .arg("stop")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map(|mut c| wait_timeout(&mut c, Duration::from_secs(10)));
            if let Some(child) = self.child.as_mut() {
                wait_timeout(child, Duration::from_secs(5));
            }
        }
        self.kill();
        let _ = Command::new("epmd")
            .arg("-kill")
            .env("ERL_EPMD_PORT", self.epmd_port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for RabbitServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn wait_timeout(child: &mut Child, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn free_port_where(ok: impl Fn(u16) -> bool) -> u16 {
    for _ in 0..200 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        if ok(port) {
            return port;
        }
    }
    // Ephemeral ports may all sit above 45535: walk a fixed range instead.
    (20_000u16..45_000)
        .step_by(7)
        .find(|&p| port_is_free(p) && ok(p))
        .expect("a free port")
}
