//! A real `prometheus` (Debian's 2.42) on a free loopback port, holding the sim's history:
//! exported as OpenMetrics, backfilled with `promtool`, served from a temp dir. Killed (and the
//! dir removed) on drop; `kill` and `restart` let a test take it away and bring it back.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use opsdeck::sim::SimHandle;

pub const INSTALL: &str = "install it: apt-get install -y prometheus (scripts/test.sh does this)";

pub struct PrometheusServer {
    pub url: String,
    pub port: u16,
    /// The export's newest sample (seconds): query at this time to see exactly the export.
    pub last: i64,
    /// The OpenMetrics file the TSDB was built from.
    pub history: PathBuf,
    dir: PathBuf,
    child: Option<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Fails the test (never skips) when the tools are missing.
pub fn require_tools() {
    for tool in ["prometheus", "promtool"] {
        let found = Command::new(tool).arg("--version").output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "{tool} is missing: {INSTALL}"
        );
    }
}

impl PrometheusServer {
    /// Exports the sim's last 31 days, backfills them and starts Prometheus on them.
    pub async fn backfilled(sim: &SimHandle, name: &str) -> Self {
        require_tools();
        let dir = std::env::temp_dir().join(format!("opsdeck-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let history = dir.join("history.om");
        let from = sim.now() - jiff::SignedDuration::from_hours(31 * 24);
        let mut out = std::io::BufWriter::new(std::fs::File::create(&history).expect("file"));
        let last = sim.write_openmetrics(from, &mut out).expect("export");
        std::io::Write::flush(&mut out).expect("flush");
        drop(out);
        let data = dir.join("data");
        let status = Command::new("promtool")
            .args(["tsdb", "create-blocks-from", "openmetrics", "--quiet"])
            // A hidden flag: promtool re-reads the whole file once per block, and 2 h blocks
            // over 30 days are 360 reads (minutes); 1000 h blocks are two or three.
            .arg("--max-block-duration=1000h")
            .arg(&history)
            .arg(&data)
            .status()
            .unwrap_or_else(|e| panic!("cannot run promtool ({e}): {INSTALL}"));
        assert!(status.success(), "promtool failed on {}", history.display());
        std::fs::write(
            dir.join("prometheus.yml"),
            "global:\n  scrape_interval: 1m\nscrape_configs: []\n",
        )
        .expect("config");
        let port = free_port();
        let mut server = PrometheusServer {
            url: format!("http://127.0.0.1:{port}"),
            port,
            last: last.as_second(),
            history,
            dir,
            child: None,
        };
        server.restart().await;
        server
    }

    /// Recording rules (a Prometheus rules file) loaded from the next `restart`, evaluated
    /// every second.
    pub fn set_rules(&self, rules: &str) {
        let file = self.dir.join("rules.yml");
        std::fs::write(&file, rules).expect("rules");
        std::fs::write(
            self.dir.join("prometheus.yml"),
            format!(
                "global:\n  scrape_interval: 1m\n  evaluation_interval: 1s\nrule_files: [{:?}]\nscrape_configs: []\n",
                file.display().to_string()
            ),
        )
        .expect("config");
    }

    /// (Re)starts on the same port and data, and waits for `/-/ready`.
    pub async fn restart(&mut self) {
        let child = Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                self.dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                self.dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            // Backfilled blocks reach 31 days back: the default 15 days would delete half.
            .arg("--storage.tsdb.retention.time=60d")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start prometheus ({e}): {INSTALL}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = reqwest::get(format!("{}/-/ready", self.url)).await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(Instant::now() < deadline, "prometheus not ready after 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One sample line of the export: (series name, labels, value, time in seconds).
pub struct OmSample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub at: f64,
}

impl OmSample {
    pub fn label(&self, k: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads the export back for independent arithmetic (the sim writes simple `k="v"` labels).
pub fn read_openmetrics(path: &std::path::Path) -> Vec<OmSample> {
    let text = std::fs::read_to_string(path).expect("history");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|line| {
            let (series, rest) = match line.find('}') {
                Some(i) => (&line[..=i], &line[i + 1..]),
                None => line.split_at(line.find(' ')?),
            };
            let mut nums = rest.split_whitespace();
            let value: f64 = nums.next()?.parse().ok()?;
            let at: f64 = nums.next()?.parse().ok()?;
            let (name, labels) = match series.split_once('{') {
                Some((n, l)) => (n, l.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .filter_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    Some((k.to_string(), v.trim_matches('"').to_string()))
                })
                .collect();
            Some(OmSample {
                name: name.to_string(),
                labels,
                value,
                at,
            })
        })
        .collect()
}

/// How much the counters matching `keep` grew over (`end` - `window`, `end`]: per series, the
/// newest sample minus the oldest in the window (the sim's counters never reset), summed.
pub fn growth(
    samples: &[OmSample],
    name: &str,
    keep: impl Fn(&OmSample) -> bool,
    end: f64,
    window: f64,
) -> f64 {
    let mut per_series: std::collections::BTreeMap<String, (f64, f64, f64, f64)> =
        std::collections::BTreeMap::new();
    for s in samples
        .iter()
        .filter(|s| s.name == name && s.at > end - window && s.at <= end && keep(s))
    {
        let key = format!("{:?}", s.labels);
        let e = per_series
            .entry(key)
            .or_insert((s.at, s.value, s.at, s.value));
        if s.at < e.0 {
            (e.0, e.1) = (s.at, s.value);
        }
        if s.at > e.2 {
            (e.2, e.3) = (s.at, s.value);
        }
    }
    per_series
        .values()
        .map(|(_, first, _, last)| last - first)
        .sum()
}
